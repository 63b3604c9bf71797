// Package redisstore is an api.Store on Redis: the tokens of a fleet's TokenSources, shared so
// that N processes make one token request instead of N and redeem a user's refresh token
// once. It takes a go-redis client and never dials itself; only programs that import it link
// go-redis.
//
// # Use
//
// Every process of the fleet builds the same store and puts it in api.Config.Store:
//
//	opts, err := redisstore.ParseURL(os.Getenv("REDIS_URL")) // or your own *redis.Options
//	if err != nil {
//		return err // "redisstore: Redis URL: ...", never showing the password
//	}
//	store, err := redisstore.New(redis.NewClient(opts), redisstore.Options{EncryptionKey: key})
//	if err != nil {
//		return err
//	}
//	client, err := api.NewClient(api.Config{ApplicationKey: ..., ApplicationSecret: ..., Store: store})
//
// A user's pair is shared with Client.UserTokenSource(tok, api.WithUserID(id)) in the process
// that made the exchange, and Client.UserTokenSource(nil, api.WithUserID(id)) elsewhere.
//
// When Redis is down or slow (each call gives up after Options.Timeout), nothing stops: cached
// tokens are served as before, a process that needs a token fetches it for itself (one request
// for all its goroutines) and logs one warning for the outage, and the store is used again as
// soon as it answers. See api.Store for the protocol.
//
// # Keys and values
//
// A record lives at Prefix+"tok:"+key and its lock at Prefix+"lock:"+key, where key is the
// api.StoreKey (a hash of the application key and base URL, plus a hash of the user id for a
// user's pair; never the secret), so two applications sharing one Redis never share a key.
// Each command touches one key, so the store works on Redis Cluster as well.
//
// A value is a 21-byte header, then the token: "scb1", the record's version (8 bytes), its
// expiry (Unix milliseconds, 8 bytes), a flag byte (0 plain, 1 AES-GCM), then the encoded
// token, or a 12-byte nonce and the token sealed with AES-GCM, whose additional data is the
// Redis key and the header: a value moved to another key, or whose header was changed, fails
// to open. The key's TTL is set to the record's expiry (PX, from the writer's clock), so Redis
// forgets a token when it is useless. A value that cannot be read (corrupt, another format,
// another encryption key, too large) is returned as api.ErrStoreUnreadable: a miss, never a
// panic or garbage.
//
// # Scripts and the lock
//
// Compare-and-swap (Put) and compare-and-delete (Delete) are Lua scripts that compare the
// version in the header, so they are atomic in Redis. The lock is SET NX PX with a random
// token (in a script that also takes over a lock key without a TTL, which only a value planted
// by hand can be), released (and extended) by compare-and-delete (compare-and-PEXPIRE)
// scripts on that token, hand-written rather than taken from github.com/bsm/redislock: the store needs its own
// scripts for records anyway, api.Store's TryLock never waits (the waiting belongs to the
// protocol, which re-reads the record while it waits, whereas redislock's Obtain retries the
// lock alone), and every command goes through the same per-call timeout, which a library's
// retry loop would not apply; that is a SET and two five-line scripts, not a second
// dependency.
//
// # Payment confirmations
//
// Deduplicator (NewDeduplicator) is an api.Deduplicator for the same Redis: give it to every
// replica's api.PaymentConfirmations with api.WithDeduplicator, and a confirmation SCB sends
// again, to another replica or to two at once, reaches your function once in the fleet:
//
//	dedup, err := redisstore.NewDeduplicator(rdb, redisstore.DedupOptions{})
//	receiver, err := api.PaymentConfirmations(markPaid, api.WithDeduplicator(dedup))
//
// A claim lives Prefix+"confirm:"+transactionId with its lease as TTL, so the claim of a
// replica that dies ends by itself and SCB's next re-send is processed; a processed
// transactionId is kept for DedupOptions.Retention.
//
// # Timeouts
//
// Every call is bounded by Options.Timeout (default DefaultTimeout) as well as by its context.
// go-redis applies a context's deadline only with ContextTimeoutEnabled, so New refuses a
// client without it (for *redis.Client, *redis.ClusterClient and *redis.Ring).
package redisstore

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/internal/redact"
)

// Defaults and bounds of Options.
const (
	// DefaultPrefix starts every key of a store whose Options.Prefix is empty.
	DefaultPrefix = "scboauth:"
	// DefaultTimeout bounds each Redis call of a store whose Options.Timeout is zero.
	DefaultTimeout = time.Second
	// MaxTimeout is the longest Options.Timeout: a hung Redis must not hold a renewal longer.
	MaxTimeout = time.Minute
	// MaxValueBytes bounds a record's value as it is kept in Redis, header included; a larger
	// one is refused by Put and unreadable for Get.
	MaxValueBytes = 64 << 10
)

// Options configures a Store. The zero Options is a plain store with the default prefix and
// timeout.
type Options struct {
	// Prefix starts every key the store writes: DefaultPrefix when empty. At most 64 bytes of
	// visible ASCII. Stores with different prefixes do not see each other's tokens.
	Prefix string
	// Timeout bounds each Redis call (on top of the caller's context): DefaultTimeout when
	// zero, at most MaxTimeout.
	Timeout time.Duration
	// EncryptionKey, when set, encrypts tokens at rest with AES-GCM: 16, 24 or 32 random bytes
	// (AES-128, -192, -256). Every process of the fleet needs the same key. A record written
	// with another key, or without encryption, reads as a miss and is replaced. Options
	// redacts it when printed, logged or marshalled.
	EncryptionKey []byte
}

// String describes o with the encryption key redacted.
func (o Options) String() string {
	return fmt.Sprintf("redisstore.Options{Prefix: %q, Timeout: %s, EncryptionKey: %s}", o.Prefix, o.Timeout, shownKey(o.EncryptionKey))
}

// GoString returns the same description for %#v.
func (o Options) GoString() string { return o.String() }

// Format prints the description for every verb.
func (o Options) Format(f fmt.State, verb rune) { redact.Format(f, verb, o.String()) }

// LogValue logs o with the encryption key redacted.
func (o Options) LogValue() slog.Value {
	return slog.GroupValue(slog.String("prefix", o.Prefix), slog.Duration("timeout", o.Timeout),
		slog.String("encryptionKey", shownKey(o.EncryptionKey)))
}

// MarshalJSON encodes o with the encryption key redacted.
func (o Options) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Prefix        string `json:"prefix"`
		Timeout       string `json:"timeout"`
		EncryptionKey string `json:"encryptionKey,omitempty"`
	}{o.Prefix, o.Timeout.String(), shownKey(o.EncryptionKey)})
}

func shownKey(k []byte) string {
	if len(k) == 0 {
		return ""
	}
	return redact.Marker
}

// Store is an api.Store on a Redis client. It is safe for concurrent use.
type Store struct {
	rdb     redis.UniversalClient
	prefix  string
	timeout time.Duration
	aead    cipher.AEAD // nil: values are kept in clear
}

var _ api.Store = (*Store)(nil)

// New returns a Store on rdb. It fails on a nil client, a client without
// ContextTimeoutEnabled, a prefix that is too long or not visible ASCII, a timeout that is
// negative or above MaxTimeout, and an encryption key that is not 16, 24 or 32 bytes.
func New(rdb redis.UniversalClient, opts Options) (*Store, error) {
	if rdb == nil {
		return nil, errors.New("redisstore: nil Redis client")
	}
	if !contextTimeouts(rdb) {
		return nil, errors.New("redisstore: the Redis client must have ContextTimeoutEnabled: true, or go-redis ignores the store's timeouts")
	}
	s := &Store{rdb: rdb, prefix: opts.Prefix, timeout: opts.Timeout}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if len(s.prefix) > 64 || strings.ContainsFunc(s.prefix, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return nil, fmt.Errorf("redisstore: Options.Prefix %q: want at most 64 bytes of visible ASCII", s.prefix)
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	if s.timeout < 0 || s.timeout > MaxTimeout {
		return nil, fmt.Errorf("redisstore: Options.Timeout %s: want 0 (default %s) up to %s", s.timeout, DefaultTimeout, MaxTimeout)
	}
	if opts.EncryptionKey != nil {
		block, err := aes.NewCipher(opts.EncryptionKey)
		if err != nil {
			return nil, fmt.Errorf("redisstore: Options.EncryptionKey is %d bytes, want 16, 24 or 32 (AES-128, -192, -256)", len(opts.EncryptionKey))
		}
		s.aead, _ = cipher.NewGCM(block) // fails only for a block size other than AES's
	}
	return s, nil
}

// contextTimeouts reports whether rdb applies a context's deadline to its calls, as far as
// its type tells.
func contextTimeouts(rdb redis.UniversalClient) bool {
	switch c := rdb.(type) {
	case *redis.Client:
		return c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		return c.Options().ContextTimeoutEnabled
	case *redis.Ring:
		return c.Options().ContextTimeoutEnabled
	}
	return true // a client of another type: its own business
}

// String describes s; it never shows the encryption key.
func (s *Store) String() string {
	if s == nil {
		return "redisstore.Store(nil)"
	}
	return fmt.Sprintf("redisstore.Store{Prefix: %q, Timeout: %s, Encrypted: %t}", s.prefix, s.timeout, s.aead != nil)
}

// GoString returns the same description for %#v.
func (s *Store) GoString() string { return s.String() }

// Format prints the description for every verb.
func (s *Store) Format(f fmt.State, verb rune) { redact.Format(f, verb, s.String()) }

// LogValue logs the description.
func (s *Store) LogValue() slog.Value { return slog.StringValue(s.String()) }

// name returns the Redis key of key in the namespace kind ("tok:" or "lock:").
func (s *Store) name(kind string, key api.StoreKey) (string, error) {
	if !key.Valid() {
		return "", fmt.Errorf("redisstore: invalid key %q", key)
	}
	return s.prefix + kind + string(key), nil
}

// call returns ctx bounded by the store's timeout.
func (s *Store) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// failed returns the error of the call op on the Redis key name. When the call's context has
// ended (the store's timeout or the caller's), the error also matches ctx.Err(): go-redis
// reports a deadline as the connection's "i/o timeout".
func failed(ctx context.Context, op, name string, err error) error {
	cerr := ctx.Err()
	if d, ok := ctx.Deadline(); ok && cerr == nil && !time.Now().Before(d) {
		cerr = context.DeadlineExceeded // the connection's deadline fired before ctx's timer
	}
	if cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("redisstore: %s %s: %w (%w)", op, name, cerr, err)
	}
	return fmt.Errorf("redisstore: %s %s: %w", op, name, err)
}

// Get returns the record under key; see api.Store.
func (s *Store) Get(ctx context.Context, key api.StoreKey) (api.StoreRecord, error) {
	name, err := s.name("tok:", key)
	if err != nil {
		return api.StoreRecord{}, err
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	b, err := s.rdb.Get(ctx, name).Bytes()
	if errors.Is(err, redis.Nil) {
		return api.StoreRecord{}, nil
	}
	if err != nil && strings.HasPrefix(err.Error(), "WRONGTYPE") {
		return api.StoreRecord{}, unreadable(name, "a key of another type")
	}
	if err != nil {
		return api.StoreRecord{}, failed(ctx, "get", name, err)
	}
	return s.open(name, b)
}

// Put writes rec under key if the record there has version prev; see api.Store.
func (s *Store) Put(ctx context.Context, key api.StoreKey, rec api.StoreRecord, prev uint64) (uint64, error) {
	name, err := s.name("tok:", key)
	if err != nil {
		return 0, err
	}
	ttl := time.Until(rec.Expiry)
	switch {
	case len(rec.Value()) == 0:
		return 0, fmt.Errorf("redisstore: put %s: empty value", name)
	case rec.Expiry.IsZero() || ttl <= 0:
		return 0, fmt.Errorf("redisstore: put %s: expiry %s is not in the future", name, rec.Expiry.Format(time.RFC3339Nano))
	case len(rec.Value()) > MaxValueBytes-headerLen-nonceLen-tagLen:
		return 0, fmt.Errorf("redisstore: put %s: value of %d bytes, at most %d", name, len(rec.Value()), MaxValueBytes-headerLen-nonceLen-tagLen)
	}
	version := newVersion(prev)
	value := s.seal(name, version, rec.Expiry, rec.Value())
	ctx, cancel := s.call(ctx)
	defer cancel()
	ok, err := putScript.Run(ctx, s.rdb, []string{name}, versionArg(prev), value, ceilMillis(ttl)).Int()
	if err != nil {
		return 0, failed(ctx, "put", name, err)
	}
	if ok != 1 {
		return 0, fmt.Errorf("redisstore: put %s: %w", name, api.ErrStoreConflict)
	}
	return version, nil
}

// Delete removes the record under key if its version is version; see api.Store.
func (s *Store) Delete(ctx context.Context, key api.StoreKey, version uint64) (bool, error) {
	name, err := s.name("tok:", key)
	if err != nil {
		return false, err
	}
	if version == 0 { // no record has it; an unreadable value is not deleted
		if err := ctx.Err(); err != nil {
			return false, fmt.Errorf("redisstore: delete %s: %w", name, err)
		}
		return false, nil
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	n, err := deleteScript.Run(ctx, s.rdb, []string{name}, versionArg(version)).Int()
	if err != nil {
		return false, failed(ctx, "delete", name, err)
	}
	return n == 1, nil
}

// TryLock takes the lock on key for lease, or fails with api.ErrStoreLocked; see api.Store.
func (s *Store) TryLock(ctx context.Context, key api.StoreKey, lease time.Duration) (api.StoreLock, error) {
	name, err := s.name("lock:", key)
	if err != nil {
		return nil, err
	}
	if lease <= 0 {
		return nil, fmt.Errorf("redisstore: lock %s: lease %s is not positive", name, lease)
	}
	token := rand.Text()
	ctx, cancel := s.call(ctx)
	defer cancel()
	ok, err := lockScript.Run(ctx, s.rdb, []string{name}, token, ceilMillis(lease)).Int()
	switch {
	case err != nil:
		return nil, failed(ctx, "lock", name, err)
	case ok != 1:
		return nil, fmt.Errorf("redisstore: lock %s: %w", name, api.ErrStoreLocked)
	}
	return &lock{s: s, name: name, token: token}, nil
}

// lock is a lock taken by TryLock: its key and the random token that proves it is ours.
type lock struct {
	s     *Store
	name  string
	token string
}

// Extend makes the lease end lease from now if the lock is still held; see api.StoreLock.
func (l *lock) Extend(ctx context.Context, lease time.Duration) error {
	if lease <= 0 {
		return fmt.Errorf("redisstore: extend %s: lease %s is not positive", l.name, lease)
	}
	return l.run(ctx, "extend", extendScript, ceilMillis(lease))
}

// Unlock releases the lock if it is still held; see api.StoreLock.
func (l *lock) Unlock(ctx context.Context) error { return l.run(ctx, "unlock", unlockScript) }

func (l *lock) run(ctx context.Context, op string, script *redis.Script, args ...any) error {
	ctx, cancel := l.s.call(ctx)
	defer cancel()
	n, err := script.Run(ctx, l.s.rdb, []string{l.name}, append([]any{l.token}, args...)...).Int()
	if err != nil {
		return failed(ctx, op, l.name, err)
	}
	if n != 1 {
		return fmt.Errorf("redisstore: %s %s: %w", op, l.name, api.ErrStoreLockLost)
	}
	return nil
}

// newVersion returns a random version, non-zero and other than prev.
func newVersion(prev uint64) uint64 {
	for {
		if v := mrand.Uint64(); v != 0 && v != prev {
			return v
		}
	}
}

// versionArg is a version as the scripts compare it: the 8 bytes of the header.
func versionArg(v uint64) string { return string(binary.BigEndian.AppendUint64(nil, v)) }

// ceilMillis returns d in whole milliseconds, rounded up, at least 1: what PX takes.
func ceilMillis(d time.Duration) int64 {
	ms := int64(d / time.Millisecond)
	if d%time.Millisecond > 0 {
		ms++
	}
	return max(1, ms)
}
