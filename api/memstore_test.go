package api

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// memStore is a Store in memory, on a clock that tests move: the reference implementation of
// the Store contract (api/storetest checks it), and the store of round 2's TokenSource tests.
type memStore struct {
	mu     sync.Mutex
	offset time.Duration // added to the wall clock
	recs   map[StoreKey]StoreRecord
	locks  map[StoreKey]memLockState
	last   uint64 // the last version or lock token handed out
}

type memLockState struct {
	token uint64
	until time.Time
}

func newMemStore() *memStore {
	return &memStore{recs: make(map[StoreKey]StoreRecord), locks: make(map[StoreKey]memLockState)}
}

// advance moves the store's clock forward by d.
func (m *memStore) advance(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.offset += d
}

func (m *memStore) now() time.Time { return time.Now().Add(m.offset) }

// check returns the error of a call on key with ctx, before the store looks at anything.
func (m *memStore) check(ctx context.Context, key StoreKey) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: %w", err)
	}
	if !key.Valid() {
		return fmt.Errorf("memstore: invalid key %q", key)
	}
	return nil
}

// current returns the live record under key, dropping it if it has expired; m.mu is held.
func (m *memStore) current(key StoreKey) StoreRecord {
	r, ok := m.recs[key]
	if ok && !m.now().Before(r.Expiry) {
		delete(m.recs, key)
		return StoreRecord{}
	}
	return r
}

func (m *memStore) Get(ctx context.Context, key StoreKey) (StoreRecord, error) {
	if err := m.check(ctx, key); err != nil {
		return StoreRecord{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.current(key)
	if r.Version == 0 {
		return StoreRecord{}, nil
	}
	return NewStoreRecord(append([]byte(nil), r.Value()...), r.Expiry, r.Version), nil
}

func (m *memStore) Put(ctx context.Context, key StoreKey, rec StoreRecord, prev uint64) (uint64, error) {
	if err := m.check(ctx, key); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(rec.Value()) == 0 || !rec.Expiry.After(m.now()) {
		return 0, errors.New("memstore: put: empty value or expiry not in the future")
	}
	if m.current(key).Version != prev {
		return 0, fmt.Errorf("memstore: put: %w", ErrStoreConflict)
	}
	m.last++
	m.recs[key] = NewStoreRecord(append([]byte(nil), rec.Value()...), rec.Expiry.Round(0), m.last)
	return m.last, nil
}

func (m *memStore) Delete(ctx context.Context, key StoreKey, version uint64) (bool, error) {
	if err := m.check(ctx, key); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := m.current(key); r.Version == 0 || r.Version != version {
		return false, nil
	}
	delete(m.recs, key)
	return true, nil
}

func (m *memStore) TryLock(ctx context.Context, key StoreKey, lease time.Duration) (StoreLock, error) {
	if err := m.check(ctx, key); err != nil {
		return nil, err
	}
	if lease <= 0 {
		return nil, fmt.Errorf("memstore: lease %s is not positive", lease)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.locks[key]; ok && m.now().Before(l.until) {
		return nil, fmt.Errorf("memstore: %w", ErrStoreLocked)
	}
	m.last++
	m.locks[key] = memLockState{token: m.last, until: m.now().Add(max(lease, time.Millisecond))}
	return &memLock{m: m, key: key, token: m.last}, nil
}

// memLock is a lock of a memStore.
type memLock struct {
	m     *memStore
	key   StoreKey
	token uint64
}

// held reports whether l still holds its lock; m.mu is held.
func (l *memLock) held() bool {
	s, ok := l.m.locks[l.key]
	return ok && s.token == l.token && l.m.now().Before(s.until)
}

func (l *memLock) Extend(ctx context.Context, lease time.Duration) error {
	if err := l.m.check(ctx, l.key); err != nil {
		return err
	}
	if lease <= 0 {
		return fmt.Errorf("memstore: lease %s is not positive", lease)
	}
	l.m.mu.Lock()
	defer l.m.mu.Unlock()
	if !l.held() {
		return fmt.Errorf("memstore: %w", ErrStoreLockLost)
	}
	l.m.locks[l.key] = memLockState{token: l.token, until: l.m.now().Add(max(lease, time.Millisecond))}
	return nil
}

func (l *memLock) Unlock(ctx context.Context) error {
	if err := l.m.check(ctx, l.key); err != nil {
		return err
	}
	l.m.mu.Lock()
	defer l.m.mu.Unlock()
	if !l.held() {
		return fmt.Errorf("memstore: %w", ErrStoreLockLost)
	}
	delete(l.m.locks, l.key)
	return nil
}
