// Package schemaerr reads kin-openapi's schema errors for the module's two validators of
// openapi.yaml: the contract check (package contract), which reports each problem, and the
// emulator (package sandbox), which answers with SCB's code for the first.
package schemaerr

import "github.com/getkin/kin-openapi/openapi3"

// Leaves returns the innermost schema errors of err, in order: a oneOf or allOf error wraps the
// errors of its members, whose own message would repeat values, and a multi-error holds several.
func Leaves(err error) []*openapi3.SchemaError { return leaves(nil, err) }

func leaves(out []*openapi3.SchemaError, err error) []*openapi3.SchemaError {
	switch e := err.(type) {
	case nil:
		return out
	case *openapi3.SchemaError:
		if e.Origin != nil {
			if inner := leaves(nil, e.Origin); len(inner) > 0 {
				return append(out, inner...)
			}
		}
		return append(out, e)
	case openapi3.MultiError:
		for _, x := range e {
			out = leaves(out, x)
		}
		return out
	case interface{ Unwrap() []error }:
		for _, x := range e.Unwrap() {
			out = leaves(out, x)
		}
		return out
	case interface{ Unwrap() error }:
		return leaves(out, e.Unwrap())
	}
	return out
}
