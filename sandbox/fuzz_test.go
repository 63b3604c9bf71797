package sandbox

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
)

// fuzzServers are the emulators the fuzz test sends every input to: the defaults, and one
// with faults on (a rate limit, a failure rate, a short hold for the timeout fault).
var fuzzServers = sync.OnceValue(func() []*Server {
	plain, err := New(WithFaults(Faults{TimeoutHold: time.Millisecond}))
	if err != nil {
		panic(err)
	}
	faulty, err := New(WithFaults(Faults{TimeoutHold: time.Millisecond, FailureRate: 0.2, RateLimit: 50}), WithMaxBodyBytes(256))
	if err != nil {
		panic(err)
	}
	return []*Server{plain, faulty}
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
	authHeaders := func(a Application) string {
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
	for _, s := range seeds {
		f.Add(s.method, s.path, s.header, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, method, target, header string, body []byte) {
		path, query, _ := strings.Cut(target, "?")
		for i, srv := range fuzzServers() {
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
	fault := ""
	if rt := lookupRoute(req.URL.Path); rt != nil && rt.scb && req.Method == rt.method {
		if v := canonicalHeaders(req).Header[FaultHeader]; len(v) > 0 {
			fault = strings.ToLower(strings.TrimSpace(v[0]))
		}
	}
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
	if err := spec(t).validate(req, status, rec.Header(), body); err != nil {
		t.Fatalf("server %d: %s %q %v answered %d %s: not spec-conforming: %v", server, req.Method, req.URL, req.Header, status, body, err)
	}
}

// FuzzParseObject checks the body walker against encoding/json: the same verdict (1101, 1102,
// 1103, 1105 or none) and the same values.
func FuzzParseObject(f *testing.F) {
	for _, s := range []string{
		`{"applicationKey":"k","applicationSecret":"s"}`,
		`{"applicationKey":"k","applicationSecret":"s","authCode":"c","state":"s","codeChallenge":"x"}`,
		` { "applicationKey" : "k\"\\" , "applicationSecret":"\u00e9" } `,
		`{"applicationKey":"k","applicationKey":"","applicationSecret":"s"}`,
		`{"applicationKey":"k","applicationSecret":"s","x":{"a":[1,"}"]}}`,
		`{"x":1,"applicationKey":2}`,
		`{"applicationKey":2,"x":1}`,
		`{"applicationKe\u0079":"k","applicationSecret":"s"}`,
		`{"ApplicationKey":"k"}`,
		`{"applicationKey":null}`,
		`{"applicationKey":"\xff"}`,
		`{}`, `[]`, `""`, `null`, ``, ` `, `{`, `{"a"}`, `{"a":1,}`, `{}{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fields := append([]bodyField(nil), tokenFields...)
		got := parseObject(body, fields)
		want, values := referenceParse(body, tokenFields)
		if got != want {
			t.Fatalf("parseObject(%q): got %v, want %v", body, describe(got), describe(want))
		}
		if got != nil {
			return
		}
		for _, fl := range fields {
			v, ok := values[fl.name]
			if fl.present != ok || fl.value() != v {
				t.Errorf("parseObject(%q): %s: got %v %q, want %v %q", body, fl.name, fl.present, fl.value(), ok, v)
			}
		}
	})
}

func describe(e *apiError) string {
	if e == nil {
		return "accepted"
	}
	return e.desc
}

// referenceParse is parseObject written with encoding/json alone.
func referenceParse(body []byte, fields []bodyField) (*apiError, map[string]string) {
	if len(bytes.TrimLeft(body, " \t\r\n")) == 0 {
		return errMissingParams, nil
	}
	if !json.Valid(body) {
		return errInvalidParams, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return errInvalidParams, nil
	}
	known := map[string]bool{}
	for _, f := range fields {
		known[f.name] = true
	}
	values := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return errInvalidParams, nil
		}
		name := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return errInvalidParams, nil
		}
		if !known[name] {
			return errUnknownField, nil
		}
		var s string
		if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
			return errInvalidParams, nil
		}
		values[name] = s
	}
	for _, f := range fields {
		if _, ok := values[f.name]; f.required && !ok {
			return errMissingParams, nil
		}
	}
	for _, f := range fields {
		if v, ok := values[f.name]; ok && v == "" {
			return errEmptyString, nil
		}
	}
	return nil, values
}
