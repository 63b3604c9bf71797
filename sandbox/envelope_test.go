package sandbox_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// The conformance check the other tests rely on must reject what the spec does not allow, on
// SCB's paths (the contract package's validator) and on the consent endpoint (its adapter here).
func TestConformanceRejectsViolations(t *testing.T) {
	jsonCT := http.Header{"Content-Type": {"application/json"}}
	withOwner := http.Header{"Content-Type": {"application/json"}, "Resourceownerid": {"o"}}
	tests := []struct {
		name   string
		method string
		path   string
		status int
		header http.Header
		body   string
	}{
		{"undocumented status", "POST", pathToken, 418, jsonCT, `{"status":{"code":9900,"description":"x"},"data":null}`},
		{"token without accessToken", "POST", pathToken, 200, withOwner, `{"status":{"code":1000,"description":"Success"},"data":{"tokenType":"Bearer","expiresIn":1,"expiresAt":1}}`},
		{"plain text error", "POST", pathRefresh, 400, http.Header{"Content-Type": {"text/plain"}}, "bad request"},
		{"unknown path with 400", "GET", "/nope", 400, jsonCT, `{"status":{"code":1102,"description":"x"},"data":null}`},
		{"a trailing slash answered as the path", "POST", pathToken + "/", 400, jsonCT, `{"status":{"code":1102,"description":"Invalid parameters entered"},"data":null}`},
		{"wrong method with 404", "DELETE", pathToken, 404, jsonCT, `{"status":{"code":1104,"description":"x"},"data":null}`},
		{"consent with an undocumented status", "POST", pathConsent, 418, jsonCT, `{"status":{"code":1,"description":"x"},"data":null}`},
		{"consent error in plain text", "POST", pathConsent, 400, http.Header{"Content-Type": {"text/plain"}}, "bad request"},
		{"consent 404 with a 400 code", "POST", pathConsent, 404, jsonCT, `{"status":{"code":1102,"description":"Invalid parameters entered"},"data":null}`},
		{"consent success without a code", "POST", pathConsent, 200, jsonCT, `{"status":{"code":1000,"description":"Success"},"data":{}}`},
		{"consent success with another field", "POST", pathConsent, 200, jsonCT, `{"status":{"code":1000,"description":"Success"},"data":{"authCode":"c","x":1}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			if fs := conformance(t, req, tt.status, tt.header, []byte(tt.body)); len(fs) == 0 {
				t.Errorf("accepted %d %s, want a finding", tt.status, tt.body)
			}
		})
	}
}

func TestMalformedRequests(t *testing.T) {
	const (
		missing  = "Missing required parameters"
		invalid  = "Invalid parameters entered"
		empty    = "Empty string input not supported"
		unknown  = "Unrecognized field name was entered - Please check spelling and/or refer to the API docs for correct name"
		notFound = "Requested entity record does not exist"
	)
	creds := credentials(demoPlain)
	tests := []struct {
		name   string
		method string
		path   string
		header map[string]string
		body   string
		status int
		code   int
		desc   string
	}{
		{"missing resourceOwnerId", "POST", pathToken, stdHeaders("-resourceOwnerId", ""), creds, 400, 9100, "Required standard headers (resourceOwnerId) not found"},
		{"missing requestUId", "POST", pathToken, stdHeaders("-requestUId", ""), creds, 400, 9100, "Required standard headers (requestUId) not found"},
		{"refresh, missing requestUId", "POST", pathRefresh, stdHeaders("-requestUId", ""), creds, 400, 9100, "Required standard headers (requestUId) not found"},
		{"authorize, missing response-channel", "GET", pathAuthorize, authorizeHeaders(demoWeb, "-response-channel", ""), "", 400, 9100, "Required standard headers (response-channel) not found"},
		{"authorize, missing endState", "GET", pathAuthorize, authorizeHeaders(demoWeb, "-endState", ""), "", 400, 9100, "Required standard headers (endState) not found"},
		{"empty resourceOwnerId", "POST", pathToken, stdHeaders("resourceOwnerId", ""), creds, 400, 1103, empty},
		{"empty accept-language", "POST", pathToken, stdHeaders("accept-language", ""), creds, 400, 1103, empty},
		{"missing requestUId and resourceOwnerId", "POST", pathToken, stdHeaders("-requestUId", "", "-resourceOwnerId", ""), creds, 400, 9100, "Required standard headers (requestUId, resourceOwnerId) not found"},
		{"refresh, missing requestUId and resourceOwnerId", "POST", pathRefresh, stdHeaders("-requestUId", "", "-resourceOwnerId", ""), creds, 400, 9100, "Required standard headers (requestUId, resourceOwnerId) not found"},
		{"authorize, missing every standard header", "GET", pathAuthorize, authorizeHeaders(demoWeb, "-requestUId", "", "-resourceOwnerId", "", "-response-channel", "", "-endState", ""), "", 400, 9100, "Required standard headers (endState, requestUId, resourceOwnerId, response-channel) not found"},
		{"authorize, missing apikey and requestUId", "GET", pathAuthorize, authorizeHeaders(demoWeb, "-apikey", "", "-requestUId", ""), "", 401, 9100, "Authorization credentials required"},
		{"authorize, missing apisecret and endState", "GET", pathAuthorize, authorizeHeaders(demoWeb, "-endState", "", "-apisecret", ""), "", 401, 9100, "Authorization credentials required"},
		{"requestUId over 128 bytes", "POST", pathToken, stdHeaders("requestUId", strings.Repeat("a", sandbox.MaxRequestUIDBytes+1)), creds, 400, 1102, invalid},
		{"requestUId with a tab", "POST", pathToken, stdHeaders("requestUId", "a\tb"), creds, 400, 1102, invalid},
		{"requestUId not ASCII", "POST", pathToken, stdHeaders("requestUId", "caf\u00e9"), creds, 400, 1102, invalid},
		{"accept-language fr", "POST", pathToken, stdHeaders("accept-language", "fr"), creds, 400, 1102, invalid},
		{"authorize, unknown response-channel", "GET", pathAuthorize, authorizeHeaders(demoWeb, "response-channel", "web"), "", 400, 1102, invalid},
		{"authorize, endState in upper case", "GET", pathAuthorize, authorizeHeaders(demoWeb, "endState", "MOBILE_APP"), "", 400, 1102, invalid},
		{"authorize, empty apikey", "GET", pathAuthorize, authorizeHeaders(demoWeb, "apikey", ""), "", 400, 1103, empty},
		{"authorize, reserved query state", "GET", pathAuthorize + "?state=1", authorizeHeaders(demoWeb), "", 400, 1102, invalid},
		{"authorize, query over 255 characters", "GET", pathAuthorize + "?q=" + strings.Repeat("a", 254), authorizeHeaders(demoWeb), "", 400, 1102, invalid},
		{"missing applicationSecret", "POST", pathToken, stdHeaders(), jsonBody("applicationKey", demoPlain.Key), 400, 1101, missing},
		{"empty object", "POST", pathToken, stdHeaders(), `{}`, 400, 1101, missing},
		{"no body", "POST", pathToken, stdHeaders(), ``, 400, 1101, missing},
		{"refresh, missing refreshToken", "POST", pathRefresh, stdHeaders(), creds, 400, 1101, missing},
		{"applicationKey a number", "POST", pathToken, stdHeaders(), `{"applicationKey":1,"applicationSecret":"s"}`, 400, 1102, invalid},
		{"applicationSecret null", "POST", pathToken, stdHeaders(), `{"applicationKey":"k","applicationSecret":null}`, 400, 1102, invalid},
		{"authCode an object", "POST", pathToken, stdHeaders(), `{"applicationKey":"k","applicationSecret":"s","authCode":{}}`, 400, 1102, invalid},
		{"body an array", "POST", pathToken, stdHeaders(), `[]`, 400, 1102, invalid},
		{"body a string", "POST", pathToken, stdHeaders(), `"x"`, 400, 1102, invalid},
		{"invalid JSON", "POST", pathToken, stdHeaders(), `{"applicationKey":`, 400, 1102, invalid},
		{"two JSON values", "POST", pathToken, stdHeaders(), creds + creds, 400, 1102, invalid},
		{"empty applicationKey", "POST", pathToken, stdHeaders(), `{"applicationKey":"","applicationSecret":"s"}`, 400, 1103, empty},
		{"empty authCode", "POST", pathToken, stdHeaders(), credentials(demoAuthCode, "authCode", ""), 400, 1103, empty},
		{"unknown field", "POST", pathToken, stdHeaders(), credentials(demoPlain, "grantType", "x"), 400, 1105, unknown},
		{"field in another case", "POST", pathToken, stdHeaders(), `{"ApplicationKey":"k","applicationSecret":"s"}`, 400, 1105, unknown},
		{"refresh, authCode field", "POST", pathRefresh, stdHeaders(), credentials(demoAuthCode, "refreshToken", "r", "authCode", "c"), 400, 1105, unknown},
		{"unknown field before a wrong type", "POST", pathToken, stdHeaders(), `{"x":"y","applicationKey":1}`, 400, 1105, unknown},
		{"wrong type before an unknown field", "POST", pathToken, stdHeaders(), `{"applicationKey":1,"x":"y"}`, 400, 1102, invalid},
		{"unknown path", "POST", "/v1/oauth/tokens", stdHeaders(), creds, 404, 1104, notFound},
		{"unknown path with a trailing slash", "POST", pathToken + "/", stdHeaders(), creds, 404, 1104, notFound},
		{"root", "GET", "/", nil, "", 404, 1104, notFound},
		{"token with GET", "GET", pathToken, stdHeaders(), "", 405, 9900, "Wrong http method requested on endpoint"},
		{"authorize with POST", "POST", pathAuthorize, authorizeHeaders(demoWeb), "", 405, 9900, "Wrong http method requested on endpoint"},
		{"refresh with DELETE", "DELETE", pathRefresh, stdHeaders(), "", 405, 9900, "Wrong http method requested on endpoint"},
		{"text/plain", "POST", pathToken, stdHeaders("Content-Type", "text/plain"), creds, 415, 9900, "Unsupported content type defined"},
		{"form", "POST", pathRefresh, stdHeaders("Content-Type", "application/x-www-form-urlencoded"), "a=b", 415, 9900, "Unsupported content type defined"},
		{"no content type", "POST", pathToken, stdHeaders("-Content-Type", ""), creds, 415, 9900, "Unsupported content type defined"},
		{"body over the limit", "POST", pathToken, stdHeaders(), `{"applicationKey":"` + strings.Repeat("k", 70<<10) + `"}`, 400, 1102, invalid},
	}
	h := newHarness(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.do(tt.method, tt.path, tt.header, tt.body)
			wantError(t, r, tt.status, tt.code, tt.desc)
			if tt.status == http.StatusMethodNotAllowed && r.header.Get("Allow") == "" {
				t.Errorf("405 without an Allow header")
			}
		})
	}
	if h.checker.count.Load() < int64(len(tests)) {
		t.Errorf("validated %d answers, want at least %d", h.checker.count.Load(), len(tests))
	}
}

func TestLenientHeaders(t *testing.T) {
	tests := []struct {
		name   string
		header map[string]string
	}{
		{"names in upper case", map[string]string{"CONTENT-TYPE": "application/json", "RESOURCEOWNERID": "o", "REQUESTUID": "2b8f3a4e-6c1d-4f0a-9b7e-5d2c1a0f3e4b"}},
		{"SCB's spelling", map[string]string{"Content-Type": "application/json", "resourceOwnerID": "o", "requestUID": "2b8f3a4e-6c1d-4f0a-9b7e-5d2c1a0f3e4b"}},
		{"requestUId of 32 alphanumerics", stdHeaders("requestUId", "0123456789abcdefABCDEF0123456789")},
		{"upper-case UUID", stdHeaders("requestUId", "2B8F3A4E-6C1D-4F0A-9B7E-5D2C1A0F3E4B")},
		{"accept-language EN", stdHeaders("accept-language", "EN")},
		{"accept-language th", stdHeaders("accept-language", "th")},
		{"accept-language Th", stdHeaders("Accept-Language", "Th")},
		{"content type with charset", stdHeaders("Content-Type", "application/json; charset=utf-8")},
		{"content type in upper case", stdHeaders("Content-Type", "Application/JSON")},
	}
	h := newHarness(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := h.do(http.MethodPost, pathToken, tt.header, credentials(demoPlain)); r.status != http.StatusOK {
				t.Errorf("got %d %s, want 200", r.status, r.body)
			}
		})
	}
	// In process, header names are not canonicalised by net/http: the emulator does it.
	srv, _ := sandbox.New()
	hdr := map[string]string{"content-type": "application/json", "resourceownerid": "o", "requestuid": "0123456789abcdefABCDEF0123456789"}
	if r := serve(t, srv, http.MethodPost, pathToken, hdr, credentials(demoPlain)); r.status != http.StatusOK {
		t.Errorf("in process, lower-case names: got %d %s, want 200", r.status, r.body)
	}
}

// A header map built in process may hold a name with no value at all.
func TestHeaderWithoutValues(t *testing.T) {
	srv, _ := sandbox.New()
	for _, name := range []string{sandbox.FaultHeader, "Requestuid", "Accept-Language", "Content-Type"} {
		t.Run(name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, pathToken, strings.NewReader(credentials(demoPlain)))
			for k, v := range stdHeaders() {
				req.Header.Set(k, v)
			}
			req.Header[name] = []string{}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			checkAnswer(t, req, rec.Code, rec.Header(), rec.Body.Bytes())
			if rec.Code == http.StatusInternalServerError {
				t.Errorf("got %d %s", rec.Code, rec.Body)
			}
		})
	}
}

func TestDuplicateHeader(t *testing.T) {
	srv, _ := sandbox.New()
	req := httptest.NewRequest(http.MethodPost, pathToken, strings.NewReader(credentials(demoPlain)))
	for k, v := range stdHeaders() {
		req.Header.Set(k, v)
	}
	req.Header.Add("requestUId", "0123456789abcdefABCDEF0123456789")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	wantError(t, reply{rec.Code, rec.Header(), rec.Body.Bytes()}, 400, 1102, "Invalid parameters entered")
}

// countingReader yields n bytes of 'a' and counts what was read.
type countingReader struct {
	n, read int
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.read >= c.n {
		return 0, io.EOF
	}
	k := min(len(p), c.n-c.read)
	for i := range p[:k] {
		p[i] = 'a'
	}
	c.read += k
	return k, nil
}

func TestLargeBodyIsNotReadWhole(t *testing.T) {
	tests := []struct {
		name          string
		contentLength int64
		wantReadAtMos int
	}{
		{"announced length", 10 << 20, 0},
		{"unknown length (chunked)", -1, 1<<10 + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := sandbox.New(sandbox.WithMaxBodyBytes(1 << 10))
			if err != nil {
				t.Fatal(err)
			}
			body := &countingReader{n: 10 << 20}
			req := httptest.NewRequest(http.MethodPost, pathToken, nil)
			req.Body, req.ContentLength = io.NopCloser(body), tt.contentLength
			for k, v := range stdHeaders() {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			wantError(t, reply{rec.Code, rec.Header(), rec.Body.Bytes()}, 400, 1102, "Invalid parameters entered")
			if body.read > tt.wantReadAtMos {
				t.Errorf("read %d bytes of the body, want at most %d", body.read, tt.wantReadAtMos)
			}
		})
	}
}

// A panic in the caller's code (here the token generator) is answered 500 9700 in SCB's
// envelope and logged, and the emulator goes on serving: net/http would close the connection
// without an answer.
func TestPanicIsAnsweredInTheEnvelope(t *testing.T) {
	var n atomic.Int64
	broken := func() string {
		if n.Add(1) == 1 {
			panic("the generator broke")
		}
		return fmt.Sprintf("tok-%d", n.Load())
	}
	var buf sandboxtest.Buffer
	h := newHarness(t, sandbox.WithTokenGenerator(broken), sandbox.WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))))
	r := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoPlain))
	wantError(t, r, http.StatusInternalServerError, 9700, "Generic server side error")
	if r := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoPlain)); r.status != http.StatusOK {
		t.Errorf("the next request: got %d %s, want 200", r.status, r.body)
	}
	if log := buf.String(); !strings.Contains(log, `"level":"ERROR","msg":"panic"`) || !strings.Contains(log, `"status":500`) {
		t.Errorf("log: got %s, want the panic and the 500", log)
	}
	// http.ErrAbortHandler keeps its meaning: the connection is aborted.
	abort := sandboxtest.New(t, sandbox.WithTokenGenerator(func() string { panic(http.ErrAbortHandler) }))
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("ErrAbortHandler: recovered %v", p)
		}
	}()
	abort.ServeHTTP(httptest.NewRecorder(), newTokenRequest())
	t.Error("ErrAbortHandler did not reach net/http")
}

// newTokenRequest is a client-credentials request of demo-plain, in process.
func newTokenRequest() *http.Request {
	req := httptest.NewRequest(http.MethodPost, pathToken, strings.NewReader(credentials(demoPlain)))
	for k, v := range stdHeaders() {
		req.Header.Set(k, v)
	}
	return req
}
