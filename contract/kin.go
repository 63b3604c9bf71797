package contract

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/scboauth/scboauth/internal/schemaerr"
)

// kin-openapi tells most of its response errors apart only by the text of
// openapi3filter.ResponseError.Reason. kinReasons is the one place that reads those texts, and
// TestKinReasons provokes each one from kin-openapi itself: an upgrade that rewords one fails
// there, not somewhere in a report.

// kinProblem is what openapi3filter.ValidateResponse found. An undocumented status never gets
// this far: validateResponse checks it first, from the document.
type kinProblem int

const (
	kinOther             kinProblem = iota // anything else: reported by its reason
	kinContentType                         // the Content-Type is not one the answer documents
	kinBodyUndecodable                     // the body does not decode as the media type
	kinBodySchema                          // the body does not match its schema
	kinHeaderUndecodable                   // a header's value cannot be decoded
	kinHeaderSchema                        // a header's value does not match its schema
	kinHeaderMissing                       // a required header is missing
)

// kinReasons maps the start and end of a ResponseError's Reason to the problem it reports.
var kinReasons = []struct {
	prefix, suffix string
	problem        kinProblem
}{
	{"response header Content-Type has unexpected value", "", kinContentType},
	{"failed to decode response body", "", kinBodyUndecodable},
	{"response body doesn't match schema", "", kinBodySchema},
	{"unable to decode header ", "", kinHeaderUndecodable},
	{"response header ", " doesn't match schema", kinHeaderSchema},
	{"response header ", " missing", kinHeaderMissing},
}

// kinResponseProblem classifies an error of openapi3filter.ValidateResponse; re is nil when err
// is not a *ResponseError.
func kinResponseProblem(err error) (p kinProblem, re *openapi3filter.ResponseError) {
	if !errors.As(err, &re) {
		return kinOther, nil
	}
	for _, k := range kinReasons {
		if strings.HasPrefix(re.Reason, k.prefix) && strings.HasSuffix(re.Reason, k.suffix) {
			return k.problem, re
		}
	}
	return kinOther, re
}

// kinMethodNotAllowed reports whether a router error says the path exists but not the method.
func kinMethodNotAllowed(err error) bool {
	var re *routers.RouteError
	return errors.As(err, &re) && re.Reason == routers.ErrMethodNotAllowed.Error()
}

// schemaFindings turns a (multi) schema error into one finding per leaf error, each with the
// JSON path of the offending value below prefix.
func schemaFindings(rule Rule, prefix []string, err error) []Finding {
	leaves := schemaerr.Leaves(err)
	if len(leaves) == 0 {
		return []Finding{errorf(rule, jsonPath(prefix), "%s", safeReason(err))}
	}
	var fs []Finding
	seen := map[string]bool{}
	for _, l := range leaves {
		path := jsonPath(append(slices.Clone(prefix), l.JSONPointer()...))
		msg := leafReason(l)
		if seen[path+"\x00"+msg] {
			continue
		}
		seen[path+"\x00"+msg] = true
		fs = append(fs, errorf(rule, path, "%s", msg))
	}
	return fs
}

// leafReason is a schema error's reason, which kin-openapi keeps free of the offending value.
func leafReason(e *openapi3.SchemaError) string {
	reason := e.Reason
	if reason == "" {
		reason = fmt.Sprintf("does not match the schema's %q", e.SchemaField)
	}
	// kin-openapi formats large bounds as floats (9.999999999e+09).
	if (e.SchemaField == "maximum" || e.SchemaField == "minimum") && e.Schema != nil {
		bound, word := e.Schema.Max, "most"
		if e.SchemaField == "minimum" {
			bound, word = e.Schema.Min, "least"
		}
		if bound != nil && *bound == float64(int64(*bound)) {
			reason = fmt.Sprintf("number must be at %s %d", word, int64(*bound))
		}
	}
	return reason
}

// safeReason describes an error that is not a schema error without the values kin-openapi's
// own messages may quote.
func safeReason(err error) string {
	var re *openapi3filter.ResponseError
	if errors.As(err, &re) {
		return re.Reason
	}
	var pe *openapi3filter.ParseError
	if errors.As(err, &pe) {
		return pe.Reason
	}
	return "does not match the spec"
}

// headerFindings turns the error of validating the one header name into findings.
func headerFindings(name string, err error) []Finding {
	path := headerPath(name)
	p, re := kinResponseProblem(err)
	switch p {
	case kinHeaderMissing:
		return []Finding{errorf(RuleSchema, path, "required header is missing")}
	case kinHeaderUndecodable:
		var pe *openapi3filter.ParseError
		if errors.As(re.Err, &pe) {
			return []Finding{errorf(RuleSchema, path, "value cannot be decoded: %s", pe.Reason)}
		}
		return []Finding{errorf(RuleSchema, path, "value cannot be decoded")}
	case kinHeaderSchema:
		var fs []Finding
		for _, l := range schemaerr.Leaves(re.Err) {
			fs = append(fs, errorf(RuleSchema, path, "%s", leafReason(l)))
		}
		if len(fs) > 0 {
			return fs
		}
	}
	return []Finding{errorf(RuleSchema, path, "%s", safeReason(err))}
}

// requestFindings turns an error of openapi3filter.ValidateRequest into findings: typed errors
// only, no text matching.
func requestFindings(fs []Finding, err error) []Finding {
	switch e := err.(type) {
	case nil:
		return fs
	case openapi3.MultiError:
		for _, x := range e {
			fs = requestFindings(fs, x)
		}
		return fs
	case *openapi3filter.RequestError:
		path := pathBody
		if e.Parameter != nil {
			path = e.Parameter.In + " " + e.Parameter.Name
		}
		leaves := schemaerr.Leaves(e.Err)
		if len(leaves) == 0 {
			return append(fs, errorf(RuleRequest, path, "%s", requestReason(e)))
		}
		for _, l := range leaves {
			where := path
			if e.Parameter == nil {
				where = jsonPath(l.JSONPointer())
			}
			fs = append(fs, errorf(RuleRequest, where, "%s", leafReason(l)))
		}
		return fs
	case *openapi3filter.SecurityRequirementsError:
		return append(fs, errorf(RuleRequest, headerPath("authorization"), "missing: the operation needs authorization: Bearer <token>"))
	default:
		return append(fs, errorf(RuleRequest, pathBody, "%s", safeReason(err)))
	}
}

func requestReason(e *openapi3filter.RequestError) string {
	var pe *openapi3filter.ParseError
	switch {
	case errors.Is(e.Err, openapi3filter.ErrInvalidRequired):
		return "required but missing"
	case errors.As(e.Err, &pe):
		return strings.TrimPrefix(e.Reason+": "+pe.Reason, ": ")
	case e.Reason != "":
		return e.Reason
	case e.Err != nil:
		return e.Err.Error()
	}
	return "invalid"
}
