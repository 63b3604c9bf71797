package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scboauth/scboauth/internal/redact"
)

// How a process waits while another holds the store's lock: it reads the record and tries the
// lock again after a poll interval, from storePollMin doubling up to storePollMax, with jitter.
const (
	storePollMin = 10 * time.Millisecond
	storePollMax = 200 * time.Millisecond
	// storeClockSlack is how much later than its lifetime from now a stored token may expire:
	// the clocks of a fleet's machines differ a little, a planted record may lie a lot.
	storeClockSlack = time.Minute
	// A tombstone stays as long as the refused refresh token would have lived (after that every
	// process knows it expired, and asks SCB nothing), but at least storeTombstoneMin (SCB may
	// not say when it expires; a process that held the pair and asks nothing for longer is
	// refused once more, and writes the tombstone again) and at most storeTombstoneMax (a
	// user who never comes back leaves nothing behind for long).
	storeTombstoneMin = time.Hour
	storeTombstoneMax = 24 * time.Hour
)

// sharing is how a TokenSource shares its token through its Client's Store (see Store for the
// protocol it follows).
type sharing struct {
	key StoreKey
	// syncFailures counts the attempts in a row to write a token fetched without the store
	// that found it failing: the backoff step before the next.
	syncFailures atomic.Int32
	// refused is the Version of the record whose refresh token SCB refused, or of the
	// tombstone this source wrote over it: not newer than what the source holds, whatever it
	// holds.
	refused atomic.Uint64
}

// storeRead is what a Get found: the record's Version (0: none) and its token, nil when there
// is none or it cannot be read.
type storeRead struct {
	version uint64
	st      *storedToken
}

// newer reports whether r holds a token that e does not: a record this source has neither
// read nor written (any record, when it has none).
func (r storeRead) newer(e *entry) bool {
	return r.st != nil && r.version != 0 && (e == nil || r.version != e.version)
}

// supersedes reports whether a user's pair is to be renewed from r's refresh token rather
// than e's: r is newer and not a tombstone (one that applies to e ends the renewal before).
func (r storeRead) supersedes(e *entry) bool { return r.newer(e) && r.st.Refused == nil }

// storeFailure is a store call that failed (not an answer such as ErrStoreLocked).
type storeFailure struct {
	op  string
	err error
}

func (f *storeFailure) Error() string { return "api: token store: " + f.op + ": " + f.err.Error() }
func (f *storeFailure) Unwrap() error { return f.err }

// errUnstorable: a token the stored-token codec refuses (out of its bounds); it is served
// without the store.
var errUnstorable = errors.New("api: token not storable")

// shared renews e (nil: no token yet) by the store's protocol and returns the next entry:
// adopted from the store, fetched from SCB by this process for the fleet, or fetched directly
// when the store fails. A token this process fetched while the store failed is written to it
// (a sync) before it is due.
func (ts *TokenSource) shared(ctx context.Context, e *entry) (*entry, error) {
	r, err := ts.get(ctx)
	if err != nil {
		return ts.direct(ctx, e, "get", err)
	}
	if next := ts.adopt(r, e); next != nil {
		return next, nil
	}
	if f := ts.fail.Load(); f != nil && f.fatal && (!r.newer(e) || r.version == ts.sh.refused.Load()) {
		return nil, f.err // refused, and no new pair in the store: SCB is not asked again
	}
	if err := ts.tombstoned(r, e); err != nil {
		return nil, err
	}
	user := ts.sh.key.User()
	if e != nil && !e.stored && !e.invalidated && time.Now().Before(e.dueAt) && !(user && r.supersedes(e)) {
		return ts.sync(ctx, e, r), nil
	}
	if e != nil && e.invalidated && !user && e.version != 0 && r.version == e.version {
		ts.deleteRejected(ctx, e.version)
	}
	l, next, err := ts.acquire(ctx, e)
	var sf *storeFailure
	switch {
	case errors.As(err, &sf):
		return ts.direct(ctx, e, sf.op, sf.err)
	case err != nil:
		return nil, err
	case next != nil:
		return next, nil
	}
	return ts.holding(ctx, e, l)
}

// acquire takes the store's lock or, while another process holds it, waits for the token that
// process writes: after each poll interval it reads the record and tries the lock again,
// until it adopts a token, takes the lock (the holder ended without writing, or died and lost
// its lease), or ctx ends. A failed store call is a *storeFailure.
func (ts *TokenSource) acquire(ctx context.Context, e *entry) (StoreLock, *entry, error) {
	waited := false
	for wait := storePollMin; ; wait = min(2*wait, storePollMax) {
		sctx, cancel := ts.storeCall(ctx)
		l, err := ts.c.store.TryLock(sctx, ts.sh.key, ts.c.storeLease)
		cancel()
		if err == nil && l == nil {
			err = errors.New("TryLock returned neither a lock nor an error")
		}
		if err == nil {
			ts.storeAnswered()
			return l, nil, nil
		}
		if !errors.Is(err, ErrStoreLocked) {
			return nil, nil, &storeFailure{"lock", err}
		}
		ts.storeAnswered()
		if !waited {
			waited = true
			ts.stats.lockWaits.Add(1)
			ts.c.log.LogAttrs(ctx, slog.LevelDebug, "api: waiting for the renewal of another process", slog.String("key", string(ts.sh.key)))
		}
		t := time.NewTimer(wait/2 + rand.N(wait/2))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil, fmt.Errorf("waiting for the token store's lock: %w", ctx.Err())
		case <-t.C:
		}
		r, err := ts.get(ctx)
		if err != nil {
			return nil, nil, &storeFailure{"get", err}
		}
		if next := ts.adopt(r, e); next != nil {
			return nil, next, nil
		}
		if err := ts.tombstoned(r, e); err != nil {
			return nil, nil, err // the holder was refused
		}
	}
}

// holding renews e for the fleet while this process holds the store's lock l, kept alive with
// Extend: it reads the record again (the last holder may have written it meanwhile), asks SCB
// only if it holds nothing usable, writes the result with compare-and-swap, and unlocks. A
// user's pair is renewed from the newest refresh token: the record's, unless the record is the
// one this process last read or wrote, or a tombstone (of an older pair than e's).
func (ts *TokenSource) holding(ctx context.Context, e *entry, l StoreLock) (*entry, error) {
	defer ts.release(l, ts.keepAlive(l))
	r, err := ts.get(ctx)
	if err != nil {
		return ts.direct(ctx, e, "get", err)
	}
	if next := ts.adopt(r, e); next != nil {
		return next, nil
	}
	if err := ts.tombstoned(r, e); err != nil {
		return nil, err
	}
	user := ts.sh.key.User()
	cur := e.token()
	if user && r.supersedes(e) {
		cur = r.st.token(time.Now()) // a newer pair whose access token is stale
	}
	tok, err := ts.fetch(ctx, cur)
	if err != nil && user && errors.Is(err, ErrReauthorizationRequired) {
		return ts.refused(ctx, e, r, cur, err)
	}
	if err != nil {
		return nil, err
	}
	v, adopted, err := ts.put(ctx, tok, r.version, e)
	return ts.written(tok, v, adopted, err), nil
}

// refused ends a renewal in which SCB refused cur's refresh token (err), redeemed over the
// record r: unless another process wrote a pair meanwhile (adopted instead), it writes the
// tombstone of cur over r, so that no other process redeems it again, and returns err.
func (ts *TokenSource) refused(ctx context.Context, e *entry, r storeRead, cur *Token, err error) (*entry, error) {
	// Another process may have redeemed it and written the pair after the read above.
	if r2, gerr := ts.get(ctx); gerr == nil {
		if next := ts.adopt(r2, e); next != nil {
			return next, nil
		}
	}
	ts.sh.refused.Store(r.version)
	if v, ok := ts.bury(ctx, r.version, cur, err); ok {
		ts.sh.refused.Store(v)
	}
	return nil, err
}

// bury writes the tombstone of cur, whose refresh token SCB refused with err, over the record
// of Version prev (compare-and-swap), and returns its Version. It writes nothing when SCB was
// not asked (no refresh token, or one past its expiry: every process finds that alone), when
// the store fails or the record changed meanwhile (the next read decides), or when the
// tombstone is out of the codec's bounds.
func (ts *TokenSource) bury(ctx context.Context, prev uint64, cur *Token, err error) (uint64, bool) {
	var fe *Error
	if cur == nil || !errors.As(err, &fe) || fe.HTTPStatus == 0 {
		return 0, false
	}
	rec, err := tombstoneOf(cur, fe, time.Now())
	if err != nil {
		ts.c.log.LogAttrs(ctx, slog.LevelWarn, "api: refusal not written to the store", slog.String("error", err.Error()))
		return 0, false
	}
	sctx, cancel := ts.storeCall(ctx)
	defer cancel()
	v, err := ts.c.store.Put(sctx, ts.sh.key, rec, prev)
	switch {
	case err == nil:
		ts.storeAnswered()
		ts.c.log.LogAttrs(ctx, slog.LevelDebug, "api: refusal written to the store", slog.String("key", string(ts.sh.key)))
		return v, true
	case errors.Is(err, ErrStoreConflict):
		ts.storeAnswered()
	default:
		ts.storeFailed(ctx, "put", err)
	}
	return 0, false
}

// tombstoned returns the refusal the record r keeps, a tombstone of a user's pair, if it
// applies to e: to every pair that expires no later than the refused one (the refused pair
// itself, and older ones, spent). A pair that expires later is a newer one (a new consent,
// or a pair this process fetched while the store failed) that replaces the tombstone.
func (ts *TokenSource) tombstoned(r storeRead, e *entry) error {
	if r.st == nil || r.st.Refused == nil || !ts.sh.key.User() {
		return nil
	}
	if e != nil && e.tok.refresh.IsSet() && e.tok.Expiry.UnixMilli() > r.st.Expiry.UnixMilli() {
		return nil
	}
	f := r.st.Refused
	return &Error{
		Op: opRefresh, HTTPStatus: f.HTTPStatus, Code: f.Code, Description: ts.c.shown(f.Description), RequestUID: f.RequestUID,
		Err: errRefusedInFleet, kind: ErrReauthorizationRequired,
	}
}

// errRefusedInFleet is the cause of the error a tombstone gives: SCB's answer (status, code,
// description, requestUId) was to another process.
var errRefusedInFleet = errors.New("refresh token refused to another process of the fleet")

// direct is the fallback when the store failed at op: a renewal fetches from SCB for this
// process alone (single-flight within it, as without a store), and a sync keeps its token and
// tries again a backoff step later. A refused refresh token is not redeemed again.
func (ts *TokenSource) direct(ctx context.Context, e *entry, op string, err error) (*entry, error) {
	ts.storeFailed(ctx, op, err)
	now := time.Now()
	if e != nil && !e.stored && !e.invalidated && now.Before(e.dueAt) {
		next := *e
		next.refreshAt = minTime(e.dueAt, now.Add(ts.syncBackoff()))
		return &next, nil
	}
	if f := ts.fail.Load(); f != nil && f.fatal {
		return nil, f.err
	}
	ts.stats.fallbacks.Add(1)
	tok, err := ts.fetch(ctx, e.token())
	if err != nil {
		return nil, err
	}
	var base uint64
	if e != nil {
		base = e.version
	}
	return ts.unstored(newEntry(tok, time.Now()), base, true), nil
}

// sync writes e's token, fetched by this process while the store failed and not due yet, to
// the store, over the record r (compare-and-swap), so that the fleet shares one token again.
// A token another process wrote meanwhile is adopted instead. On failure e's token stays in
// use, and the next attempt comes a backoff step later.
func (ts *TokenSource) sync(ctx context.Context, e *entry, r storeRead) *entry {
	v, adopted, err := ts.put(ctx, e.tok, r.version, e)
	if adopted != nil {
		return adopted
	}
	next := *e
	if err != nil {
		next.refreshAt = minTime(e.dueAt, time.Now().Add(ts.syncBackoff()))
		return &next
	}
	next.version, next.stored, next.refreshAt = v, true, e.dueAt
	return &next
}

// put writes tok over the record of Version prev (compare-and-swap) and returns the new
// Version. When another process wrote first, its token is adopted if it can be handed out
// (adopted), and written over once otherwise. On failure it returns prev and the error (the
// store's, or errUnstorable).
func (ts *TokenSource) put(ctx context.Context, tok *Token, prev uint64, e *entry) (v uint64, adopted *entry, err error) {
	rec, err := storeRecordOf(tok)
	if err != nil {
		ts.c.log.LogAttrs(ctx, slog.LevelWarn, "api: token not written to the store", slog.String("error", err.Error()))
		return prev, nil, fmt.Errorf("%w: %v", errUnstorable, err)
	}
	for try := 1; ; try++ {
		sctx, cancel := ts.storeCall(ctx)
		v, err := ts.c.store.Put(sctx, ts.sh.key, rec, prev)
		cancel()
		switch {
		case err == nil:
			ts.storeAnswered()
			ts.c.log.LogAttrs(ctx, slog.LevelDebug, "api: token written to the store", slog.String("key", string(ts.sh.key)),
				slog.Time("expiry", tok.Expiry))
			return v, nil, nil
		case !errors.Is(err, ErrStoreConflict):
			ts.storeFailed(ctx, "put", err)
			return prev, nil, err
		case try == 2:
			return prev, nil, err
		}
		ts.storeAnswered()
		r, gerr := ts.get(ctx)
		if gerr != nil {
			ts.storeFailed(ctx, "get", gerr)
			return prev, nil, gerr
		}
		if next := ts.adopt(r, e); next != nil {
			return 0, next, nil
		}
		prev = r.version
	}
}

// written returns the entry after put wrote tok: the token put adopted instead, tok as the
// record of Version v, or tok out of the store (v the Version it supersedes), to be written
// later unless the store cannot keep it.
func (ts *TokenSource) written(tok *Token, v uint64, adopted *entry, err error) *entry {
	if adopted != nil {
		return adopted
	}
	next := newEntry(tok, time.Now())
	if err != nil {
		return ts.unstored(next, v, !errors.Is(err, errUnstorable))
	}
	next.version, next.stored = v, true
	return next
}

// unstored marks next, fetched by this process, as out of the store: base is the Version it
// supersedes. With sync, writing it is tried again a backoff step later, before it is due.
func (ts *TokenSource) unstored(next *entry, base uint64, sync bool) *entry {
	next.version, next.stored, next.dueAt = base, false, next.refreshAt
	if sync {
		next.refreshAt = minTime(next.refreshAt, time.Now().Add(ts.syncBackoff()))
	}
	return next
}

// syncBackoff returns the wait before the next attempt to write a token fetched without the
// store: a backoff step, longer after each failure.
func (ts *TokenSource) syncBackoff() time.Duration {
	return sourceBackoff(int(ts.sh.syncFailures.Add(1)), 0)
}

// seed returns the first entry of a user's token source given t. With a store, t is written
// to it, unless the store holds a pair at least as new (expiring no earlier), which is adopted
// instead; a store that fails gets t at a later attempt.
func (ts *TokenSource) seed(t *Token) *entry {
	if ts.sh == nil {
		return newEntry(t, time.Now())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*ts.c.storeLease)
	defer cancel()
	r, err := ts.get(ctx)
	if err != nil {
		ts.storeFailed(ctx, "get", err)
		return ts.unstored(newEntry(t, time.Now()), 0, true)
	}
	if r.st != nil && r.st.Expiry.UnixMilli() >= t.Expiry.UnixMilli() {
		if next := ts.adopt(r, nil); next != nil {
			return next
		}
		// The record is at least as new as t, its access token stale: t is not written over
		// it. Marked as read (Version r.version), a tombstone fails t's renewal; otherwise
		// (Version 0, which the record is newer than) t's renewal redeems the record's refresh
		// token, not t's, which SCB may have spent to make the record.
		next := newEntry(t, time.Now())
		next.stored = true
		if r.st.Refused != nil {
			next.version = r.version
		}
		return next
	}
	v, adopted, err := ts.put(ctx, t, r.version, nil)
	return ts.written(t, v, adopted, err)
}

// get reads the record. A record that cannot be read (ErrStoreUnreadable, or a value the
// codec refuses) is logged, counted, and returned as a miss with its Version, which the next
// put writes over; an error means the store failed.
func (ts *TokenSource) get(ctx context.Context) (storeRead, error) {
	sctx, cancel := ts.storeCall(ctx)
	defer cancel()
	rec, err := ts.c.store.Get(sctx, ts.sh.key)
	if err != nil && !errors.Is(err, ErrStoreUnreadable) {
		return storeRead{}, err
	}
	ts.storeAnswered()
	if err == nil && rec.Version != 0 {
		st, derr := decodeStoredToken(rec.Value())
		if derr == nil && time.Until(st.Expiry) > st.Lifetime+storeClockSlack {
			derr = fmt.Errorf("%w: expiry further away than the token's lifetime", ErrStoreUnreadable)
		}
		if derr == nil {
			return storeRead{version: rec.Version, st: &st}, nil
		}
		err = derr
	}
	if err != nil {
		ts.stats.failures.Add(1)
		ts.c.storeHealth.unreadable(ctx, ts.c.log, ts.sh.key, err)
	}
	return storeRead{version: rec.Version}, nil
}

// adopt returns the entry of r's token when r is newer than e and its token fresh enough to
// hand out: a shared hit. Otherwise nil.
func (ts *TokenSource) adopt(r storeRead, e *entry) *entry {
	if !r.newer(e) {
		return nil
	}
	now := time.Now()
	tok := r.st.token(now)
	if !now.Before(tok.staleAt()) {
		return nil
	}
	ts.c.recent.add(tok.access, tok.refresh)
	ts.stats.sharedHits.Add(1)
	ts.c.log.LogAttrs(context.Background(), slog.LevelDebug, "api: token read from the store", slog.String("key", string(ts.sh.key)),
		slog.Time("expiry", tok.Expiry))
	next := newEntry(tok, now)
	next.version, next.stored = r.version, true
	return next
}

// deleteRejected deletes the application's record of Version version, whose token SCB
// rejected, unless it was replaced meanwhile (compare-and-delete), so that no process adopts
// it again.
func (ts *TokenSource) deleteRejected(ctx context.Context, version uint64) {
	sctx, cancel := ts.storeCall(ctx)
	defer cancel()
	if _, err := ts.c.store.Delete(sctx, ts.sh.key, version); err != nil {
		ts.storeFailed(ctx, "delete", err)
		return
	}
	ts.storeAnswered()
}

// keepAlive extends l's lease every third of it, until the returned stop is called or the lock
// is lost (put's compare-and-swap then keeps the record right).
func (ts *TokenSource) keepAlive(l StoreLock) (stop func()) {
	lease := ts.c.storeLease
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(lease / 3)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), lease)
			err := l.Extend(ctx, lease)
			cancel()
			if err != nil {
				if !errors.Is(err, ErrStoreLockLost) {
					ts.storeFailed(ctx, "extend", err)
				}
				return
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// release stops keeping l alive and unlocks it. ErrStoreLockLost is harmless there: the lease
// ended, and the record was written with compare-and-swap.
func (ts *TokenSource) release(l StoreLock, stop func()) {
	stop()
	ctx, cancel := context.WithTimeout(context.Background(), ts.c.storeLease)
	defer cancel()
	if err := l.Unlock(ctx); err != nil && !errors.Is(err, ErrStoreLockLost) {
		ts.storeFailed(ctx, "unlock", err)
	}
}

// storeCall returns ctx bounded by the lease: no store call outlasts it.
func (ts *TokenSource) storeCall(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, ts.c.storeLease)
}

// storeAnswered records a store call that got an answer.
func (ts *TokenSource) storeAnswered() {
	ts.sh.syncFailures.Store(0)
	ts.c.storeHealth.success(context.Background(), ts.c.log)
}

// storeFailed records a store call that failed: one warning per outage, a count each time.
func (ts *TokenSource) storeFailed(ctx context.Context, op string, err error) {
	ts.stats.failures.Add(1)
	ts.c.storeHealth.failure(ctx, ts.c.log, op, err)
}

// storeRecordOf returns the record that keeps t until its refresh token expires, for a pair,
// or its access token.
func storeRecordOf(t *Token) (StoreRecord, error) {
	b, err := encodeStoredToken(storedOf(t))
	if err != nil {
		return StoreRecord{}, err
	}
	expiry := t.Expiry
	if t.refresh.IsSet() && t.RefreshExpiry.After(expiry) {
		expiry = t.RefreshExpiry
	}
	return NewStoreRecord(b, expiry.Round(0), 0), nil
}

// tombstoneOf returns the tombstone of t, a user's pair whose refresh token SCB refused with
// fe, at now: t without its refresh token, marked with the refusal, kept as long as the refresh
// token would have lived, within storeTombstoneMin and storeTombstoneMax from now. It keeps
// the access token, which other processes may hand out while it is fresh, as this one does.
func tombstoneOf(t *Token, fe *Error, now time.Time) (StoreRecord, error) {
	st := storedOf(t)
	st.Refresh, st.RefreshExpiry = redact.Secret{}, time.Time{}
	st.Refused = &storedRefusal{HTTPStatus: fe.HTTPStatus, Code: fe.Code, Description: fe.Description, RequestUID: fe.RequestUID}
	b, err := encodeStoredToken(st)
	if err != nil {
		return StoreRecord{}, err
	}
	expiry := min(max(t.RefreshExpiry.UnixMilli(), now.Add(storeTombstoneMin).UnixMilli()), now.Add(storeTombstoneMax).UnixMilli())
	return NewStoreRecord(b, time.UnixMilli(expiry), 0), nil
}

// storedOf returns t as a Store keeps it.
func storedOf(t *Token) storedToken {
	return storedToken{
		TokenType: t.TokenType, Access: t.access, Refresh: t.refresh, Expiry: t.Expiry, RefreshExpiry: t.RefreshExpiry,
		Lifetime: t.lifetime, ClockSkew: t.ClockSkew, ResourceOwnerID: t.ResourceOwnerID,
	}
}

// token returns st as a Token whose times carry a monotonic reading taken at now.
func (st *storedToken) token(now time.Time) *Token {
	t := &Token{
		TokenType: st.TokenType, Expiry: now.Add(st.Expiry.Sub(now)), ResourceOwnerID: st.ResourceOwnerID,
		ClockSkew: st.ClockSkew, access: st.Access, refresh: st.Refresh, lifetime: st.Lifetime,
	}
	if !st.RefreshExpiry.IsZero() {
		t.RefreshExpiry = now.Add(st.RefreshExpiry.Sub(now))
	}
	return t
}
