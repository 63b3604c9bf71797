package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scboauth/scboauth/contract"
	"github.com/scboauth/scboauth/generated"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// The paths the emulator serves.
const (
	pathToken     = sandbox.PathToken
	pathRefresh   = sandbox.PathRefresh
	pathAuthorize = sandbox.PathAuthorize
	pathConsent   = sandbox.PathConsent
)

// The demo applications, one per kind.
var (
	demo         = sandbox.DemoApplications()
	demoPlain    = sandboxtest.Demo(sandbox.KindPlain)
	demoAuthCode = sandboxtest.Demo(sandbox.KindAuthorizationCode)
	demoWeb      = sandboxtest.Demo(sandbox.KindWeb)
)

// start is the fake clock's time at the start of every test.
var start = time.Unix(1_700_000_000, 0)

var loadSpec = sync.OnceValues(contract.LoadSpec)

// scbMethod returns the one method SCB's path serves, or "" when the emulator serves it as
// an unknown path (or its own consent endpoint).
var scbMethod = sandbox.SCBMethod

// conformance returns what the contract check finds wrong with an answer to req, warnings
// included. The consent endpoint is the emulator's own, outside openapi.yaml: its success must
// carry an authCode, and its errors are held to the spec's error answer of the same status
// (createToken's; the unknown path's for 404). Paths other than SCB's exact three are checked as
// an unknown path: SCB routes exactly, where kin-openapi's router forgives a trailing slash.
func conformance(t testing.TB, req *http.Request, status int, header http.Header, body []byte) []contract.Finding {
	t.Helper()
	spec, err := loadSpec()
	if err != nil {
		t.Fatalf("load openapi.yaml: %v", err)
	}
	method, path := req.Method, req.URL.Path
	switch {
	case path == pathConsent && status == http.StatusOK:
		return consentSuccess(body)
	case path == pathConsent && status != http.StatusNotFound:
		method, path = http.MethodPost, pathToken
	case scbMethod(path) == "":
		path = "/"
	}
	return spec.ValidateResponse(method, path, status, header, body)
}

// consentSuccess checks the consent endpoint's 200 answer: SCB's success status and an authCode
// (and state), nothing else.
func consentSuccess(body []byte) []contract.Finding {
	var got struct {
		Status generated.Status `json:"status"`
		Data   struct {
			AuthCode *string `json:"authCode"`
			State    *string `json:"state"`
		} `json:"data"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(&got)
	if err != nil || got.Status != (generated.Status{Code: 1000, Description: "Success"}) || got.Data.AuthCode == nil || *got.Data.AuthCode == "" {
		return []contract.Finding{{Severity: contract.SeverityError, Rule: contract.RuleSchema, Path: "$", Message: "not a consent success with an authCode"}}
	}
	return nil
}

// checkAnswer fails t unless the answer to req conforms to the spec, or is a fault that breaks
// the contract on purpose.
func checkAnswer(t testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	if isDeliberateFault(req) {
		return
	}
	for _, f := range conformance(t, req, status, header, body) {
		t.Errorf("%s %s answered %d %s: not spec-conforming: %v", req.Method, req.URL.Path, status, body, f)
	}
}

// isDeliberateFault reports whether req asked for a fault whose answer breaks the contract on
// purpose (a truncated body, an HTML page).
func isDeliberateFault(req *http.Request) bool {
	f := requestedFault(req)
	return f == "truncate" || f == "html"
}

// requestedFault returns the fault req asks for, trimmed and in lower case: the first value of
// the X-Sandbox-Fault header in any spelling (spellings in sorted order, as the emulator merges
// them), on one of SCB's paths with its method; "" if none.
func requestedFault(req *http.Request) string {
	if m := scbMethod(req.URL.Path); m == "" || m != req.Method {
		return "" // not one of SCB's paths (a method of "" is no exception), or its wrong method
	}
	for _, k := range slices.Sorted(maps.Keys(req.Header)) {
		if vs := req.Header[k]; strings.EqualFold(k, sandbox.FaultHeader) && len(vs) > 0 {
			return strings.ToLower(strings.TrimSpace(vs[0]))
		}
	}
	return ""
}

// checkingTransport checks every answer against the spec and counts them.
type checkingTransport struct {
	t     testing.TB
	base  http.RoundTripper
	count atomic.Int64
}

func (c *checkingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	if err != nil || isDeliberateFault(req) {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	checkAnswer(c.t, req, resp.StatusCode, resp.Header, body)
	c.count.Add(1)
	return resp, nil
}

// harness is an emulator served over real HTTP with a fake clock, predictable tokens (tok-1,
// tok-2...), and a client whose every answer is checked against the spec.
type harness struct {
	t       *testing.T
	srv     *sandbox.Server
	clock   *sandboxtest.Clock
	url     string
	client  *http.Client
	checker *checkingTransport
}

func newHarness(t *testing.T, opts ...sandbox.Option) *harness {
	t.Helper()
	clock := sandboxtest.NewClock(start)
	opts = append([]sandbox.Option{sandbox.WithClock(clock.Now), sandbox.WithTokenGenerator(sandboxtest.Tokens("tok"))}, opts...)
	srv, ts := sandboxtest.NewServer(t, opts...)
	c := &checkingTransport{t: t, base: ts.Client().Transport}
	return &harness{t: t, srv: srv, clock: clock, url: ts.URL, client: &http.Client{Transport: c}, checker: c}
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
func authorizeHeaders(a sandbox.Application, extra ...string) map[string]string {
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

func credentials(a sandbox.Application, kv ...string) string {
	return jsonBody(append([]string{"applicationKey", a.Key, "applicationSecret", a.Secret}, kv...)...)
}

// callback runs authorize for a and returns the callbackUrl.
func (h *harness) callback(a sandbox.Application) string {
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

// consentAnswer is the consent endpoint's success.
type consentAnswer struct {
	Data struct {
		AuthCode string `json:"authCode"`
		State    string `json:"state"`
	} `json:"data"`
}

// authCode runs authorize and consent (over HTTP) for a and returns the code.
func (h *harness) authCode(a sandbox.Application, c sandbox.Consent) string {
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
	var ca consentAnswer
	if err := json.Unmarshal(r.body, &ca); err != nil {
		h.t.Fatal(err)
	}
	return ca.Data.AuthCode
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

// serve sends a request to srv in process (headers written as given) and checks the answer
// against the spec unless it is a deliberate fault.
func serve(t testing.TB, srv http.Handler, method, path string, header map[string]string, body string) reply {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, v := range header {
		req.Header[k] = []string{v}
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	r := reply{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	checkAnswer(t, req, r.status, r.header, r.body)
	return r
}
