package contract

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// SCB's code table (which business codes each HTTP status may carry) is written once, in
// openapi.yaml: every documented answer's schema narrows status.code with an enum, such as
// UnauthorizedError's [9100, 9300, 9500]. Validators enforce those enums; this file reads them
// back, so that the semantic checks, the case expectations and the tests use the very same table.

// Codes returns the business codes openapi.yaml allows in an answer of HTTP status to a request
// (method and path relative to the base URL), in increasing order: SCB's code table as the spec
// states it for that operation. Unknown paths and wrong methods get the codes of their 404 and
// 405 answers. It returns nil when the operation does not document status, or does not narrow
// its codes.
func (s *Spec) Codes(method, path string, status int) []int {
	return slices.Clone(s.resolve(method, path).codes[status])
}

// CodeTable returns SCB's code table as openapi.yaml states it: for every HTTP status that an
// operation documents (404 included, the answer to paths the spec does not serve), the business
// codes any operation allows with it, in increasing order. Statuses whose answers do not narrow
// their codes are left out.
func (s *Spec) CodeTable() map[int][]int {
	table := map[int][]int{}
	for _, oc := range s.all {
		for status, codes := range oc.codes {
			table[status] = append(table[status], codes...)
		}
	}
	for status, codes := range table {
		slices.Sort(codes)
		table[status] = slices.Compact(codes)
	}
	return table
}

// allows reports whether the operation documents status with code. An operation that documents
// status without narrowing its codes allows any code.
func (oc *opCheck) allows(status, code int) bool {
	codes, narrowed := oc.codes[status]
	if !narrowed {
		return oc.documents(status)
	}
	return slices.Contains(codes, code)
}

// codeList formats the codes status allows, such as "9100, 9300, 9500", or "none".
func (oc *opCheck) codeList(status int) string {
	codes := oc.codes[status]
	if len(codes) == 0 {
		return "none"
	}
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = strconv.Itoa(c)
	}
	return strings.Join(s, ", ")
}

// operationCodes reads, for each documented status of op, the enum its JSON body schema puts on
// status.code. Statuses whose schema has no such enum are left out.
func operationCodes(op *openapi3.Operation) map[int][]int {
	out := map[int][]int{}
	for key, ref := range op.Responses.Map() {
		status, err := strconv.Atoi(key)
		if err != nil || ref.Value == nil {
			continue // "default" or a range such as "4XX": no single status
		}
		mt := ref.Value.Content.Get("application/json")
		if mt == nil || mt.Schema == nil {
			continue
		}
		if codes, ok := codeEnum(mt.Schema.Value); ok {
			out[status] = codes
		}
	}
	return out
}

// codeEnum returns the business codes a body schema allows for status.code, following allOf (an
// allOf allows what every branch allows, so enums found in several branches intersect). ok is
// false when no enum narrows the code.
func codeEnum(body *openapi3.Schema) (codes []int, ok bool) {
	var allowed map[int]bool
	for _, enum := range enumsAt(body, "status", "code") {
		set := map[int]bool{}
		for _, v := range enum {
			if n, isInt := enumInt(v); isInt && (allowed == nil || allowed[n]) {
				set[n] = true
			}
		}
		allowed = set
	}
	if allowed == nil {
		return nil, false
	}
	return slices.Sorted(maps.Keys(allowed)), true
}

// enumsAt collects the enums of the property at path below s, through allOf at every level.
func enumsAt(s *openapi3.Schema, path ...string) [][]any {
	if s == nil {
		return nil
	}
	var out [][]any
	for _, sub := range s.AllOf {
		if sub != nil {
			out = append(out, enumsAt(sub.Value, path...)...)
		}
	}
	if len(path) == 0 {
		if len(s.Enum) > 0 {
			out = append(out, s.Enum)
		}
		return out
	}
	if p := s.Properties[path[0]]; p != nil {
		out = append(out, enumsAt(p.Value, path[1:]...)...)
	}
	return out
}

// enumInt reads an enum value as an integer: kin-openapi loads YAML numbers as float64.
func enumInt(v any) (int, bool) {
	switch n := v.(type) {
	case float64:
		if n == float64(int(n)) {
			return int(n), true
		}
	case int:
		return n, true
	case int64:
		return int(n), true
	}
	return 0, false
}
