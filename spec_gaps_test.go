package scboauth_test

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What the OpenAPI 3.0 schema requires and neither kin-openapi's validation nor Redocly CLI's
// rules (scripts/spec-lint.sh) check, checked here on kin-openapi's model of the documents.

var (
	// openAPIVersion is the `openapi` field's pattern in the OpenAPI 3.0 schema.
	openAPIVersion = regexp.MustCompile(`^3\.0\.\d(-.+)?$`)
	// statusKey is the pattern of a response's key besides `default`.
	statusKey = regexp.MustCompile(`^[1-5](?:\d{2}|XX)$`)
)

// eachResponse calls f with every response of doc: the components' and those of every
// operation and callback operation, whose status key is given (empty for a component).
func eachResponse(doc *openapi3.T, f func(where, status string, r *openapi3.Response)) {
	for name, r := range doc.Components.Responses {
		f("components.responses."+name, "", r.Value)
	}
	ops := func(where string, item *openapi3.PathItem, f func(string, *openapi3.Operation)) {
		for method, op := range item.Operations() {
			f(method+" "+where, op)
		}
	}
	for path, item := range doc.Paths.Map() {
		ops(path, item, func(where string, op *openapi3.Operation) {
			for status, r := range op.Responses.Map() {
				f(where, status, r.Value)
			}
			for cbName, cb := range op.Callbacks {
				for url, cbItem := range cb.Value.Map() {
					ops(url, cbItem, func(cbWhere string, cbOp *openapi3.Operation) {
						for status, r := range cbOp.Responses.Map() {
							f(where+" callback "+cbName+" "+cbWhere, status, r.Value)
						}
					})
				}
			}
		})
	}
}

// schemaGaps returns what is wrong with doc that neither validator reports: the `openapi`
// version, response status keys (`600`, `2xx`), and the examples of response headers against
// their schemas. It also returns how many header examples it checked.
func schemaGaps(doc *openapi3.T) (problems []string, headerExamples int) {
	errorf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if !openAPIVersion.MatchString(doc.OpenAPI) {
		errorf("openapi: %q is not an OpenAPI 3.0 version", doc.OpenAPI)
	}
	headers := func(where string, hs openapi3.Headers) {
		for name, ref := range hs {
			h := ref.Value
			values := map[string]any{}
			if h.Example != nil {
				values["example"] = h.Example
			}
			for exName, ex := range h.Examples {
				values["examples."+exName] = ex.Value.Value
			}
			for what, v := range values {
				headerExamples++
				if h.Schema == nil {
					errorf("%s header %s %s: no schema", where, name, what)
				} else if err := h.Schema.Value.VisitJSON(v); err != nil {
					errorf("%s header %s %s: %v", where, name, what, err)
				}
			}
		}
	}
	headers("components.headers", doc.Components.Headers)
	eachResponse(doc, func(where, status string, r *openapi3.Response) {
		if status != "" && status != "default" && !statusKey.MatchString(status) {
			errorf("%s: response %q: a status is 100 to 599, or 1XX to 5XX", where, status)
		}
		headers(strings.TrimSpace(where+" "+status), r.Headers)
	})
	slices.Sort(problems)
	return problems, headerExamples
}

// TestSpecSchemaGaps holds openapi.yaml and sandbox/admin.yaml to what neither validator
// checks, and proves each check refuses a broken copy.
func TestSpecSchemaGaps(t *testing.T) {
	for _, path := range []string{specPath, "sandbox/admin.yaml"} {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		doc, err := kinValidate(data)
		require.NoError(t, err)
		problems, n := schemaGaps(doc)
		assert.Empty(t, problems, path)
		t.Logf("%s: %d header examples", path, n)
	}
	_, n := schemaGaps(loadKin(t))
	assert.GreaterOrEqual(t, n, 3, "openapi.yaml's header examples checked")

	spec := string(readSpec(t))
	const refresh200 = "      responses:\n        '200':\n          description: Success [doc]. A new access token and a new refresh token.\n"
	broken := []struct{ name, old, new, want string }{
		{"a header example outside its schema", "        type: integer\n        minimum: 0\n      example: 1\n",
			"        type: integer\n        minimum: 0\n      example: -1\n",
			"components.headers header RetryAfter example: number must be at least 0"},
		{"status 600", refresh200, strings.Replace(refresh200, "'200'", "'600'", 1),
			`POST /v1/oauth/token/refresh: response "600": a status is 100 to 599`},
		{"status 2xx", refresh200, strings.Replace(refresh200, "'200'", "'2xx'", 1),
			`POST /v1/oauth/token/refresh: response "2xx": a status is 100 to 599`},
		{"openapi 3.0.x", "openapi: 3.0.3\n", "openapi: 3.0.x\n", `openapi: "3.0.x" is not an OpenAPI 3.0 version`},
	}
	for _, b := range broken {
		t.Run(b.name, func(t *testing.T) {
			require.Equal(t, 1, strings.Count(spec, b.old), "the break must apply exactly once")
			doc, err := openapi3.NewLoader().LoadFromData([]byte(strings.Replace(spec, b.old, b.new, 1)))
			require.NoError(t, err)
			problems, _ := schemaGaps(doc)
			assert.True(t, slices.ContainsFunc(problems, func(p string) bool { return strings.HasPrefix(p, b.want) }),
				"got %q, want a problem starting %q", problems, b.want)
		})
	}
}
