package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// The tests of a TokenSource with a Store: replicas are Clients of one application sharing one
// in-memory store, each with its own cache, as the processes of a fleet. They run in synctest
// bubbles; the multi-process tests on a real Redis are in api/redisstore.

// flakyStore wraps a Store: it counts the calls that reach it, and fails them while down is
// set, as a Redis that cannot be reached.
type flakyStore struct {
	Store
	down                     atomic.Bool
	calls, deletes, tryLocks atomic.Int64
}

func (f *flakyStore) check() error {
	f.calls.Add(1)
	if f.down.Load() {
		return errors.New("flaky: dial tcp 127.0.0.1:6379: connection refused")
	}
	return nil
}

func (f *flakyStore) Get(ctx context.Context, key StoreKey) (StoreRecord, error) {
	if err := f.check(); err != nil {
		return StoreRecord{}, err
	}
	return f.Store.Get(ctx, key)
}

func (f *flakyStore) Put(ctx context.Context, key StoreKey, rec StoreRecord, prev uint64) (uint64, error) {
	if err := f.check(); err != nil {
		return 0, err
	}
	return f.Store.Put(ctx, key, rec, prev)
}

func (f *flakyStore) Delete(ctx context.Context, key StoreKey, version uint64) (bool, error) {
	if err := f.check(); err != nil {
		return false, err
	}
	f.deletes.Add(1)
	return f.Store.Delete(ctx, key, version)
}

func (f *flakyStore) TryLock(ctx context.Context, key StoreKey, lease time.Duration) (StoreLock, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	f.tryLocks.Add(1)
	return f.Store.TryLock(ctx, key, lease)
}

// replicas returns n Clients of the test application served by h, sharing store, each with
// its own cache, the logger of its index in logs (when given) and resourceOwnerId replica-<i>.
func replicas(t testing.TB, n int, h http.Handler, store Store, logs []*logRecords) []*Client {
	t.Helper()
	cs := make([]*Client, n)
	for i := range cs {
		cfg := Config{HTTPClient: sandboxtest.Client(h), Store: store, ResourceOwnerID: fmt.Sprintf("replica-%d", i)}
		if i < len(logs) {
			cfg.Logger = slog.New(logs[i])
		}
		cs[i] = newTestClientConfig(t, cfg)
	}
	return cs
}

// sumStats adds up the stats of sources.
func sumStats(sources ...*TokenSource) SourceStats {
	var s SourceStats
	for _, ts := range sources {
		x := ts.Stats()
		s.InProcessHits += x.InProcessHits
		s.SharedHits += x.SharedHits
		s.UpstreamFetches += x.UpstreamFetches
		s.LockWaits += x.LockWaits
		s.Fallbacks += x.Fallbacks
		s.Failures += x.Failures
	}
	return s
}

func appSources(cs []*Client) []*TokenSource {
	var out []*TokenSource
	for _, c := range cs {
		out = append(out, c.TokenSource())
	}
	return out
}

// TestSharedColdStart: 10 replicas of 10 callers each start with nothing while the one request
// to SCB is held: one request, one token for all 100 callers; 9 replicas wait for the lock and
// adopt the token from the store.
func TestSharedColdStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSCB{}
		release := f.hold()
		sources := appSources(replicas(t, 10, f, newMemStore(), nil))
		toks := make([]*Token, 100)
		var wg sync.WaitGroup
		for i := range toks {
			wg.Go(func() {
				var err error
				if toks[i], err = sources[i%10].Token(context.Background()); err != nil {
					t.Errorf("caller %d: %v", i, err)
				}
			})
		}
		synctest.Wait()
		release()
		wg.Wait()
		if n := f.tokenCalls.Load(); n != 1 {
			t.Errorf("got %d token requests, want 1", n)
		}
		for i, tok := range toks {
			if tok.AccessToken() != "access-1" {
				t.Fatalf("caller %d got %q, want access-1", i, tok.AccessToken())
			}
		}
		want := SourceStats{SharedHits: 9, UpstreamFetches: 1, LockWaits: 9}
		if got := sumStats(sources...); got != want {
			t.Errorf("stats %+v, want %+v", got, want)
		}
	})
}

// TestSharedRenewals: 5 replicas calling every 10 seconds for 3 hours make one request per
// renewal: each token fetched is the one every replica uses, renewals at least 24 minutes
// apart (5 minutes and jitter ahead of a 30-minute lifetime).
func TestSharedRenewals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSCB{}
		sources := appSources(replicas(t, 5, f, newMemStore(), nil))
		seen := map[string]map[int]bool{} // access token -> replicas that got it
		const window = 3 * time.Hour
		for start := time.Now(); time.Since(start) < window; time.Sleep(10 * time.Second) {
			for i, ts := range sources {
				tok, err := ts.Token(context.Background())
				if err != nil || !tok.Valid() {
					t.Fatalf("replica %d at %v: %v, %v", i, time.Since(start), tok, err)
				}
				if seen[tok.AccessToken()] == nil {
					seen[tok.AccessToken()] = map[int]bool{}
				}
				seen[tok.AccessToken()][i] = true
			}
			synctest.Wait()
		}
		requests := int(f.tokenCalls.Load())
		if requests != len(seen) || requests > int(window/(24*time.Minute))+1 || requests < int(window/(30*time.Minute)) {
			t.Errorf("%d requests for %d tokens over %v, want one per renewal (at most %d)", requests, len(seen), window, int(window/(24*time.Minute))+1)
		}
		for tok, who := range seen {
			if len(who) != len(sources) {
				t.Errorf("token %s reached %d replicas, want all %d", tok, len(who), len(sources))
			}
		}
		t.Logf("%v, 5 replicas: %d requests, stats %+v", window, requests, sumStats(sources...))
	})
}

// TestSharedUserPair: replica 0 trades the code and shares the pair under a user id; 4 replicas
// that never saw it serve the user from the store. All calling through 3 hours (7 rotations),
// each refresh token is redeemed once, none is refused, and no caller gets an error.
func TestSharedUserPair(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSCB{}
		cs := replicas(t, 5, f, newMemStore(), nil)
		tok, err := cs[0].Exchange(context.Background(), "code")
		if err != nil {
			t.Fatal(err)
		}
		sources := []*TokenSource{cs[0].UserTokenSource(tok, WithUserID("user-1"))}
		for _, c := range cs[1:] {
			sources = append(sources, c.UserTokenSource(nil, WithUserID("user-1")))
		}
		for start := time.Now(); time.Since(start) < 3*time.Hour; time.Sleep(10 * time.Second) {
			var wg sync.WaitGroup
			for i, ts := range sources {
				wg.Go(func() {
					if tok, err := ts.Token(context.Background()); err != nil || !tok.Valid() {
						t.Errorf("replica %d at %v: %v, %v", i, time.Since(start), tok, err)
					}
				})
			}
			wg.Wait()
			synctest.Wait()
		}
		redeemed := f.redeemedTokens()
		if n := f.refreshCalls.Load(); int(n) != len(redeemed) || len(redeemed) < 6 {
			t.Errorf("%d refresh requests, %d redeemed, want all redeemed and at least 6", n, len(redeemed))
		}
		if dup := slices.Compact(slices.Sorted(slices.Values(redeemed))); len(dup) != len(redeemed) {
			t.Errorf("a refresh token was redeemed twice: %v", redeemed)
		}
		t.Logf("3h, 5 replicas: %d rotations, stats %+v", len(redeemed), sumStats(sources...))
	})
}

// TestSharedInvalidate: a rejected application token is deleted from the store only while it
// is still there (compare-and-delete), and replaced by one request for the fleet; a rejected
// user token is renewed, never deleted (its record holds the refresh token).
func TestSharedInvalidate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSCB{}
		store := &flakyStore{Store: newMemStore()}
		cs := replicas(t, 2, f, store, nil)
		a, b := cs[0].TokenSource(), cs[1].TokenSource()
		ctx := context.Background()
		old, _ := a.Token(ctx)
		if tb, _ := b.Token(ctx); tb.AccessToken() != old.AccessToken() {
			t.Fatalf("replica b got %v, want the shared token", tb)
		}
		a.Invalidate(old)
		if tok, err := a.Token(ctx); err != nil || tok.AccessToken() != "access-2" {
			t.Fatalf("after invalidating, a got %v, %v; want access-2", tok, err)
		}
		oldB, _ := b.Token(ctx) // still b's cached copy of access-1
		b.Invalidate(oldB)
		if tok, err := b.Token(ctx); err != nil || tok.AccessToken() != "access-2" {
			t.Fatalf("after invalidating, b got %v, %v; want access-2 from the store", tok, err)
		}
		if n, d := f.tokenCalls.Load(), store.deletes.Load(); n != 2 || d != 1 {
			t.Errorf("%d token requests and %d deletes, want 2 and 1 (b's rejected record was already replaced)", n, d)
		}

		tok, _ := cs[0].Exchange(ctx, "code")
		ua, ub := cs[0].UserTokenSource(tok, WithUserID("u")), cs[1].UserTokenSource(nil, WithUserID("u"))
		if got, _ := ub.Token(ctx); got.RefreshToken() != tok.RefreshToken() {
			t.Fatalf("replica b got %v, want the pair of the exchange", got)
		}
		ua.Invalidate(tok)
		renewed, err := ua.Token(ctx)
		if err != nil || renewed.RefreshToken() == tok.RefreshToken() || store.deletes.Load() != 1 {
			t.Fatalf("after invalidating a user token got %v, %v and %d deletes; want a new pair, no delete", renewed, err, store.deletes.Load())
		}
		held, _ := ub.Token(ctx)
		ub.Invalidate(held)
		if got, err := ub.Token(ctx); err != nil || got.RefreshToken() != renewed.RefreshToken() || f.refreshCalls.Load() != 1 {
			t.Errorf("b got %v, %v after %d refreshes; want a's new pair, adopted", got, err, f.refreshCalls.Load())
		}
	})
}

// countMessages returns how many records of logs have message msg.
func countMessages(logs *logRecords, msg string) int {
	n := 0
	for _, m := range logs.messages() {
		if strings.HasSuffix(m, " "+msg) {
			n++
		}
	}
	return n
}

const (
	msgStoreDown = "api: token store unavailable; fetching tokens directly until it answers"
	msgStoreUp   = "api: token store available again"
)

// TestSharedStoreDown: the store fails while the token is valid: callers see no error and no
// store call (hits never touch it); the renewal falls back to one direct request per replica,
// with one warning per replica for the whole outage. When the store answers again, the
// replicas write or adopt a token within a backoff step, and the next renewal is one request
// for both.
func TestSharedStoreDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSCB{}
		store := &flakyStore{Store: newMemStore()}
		logs := []*logRecords{{}, {}}
		sources := appSources(replicas(t, 2, f, store, logs))
		ctx := context.Background()
		call := func(phase string) {
			for _, ts := range sources {
				if tok, err := ts.Token(ctx); err != nil || !tok.Valid() {
					t.Fatalf("%s: %v, %v", phase, tok, err)
				}
			}
		}
		call("before")
		store.down.Store(true)
		calls := store.calls.Load()
		for range 20 * 60 { // 20 minutes: the token stays valid
			call("outage, token valid")
			time.Sleep(time.Second)
		}
		if n := store.calls.Load(); n != calls {
			t.Errorf("%d store calls while serving a valid token, want 0", n-calls)
		}
		for range 15 * 60 { // past the renewal (at 24 to 25 minutes): each replica fetches for itself
			call("outage, renewals")
			time.Sleep(time.Second)
		}
		if n := f.tokenCalls.Load(); n != 1+2 {
			t.Errorf("%d token requests, want 1 + one per replica", n)
		}
		store.down.Store(false)
		time.Sleep(sourceBackoffMax + time.Second)
		call("store back")
		synctest.Wait()
		a, _ := sources[0].Token(ctx)
		b, _ := sources[1].Token(ctx)
		if a.AccessToken() != b.AccessToken() {
			t.Fatalf("after the outage, replicas hold %v and %v, want one token", a, b)
		}
		before := f.tokenCalls.Load()
		for range 20 * 60 { // through the next renewal (at about 49 minutes), not the one after
			call("after")
			time.Sleep(time.Second)
		}
		if n := f.tokenCalls.Load() - before; n != 1 {
			t.Errorf("%d token requests for the renewal after the outage, want 1", n)
		}
		for i, l := range logs {
			if down, up := countMessages(l, msgStoreDown), countMessages(l, msgStoreUp); down != 1 || up != 1 {
				t.Errorf("replica %d logged %d outage warnings and %d recoveries, want 1 and 1", i, down, up)
			}
		}
		if s := sumStats(sources...); s.Fallbacks != 2 || s.Failures == 0 {
			t.Errorf("stats %+v, want 2 fallbacks and failures counted", s)
		}
	})
}

// TestSharedStoreDownMiss: with the store down from the start, 100 callers of an empty source
// share one direct request, and one warning is logged.
func TestSharedStoreDownMiss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSCB{}
		store := &flakyStore{Store: newMemStore()}
		store.down.Store(true)
		logs := &logRecords{}
		ts := replicas(t, 1, f, store, []*logRecords{logs})[0].TokenSource()
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() {
				if _, err := ts.Token(context.Background()); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n, warned := f.tokenCalls.Load(), countMessages(logs, msgStoreDown); n != 1 || warned != 1 {
			t.Errorf("%d requests and %d warnings, want 1 and 1", n, warned)
		}
		if s := ts.Stats(); s.Fallbacks != 1 || s.UpstreamFetches != 1 {
			t.Errorf("stats %+v, want 1 fallback, 1 fetch", s)
		}
	})
}

// TestSharedUnreadableRecord: a record that is not a token of this package (garbage, a token
// with a control character, one that claims to live ten years beyond its lifetime) is a miss:
// logged, counted, and replaced by the token fetched, never handed out.
func TestSharedUnreadableRecord(t *testing.T) {
	now := time.Now()
	farExpiry := fmt.Sprintf(`{"format":1,"tokenType":"Bearer","accessToken":"planted","expiry":%d,"lifetimeMs":1800000}`,
		now.Add(10*365*24*time.Hour).UnixMilli())
	for name, value := range map[string]string{
		"garbage":       "\x00\xff not a token",
		"control":       `{"format":1,"tokenType":"Bearer","accessToken":"a\r\nX: 1","expiry":1,"lifetimeMs":1}`,
		"far expiry":    farExpiry,
		"other format":  `{"format":2}`,
		"empty object":  `{}`,
		"json of array": `[]`,
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakeSCB{}
				store := newMemStore()
				logs := &logRecords{}
				c := replicas(t, 1, f, store, []*logRecords{logs})[0]
				key := storeKey(c.base, c.key, "")
				if _, err := store.Put(context.Background(), key, NewStoreRecord([]byte(value), time.Now().Add(time.Hour), 0), 0); err != nil {
					t.Fatal(err)
				}
				tok, err := c.TokenSource().Token(context.Background())
				if err != nil || tok.AccessToken() != "access-1" {
					t.Fatalf("got %v, %v; want access-1 fetched", tok, err)
				}
				if n := countMessages(logs, "api: token store record unreadable; treated as a miss"); n == 0 {
					t.Errorf("logged %q, want the unreadable record", logs.messages())
				}
				rec, _ := store.Get(context.Background(), key)
				if st, err := decodeStoredToken(rec.Value()); err != nil || st.Access.Reveal() != "access-1" {
					t.Errorf("the record was not replaced by the token fetched: %v", err)
				}
				if s := c.TokenSource().Stats(); s.Failures == 0 || s.SharedHits != 0 {
					t.Errorf("stats %+v, want the unreadable record counted as a failure, no shared hit", s)
				}
			})
		})
	}
}

// TestSharedHolderDies: a process took the lock and died: its lease runs out, and the waiting
// replica takes the lock and fetches, having waited at most the lease plus a poll interval.
func TestSharedHolderDies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSCB{}
		store := newMemStore()
		const lease = 2 * time.Second
		c := newTestClientConfig(t, Config{HTTPClient: sandboxtest.Client(f), Store: store, StoreLease: lease})
		if _, err := store.TryLock(context.Background(), storeKey(c.base, c.key, ""), lease); err != nil {
			t.Fatal(err) // the holder that dies: it never extends nor unlocks
		}
		start := time.Now()
		tok, err := c.TokenSource().Token(context.Background())
		waited := time.Since(start)
		if err != nil || f.tokenCalls.Load() != 1 {
			t.Fatalf("got %v, %v after %d requests; want a token, 1 request", tok, err, f.tokenCalls.Load())
		}
		if waited < lease || waited > lease+storePollMax {
			t.Errorf("waited %v, want from the lease (%v) to the lease plus a poll interval", waited, lease)
		}
		if s := c.TokenSource().Stats(); s.LockWaits != 1 {
			t.Errorf("stats %+v, want 1 lock wait", s)
		}
	})
}

// TestSharedWaitBoundedByContext: while a live process holds the lock, a caller waits until
// its own deadline, no longer; the renewal waits until the refresh deadline and fails, without
// a request, and the next one finds the token the holder wrote.
func TestSharedWaitBoundedByContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSCB{}
		store := newMemStore()
		cs := replicas(t, 2, f, store, nil)
		holder, ts := cs[1], cs[0].TokenSource()
		key := storeKey(holder.base, holder.key, "")
		l, err := store.TryLock(context.Background(), key, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		if _, err := ts.Token(ctx); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != time.Second {
			t.Fatalf("got %v after %v, want the caller's deadline at 1s", err, time.Since(start))
		}
		_, err = ts.Token(context.Background())
		if !strings.Contains(fmt.Sprint(err), "waiting for the token store's lock") || time.Since(start) > DefaultRefreshDeadline+time.Second {
			t.Fatalf("got %v at %v, want the renewal's deadline (%v) while waiting for the lock", err, time.Since(start), DefaultRefreshDeadline)
		}
		if n := f.tokenCalls.Load(); n != 0 {
			t.Fatalf("%d requests while another process held the lock, want 0", n)
		}
		// The holder writes its token and unlocks; after the backoff step, it is adopted.
		tok, err := holder.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		rec, _ := storeRecordOf(tok)
		if _, err := store.Put(context.Background(), key, rec, 0); err != nil {
			t.Fatal(err)
		}
		_ = l.Unlock(context.Background())
		time.Sleep(sourceBackoffMax)
		if got, err := ts.Token(context.Background()); err != nil || got.AccessToken() != tok.AccessToken() || f.tokenCalls.Load() != 1 {
			t.Errorf("after the holder unlocked got %v, %v; want its token, adopted", got, err)
		}
	})
}

// TestSharedHitAllocatesNothing: with a store, a cache hit is what it is without one: no
// allocation, and no call to the store.
func TestSharedHitAllocatesNothing(t *testing.T) {
	store := &flakyStore{Store: newMemStore()}
	ts := replicas(t, 1, &fakeSCB{}, store, nil)[0].TokenSource()
	ctx := context.Background()
	tok, err := ts.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	calls := store.calls.Load()
	if n := testing.AllocsPerRun(1000, func() {
		if got, _ := ts.Token(ctx); got != tok {
			t.Fatal("not a cache hit")
		}
	}); n != 0 {
		t.Errorf("got %v allocations per cache hit with a store, want 0", n)
	}
	if n := store.calls.Load() - calls; n != 0 {
		t.Errorf("%d store calls for cache hits, want 0", n)
	}
	if s := ts.Stats(); s.UpstreamFetches != 1 {
		t.Errorf("stats %+v, want one fetch counted", s)
	}
}

// TestUserTokenSourceOptions: UserTokenSource takes WithUserID only, with a non-empty id; any
// other option fails every Token call, without a request, with an error that names it. Without
// a store, WithUserID changes nothing.
func TestUserTokenSourceOptions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSCB{}
		withStore := replicas(t, 1, f, newMemStore(), nil)[0]
		plain := newTestClient(t, f)
		tok, err := plain.Exchange(context.Background(), "code")
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name string
			opts []CallOption
			want string
		}{
			{"empty id", []CallOption{WithUserID("")}, "api: token source: user token source: WithUserID: empty user id"},
			{"misplaced option", []CallOption{WithUserID("u"), WithState("s")}, "api: token source: user token source: WithState does not apply (it takes WithUserID)"},
		} {
			for _, c := range []*Client{withStore, plain} {
				_, err := c.UserTokenSource(tok, tt.opts...).Token(context.Background())
				if err == nil || err.Error() != tt.want {
					t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
				}
			}
		}
		if n := f.refreshCalls.Load(); n != 0 {
			t.Errorf("%d refresh requests, want 0", n)
		}
		if got, err := plain.UserTokenSource(tok, WithUserID("u"), nil).Token(context.Background()); err != nil || got != tok {
			t.Errorf("without a store got %v, %v; want the token given", got, err)
		}
	})
}

// TestSharedSeedOlder: a process that passes an older pair than the store's (from a database,
// say) adopts the store's instead of overwriting it; a newer pair (a new Exchange) replaces it.
func TestSharedSeedOlder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSCB{}
		cs := replicas(t, 2, f, newMemStore(), nil)
		ctx := context.Background()
		old, _ := cs[0].Exchange(ctx, "code")
		time.Sleep(time.Minute)
		newer, _ := cs[0].Exchange(ctx, "code")
		cs[0].UserTokenSource(newer, WithUserID("u"))
		if got, _ := cs[1].UserTokenSource(old, WithUserID("u")).Token(ctx); got.RefreshToken() != newer.RefreshToken() {
			t.Errorf("seeded with an older pair, got %v; want the store's newer pair", got)
		}
		time.Sleep(time.Minute)
		newest, _ := cs[1].Exchange(ctx, "code")
		cs[1].UserTokenSource(newest, WithUserID("u"))
		if got, _ := cs[0].UserTokenSource(nil, WithUserID("u")).Token(ctx); got.RefreshToken() != newest.RefreshToken() {
			t.Errorf("after a new exchange got %v; want its pair", got)
		}
	})
}

// TestSharedSeedOlderStale: the store holds a user's newer pair whose access token is stale;
// a process seeded with an older pair (from its own database, say) must not write it over the
// newer one, and its renewal redeems the newer pair's refresh token, not its own.
func TestSharedSeedOlderStale(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSCB{}
		store := newMemStore()
		cs := replicas(t, 2, f, store, nil)
		ctx := context.Background()
		old, _ := cs[0].Exchange(ctx, "code")
		time.Sleep(time.Minute)
		newer, _ := cs[0].Exchange(ctx, "code")
		cs[0].UserTokenSource(newer, WithUserID("u"))
		time.Sleep(31 * time.Minute) // both access tokens are stale; both refresh tokens live
		got, err := cs[1].UserTokenSource(old, WithUserID("u")).Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if r := f.redeemedTokens(); len(r) != 1 || r[0] != newer.RefreshToken() {
			t.Errorf("redeemed %d refresh tokens (the newer pair's first: %v), want the newer pair's alone", len(r), len(r) > 0 && r[0] == newer.RefreshToken())
		}
		if got.RefreshToken() == old.RefreshToken() || got.RefreshToken() == newer.RefreshToken() {
			t.Errorf("got a pair that was not renewed")
		}
	})
}

// TestSharedReauthorization: the user withdraws consent. The first replica to renew asks SCB
// and is refused, and writes a tombstone; the others read it and ask nothing, nor does anyone
// while callers keep asking for ten minutes; once the user consents again in one process, the
// others adopt the new pair within a backoff step.
func TestSharedReauthorization(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSCB{}
		cs := replicas(t, 3, f, newMemStore(), nil)
		ctx := context.Background()
		tok, _ := cs[0].Exchange(ctx, "code")
		var sources []*TokenSource
		for i, c := range cs {
			sources = append(sources, c.UserTokenSource(map[bool]*Token{true: tok}[i == 0], WithUserID("u")))
		}
		f.revoke()
		time.Sleep(31 * time.Minute) // the access token is stale
		for range 10 * 60 {          // ten minutes of callers
			for i, ts := range sources {
				if _, err := ts.Token(ctx); !errors.Is(err, ErrReauthorizationRequired) {
					t.Fatalf("replica %d: got %v, want ErrReauthorizationRequired", i, err)
				}
			}
			time.Sleep(time.Second)
		}
		if n := f.refreshCalls.Load(); n != 1 {
			t.Errorf("%d refresh requests, want 1: one refusal for the fleet, never asked again", n)
		}
		again, _ := cs[2].Exchange(ctx, "code")
		cs[2].UserTokenSource(again, WithUserID("u"))
		time.Sleep(sourceBackoffMax)
		for i, ts := range sources {
			if got, err := ts.Token(ctx); err != nil || got.RefreshToken() != again.RefreshToken() {
				t.Errorf("replica %d after the new consent: %v, %v; want the new pair", i, got, err)
			}
		}
	})
}

// TestSharedRefusedOncePerFleet: the user withdraws consent while 8 processes share the pair,
// and 5 callers in each ask at once when the access token is stale. The process that holds the
// lock is refused and writes a tombstone; the 7 others, waiting for the lock, read it: one
// refresh request for the fleet, and every caller gets ErrReauthorizationRequired (the others,
// with SCB's answer and the request's requestUId). No process asks again while callers keep
// asking; a new consent seeded in one process reaches them all within a backoff step.
func TestSharedRefusedOncePerFleet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n, callers = 8, 5
		f := &fakeSCB{}
		cs := replicas(t, n, f, newMemStore(), nil)
		ctx := context.Background()
		tok, _ := cs[0].Exchange(ctx, "code")
		var sources []*TokenSource
		for i, c := range cs {
			sources = append(sources, c.UserTokenSource(map[bool]*Token{true: tok}[i == 0], WithUserID("u")))
			if _, err := sources[i].Token(ctx); err != nil {
				t.Fatalf("replica %d: %v", i, err)
			}
		}
		f.revoke()
		time.Sleep(31 * time.Minute) // the access token is stale
		release := f.hold()
		errs := make([]error, n*callers)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { _, errs[i] = sources[i%n].Token(ctx) })
		}
		synctest.Wait() // one process's request is held, the others wait for its lock
		release()
		wg.Wait()
		var uids []string
		for i, err := range errs {
			var e *Error
			if !errors.Is(err, ErrReauthorizationRequired) || !errors.As(err, &e) || e.HTTPStatus != http.StatusUnauthorized || e.Code != 9300 {
				t.Fatalf("caller %d of replica %d: got %v, want SCB's refusal (401 9300), ErrReauthorizationRequired", i/n, i%n, err)
			}
			uids = append(uids, e.RequestUID)
		}
		if got := slices.Compact(slices.Sorted(slices.Values(uids))); len(got) != 1 || got[0] == "" {
			t.Errorf("requestUIds %q, want the one refused request's", got)
		}
		for range 10 * 60 { // ten minutes of callers
			for i, ts := range sources {
				if _, err := ts.Token(ctx); !errors.Is(err, ErrReauthorizationRequired) {
					t.Fatalf("replica %d: got %v, want ErrReauthorizationRequired", i, err)
				}
			}
			time.Sleep(time.Second)
		}
		if got := f.refreshCalls.Load(); got != 1 {
			t.Errorf("%d refresh requests, want 1 for the fleet", got)
		}
		want := SourceStats{SharedHits: n - 1, UpstreamFetches: 1, LockWaits: n - 1}
		if got := sumStats(sources...); got != want {
			t.Errorf("stats %+v, want %+v", got, want)
		}
		again, _ := cs[3].Exchange(ctx, "code")
		cs[3].UserTokenSource(again, WithUserID("u"))
		time.Sleep(sourceBackoffMax)
		for i, ts := range sources {
			if got, err := ts.Token(ctx); err != nil || got.RefreshToken() != again.RefreshToken() {
				t.Errorf("replica %d after the new consent: %v, %v; want the new pair", i, got, err)
			}
		}
		if got := f.refreshCalls.Load(); got != 1 {
			t.Errorf("%d refresh requests after the new consent, want still 1", got)
		}
	})
}

// TestSharedTombstone: the user withdraws consent and replica 0 is refused when it renews
// ahead of expiry. The record becomes a tombstone: the pair without its refresh token, marked
// with SCB's answer, kept an hour (the fake gives no refresh expiry). A process that starts
// then hands out the access token while it is fresh, then fails with the refusal, its error
// naming no token; a process seeded with the refused pair (from a database, say) leaves the
// tombstone in place; neither asks SCB. A tombstone planted under the application's key is
// no refusal of the application's: its token source fetches and replaces it.
func TestSharedTombstone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSCB{}
		store := newMemStore()
		cs := replicas(t, 3, f, store, nil)
		ctx := context.Background()
		tok, _ := cs[0].Exchange(ctx, "code")
		first := cs[0].UserTokenSource(tok, WithUserID("u"))
		f.revoke()
		time.Sleep(26 * time.Minute) // past the renewal ahead of expiry, before the token is stale
		if got, err := first.Token(ctx); err != nil || got != tok {
			t.Fatalf("ahead of expiry: %v, %v; want the cached token", got, err)
		}
		synctest.Wait()
		key := storeKey(cs[0].base, cs[0].key, "u")
		rec, _ := store.Get(ctx, key)
		st, err := decodeStoredToken(rec.Value())
		if err != nil || st.Refused == nil || st.Refresh.IsSet() || st.Access.Reveal() != tok.AccessToken() || f.refreshCalls.Load() != 1 {
			t.Fatalf("after the refusal the record is %+v, %v (%d refreshes); want the tombstone of the pair", st, err, f.refreshCalls.Load())
		}
		if ttl := time.Until(rec.Expiry); ttl != storeTombstoneMin {
			t.Errorf("tombstone kept %v, want %v", ttl, storeTombstoneMin)
		}
		late := cs[1].UserTokenSource(nil, WithUserID("u"))
		if got, err := late.Token(ctx); err != nil || got.AccessToken() != tok.AccessToken() || got.RefreshToken() != "" {
			t.Fatalf("a process that starts now got %v, %v; want the access token, no refresh token", got, err)
		}
		time.Sleep(4 * time.Minute) // the access token is stale
		reseeded := cs[2].UserTokenSource(tok, WithUserID("u"))
		for i, ts := range []*TokenSource{first, late, reseeded} {
			_, err := ts.Token(ctx)
			var e *Error
			if !errors.Is(err, ErrReauthorizationRequired) || !errors.As(err, &e) || e.Code != 9300 {
				t.Fatalf("process %d: got %v, want the refusal", i, err)
			}
			if msg := fmt.Sprintf("%v %+v %#v", err, err, err); strings.Contains(msg, tok.RefreshToken()) || strings.Contains(msg, tok.AccessToken()) {
				t.Errorf("process %d: the error shows a token: %s", i, msg)
			}
			if i > 0 && !errors.Is(err, errRefusedInFleet) {
				t.Errorf("process %d: got %v, want it to say another process was refused", i, err)
			}
		}
		if again, _ := store.Get(ctx, key); again.Version != rec.Version || f.refreshCalls.Load() != 1 {
			t.Errorf("record version %d (was %d), %d refreshes; want the tombstone untouched, 1 refresh", again.Version, rec.Version, f.refreshCalls.Load())
		}

		app := storeKey(cs[0].base, cs[0].key, "")
		planted := NewStoreRecord(rec.Value(), time.Now().Add(time.Hour), 0)
		if _, err := store.Put(ctx, app, planted, 0); err != nil {
			t.Fatal(err)
		}
		if got, err := cs[1].TokenSource().Token(ctx); err != nil || f.tokenCalls.Load() != 2 {
			t.Errorf("application token over a planted tombstone: %v, %v after %d token requests; want one fetched", got, err, f.tokenCalls.Load())
		}
	})
}

// TestConfigStore: the store fields are checked by NewClient: a lease out of range and a nil
// Store pointer (whose first call would panic) are *ConfigErrors naming the field.
func TestConfigStore(t *testing.T) {
	for _, tt := range []struct {
		name               string
		store              Store
		lease              time.Duration
		wantField, wantErr string
	}{
		{"default lease", newMemStore(), 0, "", ""},
		{"shortest lease", newMemStore(), 100 * time.Millisecond, "", ""},
		{"longest lease", newMemStore(), time.Minute, "", ""},
		{"lease too short", newMemStore(), time.Millisecond, "StoreLease", "api: Config.StoreLease: 1ms, want 0 (default 5s) or 100ms to 1m0s"},
		{"lease too long", newMemStore(), time.Hour, "StoreLease", "api: Config.StoreLease: 1h0m0s, want 0 (default 5s) or 100ms to 1m0s"},
		{"negative lease", nil, -1, "StoreLease", "api: Config.StoreLease: -1ns, want 0 (default 5s) or 100ms to 1m0s"},
		{"nil store pointer", (*memStore)(nil), 0, "Store", "api: Config.Store: a nil *api.memStore"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(Config{ApplicationKey: "k", ApplicationSecret: "s", Store: tt.store, StoreLease: tt.lease})
			var ce *ConfigError
			switch {
			case tt.wantField == "" && (err != nil || c.storeLease != cmp.Or(tt.lease, DefaultStoreLease)):
				t.Fatalf("got %v, %v; want a client with lease %v", c, err, cmp.Or(tt.lease, DefaultStoreLease))
			case tt.wantField != "" && (!errors.As(err, &ce) || ce.Field != tt.wantField || err.Error() != tt.wantErr):
				t.Fatalf("got %v, want %q", err, tt.wantErr)
			}
		})
	}
}
