package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// scbCalls are well-formed requests to SCB's three paths.
var scbCalls = []struct {
	name   string
	method string
	path   string
	header func(extra ...string) map[string]string
	body   string
}{
	{"token", http.MethodPost, pathToken, stdHeaders, credentials(demoPlain)},
	{"refresh", http.MethodPost, pathRefresh, stdHeaders, credentials(demoAuthCode, "refreshToken", "r")},
	{"authorize", http.MethodGet, pathAuthorize, func(extra ...string) map[string]string { return authorizeHeaders(demoAuthCode, extra...) }, ""},
}

func TestFaultHeader(t *testing.T) {
	tests := []struct {
		fault      string
		status     int
		code       int
		desc       string
		retryAfter string
	}{
		{"429", 429, 9900, "Too many requests", "1"},
		{"500", 500, 9700, "Generic server side error", ""},
		{"502", 502, 9900, "Invalid response from upstream server", ""},
		{"503", 503, 9900, "Server is currently unavailable because traffic overload or it is down for maintenance", "1"},
		{"504", 504, 9900, "API Request Timeout", ""},
		{" 504 ", 504, 9900, "API Request Timeout", ""},
		{"nonsense", 400, 1102, "Invalid parameters entered", ""},
	}
	h := newHarness(t)
	for _, call := range scbCalls {
		for _, tt := range tests {
			t.Run(call.name+" "+tt.fault, func(t *testing.T) {
				r := h.do(call.method, call.path, call.header(sandbox.FaultHeader, tt.fault), call.body)
				wantError(t, r, tt.status, tt.code, tt.desc)
				if got := r.header.Get("Retry-After"); got != tt.retryAfter {
					t.Errorf("Retry-After: got %q, want %q", got, tt.retryAfter)
				}
			})
		}
	}
	t.Run("ignored by the consent endpoint", func(t *testing.T) {
		r := h.do(http.MethodPost, pathConsent, map[string]string{"Content-Type": "application/json", sandbox.FaultHeader: "500"}, jsonBody("callbackUrl", "x"))
		wantError(t, r, http.StatusNotFound, 1104, "Requested entity record does not exist")
	})
	t.Run("after routing", func(t *testing.T) {
		r := h.do(http.MethodPost, "/nope", map[string]string{sandbox.FaultHeader: "500"}, "")
		wantError(t, r, http.StatusNotFound, 1104, "Requested entity record does not exist")
	})
}

func TestFaultTruncate(t *testing.T) {
	h := newHarness(t)
	for _, call := range scbCalls {
		t.Run(call.name, func(t *testing.T) {
			req, _ := http.NewRequest(call.method, h.url+call.path, strings.NewReader(call.body))
			for k, v := range call.header(sandbox.FaultHeader, "truncate") {
				req.Header.Set(k, v)
			}
			resp, err := h.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("got %d %q, want 200 application/json", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			body, err := io.ReadAll(resp.Body)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("reading the body: got %v, want unexpected EOF", err)
			}
			if resp.ContentLength <= int64(len(body)) || len(body) == 0 {
				t.Errorf("got %d of %d announced bytes, want about half", len(body), resp.ContentLength)
			}
			if json.Valid(body) {
				t.Errorf("the truncated body %s is valid JSON", body)
			}
			if !bytes.HasPrefix(body, []byte(`{"status":{"code":1000`)) {
				t.Errorf("body: got %s, want the start of a success", body)
			}
		})
	}
}

func TestFaultHTML(t *testing.T) {
	h := newHarness(t)
	for _, call := range scbCalls {
		t.Run(call.name, func(t *testing.T) {
			r := h.do(call.method, call.path, call.header(sandbox.FaultHeader, "HTML"), call.body)
			if r.status != http.StatusBadGateway || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
				t.Errorf("got %d %q, want 502 text/html", r.status, r.header.Get("Content-Type"))
			}
			if !bytes.Contains(r.body, []byte("<html>")) || json.Valid(r.body) {
				t.Errorf("body: got %s, want an HTML page", r.body)
			}
		})
	}
}

// recordHandler is a slog.Handler that sends each record's attributes on a channel.
type recordHandler struct{ ch chan map[string]any }

func (recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	m := map[string]any{"msg": r.Message}
	r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.Any(); return true })
	h.ch <- m
	return nil
}
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h recordHandler) WithGroup(string) slog.Handler      { return h }

func TestFaultTimeoutEndsWhenTheClientGivesUp(t *testing.T) {
	logs := make(chan map[string]any, 10)
	h := newHarness(t, sandbox.WithLogger(slog.New(recordHandler{logs})))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, h.url+pathToken, strings.NewReader(credentials(demoPlain)))
	for k, v := range stdHeaders(sandbox.FaultHeader, "timeout") {
		req.Header.Set(k, v)
	}
	start := time.Now()
	_, err := h.client.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the client's deadline", err)
	}
	select {
	case rec := <-logs:
		if rec["status"] != int64(504) || rec["fault"] != "timeout" {
			t.Errorf("log: got %v, want status 504 and fault timeout", rec)
		}
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("the server held the request %v after the client left", took)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server still holds the request 10 s after the client gave up")
	}
}

func TestFaultTimeoutHold(t *testing.T) {
	tests := []struct {
		name string
		hold time.Duration
		want time.Duration
	}{
		{"default", 0, 30 * time.Second},
		{"configured", 5 * time.Second, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv, err := sandbox.New(sandbox.WithFaults(sandbox.Faults{TimeoutHold: tt.hold}))
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				r := serve(t, srv, http.MethodPost, pathToken, stdHeaders(sandbox.FaultHeader, "timeout"), credentials(demoPlain))
				if took := time.Since(start); took != tt.want {
					t.Errorf("held %v, want %v", took, tt.want)
				}
				wantError(t, r, http.StatusGatewayTimeout, 9900, "API Request Timeout")
			})
		})
	}
}

func TestLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, err := sandbox.New(sandbox.WithFaults(sandbox.Faults{Latency: 1500 * time.Millisecond}))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{pathToken, "/nope"} {
			start := time.Now()
			serve(t, srv, http.MethodPost, path, stdHeaders(), credentials(demoPlain))
			if took := time.Since(start); took != 1500*time.Millisecond {
				t.Errorf("%s took %v, want 1.5s", path, took)
			}
		}
		// A client that gives up ends the wait.
		ctx, cancel := context.WithCancel(context.Background())
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, pathToken, strings.NewReader(credentials(demoPlain)))
		for k, v := range stdHeaders() {
			req.Header.Set(k, v)
		}
		start := time.Now()
		time.AfterFunc(100*time.Millisecond, cancel)
		srv.ServeHTTP(httptest.NewRecorder(), req)
		if took := time.Since(start); took != 100*time.Millisecond {
			t.Errorf("with the client gone after 100ms: took %v", took)
		}
	})
}

func TestFailureRate(t *testing.T) {
	tests := []struct {
		rate     float64
		n        int
		min, max int // failures
	}{
		{0, 200, 0, 0},
		{1, 200, 200, 200},
		{0.5, 2000, 800, 1200}, // binomial: mean 1000, sd 22; the bounds are 9 sd away
	}
	for _, tt := range tests {
		t.Run(strconv.FormatFloat(tt.rate, 'g', -1, 64), func(t *testing.T) {
			srv, err := sandbox.New(sandbox.WithFaults(sandbox.Faults{FailureRate: tt.rate}))
			if err != nil {
				t.Fatal(err)
			}
			failures := 0
			for i := 0; i < tt.n; i++ {
				call := scbCalls[i%len(scbCalls)]
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(call.method, call.path, strings.NewReader(call.body))
				for k, v := range call.header() {
					req.Header.Set(k, v)
				}
				srv.ServeHTTP(rec, req)
				if rec.Code == http.StatusServiceUnavailable {
					failures++
					if i < 3 {
						wantError(t, reply{rec.Code, rec.Header(), rec.Body.Bytes()}, 503, 9900, "Server is currently unavailable because traffic overload or it is down for maintenance")
						if rec.Header().Get("Retry-After") != "1" {
							t.Errorf("Retry-After: got %q, want 1", rec.Header().Get("Retry-After"))
						}
					}
				}
			}
			if failures < tt.min || failures > tt.max {
				t.Errorf("failures: got %d of %d, want %d..%d", failures, tt.n, tt.min, tt.max)
			}
			if tt.rate == 1 {
				// The consent endpoint is not one of SCB's paths.
				r := serve(t, srv, http.MethodPost, pathConsent, map[string]string{"Content-Type": "application/json"}, jsonBody("callbackUrl", "x"))
				if r.status != http.StatusNotFound {
					t.Errorf("consent: got %d, want 404", r.status)
				}
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	h := newHarness(t, sandbox.WithFaults(sandbox.Faults{RateLimit: 5}))
	token := func(a sandbox.Application) reply {
		return h.do(http.MethodPost, pathToken, stdHeaders(), credentials(a))
	}
	for i := 0; i < 5; i++ {
		if r := token(demoPlain); r.status != http.StatusOK {
			t.Fatalf("request %d: got %d %s, want 200", i+1, r.status, r.body)
		}
	}
	r := token(demoPlain)
	wantError(t, r, http.StatusTooManyRequests, 9900, "Too many requests")
	if got := r.header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After: got %q, want 1", got)
	}
	// Per application: another one still has its budget, on any path.
	if r := token(demoAuthCode); r.status != http.StatusOK {
		t.Errorf("another application: got %d, want 200", r.status)
	}
	r = h.do(http.MethodGet, pathAuthorize, authorizeHeaders(demoPlain), "")
	wantError(t, r, http.StatusTooManyRequests, 9900, "Too many requests")
	// 200 ms give one more request.
	h.clock.Advance(200 * time.Millisecond)
	if r := token(demoPlain); r.status != http.StatusOK {
		t.Errorf("after 200ms: got %d, want 200", r.status)
	}
	if r := token(demoPlain); r.status != http.StatusTooManyRequests {
		t.Errorf("the next one: got %d, want 429", r.status)
	}
	h.clock.Advance(time.Second)
	for i := 0; i < 5; i++ {
		if r := token(demoPlain); r.status != http.StatusOK {
			t.Fatalf("after a second, request %d: got %d, want 200", i+1, r.status)
		}
	}
}

func TestRateLimitRetryAfter(t *testing.T) {
	h := newHarness(t, sandbox.WithFaults(sandbox.Faults{RateLimit: 0.25})) // one request per 4 s
	if r := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoPlain)); r.status != http.StatusOK {
		t.Fatalf("first: got %d", r.status)
	}
	h.clock.Advance(time.Second)
	r := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoPlain))
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "3" {
		t.Errorf("got %d Retry-After %q, want 429 and 3", r.status, r.header.Get("Retry-After"))
	}
}

func TestRateLimitOffByDefault(t *testing.T) {
	h := newHarness(t)
	for i := 0; i < 50; i++ {
		if r := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoPlain)); r.status != http.StatusOK {
			t.Fatalf("request %d: got %d, want 200", i+1, r.status)
		}
	}
}

func TestRequestLog(t *testing.T) {
	var buf sandboxtest.Buffer
	h := newHarness(t, sandbox.WithTokenGenerator(sandboxtest.Tokens("SECRETTOKEN")),
		sandbox.WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))))

	code := h.authCode(demoWeb, sandbox.Consent{State: "st", CodeChallenge: "CHALLENGE-SECRET"})
	r := h.do(http.MethodPost, pathToken, stdHeaders("requestUId", "0123456789abcdefABCDEF0123456789"),
		credentials(demoWeb, "authCode", code, "state", "st", "codeChallenge", "CHALLENGE-SECRET"))
	rt := *r.token(t).RefreshToken
	h.do(http.MethodPost, pathRefresh, stdHeaders(), credentials(demoWeb, "refreshToken", rt))
	h.do(http.MethodPost, pathToken, stdHeaders(), `{"applicationKey":"k","applicationSecret":"`+demoPlain.Secret+`",`) // invalid JSON
	h.do(http.MethodPost, pathToken, stdHeaders(), jsonBody("applicationKey", demoPlain.Key, "applicationSecret", "WRONG-SECRET"))
	const requests = 6 // authorize, consent, token, refresh, two errors

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != requests {
		t.Fatalf("got %d log lines, want %d:\n%s", len(lines), requests, buf.String())
	}
	for _, secret := range append(secretsOf(demo), "SECRETTOKEN", "CHALLENGE-SECRET", "WRONG-SECRET", code, rt) {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("the log contains the secret %q:\n%s", secret, buf.String())
		}
	}
	var token map[string]any
	if err := json.Unmarshal([]byte(lines[2]), &token); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"msg": "request", "method": "POST", "path": pathToken,
		"requestUId": "0123456789abcdefABCDEF0123456789", "status": 200.0, "code": 1000.0, "app": "demo-web"} {
		if token[k] != want {
			t.Errorf("log %s: got %v, want %v", k, token[k], want)
		}
	}
	if _, ok := token["latency"]; !ok {
		t.Errorf("log line without latency: %s", lines[2])
	}
	var bad map[string]any
	if err := json.Unmarshal([]byte(lines[5]), &bad); err != nil {
		t.Fatal(err)
	}
	if bad["status"] != 401.0 || bad["code"] != 9500.0 {
		t.Errorf("error log line: got %v, want status 401 code 9500", bad)
	}
}

func secretsOf(apps []sandbox.Application) []string {
	var s []string
	for _, a := range apps {
		s = append(s, a.Secret)
	}
	return s
}

// No log line shows a character that hides or reorders text, whatever a request carries in its
// method, path, requestUId or fault (item 9 of issue 9: U+202E survived into log lines), and the
// values stay recognisable, escaped.
func TestRequestLogEscapesHiddenCharacters(t *testing.T) {
	hidden := []string{"\u202e", "\u2066", "\u200b", "\x1b[2J", "\r\n", "\x00", "\xff", "\u2028"}
	for _, format := range []string{"json", "text"} {
		var buf sandboxtest.Buffer
		handler := slog.Handler(slog.NewJSONHandler(&buf, nil))
		if format == "text" {
			handler = slog.NewTextHandler(&buf, nil)
		}
		srv := sandboxtest.New(t, sandbox.WithLogger(slog.New(handler)), sandbox.WithFaults(sandbox.Faults{TimeoutHold: time.Millisecond}))
		for _, h := range hidden {
			for i := 0; i < 3; i++ {
				req := httptest.NewRequest("POST", pathToken, strings.NewReader(credentials(demoPlain)))
				switch i { // net/http would refuse these before a handler; in process they reach it
				case 1:
					req.Method = "P" + h + "OST"
				case 2:
					req.URL.Path = pathToken + h
				}
				for k, v := range stdHeaders() {
					req.Header.Set(k, v)
				}
				req.Header.Set("requestUId", "2b8f3a4e"+h+"6c1d")
				req.Header.Set(sandbox.FaultHeader, "50"+h+"3")
				srv.ServeHTTP(httptest.NewRecorder(), req)
			}
		}
		for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			if r, ok := sandboxtest.UnsafeRune(line); ok {
				t.Errorf("%s log line %q has %U", format, line, r)
			}
		}
		if want := `2b8f3a4e\\u202e6c1d`; format == "json" && !strings.Contains(buf.String(), want) {
			t.Errorf("the requestUId is not shown escaped (%s) in:\n%s", want, buf.String())
		}
	}
}

// The rate limit counts a request against the application that authenticated it, not against
// whatever applicationKey a request names (item 15 of issue 9): requests with a victim's key and
// a wrong secret do not spend the victim's budget.
func TestRateLimitIsKeyedOnTheAuthenticatedApplication(t *testing.T) {
	h := newHarness(t, sandbox.WithFaults(sandbox.Faults{RateLimit: 5}))
	forged := sandbox.Application{Key: demoPlain.Key, Secret: "not-the-secret"}
	for i := 0; i < 20; i++ {
		h.do(http.MethodPost, pathToken, stdHeaders(), credentials(forged))
		h.do(http.MethodGet, pathAuthorize, authorizeHeaders(sandbox.Application{Key: demoAuthCode.Key, Secret: "x"}), "")
	}
	for i := 0; i < 5; i++ {
		if r := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoPlain)); r.status != http.StatusOK {
			t.Fatalf("request %d of the real application: got %d %s, want 200", i+1, r.status, r.body)
		}
		if r := h.do(http.MethodGet, pathAuthorize, authorizeHeaders(demoAuthCode), ""); r.status != http.StatusOK {
			t.Fatalf("authorize %d of the real application: got %d %s, want 200", i+1, r.status, r.body)
		}
	}
}

// Requests whose credentials fail share one budget of the same rate: a flood of them is answered
// 429 9900, and the registered applications keep theirs.
func TestRateLimitUnauthenticated(t *testing.T) {
	var buf sandboxtest.Buffer
	h := newHarness(t, sandbox.WithFaults(sandbox.Faults{RateLimit: 5}), sandbox.WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))))
	statuses := map[int]int{}
	for i := 0; i < 20; i++ {
		key := fmt.Sprintf("l7unknown%d", i)
		statuses[h.do(http.MethodPost, pathToken, stdHeaders(), jsonBody("applicationKey", key, "applicationSecret", "s")).status]++
		statuses[h.do(http.MethodPost, pathRefresh, stdHeaders(), credentials(sandbox.Application{Key: demoAuthCode.Key, Secret: "x"}, "refreshToken", "r")).status]++
		statuses[h.do(http.MethodGet, pathAuthorize, authorizeHeaders(sandbox.Application{Key: key, Secret: "x"}), "").status]++
	}
	if statuses[http.StatusUnauthorized] != 5 || statuses[http.StatusTooManyRequests] != 55 {
		t.Errorf("60 unauthenticated requests: got %v, want 5 answered 401 and 55 answered 429", statuses)
	}
	r := h.do(http.MethodPost, pathToken, stdHeaders(), jsonBody("applicationKey", "l7nope", "applicationSecret", "s"))
	wantError(t, r, http.StatusTooManyRequests, 9900, "Too many requests")
	if r.header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After: got %q, want 1", r.header.Get("Retry-After"))
	}
	for _, a := range demo {
		if r := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(a)); r.status != http.StatusOK {
			t.Errorf("%s during the flood: got %d, want 200", a.Name, r.status)
		}
	}
	h.clock.Advance(time.Second)
	if r := h.do(http.MethodPost, pathToken, stdHeaders(), jsonBody("applicationKey", "l7nope", "applicationSecret", "s")); r.status != http.StatusUnauthorized {
		t.Errorf("a second later: got %d, want 401", r.status)
	}
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		if _, named := m["app"]; named != (m["status"] == 200.0) {
			t.Errorf("log line %s: want an application named exactly for the authenticated requests", line)
		}
	}
}
