package redisstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/api/redisstore"
	"github.com/scboauth/scboauth/api/storetest"
	"github.com/scboauth/scboauth/internal/redistest"
)

var (
	key16 = []byte("0123456789abcdef")
	key32 = []byte("0123456789abcdef0123456789abcdef")
)

func newStore(t testing.TB, rdb redis.UniversalClient, opts redisstore.Options) *redisstore.Store {
	t.Helper()
	s, err := redisstore.New(rdb, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// advanceTTLs moves a real Redis's clock: it shortens every key's TTL by d and deletes those
// that reach zero, so lease and record expiry are tested without waiting.
func advanceTTLs(t *testing.T, rdb *redis.Client, d time.Duration) {
	t.Helper()
	ctx := t.Context()
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		ttl, err := rdb.PTTL(ctx, k).Result()
		switch {
		case err != nil:
			t.Fatal(err)
		case ttl <= 0: // gone, or no TTL
		case ttl <= d:
			rdb.Del(ctx, k)
		default:
			rdb.PExpire(ctx, k, ttl-d)
		}
	}
}

// flushAll empties rdb's Redis, for a test that starts from nothing.
func flushAll(t *testing.T, rdb *redis.Client) {
	t.Helper()
	if err := rdb.FlushAll(t.Context()).Err(); err != nil {
		t.Fatal(err)
	}
}

// miniredisClient starts a miniredis for t and returns it with a client as New requires.
func miniredisClient(t *testing.T) (*miniredis.Miniredis, *redis.Client) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = rdb.Close() })
	return mr, rdb
}

func TestContractRedisServer(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	for name, opts := range map[string]redisstore.Options{
		"plain":     {},
		"encrypted": {Prefix: "enc:", EncryptionKey: key32},
	} {
		t.Run(name, func(t *testing.T) {
			storetest.Run(t, storetest.Harness{
				New: func(t *testing.T) api.Store {
					flushAll(t, rdb)
					return newStore(t, rdb, opts)
				},
				Advance: func(t *testing.T, d time.Duration) { advanceTTLs(t, rdb, d) },
			})
		})
	}
}

func TestContractMiniredis(t *testing.T) {
	var mr *miniredis.Miniredis
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) api.Store {
			var rdb *redis.Client
			mr, rdb = miniredisClient(t)
			return newStore(t, rdb, redisstore.Options{EncryptionKey: key16})
		},
		Advance: func(_ *testing.T, d time.Duration) { mr.FastForward(d) },
	})
}

func TestNewBadInput(t *testing.T) {
	srv := redistest.Start(t)
	good := srv.Client(t)
	noCtx := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { _ = noCtx.Close() })
	for _, c := range []struct {
		name string
		rdb  redis.UniversalClient
		opts redisstore.Options
		want string
	}{
		{"nil client", nil, redisstore.Options{}, "nil Redis client"},
		{"no context timeouts", noCtx, redisstore.Options{}, "ContextTimeoutEnabled"},
		{"no context timeouts, cluster", redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{srv.Addr}}), redisstore.Options{}, "ContextTimeoutEnabled"},
		{"no context timeouts, ring", redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": srv.Addr}}), redisstore.Options{}, "ContextTimeoutEnabled"},
		{"key of 15 bytes", good, redisstore.Options{EncryptionKey: key16[:15]}, "EncryptionKey is 15 bytes, want 16, 24 or 32"},
		{"key of 33 bytes", good, redisstore.Options{EncryptionKey: append(key32, 'x')}, "EncryptionKey is 33 bytes"},
		{"empty key", good, redisstore.Options{EncryptionKey: []byte{}}, "EncryptionKey is 0 bytes"},
		{"negative timeout", good, redisstore.Options{Timeout: -time.Second}, "Timeout -1s"},
		{"ten-year timeout", good, redisstore.Options{Timeout: 10 * 365 * 24 * time.Hour}, "up to 1m0s"},
		{"prefix with CRLF", good, redisstore.Options{Prefix: "a\r\nFLUSHALL"}, "visible ASCII"},
		{"prefix with a space", good, redisstore.Options{Prefix: "a b"}, "visible ASCII"},
		{"huge prefix", good, redisstore.Options{Prefix: strings.Repeat("p", 65)}, "at most 64 bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := redisstore.New(c.rdb, c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "redisstore: ") {
				t.Fatalf("New = %v, %v; want an error containing %q", s, err, c.want)
			}
			if strings.Contains(err.Error(), string(key16)) {
				t.Fatalf("error %q shows the key", err)
			}
		})
	}
}

func TestNoKeyShown(t *testing.T) {
	opts := redisstore.Options{Prefix: "p:", EncryptionKey: key32}
	s := newStore(t, redistest.Start(t).Client(t), opts)
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("store", "opts", opts, "store", s)
	js, err := json.Marshal(opts)
	if err != nil {
		t.Fatal(err)
	}
	outs := []string{logged.String(), string(js)}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		outs = append(outs, fmt.Sprintf(verb, opts), fmt.Sprintf(verb, &opts), fmt.Sprintf(verb, s), fmt.Sprintf(verb, []any{opts, s}))
	}
	for _, out := range outs {
		if strings.Contains(out, string(key32)) || strings.Contains(out, fmt.Sprintf("%x", key32)) ||
			strings.Contains(out, fmt.Sprint(key32)) {
			t.Errorf("shows the key: %s", out)
		}
	}
	if got, want := s.String(), `redisstore.Store{Prefix: "p:", Timeout: 1s, Encrypted: true}`; got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
}

// TestLayout shows where the records and locks of two applications and a user go, and that
// a record's TTL matches its expiry.
func TestLayout(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	s := newStore(t, rdb, redisstore.Options{})
	ctx := t.Context()
	expiry := time.Now().Add(30 * time.Minute)
	for _, k := range []api.StoreKey{storetest.AppA, storetest.AppB, storetest.UserA} {
		if _, err := s.Put(ctx, k, api.NewStoreRecord([]byte("token of "+string(k)), expiry, 0), 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.TryLock(ctx, storetest.AppA, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"scboauth:lock:" + string(storetest.AppA), "scboauth:tok:" + string(storetest.AppA),
		"scboauth:tok:" + string(storetest.AppB), "scboauth:tok:" + string(storetest.UserA)}
	slices.Sort(keys)
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Fatalf("keys %v, want %v", keys, want)
	}
	ttl := rdb.PTTL(ctx, "scboauth:tok:"+string(storetest.AppA)).Val()
	// Redis reads its own clock, which it caches, so the two can disagree by milliseconds on a
	// busy machine (10 ms was seen); a TTL that does not follow the expiry is off by minutes.
	if d := time.Until(expiry) - ttl; d < -time.Second || d > time.Second {
		t.Errorf("record TTL %s, want the %s left to its expiry", ttl, time.Until(expiry))
	}
	if ttl := rdb.PTTL(ctx, "scboauth:lock:"+string(storetest.AppA)).Val(); ttl <= 4*time.Second || ttl > 5*time.Second {
		t.Errorf("lock TTL %s, want its 5s lease", ttl)
	}
	raw := rdb.Get(ctx, "scboauth:tok:"+string(storetest.AppA)).Val()
	if !strings.HasPrefix(raw, "scb1") || !strings.HasSuffix(raw, "token of "+string(storetest.AppA)) {
		t.Errorf("plain value %q: want the header, then the token", raw)
	}
}

func TestEncryption(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	ctx := t.Context()
	enc := newStore(t, rdb, redisstore.Options{EncryptionKey: key32})
	other := newStore(t, rdb, redisstore.Options{EncryptionKey: []byte("another key of thirty-two bytes!")})
	plain := newStore(t, rdb, redisstore.Options{})
	const secret = "access-token-in-clear"
	v, err := enc.Put(ctx, storetest.AppA, api.NewStoreRecord([]byte(secret), time.Now().Add(time.Hour), 0), 0)
	if err != nil {
		t.Fatal(err)
	}
	if raw := rdb.Get(ctx, "scboauth:tok:"+string(storetest.AppA)).Val(); strings.Contains(raw, secret) {
		t.Fatalf("encrypted value holds the token in clear: %q", raw)
	}
	if r, err := enc.Get(ctx, storetest.AppA); err != nil || string(r.Value()) != secret || r.Version != v {
		t.Fatalf("round trip: %v, %v", r, err)
	}
	for name, s := range map[string]*redisstore.Store{"wrong key": other, "no key": plain} {
		r, err := s.Get(ctx, storetest.AppA)
		if !errors.Is(err, api.ErrStoreUnreadable) || r.Value() != nil || r.Version != v {
			t.Fatalf("%s: Get = %v, %v; want ErrStoreUnreadable with version %x and no value", name, r, err, v)
		}
	}
	// The store with the other key replaces the record it cannot read, with the version it got.
	v2, err := other.Put(ctx, storetest.AppA, api.NewStoreRecord([]byte("theirs"), time.Now().Add(time.Hour), 0), v)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := enc.Get(ctx, storetest.AppA); !errors.Is(err, api.ErrStoreUnreadable) {
		t.Fatalf("first key on the second's record: err %v, want ErrStoreUnreadable", err)
	}
	if _, err := enc.Put(ctx, storetest.AppA, api.NewStoreRecord([]byte("mine"), time.Now().Add(time.Hour), 0), v2); err != nil {
		t.Fatal(err)
	}
	if _, err := plain.Put(ctx, storetest.AppB, api.NewStoreRecord([]byte("plain"), time.Now().Add(time.Hour), 0), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := enc.Get(ctx, storetest.AppB); !errors.Is(err, api.ErrStoreUnreadable) {
		t.Fatalf("an encrypting store read a plain record: err %v, want ErrStoreUnreadable", err)
	}
}

// TestEncryptedValueBoundToKey: a sealed value copied to another application's key, or with
// its header changed, does not open.
func TestEncryptedValueBoundToKey(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	ctx := t.Context()
	s := newStore(t, rdb, redisstore.Options{EncryptionKey: key16})
	v, err := s.Put(ctx, storetest.AppA, api.NewStoreRecord([]byte("token of A"), time.Now().Add(time.Hour), 0), 0)
	if err != nil {
		t.Fatal(err)
	}
	raw := rdb.Get(ctx, "scboauth:tok:"+string(storetest.AppA)).Val()
	rdb.Set(ctx, "scboauth:tok:"+string(storetest.AppB), raw, time.Hour)
	if r, err := s.Get(ctx, storetest.AppB); !errors.Is(err, api.ErrStoreUnreadable) || r.Value() != nil {
		t.Fatalf("A's value under B's key: %v, %v; want ErrStoreUnreadable", r, err)
	}
	longer := raw[:12] + string([]byte{0x7f}) + raw[13:] // expiry pushed far out
	rdb.Set(ctx, "scboauth:tok:"+string(storetest.AppA), longer, time.Hour)
	if r, err := s.Get(ctx, storetest.AppA); !errors.Is(err, api.ErrStoreUnreadable) || r.Version != v {
		t.Fatalf("changed header: %v, %v; want ErrStoreUnreadable with version %x", r, err, v)
	}
}

// TestCorruptValues: whatever lies under a record's key, Get answers a miss
// (ErrStoreUnreadable) without panicking, and a Put with the version it returned replaces it.
func TestCorruptValues(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	ctx := t.Context()
	plain := newStore(t, rdb, redisstore.Options{})
	enc := newStore(t, rdb, redisstore.Options{EncryptionKey: key16})
	header := func(version uint64, expiry int64, flags byte) string {
		b := []byte("scb1")
		for _, n := range []uint64{version, uint64(expiry)} {
			b = append(b, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32), byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		}
		return string(append(b, flags))
	}
	far := time.Now().Add(time.Hour).UnixMilli()
	for _, c := range []struct {
		name    string
		store   *redisstore.Store
		value   string
		version uint64 // what Get tells of it
	}{
		{"empty", plain, "", 0},
		{"foreign JSON", plain, `{"access_token":"PLANTED"}`, 0},
		{"magic only", plain, "scb1", 0},
		{"header cut short", plain, header(7, far, 0)[:20], 0},
		{"header only", plain, header(7, far, 0), 7},
		{"no expiry", plain, header(7, 0, 0) + "PLANTED", 7},
		{"negative expiry", plain, header(7, -5, 0) + "PLANTED", 7},
		{"unknown flags", plain, header(7, far, 9) + "PLANTED", 7},
		{"encrypted for a plain store", plain, header(7, far, 1) + strings.Repeat("n", 40), 7},
		{"plain for an encrypting store", enc, header(7, far, 0) + "PLANTED", 7},
		{"sealed token cut short", enc, header(7, far, 1) + strings.Repeat("n", 28), 7},
		{"sealed garbage", enc, header(7, far, 1) + strings.Repeat("n", 64), 7},
		{"too large", plain, header(7, far, 0) + strings.Repeat("PLANTED", redisstore.MaxValueBytes/7+1), 7},
		{"version zero", plain, header(0, far, 9) + "PLANTED", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			name := "scboauth:tok:" + string(storetest.AppA)
			if err := rdb.Set(ctx, name, c.value, time.Hour).Err(); err != nil {
				t.Fatal(err)
			}
			r, err := c.store.Get(ctx, storetest.AppA)
			if !errors.Is(err, api.ErrStoreUnreadable) || r.Value() != nil || r.Version != c.version {
				t.Fatalf("Get = %v, %v; want ErrStoreUnreadable, no value, version %x", r, err, c.version)
			}
			if strings.Contains(err.Error(), "PLANTED") {
				t.Fatalf("err %q quotes the value", err)
			}
			v, err := c.store.Put(ctx, storetest.AppA, api.NewStoreRecord([]byte("fresh"), time.Now().Add(time.Hour), 0), c.version)
			if err != nil {
				t.Fatalf("Put over it with version %x: %v", c.version, err)
			}
			if r, err := c.store.Get(ctx, storetest.AppA); err != nil || string(r.Value()) != "fresh" || r.Version != v {
				t.Fatalf("after Put: %v, %v", r, err)
			}
		})
	}
}

// TestForeignKeys: a key of another type where a record goes reads as unreadable and is
// replaced; a lock key without a TTL (planted by hand, or left by a tool) does not lock the
// fleet out; a live lock of this store is never taken over.
func TestForeignKeys(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	ctx := t.Context()
	s := newStore(t, rdb, redisstore.Options{})
	rec, lock := "scboauth:tok:"+string(storetest.AppA), "scboauth:lock:"+string(storetest.AppA)
	rdb.HSet(ctx, rec, "accessToken", "PLANTED")
	r, err := s.Get(ctx, storetest.AppA)
	if !errors.Is(err, api.ErrStoreUnreadable) || r.Version != 0 || strings.Contains(err.Error(), "PLANTED") {
		t.Fatalf("a hash under the record's key: %v, %v; want ErrStoreUnreadable, version 0", r, err)
	}
	if ok, err := s.Delete(ctx, storetest.AppA, 1); ok || err != nil {
		t.Fatalf("Delete of a hash: %v, %v", ok, err)
	}
	if _, err := s.Put(ctx, storetest.AppA, api.NewStoreRecord([]byte("v"), time.Now().Add(time.Hour), 0), 0); err != nil {
		t.Fatalf("Put over a hash: %v", err)
	}
	for name, plant := range map[string]func(){
		"string without TTL": func() { rdb.Set(ctx, lock, "PLANTED", 0) },
		"hash without TTL":   func() { rdb.Del(ctx, lock); rdb.HSet(ctx, lock, "a", "b") },
	} {
		plant()
		l, err := s.TryLock(ctx, storetest.AppA, time.Minute)
		if err != nil {
			t.Fatalf("%s at the lock key: TryLock: %v", name, err)
		}
		if ttl := rdb.PTTL(ctx, lock).Val(); ttl <= 0 {
			t.Fatalf("%s: the lock taken over has TTL %s", name, ttl)
		}
		wantLockedOut(t, s)
		if err := l.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func wantLockedOut(t *testing.T, s *redisstore.Store) {
	t.Helper()
	if _, err := s.TryLock(t.Context(), storetest.AppA, time.Minute); !errors.Is(err, api.ErrStoreLocked) {
		t.Fatalf("TryLock on a live lock: err %v, want ErrStoreLocked", err)
	}
}

func TestPutBounds(t *testing.T) {
	s := newStore(t, redistest.Start(t).Client(t), redisstore.Options{EncryptionKey: key16})
	ctx := t.Context()
	max := redisstore.MaxValueBytes - 21 - 12 - 16
	if _, err := s.Put(ctx, storetest.AppA, api.NewStoreRecord(bytes.Repeat([]byte("v"), max), time.Now().Add(time.Hour), 0), 0); err != nil {
		t.Fatalf("largest value: %v", err)
	}
	if r, err := s.Get(ctx, storetest.AppA); err != nil || len(r.Value()) != max {
		t.Fatalf("largest value read back: %d bytes, %v", len(r.Value()), err)
	}
	_, err := s.Put(ctx, storetest.AppB, api.NewStoreRecord(bytes.Repeat([]byte("v"), max+1), time.Now().Add(time.Hour), 0), 0)
	if err == nil || !strings.Contains(err.Error(), "at most") {
		t.Fatalf("value one byte too large: err %v", err)
	}
	ten := time.Now().Add(10 * 365 * 24 * time.Hour)
	if _, err := s.Put(ctx, storetest.AppB, api.NewStoreRecord([]byte("v"), ten, 0), 0); err != nil {
		t.Fatalf("ten-year expiry: %v", err)
	}
	l, err := s.TryLock(ctx, storetest.AppB, 1<<63-1) // the longest lease there is
	if err != nil {
		t.Fatalf("longest lease: %v", err)
	}
	if err := l.Extend(ctx, 1<<63-1); err != nil {
		t.Fatalf("longest extension: %v", err)
	}
}

// TestRedisHangs: a server that answers nothing costs each call the store's timeout, then an
// error matching context.DeadlineExceeded; once it answers, calls work again. The client's own
// read timeout is a minute: a call that came back before it was cut by the store.
func TestRedisHangs(t *testing.T) {
	srv := redistest.Start(t)
	opts := srv.Options()
	opts.ReadTimeout, opts.WriteTimeout = time.Minute, time.Minute
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	s := newStore(t, rdb, redisstore.Options{Timeout: 100 * time.Millisecond})
	ctx := t.Context()
	if _, err := s.Put(ctx, storetest.AppA, api.NewStoreRecord([]byte("v"), time.Now().Add(time.Hour), 0), 0); err != nil {
		t.Fatal(err)
	}
	l, err := s.TryLock(ctx, storetest.AppA, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	srv.Pause()
	start := time.Now()
	_, gerr := s.Get(ctx, storetest.AppA)
	_, perr := s.Put(ctx, storetest.AppB, api.NewStoreRecord([]byte("v"), time.Now().Add(time.Hour), 0), 0)
	_, derr := s.Delete(ctx, storetest.AppA, 1)
	_, lerr := s.TryLock(ctx, storetest.AppB, time.Second)
	eerr := l.Extend(ctx, time.Minute)
	uerr := l.Unlock(ctx)
	for i, err := range []error{gerr, perr, derr, lerr, eerr, uerr} {
		if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "redisstore: ") {
			t.Errorf("call %d on a hung server: err %v, want the store's deadline", i, err)
		}
	}
	if d := time.Since(start); d >= opts.ReadTimeout {
		t.Fatalf("six calls took %s: the client's read timeout cut them, not the store's", d)
	}
	srv.Resume()
	if r, err := s.Get(ctx, storetest.AppA); err != nil || string(r.Value()) != "v" {
		t.Fatalf("after the pause: %v, %v", r, err)
	}
}

// TestRedisKilled: a server that died gives errors at once, not hangs; a restarted one (empty)
// is used again without a new client.
func TestRedisKilled(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv.Client(t), redisstore.Options{Timeout: 5 * time.Second})
	ctx := t.Context()
	if _, err := s.Put(ctx, storetest.AppA, api.NewStoreRecord([]byte("v"), time.Now().Add(time.Hour), 0), 0); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	if _, err := s.Get(ctx, storetest.AppA); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get from a dead server: err %v, want a connection error", err)
	}
	if _, err := s.TryLock(ctx, storetest.AppA, time.Second); err == nil || errors.Is(err, api.ErrStoreLocked) {
		t.Fatalf("TryLock on a dead server: err %v, want a connection error", err)
	}
	srv.Restart()
	if r, err := s.Get(ctx, storetest.AppA); err != nil || r.Version != 0 {
		t.Fatalf("Get from the restarted (empty) server: %v, %v; want a miss", r, err)
	}
	if _, err := s.Put(ctx, storetest.AppA, api.NewStoreRecord([]byte("v2"), time.Now().Add(time.Hour), 0), 0); err != nil {
		t.Fatalf("Put after the restart: %v", err)
	}
}

// TestPrefixesSeparate: two stores with different prefixes on one Redis do not see each
// other's records or locks.
func TestPrefixesSeparate(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	ctx := t.Context()
	a := newStore(t, rdb, redisstore.Options{Prefix: "team-a:"})
	b := newStore(t, rdb, redisstore.Options{Prefix: "team-b:"})
	if _, err := a.Put(ctx, storetest.AppA, api.NewStoreRecord([]byte("a"), time.Now().Add(time.Hour), 0), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := a.TryLock(ctx, storetest.AppA, time.Minute); err != nil {
		t.Fatal(err)
	}
	if r, err := b.Get(ctx, storetest.AppA); err != nil || r.Version != 0 {
		t.Fatalf("other prefix sees %v, %v", r, err)
	}
	if _, err := b.TryLock(ctx, storetest.AppA, time.Minute); err != nil {
		t.Fatalf("other prefix locked out: %v", err)
	}
}

// TestParseURL: a Redis URL that does not parse gives an error that says why, starts with the
// package name, and never shows the password (go-redis's own errors quote the whole URL); one
// that parses gives options New accepts.
func TestParseURL(t *testing.T) {
	for _, c := range []struct{ url, want string }{
		{"", "invalid URL scheme"},
		{"localhost:6379", "invalid URL scheme: localhost"},
		{"redis//localhost", "invalid URL scheme"},
		{"ftp://u:pa55word@host", "invalid URL scheme: ftp"},
		{"redis://u:pa55word@ho st:6379", `does not parse: invalid character " " in host name`},
		{"redis://u:pa55word@host:port", `does not parse: invalid port ":port" after host`},
		{"redis://u:pa55word@host:6379/x", `invalid database number: "x"`},
		{"redis://u:pa55word@host:6379/0?dial_timeout=zz", "invalid dial_timeout duration"},
		{"redis://u:pa55word@host:6379/0?foo=1", "unexpected option: foo"},
		{"redis://:pa55%zzword@host", "an invalid %-escape"},
		{"redis://u:pa55word@host\r\n:6379", "invalid control character in URL"},
		{"redis://u:pa55word@[::1", "does not parse"},
	} {
		t.Run(c.want, func(t *testing.T) {
			opts, err := redisstore.ParseURL(c.url)
			if err == nil || !strings.HasPrefix(err.Error(), "redisstore: Redis URL: ") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ParseURL = %v, %v; want an error containing %q", opts, err, c.want)
			}
			if strings.Contains(err.Error(), "pa55") || strings.ContainsAny(err.Error(), "\r\n") {
				t.Errorf("error %q shows the password or a control character", err)
			}
		})
	}
	opts, err := redisstore.ParseURL("redis://u:pa55word@127.0.0.1:6379/2")
	if err != nil || !opts.ContextTimeoutEnabled || opts.DialerRetries != 1 || opts.DB != 2 || opts.Password != "pa55word" {
		t.Fatalf("ParseURL of a good URL: %+v, %v", opts, err)
	}
	if _, err := redisstore.New(redis.NewClient(opts), redisstore.Options{}); err != nil {
		t.Fatalf("New refused ParseURL's options: %v", err)
	}
}
