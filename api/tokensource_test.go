package api

import (
	"bytes"
	"context"
	"errors"
	"github.com/scboauth/scboauth/internal/redact"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// Every test here runs in a synctest bubble: time is fake, requests are served in memory, and
// nothing sleeps on the wall clock.

// TestTokenSourceSingleFlight (target 1): 1,000 goroutines on an empty or expired cache make
// exactly one request and all get the same token.
func TestTokenSourceSingleFlight(t *testing.T) {
	for _, tt := range []struct {
		name    string
		expired bool
	}{{"empty cache", false}, {"expired cache", true}} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakeSCB{}
				ts := newTestClient(t, f).TokenSource()
				ctx := context.Background()
				var before int64
				if tt.expired {
					if _, err := ts.Token(ctx); err != nil {
						t.Fatal(err)
					}
					time.Sleep(31 * time.Minute)
					before = f.tokenCalls.Load()
				}
				release := f.hold()
				const n = 1000
				toks, errs := make([]*Token, n), make([]error, n)
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() { toks[i], errs[i] = ts.Token(ctx) })
				}
				synctest.Wait() // all 1,000 are waiting while the one request is held
				release()
				wg.Wait()
				if got := f.tokenCalls.Load() - before; got != 1 {
					t.Errorf("got %d requests, want 1", got)
				}
				for i := range n {
					if errs[i] != nil || toks[i] != toks[0] || !toks[i].Valid() {
						t.Fatalf("caller %d got %v, %v; want the same valid token as caller 0 (%v)", i, toks[i], errs[i], toks[0])
					}
				}
			})
		})
	}
}

// TestTokenSourceHitAllocatesNothing (target 2; the benchmark shows its cost): a cache hit
// allocates nothing.
func TestTokenSourceHitAllocatesNothing(t *testing.T) {
	ts := newTestClient(t, &fakeSCB{}).TokenSource()
	ctx := context.Background()
	tok, err := ts.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(1000, func() {
		if got, _ := ts.Token(ctx); got != tok {
			t.Fatal("not a cache hit")
		}
	}); n != 0 {
		t.Errorf("got %v allocations per cache hit, want 0", n)
	}
	req, _ := http.NewRequest(http.MethodGet, "https://example.com", nil)
	tok.SetAuthHeader(req)
	if got := req.Header.Get("Authorization"); got != "Bearer access-1" {
		t.Errorf("got authorization %q, want Bearer access-1", got)
	}
}

// TestCountHits: with Config.CountHits, Stats counts every cache hit (a renewal ahead of
// expiry's included) and a hit still allocates nothing; without it, no hit is counted and the
// source keeps no counter.
func TestCountHits(t *testing.T) {
	for _, count := range []bool{false, true} {
		ts := newTestClientConfig(t, Config{HTTPClient: sandboxtest.Client(&fakeSCB{}), CountHits: count}).TokenSource()
		ctx := context.Background()
		if _, err := ts.Token(ctx); err != nil { // a miss: not a hit
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 125 {
					if _, err := ts.Token(ctx); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		n := testing.AllocsPerRun(100, func() { _, _ = ts.Token(ctx) })
		want := map[bool]uint64{false: 0, true: 1000 + 101}[count] // AllocsPerRun runs once more
		if s := ts.Stats(); s.InProcessHits != want || s.UpstreamFetches != 1 || n != 0 {
			t.Errorf("CountHits %v: stats %+v and %v allocations per hit, want %d hits, 1 fetch, 0 allocations", count, s, n, want)
		}
		if (ts.hits != nil) != count {
			t.Errorf("CountHits %v: a counter kept: %v", count, ts.hits != nil)
		}
	}
}

// TestStripedCounterSpreads: the counter counts every addition from concurrent goroutines
// without allocating, and stacks, which are 8 KiB apart or more, hash to every stripe. (Which
// stacks goroutines get is the runtime's choice: short-lived ones reuse one another's, so the
// spread is checked on the hash.)
func TestStripedCounterSpreads(t *testing.T) {
	c := new(stripedCounter)
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for range 100 {
				c.add()
			}
		})
	}
	wg.Wait()
	if got := c.load(); got != 6400 {
		t.Fatalf("load() = %d, want 6400", got)
	}
	if n := testing.AllocsPerRun(100, c.add); n != 0 {
		t.Errorf("an addition allocates %v times", n)
	}
	perStripe := map[uint64]int{}
	for i := range uintptr(64) {
		perStripe[stripeOf(0xc000100000+i*8192)]++
	}
	if most := slices.Max(slices.Collect(maps.Values(perStripe))); len(perStripe) != counterStripes || most > 6 {
		t.Errorf("64 stacks 8 KiB apart use %d of %d stripes, up to %d on one; want all, at most 6 on one", len(perStripe), counterStripes, most)
	}
	if (*stripedCounter)(nil).load() != 0 {
		t.Error("a nil counter (hits not counted) does not load 0")
	}
}

// TestTokenSourceRefreshAhead (target 3): the token is renewed in the background once within
// min(5m, lifetime/3) of expiry, with jitter, while callers keep getting the current token at
// once; nothing is renewed before.
func TestTokenSourceRefreshAhead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSCB{}
		ts := newTestClient(t, f).TokenSource()
		ctx := context.Background()
		start := time.Now()
		first, err := ts.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		release := f.hold()
		defer release()
		// Call once a second; the renewal must start between 24m (5m + 20% jitter before
		// expiry) and 25m.
		for f.tokenCalls.Load() == 1 && time.Since(start) < 26*time.Minute {
			if tok, err := ts.Token(ctx); err != nil || tok != first {
				t.Fatalf("at %v got %v, %v; want the first token", time.Since(start), tok, err)
			}
			synctest.Wait()
			time.Sleep(time.Second)
		}
		renewalAt := time.Since(start) - time.Second
		if renewalAt < 24*time.Minute || renewalAt > 25*time.Minute {
			t.Errorf("renewal started at %v, want within [24m, 25m]", renewalAt)
		}
		// While the renewal is held, callers get the current token without waiting, and start
		// no other renewal.
		for i := range 100 {
			callStart := time.Now()
			if tok, err := ts.Token(ctx); err != nil || tok != first || time.Since(callStart) != 0 {
				t.Fatalf("caller %d during the renewal got %v, %v after %v; want the first token at once", i, tok, err, time.Since(callStart))
			}
		}
		synctest.Wait()
		if got := f.tokenCalls.Load(); got != 2 {
			t.Errorf("got %d requests, want 2 (one renewal, held)", got)
		}
		release()
		synctest.Wait()
		second, err := ts.Token(ctx)
		if err != nil || second == first || second.AccessToken() != "access-2" {
			t.Errorf("got %v, %v after the renewal; want access-2", second, err)
		}
		if got := f.tokenCalls.Load(); got != 2 {
			t.Errorf("got %d requests, want 2", got)
		}
	})
}

// TestTokenSourceNeverStale (target 3): a token within 30s of expiry is never handed out, even
// when the renewal is slow; the caller waits (here until its deadline) instead.
func TestTokenSourceNeverStale(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSCB{}
		ts := newTestClient(t, f).TokenSource()
		ctx := context.Background()
		first, err := ts.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		release := f.hold()
		staleAt := first.Expiry.Add(-30 * time.Second)
		time.Sleep(time.Until(staleAt) - time.Nanosecond)
		if tok, err := ts.Token(ctx); tok != first || err != nil {
			t.Fatalf("1ns before the margin got %v, %v; want the first token", tok, err)
		}
		time.Sleep(time.Nanosecond)
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		tok, err := ts.Token(dctx)
		if tok != nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("30s before expiry got %v, %v; want no token and the deadline", tok, err)
		}
		release()
		synctest.Wait()
		tok, err = ts.Token(ctx)
		if err != nil || tok == first {
			t.Errorf("after the renewal got %v, %v; want a new token", tok, err)
		}
	})
}

// maxRenewals returns the most renewals a TokenSource can make in window: the backoff waits
// are at least half their step (1s, 2s, 4s... up to 30s).
func maxRenewals(window time.Duration) int {
	n, elapsed := 1, time.Duration(0)
	for step := 1; ; step++ {
		d := min(sourceBackoffMax, sourceBackoffBase<<(step-1))
		elapsed += d / 2
		if elapsed > window {
			return n
		}
		n++
	}
}

// TestTokenSourceOutageWhileValid (target 4): SCB down while the token is valid: no caller
// error, and renewals back off (a bounded number of requests over a 5-minute outage).
func TestTokenSourceOutageWhileValid(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSCB{}
		ts := newTestClient(t, f).TokenSource()
		ctx := context.Background()
		start := time.Now()
		first, err := ts.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(24*time.Minute - time.Second)
		f.down.Store(true)
		outageStart := time.Since(start)
		calls, failures := 0, 0
		for time.Now().Before(first.Expiry.Add(-31 * time.Second)) { // until the last second it may be used
			calls++
			tok, err := ts.Token(ctx)
			if err != nil {
				failures++
			} else if tok != first {
				t.Fatalf("got a new token during the outage")
			}
			time.Sleep(time.Second)
		}
		window := time.Since(start) - outageStart
		requests := int(f.tokenCalls.Load() - 1)
		bound := maxRenewals(window)
		t.Logf("outage of %v: %d caller calls, %d failures, %d requests to SCB (bound %d)", window, calls, failures, requests, bound)
		if failures != 0 {
			t.Errorf("got %d caller errors while the token was valid, want 0", failures)
		}
		if requests < 3 || requests > bound {
			t.Errorf("got %d requests to SCB over %v, want between 3 and %d", requests, window, bound)
		}
		f.down.Store(false)
		time.Sleep(sourceBackoffMax)
		tok, err := ts.Token(ctx)
		if err != nil || tok == first {
			t.Errorf("after the outage got %v, %v; want a new token", tok, err)
		}
	})
}

// TestTokenSourceOutageExpired (target 5): no valid token and SCB down: callers get a typed
// error wrapping the cause at once, with at most one renewal per backoff step for all of them.
func TestTokenSourceOutageExpired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSCB{}
		f.down.Store(true)
		ts := newTestClient(t, f).TokenSource()
		ctx := context.Background()
		start := time.Now()
		flights := 0
		lastCalls := int64(0)
		callers, errorsSeen := 0, 0
		for time.Since(start) < 5*time.Minute {
			var wg sync.WaitGroup
			for range 10 {
				callers++
				wg.Go(func() {
					_, err := ts.Token(ctx)
					var e *Error
					if !errors.As(err, &e) || e.HTTPStatus != http.StatusServiceUnavailable || e.Code != 9900 {
						t.Errorf("got %v, want a 503 9900 *Error", err)
					}
				})
			}
			wg.Wait()
			errorsSeen += 10
			if n := f.tokenCalls.Load(); n != lastCalls {
				flights++
				// The first renewal has the client's 3 quick attempts; each later step, one.
				if want := map[bool]int64{true: 3, false: 1}[flights == 1]; n-lastCalls != want {
					t.Errorf("step %d made %d requests, want %d", flights, n-lastCalls, want)
				}
				lastCalls = n
			}
			time.Sleep(100 * time.Millisecond)
		}
		bound := maxRenewals(5 * time.Minute)
		t.Logf("5-minute outage: %d callers, %d renewals, %d requests to SCB (bound %d renewals)", callers, flights, f.tokenCalls.Load(), bound)
		if flights < 2 || flights > bound {
			t.Errorf("got %d renewals, want between 2 and %d", flights, bound)
		}
		// A caller during a backoff step learns when the next attempt is due.
		_, err := ts.Token(ctx)
		var e *Error
		if errors.As(err, &e) && e.RetryAfter <= 0 && f.tokenCalls.Load() == lastCalls {
			t.Errorf("got RetryAfter %v during a backoff step, want > 0", e.RetryAfter)
		}
		f.down.Store(false)
		time.Sleep(sourceBackoffMax)
		if _, err := ts.Token(ctx); err != nil {
			t.Errorf("after the outage got %v, want a token", err)
		}
	})
}

// TestTokenSourceDeadlines (target 6): a caller's deadline is honoured while the shared renewal
// hangs; a cancelled caller does not cancel it; the renewal has its own deadline.
func TestTokenSourceDeadlines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSCB{}
		release := f.hold()
		defer release()
		ts := newTestClientConfig(t, Config{HTTPClient: sandboxtest.Client(f), RefreshDeadline: 30 * time.Second}).TokenSource()
		start := time.Now()

		type result struct {
			err error
			at  time.Duration
		}
		run := func(ctx context.Context) <-chan result {
			ch := make(chan result, 1)
			go func() {
				_, err := ts.Token(ctx)
				ch <- result{err, time.Since(start)}
			}()
			return ch
		}
		deadlineCtx, cancelA := context.WithTimeout(context.Background(), time.Second)
		defer cancelA()
		cancelCtx, cancelC := context.WithCancel(context.Background())
		a, b, c := run(deadlineCtx), run(context.Background()), run(cancelCtx)
		time.Sleep(2 * time.Second)
		cancelC()

		ra := <-a
		if !errors.Is(ra.err, context.DeadlineExceeded) || ra.at != time.Second {
			t.Errorf("caller with a 1s deadline: got %v at %v, want the deadline at 1s", ra.err, ra.at)
		}
		rc := <-c
		if !errors.Is(rc.err, context.Canceled) || rc.at != 2*time.Second {
			t.Errorf("cancelled caller: got %v at %v, want context.Canceled at 2s", rc.err, rc.at)
		}
		var e *Error
		if !errors.As(rc.err, &e) || e.Op != "token source" {
			t.Errorf("got %v, want a token source *Error", rc.err)
		}
		time.Sleep(time.Second)
		if n := f.abandoned.Load(); n != 0 {
			t.Errorf("the renewal was abandoned %d times after callers left, want 0", n)
		}
		if n := f.tokenCalls.Load(); n != 1 {
			t.Errorf("got %d requests, want 1", n)
		}
		rb := <-b
		if !errors.Is(rb.err, context.DeadlineExceeded) || rb.at > 30*time.Second || rb.at < 20*time.Second {
			t.Errorf("patient caller: got %v at %v, want the renewal's own deadline by 30s", rb.err, rb.at)
		}
		if n := f.tokenCalls.Load(); n != 3 {
			t.Errorf("got %d requests, want 3 attempts of 10s within the 30s deadline", n)
		}
	})
}

// TestTokenExpiry (target 7): expiry is the local send time plus expiresIn, whatever expiresAt
// says and however slow the answer; expiresAt only reports the skew.
func TestTokenExpiry(t *testing.T) {
	tests := []struct {
		name     string
		skew     time.Duration // SCB's clock minus ours
		wantWarn bool
	}{
		{"same clock", 0, false},
		{"SCB an hour ahead", time.Hour, true},
		{"SCB two hours behind", -2 * time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const latency = 3 * time.Second
				h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					time.Sleep(latency)
					ans := tokenAnswer("tok", 30*time.Minute, "")
					ans["data"].(map[string]any)["expiresAt"] = time.Now().Add(tt.skew + 30*time.Minute).Unix()
					writeJSON(w, http.StatusOK, ans)
				})
				var logs bytes.Buffer
				c := newTestClientConfig(t, Config{HTTPClient: sandboxtest.Client(h),
					Logger: slog.New(slog.NewTextHandler(&logs, nil))})
				sent := time.Now()
				tok, err := c.Token(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if want := sent.Add(30 * time.Minute); !tok.Expiry.Equal(want) {
					t.Errorf("got expiry %v, want the send time plus expiresIn, %v", tok.Expiry, want)
				}
				if want := tt.skew + latency; tok.ClockSkew != want {
					t.Errorf("got ClockSkew %v, want %v", tok.ClockSkew, want)
				}
				if got := strings.Contains(logs.String(), "clock skew"); got != tt.wantWarn {
					t.Errorf("got a skew warning %v, want %v (log %q)", got, tt.wantWarn, logs.String())
				}
			})
		})
	}
}

// TestTokenExpiryMonotonic: outside a bubble, Expiry carries a monotonic reading, so changes of
// the wall clock cannot move it.
func TestTokenExpiryMonotonic(t *testing.T) {
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, tokenAnswer("tok", 30*time.Minute, ""))
	}))
	tok, err := c.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tok.Expiry.String(), "m=+") {
		t.Errorf("got expiry %q, want a monotonic reading (m=+...)", tok.Expiry.String())
	}
}

// TestUserTokenSource (target 8): refresh tokens are redeemed single-flight, the pair swaps
// atomically, and a refused refresh token means re-authorisation, never retried.
func TestUserTokenSource(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSCB{}
		c := newTestClient(t, f)
		ctx := context.Background()
		tok, err := c.Exchange(ctx, "code")
		if err != nil {
			t.Fatal(err)
		}
		if tok.AccessToken() != "access-1" || tok.RefreshToken() != "refresh-1" {
			t.Fatalf("got %q/%q, want access-1/refresh-1", tok.AccessToken(), tok.RefreshToken())
		}
		ts := c.UserTokenSource(tok)
		time.Sleep(31 * time.Minute) // the access token expired; the refresh token lives 60m

		release := f.hold()
		const n = 100
		toks := make([]*Token, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				var err error
				if toks[i], err = ts.Token(ctx); err != nil {
					t.Errorf("caller %d: %v", i, err)
				}
			})
		}
		synctest.Wait()
		release()
		wg.Wait()
		if got := f.refreshCalls.Load(); got != 1 {
			t.Errorf("got %d refresh requests, want 1", got)
		}
		for i, tk := range toks {
			if tk != toks[0] {
				t.Fatalf("caller %d got another token", i)
			}
		}
		if got := toks[0]; got.AccessToken() != "access-2" || got.RefreshToken() != "refresh-2" {
			t.Errorf("got %q/%q, want the pair access-2/refresh-2", got.AccessToken(), got.RefreshToken())
		}

		// Renewal ahead of expiry uses the latest refresh token.
		time.Sleep(26 * time.Minute)
		if _, err := ts.Token(ctx); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := strings.Join(f.redeemedTokens(), ","); got != "refresh-1,refresh-2" {
			t.Errorf("got redeemed %s, want refresh-1,refresh-2 (each once, in order)", got)
		}
		cur, _ := ts.Token(ctx)
		if cur.AccessToken() != "access-3" || cur.RefreshToken() != "refresh-3" {
			t.Errorf("got %q/%q, want access-3/refresh-3", cur.AccessToken(), cur.RefreshToken())
		}

		// The user withdraws consent: the valid access token is still handed out; once stale,
		// re-authorisation is required and SCB is not asked again.
		f.revoke()
		time.Sleep(time.Until(cur.Expiry.Add(-4 * time.Minute)))
		if tok, err := ts.Token(ctx); err != nil || tok != cur {
			t.Fatalf("in the renewal window got %v, %v; want the current token", tok, err)
		}
		synctest.Wait()
		refreshes := f.refreshCalls.Load()
		time.Sleep(4 * time.Minute)
		for range 10 {
			_, err := ts.Token(ctx)
			if !errors.Is(err, ErrReauthorizationRequired) {
				t.Fatalf("got %v, want ErrReauthorizationRequired", err)
			}
			var e *Error
			if !errors.As(err, &e) || e.Retryable() {
				t.Errorf("got %v, want a non-retryable *Error", err)
			}
			time.Sleep(time.Minute)
		}
		if got := f.refreshCalls.Load(); got != refreshes {
			t.Errorf("got %d more refresh requests after the refusal, want 0", got-refreshes)
		}
	})
}

// TestUserTokenSourceRefreshExpired: a refresh token past its expiry is not even sent.
func TestUserTokenSourceRefreshExpired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSCB{}
		c := newTestClient(t, f)
		tok, err := c.Exchange(context.Background(), "code")
		if err != nil {
			t.Fatal(err)
		}
		ts := c.UserTokenSource(tok)
		time.Sleep(61 * time.Minute)
		_, err = ts.Token(context.Background())
		if !errors.Is(err, ErrReauthorizationRequired) || !strings.Contains(err.Error(), "refresh token expired") {
			t.Errorf("got %v, want ErrReauthorizationRequired for an expired refresh token", err)
		}
		if n := f.refreshCalls.Load(); n != 0 {
			t.Errorf("got %d refresh requests, want 0", n)
		}
		if _, err := c.UserTokenSource(&Token{}).Token(context.Background()); !errors.Is(err, ErrReauthorizationRequired) {
			t.Errorf("got %v for a token without refresh token, want ErrReauthorizationRequired", err)
		}
	})
}

// TestInvalidate (target 9): 100 concurrent 401s on one token cause exactly one new fetch;
// invalidating a token that is no longer cached does nothing.
func TestInvalidate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSCB{}
		const n = 100
		var arrived atomic.Int64
		allArrived := make(chan struct{})
		var served atomic.Int64
		mux := http.NewServeMux()
		mux.Handle("/partners/sandbox/v1/oauth/", f)
		mux.HandleFunc("/partners/sandbox/v1/ping", func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "Bearer access-1" {
				if arrived.Add(1) == n {
					close(allArrived)
				}
				<-allArrived // every request is rejected with the same token
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			served.Add(1)
			w.WriteHeader(http.StatusOK)
		})
		c := newTestClient(t, mux)
		hc := c.HTTPClient()
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				resp, err := hc.Get(testBase + "/v1/ping")
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("got %d, want 200 after the retry", resp.StatusCode)
				}
			})
		}
		wg.Wait()
		if got := f.tokenCalls.Load(); got != 2 {
			t.Errorf("got %d token requests, want 2 (the first token and exactly 1 new fetch)", got)
		}
		if served.Load() != n {
			t.Errorf("got %d requests served, want %d", served.Load(), n)
		}

		ts := c.TokenSource()
		cur, _ := ts.Token(context.Background())
		old := &Token{access: redact.New("access-1")}
		ts.Invalidate(old)
		ts.Invalidate(nil)
		if tok, _ := ts.Token(context.Background()); tok != cur || f.tokenCalls.Load() != 2 {
			t.Errorf("invalidating a token that is not cached changed the cache")
		}
		// cur replaced a rejected token: invalidated again within the backoff step, it stays.
		ts.Invalidate(cur)
		if tok, _ := ts.Token(context.Background()); tok != cur || f.tokenCalls.Load() != 2 {
			t.Errorf("got %v after invalidating a replacement within its step, want it kept", tok)
		}
		time.Sleep(sourceBackoffBase)
		ts.Invalidate(cur)
		ts.Invalidate(cur)
		if tok, _ := ts.Token(context.Background()); tok == cur || f.tokenCalls.Load() != 3 {
			t.Errorf("got %v after invalidating the cached token, want a new one (1 fetch)", tok)
		}
	})
}
