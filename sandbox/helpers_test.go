package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/scboauth/scboauth/generated"
	"github.com/scboauth/scboauth/generated/embedded"
)

// fakeClock is a clock that tests advance by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Unix(1_700_000_000, 0)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// seqTokens returns a generator of predictable, unique tokens: prefix-1, prefix-2...
func seqTokens(prefix string) func() string {
	var n atomic.Int64
	return func() string { return fmt.Sprintf("%s-%d", prefix, n.Add(1)) }
}

// Demo credentials used throughout the tests.
var (
	demo         = DemoApplications()
	demoPlain    = demo[0]
	demoAuthCode = demo[1]
	demoWeb      = demo[2]
)

// specValidator validates answers against openapi.yaml with kin-openapi; statuses the spec
// does not document are failures.
type specValidator struct {
	doc *openapi3.T
}

var loadSpec = sync.OnceValues(func() (*specValidator, error) {
	doc, err := embedded.GetSpec()
	if err != nil {
		return nil, err
	}
	return &specValidator{doc: doc}, nil
})

func spec(t testing.TB) *specValidator {
	t.Helper()
	v, err := loadSpec()
	if err != nil {
		t.Fatalf("load openapi.yaml: %v", err)
	}
	return v
}

var validationOptions = &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true}

// validate checks one answer to req against the spec: the operation's response for its status,
// components.responses.NotFound for an unknown path, the path's 405 for a wrong method, and
// for the consent endpoint (outside the spec) the spec's error response of the same status or
// the documented success shape.
func (v *specValidator) validate(req *http.Request, status int, header http.Header, body []byte) error {
	if req.URL.Path == pathConsent {
		return v.validateConsent(status, header, body)
	}
	// Route on the exact path, as SCB does (kin-openapi's routers forgive a trailing slash).
	item := v.doc.Paths.Value(req.URL.Path)
	if item == nil {
		if status != http.StatusNotFound {
			return fmt.Errorf("unknown path %q answered %d, want 404", req.URL.Path, status)
		}
		return v.validateComponent("NotFound", header, body)
	}
	method, op := req.Method, item.GetOperation(req.Method)
	if op == nil {
		if status != http.StatusMethodNotAllowed {
			return fmt.Errorf("wrong method %s answered %d, want 405", req.Method, status)
		}
		for m, o := range item.Operations() { // each path has one operation
			method, op = m, o
		}
	}
	route := &routers.Route{Spec: v.doc, Path: req.URL.Path, PathItem: item, Method: method, Operation: op}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, Route: route, Options: validationOptions},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                validationOptions,
	}
	if req.Method != method {
		// A wrong method is validated as the path's operation (kin-openapi skips HEAD).
		input.RequestValidationInput.Request = req.Clone(context.Background())
		input.RequestValidationInput.Request.Method = method
	}
	return openapi3filter.ValidateResponse(context.Background(), input)
}

// validateComponent validates an answer against components.responses[name].
func (v *specValidator) validateComponent(name string, header http.Header, body []byte) error {
	ref := v.doc.Components.Responses[name]
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("no components.responses.%s", name)
	}
	if ct := header.Get("Content-Type"); ct != "application/json" {
		return fmt.Errorf("content type %q, want application/json", ct)
	}
	var value any
	if err := json.Unmarshal(body, &value); err != nil {
		return fmt.Errorf("body is not JSON: %v", err)
	}
	return ref.Value.Content.Get("application/json").Schema.Value.VisitJSON(value, openapi3.MultiErrors())
}

var componentByStatus = map[int]string{
	400: "BadRequest", 401: "TokenUnauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
	415: "UnsupportedMediaType", 429: "TooManyRequests", 500: "InternalServerError", 502: "BadGateway",
	503: "ServiceUnavailable", 504: "GatewayTimeout",
}

func (v *specValidator) validateConsent(status int, header http.Header, body []byte) error {
	if status == http.StatusOK {
		var got struct {
			Status generated.Status `json:"status"`
			Data   struct {
				AuthCode *string `json:"authCode"`
				State    *string `json:"state"`
			} `json:"data"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&got); err != nil {
			return fmt.Errorf("consent body: %v", err)
		}
		if got.Status != (generated.Status{Code: 1000, Description: "Success"}) || got.Data.AuthCode == nil || *got.Data.AuthCode == "" {
			return fmt.Errorf("consent body %s is not a success with an authCode", body)
		}
		return nil
	}
	name, ok := componentByStatus[status]
	if !ok {
		return fmt.Errorf("consent answered undocumented status %d", status)
	}
	return v.validateComponent(name, header, body)
}

// isDeliberateFault reports whether req asked for a fault whose answer is not the contract on
// purpose (a truncated body, an HTML page).
func isDeliberateFault(req *http.Request) bool {
	if req.URL.Path == pathConsent || lookupRoute(req.URL.Path) == nil {
		return false
	}
	for k, vs := range req.Header {
		if strings.EqualFold(k, FaultHeader) && len(vs) > 0 {
			switch strings.ToLower(strings.TrimSpace(vs[0])) {
			case "truncate", "html":
				return true
			}
		}
	}
	return false
}

// validatingTransport validates every answer against the spec and fails the test otherwise.
type validatingTransport struct {
	t     testing.TB
	base  http.RoundTripper
	count atomic.Int64
}

func (vt *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := vt.base.RoundTrip(req)
	if err != nil || isDeliberateFault(req) {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err := spec(vt.t).validate(req, resp.StatusCode, resp.Header, body); err != nil {
		vt.t.Errorf("%s %s answered %d %s: not spec-conforming: %v", req.Method, req.URL.Path, resp.StatusCode, body, err)
	}
	vt.count.Add(1)
	return resp, nil
}

// harness is an emulator served over real HTTP with a fake clock, predictable tokens, and a
// client whose every answer is validated against the spec.
type harness struct {
	t      *testing.T
	srv    *Server
	clock  *fakeClock
	url    string
	client *http.Client
	vt     *validatingTransport
}

func newHarness(t *testing.T, opts ...Option) *harness {
	t.Helper()
	clock := newFakeClock()
	opts = append([]Option{WithClock(clock.Now), WithTokenGenerator(seqTokens("tok"))}, opts...)
	srv, err := New(opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	vt := &validatingTransport{t: t, base: ts.Client().Transport}
	return &harness{t: t, srv: srv, clock: clock, url: ts.URL, client: &http.Client{Transport: vt}, vt: vt}
}

// reply is an answer read whole.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// envelope decodes the status object and data of any answer.
func (r reply) envelope(t testing.TB) (code int, desc string, data json.RawMessage) {
	t.Helper()
	var env struct {
		Status generated.Status `json:"status"`
		Data   json.RawMessage  `json:"data"`
	}
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatalf("answer %d %q is not JSON: %v", r.status, r.body, err)
	}
	return env.Status.Code, env.Status.Description, env.Data
}

func (r reply) token(t testing.TB) generated.Token {
	t.Helper()
	var tr generated.TokenResponse
	if err := json.Unmarshal(r.body, &tr); err != nil {
		t.Fatalf("token answer %q: %v", r.body, err)
	}
	return tr.Data
}

// do sends a request with the given headers (written as given, not canonicalised) and body.
func (h *harness) do(method, path string, header map[string]string, body string) reply {
	h.t.Helper()
	req, err := http.NewRequest(method, h.url+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if body == "" {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for k, v := range header {
		req.Header[k] = []string{v}
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("%s %s: read: %v", method, path, err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// stdHeaders are the standard headers of the token and refresh calls, plus extra.
func stdHeaders(extra ...string) map[string]string {
	h := map[string]string{
		"Content-Type":    "application/json",
		"resourceOwnerId": "owner-1",
		"requestUId":      "2b8f3a4e-6c1d-4f0a-9b7e-5d2c1a0f3e4b",
	}
	return withExtra(h, extra)
}

// withExtra applies extra, name-value pairs, to h: a pair sets a header, and a pair
// ("-name", "") removes one. It returns h.
func withExtra(h map[string]string, extra []string) map[string]string {
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" && strings.HasPrefix(extra[i], "-") {
			delete(h, extra[i][1:])
			continue
		}
		h[extra[i]] = extra[i+1]
	}
	return h
}

// authorizeHeaders are the authorize call's headers for app, plus extra (see stdHeaders).
func authorizeHeaders(a Application, extra ...string) map[string]string {
	h := map[string]string{
		"apikey":           a.Key,
		"apisecret":        a.Secret,
		"resourceOwnerId":  "owner-1",
		"requestUId":       "2b8f3a4e-6c1d-4f0a-9b7e-5d2c1a0f3e4b",
		"response-channel": "mobile",
		"endState":         "mobile_app",
	}
	return withExtra(h, extra)
}

func jsonBody(kv ...string) string {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func credentials(a Application, kv ...string) string {
	return jsonBody(append([]string{"applicationKey", a.Key, "applicationSecret", a.Secret}, kv...)...)
}

// callback runs authorize for a and returns the callbackUrl.
func (h *harness) callback(a Application) string {
	h.t.Helper()
	r := h.do(http.MethodGet, pathAuthorize, authorizeHeaders(a), "")
	if r.status != http.StatusOK {
		h.t.Fatalf("authorize: got %d %s, want 200", r.status, r.body)
	}
	var cb generated.CallbackResponse
	if err := json.Unmarshal(r.body, &cb); err != nil {
		h.t.Fatal(err)
	}
	return cb.Data.CallbackUrl
}

// authCode runs authorize and consent (over HTTP) for a and returns the code.
func (h *harness) authCode(a Application, c Consent) string {
	h.t.Helper()
	kv := []string{"callbackUrl", h.callback(a)}
	if c.State != "" {
		kv = append(kv, "state", c.State)
	}
	if c.CodeChallenge != "" {
		kv = append(kv, "codeChallenge", c.CodeChallenge)
	}
	r := h.do(http.MethodPost, pathConsent, map[string]string{"Content-Type": "application/json"}, jsonBody(kv...))
	if r.status != http.StatusOK {
		h.t.Fatalf("consent: got %d %s, want 200", r.status, r.body)
	}
	var cr consentResponse
	if err := json.Unmarshal(r.body, &cr); err != nil {
		h.t.Fatal(err)
	}
	return cr.Data.AuthCode
}

// wantError checks that r is SCB's error envelope with status, code and description.
func wantError(t testing.TB, r reply, status, code int, desc string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status: got %d (%s), want %d", r.status, r.body, status)
	}
	gotCode, gotDesc, data := r.envelope(t)
	if gotCode != code || gotDesc != desc {
		t.Errorf("status object: got %d %q, want %d %q", gotCode, gotDesc, code, desc)
	}
	if string(data) != "null" {
		t.Errorf("data: got %s, want null", data)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type: got %q, want application/json", ct)
	}
}

// serve sends a request to srv in process (headers written as given) and validates the
// answer against the spec unless it is a deliberate fault.
func serve(t testing.TB, srv http.Handler, method, path string, header map[string]string, body string) reply {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, v := range header {
		req.Header[k] = []string{v}
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	r := reply{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	if !isDeliberateFault(req) {
		if err := spec(t).validate(req, r.status, r.header, r.body); err != nil {
			t.Errorf("%s %s answered %d %s: not spec-conforming: %v", method, path, r.status, r.body, err)
		}
	}
	return r
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
