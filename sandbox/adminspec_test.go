package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/scboauth/scboauth/sandbox"
)

// adminSpec is sandbox/admin.yaml, loaded and validated once, with a router on paths relative
// to the emulator's base URL.
var adminSpec = sync.OnceValues(func() (*adminDoc, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(sandbox.AdminOpenAPI())
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		return nil, err
	}
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &adminDoc{doc: doc, router: router}, nil
})

type adminDoc struct {
	doc    *openapi3.T
	router routers.Router
}

// validateAdmin returns what is wrong with an answer of the admin API to req, against
// admin.yaml: a documented status of the operation, its headers and body schema, no field the
// schema does not declare. Unknown admin paths and wrong methods are held to the NotFound and
// MethodNotAllowed responses.
func validateAdmin(t testing.TB, req *http.Request, status int, header http.Header, body []byte) error {
	t.Helper()
	spec, err := adminSpec()
	if err != nil {
		t.Fatalf("admin.yaml: %v", err)
	}
	r := req.Clone(context.Background())
	r.URL.Scheme, r.URL.Host = "", ""
	route, params, err := spec.router.FindRoute(r)
	if err != nil || slices.Contains(slices.Collect(maps.Values(params)), "") {
		// kin-openapi's legacy router matches /applications to /applications/{name}, name
		// empty: a path the admin API does not have (found by FuzzAdmin).
		return validateAdminFallback(spec.doc, status, header, body)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: status, Header: header, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// validateAdminFallback holds an answer to an unknown admin path (404) or a wrong method (405,
// with Allow) to the document's NotFound and MethodNotAllowed responses.
func validateAdminFallback(doc *openapi3.T, status int, header http.Header, body []byte) error {
	name := map[int]string{http.StatusNotFound: "NotFound", http.StatusMethodNotAllowed: "MethodNotAllowed", http.StatusUnauthorized: "Unauthorized"}[status]
	if name == "" {
		return fmt.Errorf("status %d is not an answer the admin API gives to an unknown path or method", status)
	}
	if status == http.StatusMethodNotAllowed && header.Get("Allow") == "" {
		return fmt.Errorf("405 without an Allow header")
	}
	if ct := header.Get("Content-Type"); ct != "application/json" {
		return fmt.Errorf("Content-Type %q, want application/json", ct)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("body %q is not JSON", body)
	}
	return doc.Components.Responses[name].Value.Content.Get("application/json").Schema.Value.VisitJSON(v)
}

// adminHarness is an emulator with its admin API on, a fake clock and predictable tokens, whose
// every admin answer is validated against admin.yaml.
type adminHarness struct {
	*harness
	validated atomic.Int64
	token     string // sent as the admin token when set
}

func newAdminHarness(t *testing.T, opts ...sandbox.Option) *adminHarness {
	t.Helper()
	return &adminHarness{harness: newHarness(t, append([]sandbox.Option{sandbox.WithAdmin()}, opts...)...)}
}

// admin sends an admin call (body "" sends none; JSON otherwise) and validates the answer.
func (h *adminHarness) admin(method, path, body string) reply {
	h.t.Helper()
	var rd io.Reader = http.NoBody
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.url+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if h.token != "" {
		req.Header.Set("Authorization", "Bearer "+h.token)
	}
	return h.send(req)
}

// send sends req without the spec check of SCB's paths, and validates the admin answer.
func (h *adminHarness) send(req *http.Request) reply {
	h.t.Helper()
	resp, err := h.checker.base.RoundTrip(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := validateAdmin(h.t, req, resp.StatusCode, resp.Header, b); err != nil {
		h.t.Errorf("%s %s answered %d %s: not as admin.yaml says: %v", req.Method, req.URL, resp.StatusCode, b, err)
	}
	h.validated.Add(1)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// decode decodes r's JSON body into v.
func (r reply) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("answer %d %q: %v", r.status, r.body, err)
	}
}

// wantAdminError checks that r is an admin error of status naming field.
func wantAdminError(t testing.TB, r reply, status int, field string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("got %d %s, want %d", r.status, r.body, status)
	}
	var e struct {
		Error string  `json:"error"`
		Field *string `json:"field"`
	}
	r.decode(t, &e)
	if e.Error == "" || (field != "" && (e.Field == nil || *e.Field != field)) {
		t.Errorf("got %s, want an error naming the field %q", r.body, field)
	}
}

// TestAdminValidatorHasTeeth: the validation the admin tests rely on refuses answers that
// break admin.yaml.
func TestAdminValidatorHasTeeth(t *testing.T) {
	jsonCT := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name, method, path string
		status             int
		header             http.Header
		body               string
	}{
		{"undocumented status", "GET", "/sandbox/v1/health", 500, jsonCT, `{"error":"x"}`},
		{"missing field", "GET", "/sandbox/v1/health", 200, jsonCT, `{"service":"scboauth-sandbox","status":"ok","strict":false,"admin":true}`},
		{"extra field", "GET", "/sandbox/v1/clock", 200, jsonCT, `{"now":"2026-01-01T00:00:00Z","offsetSeconds":0,"x":1}`},
		{"wrong kind", "GET", "/sandbox/v1/requests", 200, jsonCT, `{"dropped":0,"requests":[{"seq":1,"time":"2026-01-01T00:00:00Z","kind":"admin","method":"GET","path":"/","requestUId":"","status":200,"code":0,"latencyMs":1}]}`},
		{"secret in an application", "GET", "/sandbox/v1/applications", 200, jsonCT, `{"applications":[{"name":"a","key":"k","kind":"plain","secret":"s"}]}`},
		{"error without its message", "POST", "/sandbox/v1/faults", 400, jsonCT, `{"field":"fault"}`},
		{"unknown path with a 500", "GET", "/sandbox/v1/nope", 500, jsonCT, `{"error":"x"}`},
		{"405 without Allow", "PUT", "/sandbox/v1/health", 405, jsonCT, `{"error":"x"}`},
		{"consent with an admin error", "POST", "/sandbox/v1/consent", 404, jsonCT, `{"error":"x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			if err := validateAdmin(t, req, tt.status, tt.header, []byte(tt.body)); err == nil {
				t.Errorf("accepted %d %s", tt.status, tt.body)
			}
		})
	}
}

// adminServerURL serves srv's admin handler alone (as --admin-addr does) and returns its URL.
func adminServerURL(t *testing.T, srv *sandbox.Server) string {
	t.Helper()
	ts := httptest.NewServer(srv.AdminHandler())
	t.Cleanup(ts.Close)
	return ts.URL
}
