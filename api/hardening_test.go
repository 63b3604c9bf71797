package api

// Regression tests of issue 9 (a hostile or unlucky input must never hang, spin, leak or crash
// the client), one per item, each written for the class of its defect.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/scboauth/scboauth/internal/redact"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// outsideMarkers returns the parts of s between redaction markers.
func outsideMarkers(s string) []string { return strings.Split(s, redact.Marker) }

// leaks reports whether s shows secret anywhere but inside a redaction marker, in any case.
func leaks(s, secret string) bool {
	for _, part := range outsideMarkers(s) {
		if strings.Contains(strings.ToLower(part), strings.ToLower(secret)) {
			return true
		}
	}
	return false
}

// TestShortSecretsRedacted (item 1): a secret that occurs in the redaction marker, or one of
// one letter or of special characters, is redacted in one pass: the call returns (the old
// redaction looped forever on "e"), and the server's description shows it nowhere outside a
// marker.
func TestShortSecretsRedacted(t *testing.T) {
	for _, code := range []string{"e", "E", "a", "t", "red", "[redacted]", `"`, `\`, "d]", "%"} {
		t.Run(code, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := sandboxtest.New(t)
				app := sandboxtest.Demo(sandbox.KindAuthorizationCode)
				c := newTestClientConfig(t, Config{BaseURL: "http://127.0.0.1", ApplicationKey: app.Key, ApplicationSecret: app.Secret, HTTPClient: sandboxtest.Client(srv)})
				_, err := c.Exchange(context.Background(), code)
				var e *Error
				if !errors.Is(err, ErrInvalidAuthorizationCode) || !errors.As(err, &e) {
					t.Fatalf("got %v, want ErrInvalidAuthorizationCode", err)
				}
				// The server's text, the one part of the message that could quote the code.
				if e.Description == "" || leaks(e.Description, code) {
					t.Errorf("got description %q, which shows the code %q", e.Description, code)
				}
			})
		})
	}
}

// TestLifetimesBounded (item 2): a lifetime out of range is a malformed answer, compared before
// any arithmetic (int64 max used to overflow into a token already expired); one in range gives
// a token that expires that long after the send time.
func TestLifetimesBounded(t *testing.T) {
	const maxSeconds = int64(maxLifetime / time.Second)
	tests := []struct {
		field string
		value int64
		ok    bool
	}{
		{"expiresIn", 1, true},
		{"expiresIn", 1800, true},
		{"expiresIn", maxSeconds, true},
		{"expiresIn", 0, false},
		{"expiresIn", -1, false},
		{"expiresIn", maxSeconds + 1, false},
		{"expiresIn", math.MaxInt64 / int64(time.Second), false},
		{"expiresIn", math.MaxInt64/int64(time.Second) + 1, false}, // overflows time.Duration
		{"expiresIn", math.MaxInt64, false},
		{"expiresIn", math.MinInt64, false},
		{"refreshExpiresIn", 1, true},
		{"refreshExpiresIn", 0, false},
		{"refreshExpiresIn", maxSeconds + 1, false},
		{"refreshExpiresIn", math.MaxInt64, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %d", tt.field, tt.value), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					fmt.Fprintf(w, `{"status":{"code":1000},"data":{"accessToken":"a-1","tokenType":"Bearer","expiresIn":1800,"refreshToken":"r-1","refreshExpiresIn":3600,%q:%d}}`, tt.field, tt.value)
				}))
				sent := time.Now()
				tok, err := c.Exchange(context.Background(), "code")
				if !tt.ok {
					if !errors.Is(err, ErrMalformedResponse) || !strings.Contains(err.Error(), tt.field) {
						t.Fatalf("got %v, %v; want ErrMalformedResponse naming %s", tok, err, tt.field)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				expiry, want := tok.Expiry, sent.Add(time.Duration(tt.value)*time.Second)
				if tt.field == "refreshExpiresIn" {
					expiry = tok.RefreshExpiry
				}
				if !expiry.Equal(want) || !tok.Valid() {
					t.Errorf("got expiry %v (valid %v), want %v", expiry, tok.Valid(), want)
				}
			})
		})
	}
}

// hostileSCB answers token and refresh requests at random, from a seeded source: statuses,
// SCB's codes, lifetimes of 0, 1, 2 seconds, huge or negative, garbage bodies, Retry-After
// values of any kind, slow answers. It records when each request came.
type hostileSCB struct {
	mu    sync.Mutex
	rng   *rand.Rand
	times map[string][]time.Time // by path and resourceOwnerId: one for each token source
	seq   int
}

func (h *hostileSCB) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	source := r.URL.Path + " of " + r.Header.Get("resourceOwnerId") // a token source of a replica
	h.times[source] = append(h.times[source], time.Now())
	h.seq++
	n, pick := h.seq, h.rng.IntN(12)
	life := []int64{0, 1, 2, 59, 1800, -5, math.MaxInt64, 1 << 40}[h.rng.IntN(8)]
	retry := []string{"", "0", "1", "-3", "99999999", "soon", "Wed, 21 Oct 2099 07:28:00 GMT"}[h.rng.IntN(7)]
	slow := time.Duration(h.rng.IntN(3)) * time.Duration(h.rng.Int64N(int64(20*time.Second)))
	h.mu.Unlock()
	time.Sleep(slow) // up to 40s: beyond the attempt's timeout at times
	if r.Context().Err() != nil {
		return
	}
	w.Header().Set("Retry-After", retry)
	switch pick {
	case 0, 1, 2, 3: // a token, of any lifetime
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":{"code":1000},"data":{"accessToken":"a-%d","tokenType":"Bearer","expiresIn":%d,"refreshToken":"r-%d","refreshExpiresIn":%d}}`, n, life, n, life)
	case 4:
		writeSCBError(w, 503, 9900, "System maintenance in progress. We will be back shortly.")
	case 5:
		writeSCBError(w, 429, 9900, "Too many requests")
	case 6:
		writeSCBError(w, 401, 9500, "Invalid authorization credentials")
	case 7:
		writeSCBError(w, 500, 9700, "Generic server side error")
	case 8:
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, "<html>bad gateway</html>")
	case 9:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":{"code":1000},"data":{"accessToken":"a\r\nX-Evil: 1","expiresIn":1800}}`)
	case 10:
		http.Redirect(w, r, "https://elsewhere.example/", http.StatusFound)
	default:
		_, _ = io.WriteString(w, "\x00\xff garbage")
	}
}

// TestTokenSourceAnyAnswer (item 2, the general property): whatever the server answers, one
// TokenSource makes at most one upstream request per backoff step: two of its requests are
// never less than the shortest step (minRenewalGap) apart; and every token it hands out is
// valid and clean. Callers of a client-credentials and of a user's token source keep asking
// all the while.
func TestTokenSourceAnyAnswer(t *testing.T) {
	for seed := range uint64(6) {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) { anyAnswer(t, seed, 1, nil) })
	}
}

// TestTokenSourceAnyAnswerShared: the same property with a store shared by two replicas (two
// Clients, each with both sources, the user's shared under one id): per replica, requests are
// never less than the shortest step apart, and every token handed out, fetched or adopted, is
// valid and clean.
func TestTokenSourceAnyAnswerShared(t *testing.T) {
	for seed := range uint64(6) {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) { anyAnswer(t, seed, 2, newMemStore()) })
	}
}

// anyAnswer runs the property of TestTokenSourceAnyAnswer for n replicas sharing store (nil:
// none), with the server's answers drawn from seed.
func anyAnswer(t *testing.T, seed uint64, n int, store Store) {
	synctest.Test(t, func(t *testing.T) {
		h := &hostileSCB{rng: rand.New(rand.NewPCG(seed, 9)), times: map[string][]time.Time{}}
		var sources []*TokenSource
		for i := range n {
			c := newTestClientConfig(t, Config{HTTPClient: sandboxtest.Client(h), Retry: RetryPolicy{MaxAttempts: 1},
				Store: store, ResourceOwnerID: fmt.Sprintf("replica-%d", i)})
			sources = append(sources, c.TokenSource(), c.UserTokenSource(&Token{TokenType: "Bearer", refresh: redact.New("r-0")}, WithUserID("u")))
		}
		const window = 10 * time.Minute
		start := time.Now()
		var wg sync.WaitGroup
		for i := range 8 * n {
			ts := sources[i%len(sources)]
			wg.Go(func() {
				for time.Since(start) < window {
					tok, err := ts.Token(context.Background())
					if err == nil && (!tok.Valid() || tokenProblem(tok.AccessToken()) != "") {
						t.Errorf("got a token that is stale or not clean: %v", tok)
					}
					var e *Error
					if err != nil && !errors.As(err, &e) {
						t.Errorf("got %T %v, want an *Error", err, err)
					}
					time.Sleep(37 * time.Millisecond)
				}
			})
		}
		wg.Wait()
		h.mu.Lock()
		defer h.mu.Unlock()
		requests := 0
		for source, times := range h.times {
			requests += len(times)
			for i := 1; i < len(times); i++ {
				if d := times[i].Sub(times[i-1]); d < minRenewalGap {
					t.Fatalf("%s: requests %d and %d came %v apart, want at least %v", source, i-1, i, d, minRenewalGap)
				}
			}
		}
		if requests < 10 {
			t.Errorf("got only %d requests in %v: the test checks little", requests, window)
		}
	})
}

// TestRefreshAheadEveryLifetime (item 3): for every lifetime from one second to a week, of the
// access token and of the refresh token, a user's token source renews about once per lifetime,
// never once per call (a refresh token of 2 minutes beside a 30-minute access token used to
// renew on every call), and every caller gets a valid token.
func TestRefreshAheadEveryLifetime(t *testing.T) {
	lifetimes := []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 30 * time.Second, 59 * time.Second,
		time.Minute, 2 * time.Minute, 5 * time.Minute, 6 * time.Minute, 10 * time.Minute, 30 * time.Minute,
		time.Hour, 24 * time.Hour, 7 * 24 * time.Hour}
	type pair struct{ access, refresh time.Duration }
	var cases []pair
	for _, l := range lifetimes {
		cases = append(cases, pair{l, 2 * l}, pair{30 * time.Minute, l}, pair{l, l})
	}
	for _, tt := range cases {
		t.Run(fmt.Sprintf("access %v refresh %v", tt.access, tt.refresh), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakeSCB{lifetime: tt.access, refreshLifetime: tt.refresh}
				c := newTestClient(t, f)
				tok, err := c.Exchange(context.Background(), "code")
				if err != nil {
					t.Fatal(err)
				}
				ts := c.UserTokenSource(tok)
				short := min(tt.access, tt.refresh)
				// Callers ask often enough to meet the renewal window (5 minutes at most).
				window, step := 10*short, min(short/40, time.Minute)
				for start := time.Now(); time.Since(start) < window; time.Sleep(step) {
					got, err := ts.Token(context.Background())
					if err != nil || !got.Valid() {
						t.Fatalf("at %v got %v, %v; want a valid token", time.Since(start), got, err)
					}
					synctest.Wait()
				}
				// Each renewal comes at least a quarter of the shorter lifetime (and the least
				// gap) after the last.
				bound := int64(window/max(minRenewalGap, short/4)) + 1
				if n := f.refreshCalls.Load(); n > bound || n < 3 {
					t.Errorf("got %d refreshes over %v, want 3 to %d", n, window, bound)
				}
			})
		})
	}
}

// TestTransportRedirects (item 4): the token goes to the caller's host and the base URL's host
// only: a redirect elsewhere is refused (Go drops the header on such a redirect, and the
// Transport used to put it back), a redirect on the same host is followed with the token, and
// plain http goes to loopback addresses only.
func TestTransportRedirects(t *testing.T) {
	var stolen atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			stolen.Add(1)
		}
	}))
	defer other.Close()
	f := &fakeSCB{}
	var sameHost atomic.Value
	mux := http.NewServeMux()
	mux.Handle("/v1/oauth/", f)
	mux.HandleFunc("/v1/away", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/v1/collect", http.StatusFound)
	})
	mux.HandleFunc("/v1/here", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/v1/landing", http.StatusFound) })
	mux.HandleFunc("/v1/landing", func(w http.ResponseWriter, r *http.Request) { sameHost.Store(r.Header.Get("Authorization")) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	hc := newTestClientConfig(t, Config{BaseURL: srv.URL}).TokenSource().APIClient()

	_, err := hc.Get(srv.URL + "/v1/away")
	if !errors.Is(err, ErrRedirect) || !strings.Contains(err.Error(), "refused") || stolen.Load() != 0 {
		t.Errorf("got %v with %d tokens received elsewhere, want ErrRedirect and none", err, stolen.Load())
	}
	resp, err := hc.Get(srv.URL + "/v1/here")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := sameHost.Load(); got != "Bearer access-1" {
		t.Errorf("got authorization %v after a same-host redirect, want Bearer access-1", got)
	}
	for _, u := range []string{"http://api.partners.scb/v1/x", "http://evil.localhost/v1/x", "ftp://127.0.0.1/x"} {
		if _, err := hc.Get(u); !errors.Is(err, ErrRedirect) || !strings.Contains(err.Error(), "https only") {
			t.Errorf("%s: got %v, want the token refused over plain http", u, err)
		}
	}
}

// TestMalformedTokens (item 5): a token, refresh token, token type or resourceOwnerId header
// with CR, LF, controls, spaces, bidirectional controls or excessive length is a malformed
// answer, whose message shows neither the value nor an invisible character.
func TestMalformedTokens(t *testing.T) {
	long := strings.Repeat("x", maxTokenBytes+1)
	tests := []struct {
		name                  string
		access, refresh, kind string
		owner                 string
		want                  string
	}{
		{name: "CR LF in the access token", access: "tok\r\nX-Injected: 1", want: "data.accessToken has characters"},
		{name: "NUL in the access token", access: "tok\x00", want: "data.accessToken has characters"},
		{name: "space in the access token", access: "tok en", want: "data.accessToken has characters"},
		{name: "U+202E in the access token", access: "tok\u202e", want: "data.accessToken has characters"},
		{name: "long access token", access: long, want: "data.accessToken longer than 4096 bytes"},
		{name: "LF in the refresh token", refresh: "ref\nX: 1", want: "data.refreshToken has characters"},
		{name: "CR LF in the token type", kind: "Bearer\r\nX: 1", want: `data.tokenType "Bearer  X: 1", want Bearer`},
		{name: "escape in the token type", kind: "\x1b[31mMAC", want: `data.tokenType "[31mMAC", want Bearer`},
		{name: "CR LF in resourceOwnerId", owner: "own\r\nX: 1", want: "resourceOwnerId header is not printable ASCII"},
		{name: "U+202E in resourceOwnerId", owner: "own\u202e", want: "resourceOwnerId header is not printable ASCII"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					ans := tokenAnswer(cmp.Or(tt.access, "tok-1"), 30*time.Minute, cmp.Or(tt.refresh, "ref-1"))
					if tt.kind != "" {
						ans["data"].(map[string]any)["tokenType"] = tt.kind
					}
					if tt.owner != "" {
						w.Header()[http.CanonicalHeaderKey("resourceOwnerId")] = []string{tt.owner} // in memory: as sent
					}
					writeJSON(w, http.StatusOK, ans)
				}))
				tok, err := c.Exchange(context.Background(), "code")
				if !errors.Is(err, ErrMalformedResponse) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("got %v, %v; want ErrMalformedResponse saying %q", tok, err, tt.want)
				}
				msg := err.Error()
				if strings.ContainsFunc(msg, invisible) || strings.Contains(msg, "X-Injected") || strings.Contains(msg, "tok-1") {
					t.Errorf("got %q, which shows a value or an invisible character", msg)
				}
			})
		})
	}
}

// TestAuthorizeCallbackURL (item 5): AuthorizeURL returns only a deep link a phone can open
// safely; anything else is a malformed answer.
func TestAuthorizeCallbackURL(t *testing.T) {
	tests := []struct {
		callback string
		ok       bool
	}{
		{"scbeasysim://login/4b0a3c2e", true},
		{"scbeasy://login/abc?x=1", true},
		{"https://partners.scb.example/consent/abc", true},
		{"javascript:alert(1)", false},
		{"javascript://%0aalert(1)", false},
		{"JavaScript://x/%0aalert(1)", false},
		{"vbscript://x", false},
		{"data://text/html,x", false},
		{"file:///etc/passwd", false},
		{"scbeasysim://login/x\r\nSet-Cookie: a=b", false},
		{"scbeasysim://login/x y", false},
		{"scbeasysim://login/\u202eabc", false},
		{"scbeasysim://", false},
		{"/login/relative", false},
		{"1x://login", false},
		{"scbeasysim://login/" + strings.Repeat("a", maxCallbackBytes), false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%.40q", tt.callback), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					writeJSON(w, http.StatusOK, map[string]any{"status": map[string]any{"code": 1000, "description": "Success"},
						"data": map[string]any{"callbackUrl": tt.callback}})
				}))
				got, err := c.AuthorizeURL(context.Background())
				if tt.ok {
					if err != nil || got != tt.callback {
						t.Errorf("got %q, %v; want it accepted", got, err)
					}
					return
				}
				if got != "" || !errors.Is(err, ErrMalformedResponse) || !strings.Contains(err.Error(), "data.callbackUrl") {
					t.Errorf("got %q, %v; want ErrMalformedResponse about data.callbackUrl", got, err)
				}
			})
		})
	}
}

// TestUnauthorizedPaced (item 6): an API that rejects every token costs one token request per
// backoff step, not one per call (100 calls used to make 101 token requests); each call still
// gets the API's 401. The same holds with a store (the rejected token deleted from it, and the
// next fetched for the fleet).
func TestUnauthorizedPaced(t *testing.T) {
	t.Run("without store", func(t *testing.T) { unauthorizedPaced(t, nil) })
	t.Run("with store", func(t *testing.T) { unauthorizedPaced(t, newMemStore()) })
}

func unauthorizedPaced(t *testing.T, store Store) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSCB{}
		mux := http.NewServeMux()
		mux.Handle("/partners/sandbox/v1/oauth/", f)
		mux.HandleFunc("/partners/sandbox/v1/pay", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) })
		hc := newTestClientConfig(t, Config{HTTPClient: sandboxtest.Client(mux), Store: store}).TokenSource().APIClient()
		call := func() {
			resp, err := hc.Get(testBase + "/v1/pay")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("got %d, want the API's 401", resp.StatusCode)
			}
		}
		for range 100 {
			call()
		}
		if n := f.tokenCalls.Load(); n != 2 {
			t.Errorf("100 rejected calls at once made %d token requests, want 2 (the first token and one renewal)", n)
		}
		const window = 5 * time.Minute
		start := time.Now()
		for time.Since(start) < window {
			call()
			time.Sleep(100 * time.Millisecond)
		}
		if n, bound := f.tokenCalls.Load()-2, int64(maxRenewals(window)); n > bound || n < 3 {
			t.Errorf("3,000 rejected calls over %v made %d token requests, want 3 to %d (one per backoff step)", window, n, bound)
		}
	})
}

// TestQuotedTokensRedacted (item 7): a server that quotes a token (its own answer's, or one
// the client received earlier) gets it redacted, not only the values the request sent.
func TestQuotedTokensRedacted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var answer atomic.Value
		c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			answer.Load().(func(http.ResponseWriter))(w)
		}))
		ctx := context.Background()
		answer.Store(func(w http.ResponseWriter) { writeJSON(w, 200, tokenAnswer(canaryAccess, 30*time.Minute, "")) })
		if _, err := c.Token(ctx); err != nil {
			t.Fatal(err)
		}
		cases := map[string]func(http.ResponseWriter){
			"a 200 with another code quoting its own token": func(w http.ResponseWriter) {
				ans := tokenAnswer("OWN-"+canaryRefresh, 30*time.Minute, "")
				ans["status"] = map[string]any{"code": 9700, "description": "error for own-" + strings.ToLower(canaryRefresh)}
				writeJSON(w, 200, ans)
			},
			"a 401 quoting an earlier token": func(w http.ResponseWriter) {
				writeSCBError(w, 401, 9500, "token "+canaryAccess+" was revoked")
			},
			"a 401 quoting an earlier token in JSON escapes": func(w http.ResponseWriter) {
				writeSCBError(w, 401, 9500, `token "`+canaryAccess+`" was revoked`)
			},
		}
		for name, a := range cases {
			answer.Store(a)
			_, err := c.Token(ctx)
			if err == nil {
				t.Fatalf("%s: got no error", name)
			}
			for _, secret := range []string{canaryAccess, "own-" + canaryRefresh} {
				if leaks(err.Error(), secret) {
					t.Errorf("%s: got %q, which shows a token", name, err)
				}
			}
			if !strings.Contains(err.Error(), redact.Marker) {
				t.Errorf("%s: got %q, want the token redacted", name, err)
			}
		}
	})
}

// TestPlainHTTPNeverProxied (item 8): a plain-http request to a loopback base URL goes direct,
// even with a proxy configured on the caller's transport: the proxy never sees the secret.
func TestPlainHTTPNeverProxied(t *testing.T) {
	var proxied atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		writeJSON(w, 200, tokenAnswer("via-proxy", 30*time.Minute, ""))
	}))
	defer proxy.Close()
	srv := httptest.NewServer(&fakeSCB{})
	defer srv.Close()
	proxyURL, _ := url.Parse(proxy.URL)
	hc := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}}
	c := newTestClientConfig(t, Config{BaseURL: srv.URL, HTTPClient: hc})
	tok, err := c.Token(context.Background())
	if err != nil || tok.AccessToken() != "access-1" || proxied.Load() != 0 {
		t.Errorf("got %v, %v with %d proxied requests; want access-1 sent direct", tok, err, proxied.Load())
	}
}

// jsonString encodes s as a JSON string, escaping controls but keeping invalid UTF-8 as is.
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' {
			fmt.Fprintf(&b, `\u%04x`, s[i])
		} else {
			b.WriteByte(s[i])
		}
	}
	b.WriteByte('"')
	return b.String()
}

// TestErrorsShowNoInvisibleCharacters (item 9): bidirectional and other invisible format
// characters, controls, line separators and invalid UTF-8 in a server's text do not survive
// into an error.
func TestErrorsShowNoInvisibleCharacters(t *testing.T) {
	for _, text := range []string{"evil\u202egnp.exe", "zero\u200bwidth", "line\u2028sep", "esc\x1b[2Jape", "bad\xff\xfeutf8", "bom\ufeff", "iso\u2066late\u2069", "arabic\u061cmark"} {
		t.Run(fmt.Sprintf("%q", text), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusUnauthorized)
					fmt.Fprintf(w, `{"status":{"code":9500,"description":%s}}`, jsonString(text))
				}))
				_, err := c.Token(context.Background())
				if err == nil || strings.ContainsFunc(err.Error(), invisible) || !strings.Contains(err.Error(), " 9500 ") {
					t.Errorf("got %q, want the 9500 error without invisible characters", err)
				}
			})
		})
	}
}

// TestMaxResponseBytesAnyBound: any MaxResponseBytes NewClient accepts reads SCB's answer,
// int64 max included (its bound plus one once wrapped to a negative limit that read nothing).
func TestMaxResponseBytesAnyBound(t *testing.T) {
	for _, n := range []int64{1 << 10, 1 << 40, math.MaxInt64 - 1, math.MaxInt64} {
		c := newTestClientConfig(t, Config{HTTPClient: sandboxtest.Client(&fakeSCB{}), MaxResponseBytes: n})
		if _, err := c.Token(context.Background()); err != nil {
			t.Errorf("MaxResponseBytes %d: %v", n, err)
		}
	}
}
