package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// Backoff of a TokenSource's renewals after a failure: the n-th step waits a uniform draw from
// [d/2, d) with d = min(sourceBackoffMax, sourceBackoffBase*2^(n-1)), or the Retry-After SCB
// asked for when that is longer (up to sourceRetryAfterMax).
const (
	sourceBackoffBase   = time.Second
	sourceBackoffMax    = 30 * time.Second
	sourceRetryAfterMax = 5 * time.Minute
)

// TokenSource hands out a valid token, renewing it ahead of expiry. It is safe for concurrent
// use, and built for many goroutines:
//
//   - A cache hit takes no lock and allocates nothing: an atomic load and a clock reading.
//   - Once a token is within min(5 minutes, lifetime/3) of expiry (a little earlier, at random,
//     so that many processes spread out), one background renewal starts and callers keep getting
//     the current token without waiting. A token within 30 seconds of expiry is never handed out.
//   - Renewals are single-flight: any number of callers waiting for a token cause one request to
//     SCB. The renewal runs with its own deadline (WithRefreshDeadline), so a caller whose context
//     ends stops waiting without cancelling it for the others.
//   - After a failed renewal, the next is not attempted before a backoff step with jitter (1s,
//     doubling up to 30s, or SCB's Retry-After when longer): while the token is still valid
//     callers see no error; without a valid token they get the last failure (an *Error whose
//     RetryAfter tells when the next attempt is due) at once, not one request to SCB per caller.
//     Each step makes one request; only the first renewal that callers wait for after a
//     success also gets the Client's quick retries (RetryPolicy).
//   - A user's token source (Client.UserTokenSource) redeems the refresh token once at a time and
//     swaps access and refresh token together; a refused refresh token makes every later call
//     fail with ErrReauthorizationRequired, without calling SCB again.
type TokenSource struct {
	c     *Client
	fetch func(ctx context.Context, cur *Token) (*Token, error)

	cur atomic.Pointer[entry] // the cached token; nil before the first one
	bg  atomic.Bool           // a background renewal is running
	sf  singleflight.Group

	epoch       time.Time    // origin of nextAttempt, with a monotonic reading
	nextAttempt atomic.Int64 // no renewal before epoch + nextAttempt (nanoseconds)

	mu       sync.Mutex // guards the fields below; never taken on a cache hit
	failures int        // consecutive failed renewals
	lastErr  *Error     // the last failure
	fatal    *Error     // set once renewal can never succeed (refresh token refused)
}

// entry is a cached token with the times that govern it.
type entry struct {
	tok       *Token
	refreshAt time.Time // from here, renew in the background
	staleAt   time.Time // from here, never hand the token out
}

func newTokenSource(c *Client, fetch func(context.Context, *Token) (*Token, error)) *TokenSource {
	return &TokenSource{c: c, fetch: fetch, epoch: time.Now()}
}

func newEntry(t *Token) *entry {
	ahead := refreshAhead(t.lifetime)
	if ahead >= 5 {
		ahead += rand.N(ahead / 5) // up to 20% earlier, so that processes spread out
	}
	e := &entry{tok: t, refreshAt: t.Expiry.Add(-ahead), staleAt: t.Expiry.Add(-safetyMargin(t.lifetime))}
	if !t.RefreshExpiry.IsZero() { // renew while the refresh token still works
		if ra := t.RefreshExpiry.Add(-ahead); ra.Before(e.refreshAt) {
			e.refreshAt = ra
		}
	}
	if e.refreshAt.After(e.staleAt) {
		e.refreshAt = e.staleAt
	}
	return e
}

// Token returns a valid token: the cached one, or a new one when there is none or it is within
// its safety margin of expiry. It returns an *Error when no valid token can be had; ctx bounds
// only this caller's wait.
func (ts *TokenSource) Token(ctx context.Context) (*Token, error) {
	if e := ts.cur.Load(); e != nil {
		now := time.Now()
		if now.Before(e.refreshAt) {
			return e.tok, nil
		}
		if now.Before(e.staleAt) {
			ts.renewAhead()
			return e.tok, nil
		}
	}
	return ts.wait(ctx)
}

// wait gets a token when the cache has none to give.
func (ts *TokenSource) wait(ctx context.Context) (*Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, &Error{Op: opSource, Err: err}
	}
	if err := ts.backingOff(); err != nil {
		return nil, err
	}
	ch := ts.sf.DoChan("token", ts.flight)
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*Token), nil
	case <-ctx.Done():
		return nil, &Error{Op: opSource, Err: ctx.Err()}
	}
}

// backingOff returns the error to give instead of renewing: the refusal that ended renewals
// for good, or the last failure while its backoff step runs (RetryAfter set to the time left).
func (ts *TokenSource) backingOff() error {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.fatal != nil {
		return ts.fatal
	}
	if d := time.Duration(ts.nextAttempt.Load() - ts.sinceEpoch()); d > 0 && ts.lastErr != nil {
		e := *ts.lastErr
		e.RetryAfter = d.Round(time.Millisecond)
		return &e
	}
	return nil
}

// flight is the one renewal that all waiting callers share (through singleflight). It runs in
// its own goroutine with its own deadline.
func (ts *TokenSource) flight() (any, error) {
	e := ts.cur.Load()
	if e != nil && time.Now().Before(e.refreshAt) {
		return e.tok, nil // renewed by the flight that just ended
	}
	if err := ts.backingOff(); err != nil {
		return nil, err // a flight that just failed set the next step: never two per step
	}
	ts.mu.Lock()
	failing := ts.failures > 0
	ts.mu.Unlock()
	var cur *Token
	if e != nil {
		cur = e.tok
	}
	ctx, cancel := context.WithTimeout(context.Background(), ts.c.refreshDeadline)
	if failing || (e != nil && time.Now().Before(e.staleAt)) {
		// During an outage, or ahead of expiry while the token is still good, the backoff
		// steps are the retries: one request per step. The Client's quick retries are for
		// the first renewal that callers wait for.
		ctx = context.WithValue(ctx, singleAttemptKey{}, true)
	}
	tok, err := ts.fetch(ctx, cur)
	cancel()

	ts.mu.Lock()
	defer ts.mu.Unlock()
	if err != nil {
		var fe *Error
		if !errors.As(err, &fe) {
			fe = &Error{Op: opSource, Err: err}
		}
		ts.failures++
		ts.lastErr = fe
		wait := sourceBackoff(ts.failures, fe.RetryAfter)
		ts.nextAttempt.Store(ts.sinceEpoch() + int64(wait))
		if errors.Is(fe, ErrReauthorizationRequired) {
			ts.fatal = fe
			ts.nextAttempt.Store(math.MaxInt64)
		}
		ts.c.log.LogAttrs(ctx, slog.LevelWarn, "api: token renewal failed", slog.Int("failures", ts.failures),
			slog.Duration("nextAttemptIn", wait), slog.String("error", fe.Error()))
		return nil, fe
	}
	ts.failures, ts.lastErr = 0, nil
	ts.nextAttempt.Store(0)
	ts.cur.Store(newEntry(tok))
	return tok, nil
}

// sourceBackoff returns the wait after the n-th consecutive failure: a uniform draw from
// [d/2, d), d doubling from sourceBackoffBase up to sourceBackoffMax, or retryAfter when longer.
func sourceBackoff(n int, retryAfter time.Duration) time.Duration {
	d := sourceBackoffMax
	if n-1 < 10 {
		d = min(sourceBackoffMax, sourceBackoffBase<<(n-1))
	}
	wait := d/2 + rand.N(d/2)
	return max(wait, min(retryAfter, sourceRetryAfterMax))
}

// singleAttemptKey marks the context of a renewal ahead of expiry: Client.send makes one
// attempt only.
type singleAttemptKey struct{}

// renewAhead starts one background renewal unless one is running or the backoff after
// a failure has not passed. It takes no lock; the renewal runs in its own goroutine, which ends
// with it.
func (ts *TokenSource) renewAhead() {
	if ts.bg.Load() || ts.sinceEpoch() < ts.nextAttempt.Load() || !ts.bg.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer ts.bg.Store(false)
		_, _, _ = ts.sf.Do("token", ts.flight)
	}()
}

func (ts *TokenSource) sinceEpoch() int64 { return int64(time.Since(ts.epoch)) }

// Invalidate drops tok from the cache if it is still the cached token, so that the next Token
// call renews it; call it when SCB rejected tok (HTTP 401). It does nothing when tok is not the
// cached token: after 100 concurrent rejections of one token, the first invalidates it and the
// next Token calls share one renewal; the others find a new token already cached.
func (ts *TokenSource) Invalidate(tok *Token) {
	if tok == nil {
		return
	}
	for {
		e := ts.cur.Load()
		if e == nil || e.tok != tok || (e.refreshAt.IsZero() && e.staleAt.IsZero()) {
			return
		}
		// The invalidated entry keeps the token (and so its refresh token) but is always stale.
		if ts.cur.CompareAndSwap(e, &entry{tok: tok}) {
			return
		}
	}
}

// String describes ts without secrets.
func (ts *TokenSource) String() string {
	if ts == nil {
		return "api.TokenSource(nil)"
	}
	s := "api.TokenSource{Client: " + ts.c.String()
	if e := ts.cur.Load(); e != nil {
		s += ", Expiry: " + formatTime(e.tok.Expiry)
	}
	return s + "}"
}

// GoString returns the same description for %#v.
func (ts *TokenSource) GoString() string { return ts.String() }

// Format prints the description for every verb.
func (ts *TokenSource) Format(f fmt.State, verb rune) { formatRedacted(f, verb, ts.String()) }

// LogValue logs ts's client and the expiry of its cached token.
func (ts *TokenSource) LogValue() slog.Value { return slog.StringValue(ts.String()) }
