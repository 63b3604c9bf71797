package contract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// appendDrift reports, as warnings, the object fields of v that none of schemas declares.
// Schemas without properties and without an object type are not descended into, nor are
// those with an enum, which decides alone (an error's data: null).
func appendDrift(fs []Finding, path []string, v any, schemas []*openapi3.Schema) []Finding {
	obj, ok := v.(map[string]any)
	if !ok {
		return fs
	}
	flat := flattenSchemas(nil, schemas)
	declared := map[string][]*openapi3.Schema{}
	typed, open := false, false
	for _, s := range flat {
		if len(s.Enum) > 0 {
			return fs
		}
		if s.Type.Is(openapi3.TypeObject) || len(s.Properties) > 0 {
			typed = true
		}
		ap := s.AdditionalProperties
		if ap.Schema != nil || (ap.Has != nil && *ap.Has) {
			open = true
		}
		for name, p := range s.Properties {
			if p != nil && p.Value != nil {
				declared[name] = append(declared[name], p.Value)
			}
		}
	}
	if !typed {
		return fs
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		child := append(slices.Clone(path), k)
		if ps, ok := declared[k]; ok {
			fs = appendDrift(fs, child, obj[k], ps)
			continue
		}
		if !open {
			fs = append(fs, warnf(RuleDrift, jsonPath(child), "field %s is not declared in openapi.yaml", strconv.Quote(k)))
		}
	}
	return fs
}

func flattenSchemas(out []*openapi3.Schema, schemas []*openapi3.Schema) []*openapi3.Schema {
	for _, s := range schemas {
		if s == nil {
			continue
		}
		out = append(out, s)
		for _, group := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
			for _, r := range group {
				if r != nil && r.Value != nil {
					out = flattenSchemas(out, []*openapi3.Schema{r.Value})
				}
			}
		}
	}
	return out
}

func documentedStatuses(op *openapi3.Operation) string {
	var codes []string
	for code := range op.Responses.Map() {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	return strings.Join(codes, ", ")
}

func responseSchema(op *openapi3.Operation, status int, contentType string) *openapi3.Schema {
	ref := op.Responses.Status(status)
	if ref == nil {
		ref = op.Responses.Default()
	}
	if ref == nil || ref.Value == nil {
		return nil
	}
	mt := ref.Value.Content.Get(contentType)
	if mt == nil || mt.Schema == nil {
		return nil
	}
	return mt.Schema.Value
}

// decodeJSON decodes body as one JSON value, numbers as json.Number.
func decodeJSON(body []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return v, true
}

// jsonErrorText describes why body is not JSON, without quoting it.
func jsonErrorText(body []byte) string {
	if len(bytes.TrimSpace(body)) == 0 {
		return "the body is empty"
	}
	var v any
	err := json.Unmarshal(body, &v)
	var se *json.SyntaxError
	switch {
	case err == nil:
		return "it does not decode as the schema's type"
	case errors.As(err, &se) && strings.Contains(se.Error(), "unexpected end"):
		return fmt.Sprintf("it ends after %d bytes in the middle of a value (truncated?)", len(body))
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	return "it does not decode"
}

// isJSON reports whether a Content-Type is application/json (parameters allowed).
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}
