// Package storetest checks that an implementation of api.Store keeps the contract api.Store
// documents, the way testing/fstest checks a file system: records with versions,
// compare-and-swap and compare-and-delete, expiry, locks with leases, separate keys, and
// refusal of bad input. RunDeduplicator does the same for an api.Deduplicator. api/redisstore
// runs both against a real redis-server and miniredis.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/scboauth/scboauth/api"
)

// Harness describes the store under test.
type Harness struct {
	// New returns an empty store. Each subtest calls it once.
	New func(t *testing.T) api.Store
	// Advance moves the clock of the store returned by the last call of New forward by d, so
	// that leases and records expire: a fake clock where the store has one, or a wait for a
	// server whose clock cannot be moved. The checks advance by 240ms in all.
	Advance func(t *testing.T, d time.Duration)
}

// Keys the checks use: two applications, and a user of the first.
const (
	AppA  api.StoreKey = "0123456789abcdef0123456789abcdef"
	AppB  api.StoreKey = "fedcba9876543210fedcba9876543210"
	UserA api.StoreKey = AppA + ":u:00112233445566778899aabbccddeeff"
)

// Run checks the store that h describes, each property in a subtest.
func Run(t *testing.T, h Harness) {
	for _, c := range []struct {
		name string
		f    func(*testing.T, Harness)
	}{
		{"Miss", testMiss},
		{"PutGet", testPutGet},
		{"ValueKeptAsIs", testValueKeptAsIs},
		{"CompareAndSwap", testCompareAndSwap},
		{"VersionsNeverRepeat", testVersionsNeverRepeat},
		{"CompareAndDelete", testCompareAndDelete},
		{"RecordExpires", testRecordExpires},
		{"BadRecords", testBadRecords},
		{"BadKeys", testBadKeys},
		{"KeysAreSeparate", testKeysAreSeparate},
		{"Lock", testLock},
		{"LeaseEnds", testLeaseEnds},
		{"Extend", testExtend},
		{"BadLease", testBadLease},
		{"OneWinner", testOneWinner},
		{"CancelledContext", testCancelledContext},
	} {
		t.Run(c.name, func(t *testing.T) { c.f(t, h) })
	}
}

func record(value string, life time.Duration) api.StoreRecord {
	return api.NewStoreRecord([]byte(value), time.Now().Add(life), 0)
}

func put(t *testing.T, s api.Store, key api.StoreKey, rec api.StoreRecord, prev uint64) uint64 {
	t.Helper()
	v, err := s.Put(t.Context(), key, rec, prev)
	if err != nil {
		t.Fatalf("Put(%s, prev %x): %v", key, prev, err)
	}
	if v == 0 || v == prev {
		t.Fatalf("Put(%s, prev %x) returned version %x: want non-zero and new", key, prev, v)
	}
	return v
}

// get returns the record under key, failing on an error.
func get(t *testing.T, s api.Store, key api.StoreKey) api.StoreRecord {
	t.Helper()
	r, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%s): %v", key, err)
	}
	return r
}

func wantValue(t *testing.T, s api.Store, key api.StoreKey, value string, version uint64) {
	t.Helper()
	r := get(t, s, key)
	if string(r.Value()) != value || r.Version != version {
		t.Fatalf("Get(%s) = %q version %x, want %q version %x", key, r.Value(), r.Version, value, version)
	}
}

func wantMiss(t *testing.T, s api.Store, key api.StoreKey) {
	t.Helper()
	if r := get(t, s, key); r.Version != 0 || r.Value() != nil {
		t.Fatalf("Get(%s) = version %x with %d bytes, want a miss (the zero record)", key, r.Version, len(r.Value()))
	}
}

func lock(t *testing.T, s api.Store, key api.StoreKey, lease time.Duration) api.StoreLock {
	t.Helper()
	l, err := s.TryLock(t.Context(), key, lease)
	if err != nil {
		t.Fatalf("TryLock(%s, %s): %v", key, lease, err)
	}
	return l
}

func wantLocked(t *testing.T, s api.Store, key api.StoreKey) {
	t.Helper()
	if _, err := s.TryLock(t.Context(), key, time.Second); !errors.Is(err, api.ErrStoreLocked) {
		t.Fatalf("TryLock(%s) on a held lock: err %v, want ErrStoreLocked", key, err)
	}
}

func testMiss(t *testing.T, h Harness) {
	s := h.New(t)
	wantMiss(t, s, AppA)
	wantMiss(t, s, UserA)
}

func testPutGet(t *testing.T, h Harness) {
	s := h.New(t)
	rec := record("token one", time.Hour)
	v := put(t, s, AppA, rec, 0)
	r := get(t, s, AppA)
	if string(r.Value()) != "token one" || r.Version != v {
		t.Fatalf("Get = %q version %x, want %q version %x", r.Value(), r.Version, "token one", v)
	}
	if d := r.Expiry.Sub(rec.Expiry); d <= -time.Millisecond || d >= time.Millisecond {
		t.Fatalf("Get: Expiry %s, want %s within a millisecond", r.Expiry, rec.Expiry)
	}
	rec.Value()[0] = 'X' // the store kept its own copy
	wantValue(t, s, AppA, "token one", v)
}

func testValueKeptAsIs(t *testing.T, h Harness) {
	s := h.New(t)
	var all []byte
	for i := range 256 {
		all = append(all, byte(i))
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 1024) // 16 KiB: the largest stored token
	for i, value := range [][]byte{all, big, {0}} {
		key := []api.StoreKey{AppA, AppB, UserA}[i]
		v := put(t, s, key, api.NewStoreRecord(value, time.Now().Add(time.Hour), 0), 0)
		if r := get(t, s, key); !bytes.Equal(r.Value(), value) || r.Version != v {
			t.Fatalf("value %d: got %d bytes version %x, want %d bytes version %x, unchanged", i, len(r.Value()), r.Version, len(value), v)
		}
	}
}

func testCompareAndSwap(t *testing.T, h Harness) {
	s := h.New(t)
	v1 := put(t, s, AppA, record("one", time.Hour), 0)
	for _, prev := range []uint64{0, v1 + 1, ^v1} {
		if _, err := s.Put(t.Context(), AppA, record("stale", time.Hour), prev); !errors.Is(err, api.ErrStoreConflict) {
			t.Fatalf("Put(prev %x) over version %x: err %v, want ErrStoreConflict", prev, v1, err)
		}
	}
	wantValue(t, s, AppA, "one", v1)
	v2 := put(t, s, AppA, record("two", time.Hour), v1)
	wantValue(t, s, AppA, "two", v2)
	if _, err := s.Put(t.Context(), AppA, record("three", time.Hour), v1); !errors.Is(err, api.ErrStoreConflict) {
		t.Fatalf("Put(prev %x) over version %x: err %v, want ErrStoreConflict (written once)", v1, v2, err)
	}
	wantValue(t, s, AppA, "two", v2)
}

func testVersionsNeverRepeat(t *testing.T, h Harness) {
	s := h.New(t)
	seen := make(map[uint64]bool)
	var prev uint64
	for i := range 40 {
		v := put(t, s, AppA, record("v", time.Hour), prev)
		if seen[v] {
			t.Fatalf("write %d: version %x again", i, v)
		}
		seen[v] = true
		prev = v
		if i%10 == 9 { // a deleted and rewritten key starts no count again
			if ok, err := s.Delete(t.Context(), AppA, v); !ok || err != nil {
				t.Fatalf("Delete(%x) = %v, %v; want true", v, ok, err)
			}
			prev = 0
		}
	}
}

func testCompareAndDelete(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := t.Context()
	v1 := put(t, s, AppA, record("one", time.Hour), 0)
	v2 := put(t, s, AppA, record("two", time.Hour), v1)
	for _, version := range []uint64{0, v1, v2 + 1} {
		if ok, err := s.Delete(ctx, AppA, version); ok || err != nil {
			t.Fatalf("Delete(%x) over version %x = %v, %v; want false, nil", version, v2, ok, err)
		}
	}
	wantValue(t, s, AppA, "two", v2)
	if ok, err := s.Delete(ctx, AppA, v2); !ok || err != nil {
		t.Fatalf("Delete(%x) = %v, %v; want true, nil", v2, ok, err)
	}
	wantMiss(t, s, AppA)
	if ok, err := s.Delete(ctx, AppA, v2); ok || err != nil {
		t.Fatalf("second Delete(%x) = %v, %v; want false, nil", v2, ok, err)
	}
}

func testRecordExpires(t *testing.T, h Harness) {
	s := h.New(t)
	put(t, s, AppA, record("short", 50*time.Millisecond), 0)
	v := put(t, s, AppB, record("long", time.Hour), 0)
	h.Advance(t, 80*time.Millisecond)
	wantMiss(t, s, AppA)
	wantValue(t, s, AppB, "long", v)
	put(t, s, AppA, record("again", time.Hour), 0) // an expired record is no record
}

func testBadRecords(t *testing.T, h Harness) {
	s := h.New(t)
	for _, c := range []struct {
		name string
		rec  api.StoreRecord
	}{
		{"no value", api.StoreRecord{Expiry: time.Now().Add(time.Hour)}},
		{"empty value", api.NewStoreRecord([]byte{}, time.Now().Add(time.Hour), 0)},
		{"no expiry", api.NewStoreRecord([]byte("v"), time.Time{}, 0)},
		{"expired", record("v", -time.Second)},
	} {
		if _, err := s.Put(t.Context(), AppA, c.rec, 0); err == nil || errors.Is(err, api.ErrStoreConflict) {
			t.Errorf("Put(%s): err %v, want an error other than ErrStoreConflict", c.name, err)
		}
	}
	wantMiss(t, s, AppA)
}

func testBadKeys(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := t.Context()
	for _, key := range []api.StoreKey{"", "x", "0123456789ABCDEF0123456789ABCDEF", AppA + ":u:", AppA + "\r\nDEL x",
		"*", AppA[:31] + "g", AppA + ":x:00112233445566778899aabbccddeeff", AppA + AppA} {
		_, gerr := s.Get(ctx, key)
		_, perr := s.Put(ctx, key, record("v", time.Hour), 0)
		_, derr := s.Delete(ctx, key, 1)
		_, lerr := s.TryLock(ctx, key, time.Second)
		for _, err := range []error{gerr, perr, derr, lerr} {
			if err == nil || errors.Is(err, api.ErrStoreLocked) || errors.Is(err, api.ErrStoreConflict) {
				t.Errorf("key %q: err %v, want a refusal", key, err)
			}
		}
	}
}

func testKeysAreSeparate(t *testing.T, h Harness) {
	s := h.New(t)
	va := put(t, s, AppA, record("a", time.Hour), 0)
	wantMiss(t, s, AppB)
	wantMiss(t, s, UserA)
	vu := put(t, s, UserA, record("user", time.Hour), 0)
	vb := put(t, s, AppB, record("b", time.Hour), 0)
	wantValue(t, s, AppA, "a", va)
	wantValue(t, s, UserA, "user", vu)
	wantValue(t, s, AppB, "b", vb)

	lock(t, s, AppA, time.Minute) // a lock neither hides nor creates a record...
	wantValue(t, s, AppA, "a", va)
	lock(t, s, UserA, time.Minute) // ...nor locks another key
	lock(t, s, AppB, time.Minute)
	if _, err := s.Put(t.Context(), AppA, record("a2", time.Hour), va); err != nil {
		t.Fatalf("Put under a lock: %v (a lock does not guard records: the protocol does)", err)
	}
}

func testLock(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := t.Context()
	l := lock(t, s, AppA, time.Minute)
	wantLocked(t, s, AppA)
	if err := l.Unlock(ctx); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	if err := l.Unlock(ctx); !errors.Is(err, api.ErrStoreLockLost) {
		t.Fatalf("second Unlock: err %v, want ErrStoreLockLost", err)
	}
	l2 := lock(t, s, AppA, time.Minute)
	if err := l.Unlock(ctx); !errors.Is(err, api.ErrStoreLockLost) {
		t.Fatalf("Unlock of a lock taken since by another: err %v, want ErrStoreLockLost", err)
	}
	wantLocked(t, s, AppA) // the old holder did not release the new holder's lock
	if err := l2.Unlock(ctx); err != nil {
		t.Fatalf("Unlock by the new holder: %v", err)
	}
	wantMiss(t, s, AppA)
}

func testLeaseEnds(t *testing.T, h Harness) {
	s := h.New(t)
	ctx := t.Context()
	dead := lock(t, s, AppA, 50*time.Millisecond) // its holder "dies": it never unlocks
	wantLocked(t, s, AppA)
	h.Advance(t, 80*time.Millisecond)
	next := lock(t, s, AppA, time.Minute)
	if err := dead.Extend(ctx, time.Minute); !errors.Is(err, api.ErrStoreLockLost) {
		t.Fatalf("Extend after the lease ended: err %v, want ErrStoreLockLost", err)
	}
	if err := dead.Unlock(ctx); !errors.Is(err, api.ErrStoreLockLost) {
		t.Fatalf("Unlock after the lease ended: err %v, want ErrStoreLockLost", err)
	}
	wantLocked(t, s, AppA) // the next holder keeps it
	if err := next.Unlock(ctx); err != nil {
		t.Fatalf("Unlock by the next holder: %v", err)
	}
}

func testExtend(t *testing.T, h Harness) {
	s := h.New(t)
	l := lock(t, s, AppA, 60*time.Millisecond)
	h.Advance(t, 40*time.Millisecond)
	if err := l.Extend(t.Context(), 60*time.Millisecond); err != nil {
		t.Fatalf("Extend: %v", err)
	}
	h.Advance(t, 40*time.Millisecond) // 80ms after TryLock: held by the extension only
	wantLocked(t, s, AppA)
	if err := l.Unlock(t.Context()); err != nil {
		t.Fatalf("Unlock after Extend: %v", err)
	}
}

func testBadLease(t *testing.T, h Harness) {
	s := h.New(t)
	for _, lease := range []time.Duration{0, -time.Second, -1 << 63} {
		if l, err := s.TryLock(t.Context(), AppA, lease); err == nil || errors.Is(err, api.ErrStoreLocked) {
			t.Fatalf("TryLock(lease %s) = %v, %v; want an error", lease, l, err)
		}
	}
	l := lock(t, s, AppA, time.Nanosecond) // counts as a millisecond
	if err := l.Extend(t.Context(), 0); err == nil || errors.Is(err, api.ErrStoreLockLost) {
		t.Fatalf("Extend(0): err %v, want a refusal", err)
	}
}

func testOneWinner(t *testing.T, h Harness) {
	s := h.New(t)
	v := put(t, s, AppA, record("base", time.Hour), 0)
	const n = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	var locks, puts int
	for range n {
		wg.Go(func() {
			_, lerr := s.TryLock(t.Context(), AppA, time.Minute)
			_, perr := s.Put(t.Context(), AppA, record("mine", time.Hour), v)
			mu.Lock()
			defer mu.Unlock()
			locks, puts = locks+count(t, lerr, api.ErrStoreLocked), puts+count(t, perr, api.ErrStoreConflict)
		})
	}
	wg.Wait()
	if locks != 1 || puts != 1 {
		t.Fatalf("%d goroutines at once: %d took the lock, %d wrote over version %x; want 1 and 1", n, locks, puts, v)
	}
}

// count returns 1 for a nil err, 0 for the expected refusal, and fails on anything else.
func count(t *testing.T, err, refusal error) int {
	if err == nil {
		return 1
	}
	if !errors.Is(err, refusal) {
		t.Errorf("err %v, want nil or %v", err, refusal)
	}
	return 0
}

func testCancelledContext(t *testing.T, h Harness) {
	s := h.New(t)
	l := lock(t, s, AppA, time.Minute)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, gerr := s.Get(ctx, AppA)
	_, perr := s.Put(ctx, AppA, record("v", time.Hour), 0)
	_, derr := s.Delete(ctx, AppA, 1)
	_, lerr := s.TryLock(ctx, AppB, time.Second)
	eerr := l.Extend(ctx, time.Minute)
	uerr := l.Unlock(ctx)
	for i, err := range []error{gerr, perr, derr, lerr, eerr, uerr} {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("call %d with a cancelled context: err %v, want context.Canceled", i, err)
		}
	}
	wantMiss(t, s, AppA)
}
