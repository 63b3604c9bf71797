package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scboauth/scboauth/sandbox"
)

// fuzzServers are the emulators the fuzz test sends every input to: the defaults, one with
// faults on (a rate limit, a failure rate, a short hold for the timeout fault), and one in
// strict mode.
var fuzzServers = sync.OnceValue(func() []*sandbox.Server {
	plain, err := sandbox.New(sandbox.WithFaults(sandbox.Faults{TimeoutHold: time.Millisecond}))
	if err != nil {
		panic(err)
	}
	faulty, err := sandbox.New(sandbox.WithFaults(sandbox.Faults{TimeoutHold: time.Millisecond, FailureRate: 0.2, RateLimit: 50}), sandbox.WithMaxBodyBytes(256))
	if err != nil {
		panic(err)
	}
	strict, err := sandbox.New(sandbox.WithStrict(), sandbox.WithFaults(sandbox.Faults{TimeoutHold: time.Millisecond}))
	if err != nil {
		panic(err)
	}
	return []*sandbox.Server{plain, faulty, strict}
})

// parseFuzzHeaders reads "Name: value" lines; a line without a colon is a name with an empty
// value, and "-Name" a name with no value at all (possible in process).
func parseFuzzHeaders(s string) http.Header {
	h := http.Header{}
	for _, line := range strings.Split(s, "\n") {
		if line == "" {
			continue
		}
		if name, ok := strings.CutPrefix(line, "-"); ok && !strings.Contains(name, ":") {
			h[name] = []string{}
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		h[name] = append(h[name], strings.TrimSpace(value))
	}
	return h
}

const fuzzStdHeaders = "Content-Type: application/json\nresourceOwnerId: owner\nrequestUId: 2b8f3a4e-6c1d-4f0a-9b7e-5d2c1a0f3e4b\n"

// FuzzHandler sends any method, path, headers and body to the emulator and checks that the
// answer conforms to openapi.yaml (or is the fault the request asked for) and is never a 500
// that the request did not ask for. Its seed corpus runs with go test; make fuzz runs it
// longer.
func FuzzHandler(f *testing.F) {
	authHeaders := func(a sandbox.Application) string {
		return "apikey: " + a.Key + "\napisecret: " + a.Secret + "\nresourceOwnerId: o\nrequestUId: 0123456789abcdef0123456789abcdef\nresponse-channel: mobile\nendState: mobile_app\n"
	}
	seeds := []struct {
		method, path, header, body string
	}{
		{"POST", pathToken, fuzzStdHeaders, credentials(demoPlain)},
		{"POST", pathToken, fuzzStdHeaders, credentials(demoAuthCode, "authCode", "tok-1")},
		{"POST", pathToken, fuzzStdHeaders, credentials(demoWeb, "authCode", "c", "state", "s", "codeChallenge", "x")},
		{"POST", pathToken, fuzzStdHeaders, credentials(demoPlain, "authCode", "c")},
		{"POST", pathToken, fuzzStdHeaders, `{"applicationKey":"\u006c7","applicationSecret":"s","x":1}`},
		{"POST", pathToken, fuzzStdHeaders, `{"applicationKey":1,"applicationSecret":null}`},
		{"POST", pathToken, fuzzStdHeaders, `{"applicationKey":"","applicationSecret":"s"}`},
		{"POST", pathToken, fuzzStdHeaders, `{"applicationKey":"k"`},
		{"POST", pathToken, fuzzStdHeaders, `[]`},
		{"POST", pathToken, fuzzStdHeaders, ``},
		{"POST", pathToken, "Content-Type: text/plain\n", `{}`},
		{"POST", pathToken, fuzzStdHeaders + "X-Sandbox-Fault: 500\n", `{}`},
		{"POST", pathToken, fuzzStdHeaders + "X-Sandbox-Fault: truncate\n", `{}`},
		{"POST", pathToken, fuzzStdHeaders + "X-Sandbox-Fault: html\n", `{}`},
		{"POST", pathToken, fuzzStdHeaders + "X-Sandbox-Fault: timeout\n", `{}`},
		{"POST", pathToken, fuzzStdHeaders + "X-Sandbox-Fault: nope\n", `{}`},
		{"POST", pathToken, fuzzStdHeaders + "-X-Sandbox-Fault\n-requestUId\n", `{}`},
		{"POST", pathToken, "content-type: application/json\nRESOURCEOWNERID: o\nrequestuid: 0123456789abcdef0123456789abcdef\naccept-language: th\n", credentials(demoPlain)},
		{"POST", pathToken, "Content-Type: application/json\nresourceOwnerId: o\nrequestUId: x\n", credentials(demoPlain)},
		{"POST", pathToken, "Content-Type: application/json\nresourceOwnerId:\nrequestUId: x\n", credentials(demoPlain)},
		{"POST", pathToken, fuzzStdHeaders + "requestUId: 0123456789abcdef0123456789abcdef\n", credentials(demoPlain)},
		{"POST", pathRefresh, fuzzStdHeaders, credentials(demoAuthCode, "refreshToken", "r")},
		{"POST", pathRefresh, fuzzStdHeaders, credentials(demoPlain, "refreshToken", "r")},
		{"GET", pathAuthorize, authHeaders(demoAuthCode), ""},
		{"GET", pathAuthorize + "?a=b&state=1", authHeaders(demoWeb), ""},
		{"GET", pathAuthorize + "?%zz", authHeaders(demoWeb), ""},
		{"GET", pathAuthorize, "apikey: x\n", ""},
		{"GET", pathAuthorize, strings.Replace(authHeaders(demoWeb), "mobile_app", "desktop", 1), ""},
		{"POST", pathConsent, "Content-Type: application/json\n", `{"callbackUrl":"scbeasysim://login/tok-1","codeChallenge":"x"}`},
		{"POST", pathConsent, "Content-Type: application/json\n", `{"callbackUrl":""}`},
		{"GET", pathConsent, "", ""},
		{"DELETE", pathToken, "", ""},
		{"HEAD", pathAuthorize, "", ""},
		{"", pathToken, "", ""},
		{"CONNECT", "/", "", ""},
		{"GET", "/", "", ""},
		{"POST", "/v1/oauth/token/", fuzzStdHeaders, credentials(demoPlain)},
		{"POST", "//v1/oauth/token", fuzzStdHeaders, credentials(demoPlain)},
		{"POST", "/v1/oauth/../oauth/token", fuzzStdHeaders, credentials(demoPlain)},
		{"GET", "/sandbox/v1/consent/x", "", ""},
	}
	seeds = append(seeds, paymentFuzzSeeds...)
	for _, s := range seeds {
		f.Add(s.method, s.path, s.header, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, method, target, header string, body []byte) {
		path, query, _ := strings.Cut(target, "?")
		for i, srv := range fuzzServers() {
			header := withFuzzToken(srv, header)
			req := &http.Request{
				Method:        method,
				URL:           &url.URL{Path: path, RawQuery: query},
				Proto:         "HTTP/1.1",
				ProtoMajor:    1,
				ProtoMinor:    1,
				Header:        parseFuzzHeaders(header),
				Body:          io.NopCloser(bytes.NewReader(body)),
				ContentLength: int64(len(body)),
				Host:          "sandbox.test",
				RequestURI:    target,
			}
			req = req.WithContext(context.Background())
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			checkFuzzAnswer(t, i, req, rec)
		}
	})
}

func checkFuzzAnswer(t *testing.T, server int, req *http.Request, rec *httptest.ResponseRecorder) {
	t.Helper()
	status, body := rec.Code, rec.Body.Bytes()
	fault := requestedFault(req)
	switch fault {
	case "truncate":
		if status != http.StatusOK || json.Valid(body) || len(body) == 0 {
			t.Fatalf("server %d: truncate fault: got %d %q, want 200 and a cut body", server, status, body)
		}
		return
	case "html":
		if status != http.StatusBadGateway || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("server %d: html fault: got %d %q", server, status, rec.Header().Get("Content-Type"))
		}
		return
	}
	if status == http.StatusInternalServerError && fault != "500" {
		t.Fatalf("server %d: %s %q answered 500 without being asked: %s", server, req.Method, req.URL, body)
	}
	if fs := conformance(t, req, status, rec.Header(), body); len(fs) > 0 {
		t.Fatalf("server %d: %s %q %v answered %d %s: not spec-conforming: %v", server, req.Method, req.URL, req.Header, status, body, fs)
	}
}
