package api

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Backoff of a TokenSource's renewals after a failure: the n-th step waits a uniform draw from
// [d/2, d) with d = min(sourceBackoffMax, sourceBackoffBase*2^(n-1)), or the Retry-After SCB
// asked for when that is longer (up to sourceRetryAfterMax). The same steps pace renewals
// after 401s (Invalidate).
const (
	sourceBackoffBase   = time.Second
	sourceBackoffMax    = 30 * time.Second
	sourceRetryAfterMax = 5 * time.Minute
	// minRenewalGap is the least time between the starts of two renewals, whatever SCB
	// answers: the shortest backoff step.
	minRenewalGap = sourceBackoffBase / 2
	// maxRenewAhead is the most a renewal starts before a token expires.
	maxRenewAhead = 5 * time.Minute
)

// TokenSource hands out a valid token, renewing it ahead of expiry. It is safe for concurrent
// use, and built for many goroutines:
//
//   - A cache hit takes no lock and allocates nothing: an atomic load and a clock reading.
//   - Once a token is within min(5 minutes, a third of its life) of expiry (a little earlier,
//     at random, so that many processes spread out), one background renewal starts and callers
//     keep getting the current token without waiting. A token within 30 seconds of expiry (half
//     its life, for one shorter than a minute) is never handed out. A refresh token is renewed
//     by the same rule against its own expiry.
//   - Renewals are single-flight: any number of callers waiting for a token share one request
//     to SCB, without a lock or an allocation each. The renewal runs with its own deadline
//     (Config.RefreshDeadline), so a caller whose context ends stops waiting without
//     cancelling it for the others.
//   - No answer of SCB can make renewals follow each other without pause: two renewals start
//     at least half a second apart; a lifetime is bounded before any arithmetic; a token stale
//     on arrival is a failure.
//   - After a failed renewal, the next is not attempted before a backoff step with jitter (1s,
//     doubling up to 30s, or SCB's Retry-After when longer): while the token is still valid
//     callers see no error; without a valid token they get the last failure (an *Error whose
//     RetryAfter tells when the next attempt is due) at once. Each step makes one request; only
//     the first renewal that callers wait for after a success also gets the Client's quick
//     retries (Config.Retry).
//   - A user's token source (Client.UserTokenSource) redeems the refresh token once at a time and
//     swaps access and refresh token together; a refused refresh token makes every later call
//     fail with ErrReauthorizationRequired, without calling SCB again (with a store, in every
//     process, until a new pair reaches it).
//   - With Config.Store, a miss or a renewal first looks in the store, and one process of the
//     fleet asks SCB while the others wait for its token (see Store). The rules above hold per
//     process all the same; when the store fails, the process fetches for itself.
//
// Stats counts what it did, for metrics.
type TokenSource struct {
	c     *Client
	fetch func(ctx context.Context, cur *Token) (*Token, error)
	sh    *sharing // how the token is shared through c.store; nil without
	stats sourceCounters
	hits  *stripedCounter // cache hits, with Config.CountHits; nil without

	cur  atomic.Pointer[entry]   // the cached token; nil before the first one
	fl   atomic.Pointer[flight]  // the renewal in progress; nil when none
	fail atomic.Pointer[failure] // the last renewal's failure; nil after a success

	epoch     time.Time    // origin of nextStart and nextReject, with a monotonic reading
	nextStart atomic.Int64 // no renewal starts before epoch + nextStart (nanoseconds)

	mu         sync.Mutex // guards the 401 pacing below; only Invalidate takes it
	rejections int        // consecutive rejected tokens that were fetched after a rejection
	nextReject int64      // Invalidate does nothing before epoch + nextReject
}

// entry is a cached token with the times that govern it.
type entry struct {
	tok       *Token
	refreshAt time.Time // from here, renew in the background
	staleAt   time.Time // from here, never hand the token out

	invalidated    bool // rejected with a 401: always stale
	afterRejection bool // fetched to replace an invalidated token

	// With a store: the Version of the record tok came from or was written as, or, when tok
	// is not in the store (stored false: fetched while the store failed), the last Version
	// this source read. dueAt is then when tok is due for renewal, and refreshAt is earlier:
	// when to try writing tok to the store again.
	version uint64
	stored  bool
	dueAt   time.Time
}

// flight is one renewal: callers wait for done, then read tok and err.
type flight struct {
	done chan struct{}
	tok  *Token
	err  error
}

// failure is the state after a failed renewal.
type failure struct {
	err   *Error
	count int  // consecutive failures
	fatal bool // renewal can never succeed (the refresh token was refused)
}

func newTokenSource(c *Client, fetch func(context.Context, *Token) (*Token, error)) *TokenSource {
	ts := &TokenSource{c: c, fetch: fetch, epoch: time.Now()}
	if c.countHits {
		ts.hits = new(stripedCounter)
	}
	return ts
}

// newEntry schedules t, which arrived at now.
func newEntry(t *Token, now time.Time) *entry {
	e := &entry{tok: t, staleAt: t.staleAt()}
	e.refreshAt = minTime(renewAt(now, t.Expiry), e.staleAt)
	if !t.RefreshExpiry.IsZero() && t.RefreshExpiry.After(now) { // renew while it still works
		e.refreshAt = minTime(e.refreshAt, renewAt(now, t.RefreshExpiry))
	}
	return e
}

// renewAt returns when to start renewing something that expires at expiry, seen at now:
// min(5 minutes, a third of the time left) before expiry, up to a fifth of that earlier at
// random, and no later than its safety margin. The time left is measured from now, not from
// the lifetime SCB gave, so the result is always at least half-way from now to expiry: no
// lifetime, however short, makes a renewal due the moment the last one ends.
func renewAt(now, expiry time.Time) time.Time {
	left := expiry.Sub(now)
	ahead := min(maxRenewAhead, left/3)
	if ahead >= 5 {
		ahead += rand.N(ahead / 5)
	}
	return expiry.Add(-max(ahead, safetyMargin(left)))
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// Token returns a valid token: the cached one, or a new one when there is none or it is within
// its safety margin of expiry. It returns an *Error when no valid token can be had; ctx bounds
// only this caller's wait.
func (ts *TokenSource) Token(ctx context.Context) (*Token, error) {
	if e := ts.cur.Load(); e != nil {
		now := time.Now()
		if now.Before(e.refreshAt) {
			ts.hits.add()
			return e.tok, nil
		}
		if now.Before(e.staleAt) {
			ts.hits.add()
			ts.renewAhead()
			return e.tok, nil
		}
	}
	return ts.wait(ctx)
}

// Stats returns what ts has done since it was made: cheap, and safe to call from any
// goroutine, for counters exported to Prometheus or OpenTelemetry.
func (ts *TokenSource) Stats() SourceStats {
	s := ts.stats.stats()
	s.InProcessHits = ts.hits.load()
	return s
}

// wait gets a token when the cache has none to give: it joins the renewal in progress, or
// starts one.
func (ts *TokenSource) wait(ctx context.Context) (*Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, &Error{Op: opSource, Err: err}
	}
	if err := ts.refusal(); err != nil {
		return nil, err
	}
	f := ts.join()
	select {
	case <-f.done:
		if f.err != nil {
			return nil, f.err
		}
		return f.tok, nil
	case <-ctx.Done():
		return nil, &Error{Op: opSource, Err: ctx.Err()}
	}
}

// refusal returns the error to give instead of renewing: the refusal that ended renewals for
// good, or the last failure while its backoff step runs (RetryAfter set to the time left). A
// refusal with a store is not for good: after each backoff step, the store is read for a new
// pair.
func (ts *TokenSource) refusal() *Error {
	f := ts.fail.Load()
	if f == nil {
		return nil
	}
	if f.fatal && ts.sh == nil {
		return f.err
	}
	if d := time.Duration(ts.nextStart.Load() - ts.sinceEpoch()); d > 0 {
		e := *f.err
		e.RetryAfter = d.Round(time.Millisecond)
		return &e
	}
	return nil
}

// join returns the renewal in progress, starting one when there is none.
func (ts *TokenSource) join() *flight {
	var mine *flight
	for {
		if f := ts.fl.Load(); f != nil {
			return f
		}
		if mine == nil {
			mine = &flight{done: make(chan struct{})}
		}
		if ts.fl.CompareAndSwap(nil, mine) {
			go ts.run(mine)
			return mine
		}
	}
}

// run performs the renewal f in its own goroutine and releases its waiters.
func (ts *TokenSource) run(f *flight) {
	tok, err := ts.renew()
	if err != nil {
		f.err = err
	}
	f.tok = tok
	ts.fl.Store(nil)
	close(f.done)
}

// renew is the one renewal all waiting callers share. It checks again, inside the flight,
// that a renewal is due and allowed, so that two callers never start two in one step.
func (ts *TokenSource) renew() (*Token, *Error) {
	e := ts.cur.Load()
	if e != nil && time.Now().Before(e.refreshAt) {
		return e.tok, nil // renewed by the flight that just ended
	}
	if err := ts.refusal(); err != nil {
		return nil, err
	}
	if d := time.Duration(ts.nextStart.Load() - ts.sinceEpoch()); d > 0 {
		time.Sleep(d) // the least gap after the last start; callers wait with their own deadlines
	}
	ts.nextStart.Store(ts.sinceEpoch() + int64(minRenewalGap))
	ctx, cancel := context.WithTimeout(context.Background(), ts.c.refreshDeadline)
	defer cancel()
	if ts.fail.Load() != nil || (e != nil && time.Now().Before(e.staleAt)) {
		// During an outage, or ahead of expiry while the token is still good, the backoff
		// steps are the retries: one request per step. The Client's quick retries are for
		// the first renewal that callers wait for.
		ctx = context.WithValue(ctx, singleAttemptKey{}, true)
	}
	next, err := ts.obtain(ctx, e)
	if err != nil {
		return nil, ts.failed(err)
	}
	ts.fail.Store(nil)
	next.afterRejection = e != nil && e.invalidated
	ts.cur.Store(next)
	return next.tok, nil
}

// obtain gets the next entry: from SCB, or with a store, by the store's protocol (shared).
func (ts *TokenSource) obtain(ctx context.Context, e *entry) (*entry, error) {
	if ts.sh != nil {
		return ts.shared(ctx, e)
	}
	tok, err := ts.fetch(ctx, e.token())
	if err != nil {
		return nil, err
	}
	return newEntry(tok, time.Now()), nil
}

// token returns e's token; nil for a nil e.
func (e *entry) token() *Token {
	if e == nil {
		return nil
	}
	return e.tok
}

// failed records a failed renewal and sets the backoff step before the next.
func (ts *TokenSource) failed(err error) *Error {
	var fe *Error
	if !errors.As(err, &fe) {
		fe = &Error{Op: opSource, Err: err}
	}
	f := &failure{err: fe, count: 1, fatal: errors.Is(fe, ErrReauthorizationRequired)}
	if last := ts.fail.Load(); last != nil {
		f.count = last.count + 1
	}
	wait := sourceBackoff(f.count, fe.RetryAfter)
	if f.fatal && ts.sh == nil {
		ts.nextStart.Store(math.MaxInt64)
	} else {
		ts.nextStart.Store(ts.sinceEpoch() + int64(wait))
	}
	ts.fail.Store(f)
	ts.c.log.LogAttrs(context.Background(), slog.LevelWarn, "api: token renewal failed", slog.Int("failures", f.count),
		slog.Duration("nextAttemptIn", wait), slog.String("error", fe.Error()))
	return fe
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

// singleAttemptKey marks the context of a renewal during an outage or ahead of expiry:
// Client.send makes one attempt only.
type singleAttemptKey struct{}

// renewAhead starts one background renewal unless one is running or the next may not start
// yet. It takes no lock; the renewal runs in its own goroutine, which ends with it.
func (ts *TokenSource) renewAhead() {
	if ts.fl.Load() != nil || ts.sinceEpoch() < ts.nextStart.Load() {
		return
	}
	ts.join()
}

func (ts *TokenSource) sinceEpoch() int64 { return int64(time.Since(ts.epoch)) }

// replacement invalidates tok, which an API answered 401, and returns a newer token for one
// retry: nil when there is none (renewals after rejections are paced, so the rejection
// stands), with the error when no token could be had at all.
func (ts *TokenSource) replacement(ctx context.Context, tok *Token) (*Token, error) {
	ts.Invalidate(tok)
	fresh, err := ts.Token(ctx)
	if err != nil || fresh == tok {
		return nil, err
	}
	return fresh, nil
}

// Invalidate drops tok from the cache if it is still the cached token, so that the next Token
// call renews it; call it when SCB rejected tok (HTTP 401). It does nothing when tok is not the
// cached token: after 100 concurrent rejections of one token, the first invalidates it and the
// next Token calls share one renewal; the others find a new token already cached.
//
// Renewals after rejections are paced like failed ones: when the token fetched to replace a
// rejected one is rejected too (an API that answers 401 to every token, say), Invalidate does
// nothing until a backoff step has passed (1s, doubling up to 30s), so that 401s cost at most
// one token request per step, not one per call.
func (ts *TokenSource) Invalidate(tok *Token) {
	e := ts.cur.Load()
	if tok == nil || e == nil || e.tok != tok || e.invalidated {
		return
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	now := ts.sinceEpoch()
	if now < ts.nextReject {
		return
	}
	if e.afterRejection {
		ts.rejections++
	} else {
		ts.rejections = 1
	}
	ts.nextReject = now + int64(sourceBackoff(ts.rejections, 0))
	// The invalidated entry keeps the token (and so its refresh token) but is always stale;
	// with a store, the next renewal deletes the application's record if it still holds tok.
	ts.cur.CompareAndSwap(e, &entry{tok: tok, invalidated: true, version: e.version, stored: e.stored})
}

// broken makes every Token call fail with err, without a request: the source was made with a
// wrong option.
func (ts *TokenSource) broken(err error) {
	err = errors.New(strings.TrimPrefix(err.Error(), "api: "))
	ts.fail.Store(&failure{err: &Error{Op: opSource, Err: err}, count: 1, fatal: true})
	ts.nextStart.Store(math.MaxInt64)
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
