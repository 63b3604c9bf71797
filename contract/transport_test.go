package contract_test

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/time/rate"

	"github.com/scboauth/scboauth/contract"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

const scbSandbox = "https://api-sandbox.partners.scb/partners/sandbox"

// TestPacingRemoteTarget checks that requests to a non-loopback target are paced at
// contract.SCBRate (4 per second, under SCB's 5), with the sandbox's base path routed away.
func TestPacingRemoteTarget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		em := newEmulator(t)
		var mu sync.Mutex
		var times []time.Time
		h := http.StripPrefix("/partners/sandbox", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			times = append(times, time.Now())
			mu.Unlock()
			em.ServeHTTP(w, r)
		}))
		start := time.Now()
		rep, err := contract.Run(context.Background(), contract.Config{BaseURL: scbSandbox, Application: demo(sandbox.KindPlain), Transport: &sandboxtest.Transport{Handler: h}}, nil)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if !rep.Conforms() {
			t.Errorf("got a violation, want the emulator to conform in live mode: %+v", rep.Cases)
		}
		if len(times) < 10 {
			t.Fatalf("got %d requests, want the catalogue's", len(times))
		}
		gap := time.Second / time.Duration(contract.SCBRate)
		for i := 1; i < len(times); i++ {
			if d := times[i].Sub(times[i-1]); d < gap {
				t.Errorf("request %d came %s after the previous one, want at least %s", i, d, gap)
			}
		}
		if got, want := time.Since(start), time.Duration(len(times)-1)*gap; got != want {
			t.Errorf("got the run to take %s, want %s for %d paced requests", got, want, len(times))
		}
	})
}

// TestNoPacingOnLoopback checks that the emulator on a loopback address is not paced.
func TestNoPacingOnLoopback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		em := newEmulator(t)
		start := time.Now()
		rep, err := contract.Run(context.Background(), contract.Config{BaseURL: "http://127.0.0.1:8080", Emulator: em, Transport: &sandboxtest.Transport{Handler: em}}, nil)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if !rep.Conforms() {
			t.Errorf("got a violation: %+v", rep.Cases)
		}
		if got := time.Since(start); got != 0 {
			t.Errorf("got the run to take %s of fake time, want 0 (no pacing on loopback)", got)
		}
	})
}

func TestDefaultLimiter(t *testing.T) {
	tests := []struct {
		url    string
		paced  bool
		reason string
	}{
		{"http://127.0.0.1:8080", false, "IPv4 loopback"},
		{"http://[::1]:8080", false, "IPv6 loopback"},
		{"http://localhost:8080", false, "localhost"},
		{scbSandbox, true, "SCB's sandbox"},
		{"http://192.0.2.10", true, "another host"},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			u, _ := url.Parse(tt.url)
			l := contract.DefaultLimiter(u)
			if got := l != nil; got != tt.paced {
				t.Fatalf("got paced %v, want %v", got, tt.paced)
			}
			if rl, ok := l.(*rate.Limiter); tt.paced && (!ok || rl.Limit() != 4 || rl.Burst() != 1) {
				t.Errorf("got %#v, want rate.Limiter at 4/s, burst 1", l)
			}
		})
	}
}

type countingLimiter struct{ n atomic.Int64 }

func (l *countingLimiter) Wait(context.Context) error { l.n.Add(1); return nil }

// TestInjectedLimiter checks that every request waits on Config.Limiter.
func TestInjectedLimiter(t *testing.T) {
	em := newEmulator(t)
	tr := &sandboxtest.Transport{Handler: em}
	l := &countingLimiter{}
	if _, err := contract.Run(context.Background(), contract.Config{BaseURL: "http://127.0.0.1:1", Emulator: em, Transport: tr, Limiter: l}, nil); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if l.n.Load() != tr.Sent() || tr.Sent() == 0 {
		t.Errorf("got %d waits for %d requests, want one each", l.n.Load(), tr.Sent())
	}
}

// TestTimeoutPerRequest checks that a request the server never answers becomes a finding after
// Config.Timeout, and the run goes on.
func TestTimeoutPerRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		em := newEmulator(t)
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && r.URL.Path == "/v1/oauth/token" {
				<-r.Context().Done() // never answers the wrong-method case
				return
			}
			em.ServeHTTP(w, r)
		})
		start := time.Now()
		rep, err := contract.Run(context.Background(), contract.Config{BaseURL: "http://127.0.0.1:1", Emulator: em, Transport: &sandboxtest.Transport{Handler: h}, Timeout: 3 * time.Second}, nil)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		c := findCase(t, rep, "wrong-method")
		if c.Verdict != contract.VerdictFail || len(c.Findings) != 1 || c.Findings[0].Message != "no answer within 3s" || c.Findings[0].Rule != contract.RuleTransport {
			t.Errorf("got %s %v, want one transport finding \"no answer within 3s\"", c.Verdict, c.Findings)
		}
		if got := time.Since(start); got != 3*time.Second {
			t.Errorf("got the run to take %s, want the one timeout of 3s", got)
		}
		if c := findCase(t, rep, "unknown-path"); c.Verdict != contract.VerdictPass {
			t.Errorf("case unknown-path after the timeout: got %s, want pass", c.Verdict)
		}
	})
}

type failingTransport struct {
	err  error
	when func(*http.Request) bool
	next http.RoundTripper
}

func (f failingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if f.when(req) {
		return nil, f.err
	}
	return f.next.RoundTrip(req)
}

// TestUnreachable checks that a target that does not answer the first request is an
// *UnreachableError, and that a failure after the first answer is a finding instead.
func TestUnreachable(t *testing.T) {
	refused := errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
	em := newEmulator(t)
	always := func(*http.Request) bool { return true }
	_, err := contract.Run(context.Background(), contract.Config{BaseURL: "http://127.0.0.1:1", Emulator: em, Transport: failingTransport{refused, always, nil}}, nil)
	var ue *contract.UnreachableError
	if !errors.As(err, &ue) || !errors.Is(err, refused) {
		t.Fatalf("got %v, want an *UnreachableError wrapping the dial error", err)
	}
	if want := "contract: target unreachable: POST http://127.0.0.1:1/v1/oauth/token: dial tcp 127.0.0.1:1: connect: connection refused"; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}

	onGet := func(r *http.Request) bool { return r.Method == http.MethodGet && r.URL.Path == "/v1/oauth/token" }
	rep, err := contract.Run(context.Background(), contract.Config{BaseURL: "http://127.0.0.1:1", Emulator: em, Transport: failingTransport{refused, onGet, &sandboxtest.Transport{Handler: em}}}, nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	c := findCase(t, rep, "wrong-method")
	if c.Verdict != contract.VerdictFail || len(c.Findings) != 1 || !strings.Contains(c.Findings[0].Message, "no answer: dial tcp") {
		t.Errorf("got %s %v, want one finding \"no answer: dial tcp...\"", c.Verdict, c.Findings)
	}
}

// TestTransportKeepsBody checks that the validating transport hands the raw body on intact and
// reports what it found through Observe.
func TestTransportKeepsBody(t *testing.T) {
	raw := `{"status":{"code":1000,"description":"Success"},"data":{"accessToken":"a","tokenType":"bearer","expiresIn":"1800","expiresAt":1}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("resourceOwnerId", "owner")
		io.WriteString(w, raw)
	}))
	defer srv.Close()
	var got *contract.Interaction
	client := &http.Client{Transport: &contract.Transport{Observe: func(in *contract.Interaction) { got = in }}}
	resp, err := client.Post(srv.URL+"/v1/oauth/token", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != raw {
		t.Errorf("got body %q, want the raw body %q", body, raw)
	}
	if got == nil || got.Operation != "createToken" || got.Status != 200 || string(got.Body) != raw {
		t.Fatalf("got interaction %+v, want createToken 200 with the raw body", got)
	}
	want := map[string]string{"$.data.expiresIn": "value must be an integer", "$.data.tokenType": "allowed values"}
	for _, f := range got.Findings {
		if strings.Contains(f.Message, want[f.Path]) && want[f.Path] != "" {
			delete(want, f.Path)
		}
	}
	if len(want) > 0 {
		t.Errorf("got findings %v, still want %v", got.Findings, want)
	}
}

// TestBaseURLNeverShowsPassword checks that a base URL's password stays out of Run's errors,
// whether the URL parses or not (net/url's own errors quote parts of it).
func TestBaseURLNeverShowsPassword(t *testing.T) {
	for _, u := range []string{"http://user:hunter2@host:port", "http://user:hun ter2@host", "http://user:hunter2%zz@host", "ftp://user:hunter2@host", "http://user:hunter2@"} {
		t.Run(u, func(t *testing.T) {
			_, err := contract.Run(context.Background(), contract.Config{BaseURL: u, Application: demo(sandbox.KindPlain)}, nil)
			if err == nil || strings.Contains(err.Error(), "hunter") || !strings.HasPrefix(err.Error(), "contract: ") {
				t.Errorf("got %v, want an error that names the problem without the password", err)
			}
		})
	}
}

// TestTransportAnyBodyBound: a MaxBodyBytes of int64 max keeps the whole body (its bound plus
// one once wrapped to a negative limit that read nothing).
func TestTransportAnyBodyBound(t *testing.T) {
	const raw = `{"status":{"code":1000,"description":"Success"}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, raw) }))
	defer srv.Close()
	var got *contract.Interaction
	client := &http.Client{Transport: &contract.Transport{MaxBodyBytes: math.MaxInt64, Observe: func(in *contract.Interaction) { got = in }}}
	resp, err := client.Post(srv.URL+"/v1/oauth/token", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got == nil || string(got.Body) != raw {
		t.Fatalf("got interaction %+v, want the whole body %q", got, raw)
	}
}
