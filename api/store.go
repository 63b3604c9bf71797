package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/scboauth/scboauth/internal/redact"
)

// A Store shares tokens between the processes of a fleet, so that N replicas make one token
// request instead of N, and a user's refresh token is redeemed once. A TokenSource consults its
// Store only when its in-process cache misses or a token is due for renewal; a cache hit never
// touches it. The store package of this module is api/redisstore (Redis); the conformance
// checks of api/storetest tell whether another implementation keeps this contract.
//
// A Store keeps records under keys (StoreKey) and locks under the same keys, in separate
// namespaces: a lock never hides or creates a record. Its methods are safe for concurrent use
// and bound every call with ctx (and a timeout of their own, for a store on the network). An
// error means the store could not be asked (unreachable, timed out, ctx done): the caller
// then fetches the token directly and serves it from its own cache.
//
// # The protocol a TokenSource follows
//
// On a miss, or when its token is due for renewal (a renewal ahead of expiry is coordinated
// the same way; only the in-process jitter of refresh-ahead decides who goes first):
//
//  1. Get the record. If it holds a token this replica has not read or written yet (its
//     Version differs from the one it holds) and that token may still be handed out (it is
//     not within its safety margin of expiry), adopt it: a shared hit, no request to SCB.
//  2. TryLock the key with a short lease (Config.StoreLease), kept alive with Extend every
//     third of it while the request to SCB runs. On ErrStoreLocked another replica is
//     renewing: wait a poll interval (from 10ms, doubling up to 200ms, with jitter), Get
//     again, adopt as in 1 or TryLock again. The renewal waits until Config.RefreshDeadline;
//     each caller, until its own context ends. A holder that dies stops extending and loses
//     its lease: the next TryLock succeeds, so callers wait at most the lease plus one request
//     (and a poll interval).
//  3. Holding the lock, Get again: the previous holder may have written while this replica
//     waited. A token there it can adopt as in 1 is adopted, and the lock released, without a
//     request.
//  4. Otherwise fetch from SCB. For a user's pair, redeem the refresh token of the record just
//     read, not the one held in memory: a record whose Version differs from the one this
//     replica last read or wrote holds a newer pair, which it adopts instead of redeeming its
//     own. Only an empty store (expired, or a Redis restarted without persistence) leaves it
//     its in-memory pair; if SCB then refuses that refresh token, Get once more before giving
//     up (ErrReauthorizationRequired): a replica with the newer pair may have written it.
//  5. Put the new token with prev set to the Version read in 3 (compare-and-swap): a rotated
//     pair is written once. ErrStoreConflict means the lease ended and someone else wrote
//     (Get and adopt theirs), or the record expired or was invalidated meanwhile (Get gives
//     version 0: Put again with it).
//  6. Unlock (ErrStoreLockLost there is harmless: the lease ended, the token is written).
//
// After Invalidate (SCB refused a token with 401), the renewal deletes the application's record
// only if it still holds that token: Delete with the token's Version (compare-and-delete),
// never whatever is there now. A user's record is not deleted (it holds the refresh token the
// fleet needs): the replica renews from step 2, taking the record as stale while it has the
// refused Version. A refresh token SCB refuses is redeemed once for the fleet: the process
// refused, still holding the lock, writes over the record it read (compare-and-swap) a
// tombstone, the pair without its refresh token, marked with SCB's answer, kept as long as the
// refresh token would have lived (one hour at least, a day at most). A process that reads a
// tombstone fails with ErrReauthorizationRequired (SCB's status, code and requestUId, and a
// cause saying the answer was to another process) without asking SCB, whether it was waiting
// for the lock or comes later; until it is stale, the tombstone's access token is handed out
// as the refused process hands out its own. Every process then reads the store once per
// backoff step for a new pair (a new Exchange, in any process), which replaces the tombstone:
// a pair that expires later than the refused one. A process that passes UserTokenSource the
// refused pair, or an older one, leaves the tombstone in place and fails the same way.
//
// When the store fails (any error other than ErrStoreLocked, ErrStoreConflict or
// ErrStoreUnreadable), the TokenSource falls back to fetching directly, single-flight within
// the process, logs one warning per outage (not one per call) and one line when the store
// answers again, and counts a fallback. A token fetched that way is written to the store
// (compare-and-swap over the Version it replaced, or adopting what another process wrote
// meanwhile) at the first attempt after the store answers again, each attempt a backoff step
// after the last and before the token is due: the fleet shares one token again. A record that
// cannot be read (ErrStoreUnreadable: corrupt, written with another encryption key, another
// format, a token out of bounds) is a miss: it is logged, counted as a failure, and replaced
// by the next Put with prev set to the Version Get returned with it.
//
// Every store call is bounded by Config.StoreLease, on top of the store's own timeout.
type Store interface {
	// Get returns the record under key, or the zero StoreRecord (Version 0) when there is none
	// or it has expired. A record that exists but cannot be read comes back with an error
	// wrapping ErrStoreUnreadable and, when the store can tell it, its Version, so that a Put
	// can replace it; its Value() is nil.
	Get(ctx context.Context, key StoreKey) (StoreRecord, error)
	// Put writes rec.Value() under key until rec.Expiry if the record there now has Version prev
	// (0: there is none, or only an unreadable one whose Version the store cannot tell), and
	// returns the new record's Version: non-zero and different from every version the key
	// had. rec.Version is ignored. Otherwise it writes nothing and returns ErrStoreConflict.
	// It fails on an empty Value and on an Expiry that is not in the future.
	Put(ctx context.Context, key StoreKey, rec StoreRecord, prev uint64) (uint64, error)
	// Delete removes the record under key if its Version is version (compare-and-delete),
	// and reports whether it did; a newer record stays.
	Delete(ctx context.Context, key StoreKey, version uint64) (bool, error)
	// TryLock takes the lock on key for lease, or returns ErrStoreLocked at once when another
	// holder has it: it never waits, waiting is the caller's (the protocol re-reads the record
	// while it waits). The lock ends at Unlock or when its lease runs out, whichever is first,
	// so a holder that dies frees it within lease. A lease of less than a millisecond counts
	// as one; a lease that is not positive is an error.
	TryLock(ctx context.Context, key StoreKey, lease time.Duration) (StoreLock, error)
}

// A StoreLock is a lock taken with Store.TryLock. Its methods are safe for concurrent use.
type StoreLock interface {
	// Extend makes the lease end lease from now if the lock is still held; ErrStoreLockLost
	// means its lease had already ended (and someone else may hold the lock).
	Extend(ctx context.Context, lease time.Duration) error
	// Unlock releases the lock if it is still held (compare-and-delete on the lock's own
	// random token, so it never releases another holder's lock); ErrStoreLockLost means its
	// lease had already ended.
	Unlock(ctx context.Context) error
}

// Errors of a Store, matched with errors.Is; a Store wraps them with its own context.
var (
	// ErrStoreLocked: TryLock found the lock held by another holder.
	ErrStoreLocked = errors.New("api: token store: locked by another holder")
	// ErrStoreLockLost: the lock's lease ended before Extend or Unlock.
	ErrStoreLockLost = errors.New("api: token store: lock lost, its lease ended")
	// ErrStoreConflict: Put found another version than prev.
	ErrStoreConflict = errors.New("api: token store: version conflict")
	// ErrStoreUnreadable: Get found a record it cannot read (corrupt, another format, another
	// encryption key). Treat it as a miss.
	ErrStoreUnreadable = errors.New("api: token store: unreadable record")
)

// A StoreRecord is what a Store keeps under a key: an encoded token, opaque to the store, the
// time until which it is worth keeping, and the version the store gave it.
//
// Its value holds secrets (the access and refresh tokens, in clear unless the store encrypts
// them): a Store must not log it or put it in an error. A StoreRecord prints, logs and
// marshals itself with the value redacted, and keeps the value behind a pointer, so that even
// a StoreRecord nested in an unexported field (which fmt prints by reflection) shows none.
type StoreRecord struct {
	// Expiry is when the store may forget the record (for Redis, its TTL): the end of the
	// access token's life, or of the refresh token's for a user's pair. It comes back from Get
	// at millisecond precision, without a monotonic clock reading.
	Expiry time.Time
	// Version identifies this write of the record; 0 means no record.
	Version uint64

	value *[]byte
}

// NewStoreRecord returns a record holding value (not copied: do not change it afterwards).
func NewStoreRecord(value []byte, expiry time.Time, version uint64) StoreRecord {
	return StoreRecord{Expiry: expiry, Version: version, value: &value}
}

// Value returns the encoded token, the record's secret (not copied: do not change it); nil for
// the zero record.
func (r StoreRecord) Value() []byte {
	if r.value == nil {
		return nil
	}
	return *r.value
}

// String describes r with its Value redacted.
func (r StoreRecord) String() string {
	return "api.StoreRecord{Version: " + strconv.FormatUint(r.Version, 16) + ", Expiry: " + formatTime(r.Expiry) +
		", Value: " + strconv.Itoa(len(r.Value())) + " bytes " + redact.Marker + "}"
}

// GoString returns the same description for %#v.
func (r StoreRecord) GoString() string { return r.String() }

// Format prints the description for every verb.
func (r StoreRecord) Format(f fmt.State, verb rune) { redact.Format(f, verb, r.String()) }

// MarshalJSON encodes the description as a JSON string.
func (r StoreRecord) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(r.String())), nil }

// LogValue logs the description.
func (r StoreRecord) LogValue() slog.Value { return slog.StringValue(r.String()) }

// A StoreKey names a record (and a lock) in a Store: the client-credentials token of one
// application at one base URL, or the token pair of one of its users. It is built from hashes:
// it holds no secret and no user id, only lowercase hex digits and colons, at most
// maxStoreKeyLen bytes, so a store may use it verbatim in its own key names. Two applications,
// or one application at two base URLs (sandbox and production), never share a key.
type StoreKey string

// maxStoreKeyLen bounds the length of a StoreKey: 32 + 3 + 32 bytes.
const maxStoreKeyLen = 67

// storeKey returns the key of the client-credentials token of the application key at base
// (user empty), or of the token pair of user, an id the caller chooses. base is taken with or
// without its trailing slash; the application secret is never part of a key.
func storeKey(base, applicationKey, user string) StoreKey {
	app := sha256.Sum256([]byte("scboauth store v1\x00" + strings.TrimSuffix(base, "/") + "\x00" + applicationKey))
	k := hex.EncodeToString(app[:16])
	if user != "" {
		u := sha256.Sum256([]byte("scboauth store user v1\x00" + user))
		k += ":u:" + hex.EncodeToString(u[:16])
	}
	return StoreKey(k)
}

// Valid reports whether k has the shape of a key built by this package: what a Store may
// check before it uses k in its own key names.
func (k StoreKey) Valid() bool {
	if len(k) != 32 && len(k) != maxStoreKeyLen {
		return false
	}
	if len(k) == maxStoreKeyLen && k[32:35] != ":u:" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if (i < 32 || i >= 35) && !isLowerHex(k[i]) {
			return false
		}
	}
	return true
}

func isLowerHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

// User reports whether k names a user's token pair rather than an application's token.
func (k StoreKey) User() bool { return len(k) == maxStoreKeyLen }

// SourceStats counts what a TokenSource did to hand out tokens since it was made. Every field
// only grows, so each can be exported as a counter (a Prometheus CounterFunc, an OpenTelemetry
// Int64ObservableCounter) that reads TokenSource.Stats, which is cheap and safe to call from
// any goroutine. Without a Store, only InProcessHits and UpstreamFetches move.
type SourceStats struct {
	// InProcessHits counts Token calls answered from the in-process cache, when
	// Config.CountHits is set (zero otherwise): counting costs every hit a little.
	InProcessHits uint64
	// SharedHits counts tokens adopted from the store instead of being fetched from SCB.
	SharedHits uint64
	// UpstreamFetches counts token requests to SCB (credentials or a refresh token).
	UpstreamFetches uint64
	// LockWaits counts renewals that found another process holding the store's lock and
	// waited for its result.
	LockWaits uint64
	// Fallbacks counts renewals done without the store because it failed.
	Fallbacks uint64
	// Failures counts store calls that failed and records that could not be read.
	Failures uint64
}

// sourceCounters are the live counters behind SourceStats, kept by a TokenSource.
type sourceCounters struct {
	sharedHits, fetches, lockWaits, fallbacks, failures atomic.Uint64
}

func (c *sourceCounters) stats() SourceStats {
	return SourceStats{
		SharedHits: c.sharedHits.Load(), UpstreamFetches: c.fetches.Load(),
		LockWaits: c.lockWaits.Load(), Fallbacks: c.fallbacks.Load(), Failures: c.failures.Load(),
	}
}

// counterStripes is the number of cache lines a stripedCounter spreads over.
const counterStripes = 1 << 4

// stripedCounter is a counter that many goroutines add to at once: each goroutine adds to the
// cache line its stack address hashes to, so a goroutine keeps writing the same line, which
// stays in its core's cache, and goroutines on different cores write different lines unless
// their stacks hash alike; load sums the lines. It takes no lock and does not allocate.
type stripedCounter struct {
	_     [64]byte // no other variable on the first cell's cache line
	cells [counterStripes]struct {
		n atomic.Uint64
		_ [56]byte // one 64-byte cache line per cell
	}
}

// add counts one; a nil counter (hits not counted) does nothing.
func (c *stripedCounter) add() {
	if c == nil {
		return
	}
	var marker byte // on the calling goroutine's stack
	c.cells[stripeOf(uintptr(unsafe.Pointer(&marker)))].n.Add(1)
}

// stripeOf hashes a stack address to a stripe: stacks are at least 8 KiB apart, so the low
// bits say nothing and a Fibonacci hash of the rest spreads them.
func stripeOf(addr uintptr) uint64 {
	return (uint64(addr>>13) * 0x9E3779B97F4A7C15) >> (64 - 4) // counterStripes = 1<<4
}

// load sums the cells; a nil counter (hits not counted) is zero.
func (c *stripedCounter) load() uint64 {
	if c == nil {
		return 0
	}
	var n uint64
	for i := range c.cells {
		n += c.cells[i].n.Load()
	}
	return n
}

// storeHealth turns a store's failures into one warning when an outage starts and one info
// line when the store answers again, instead of one line per call. Its success path, taken
// after every store call that worked, is an atomic load.
type storeHealth struct {
	down   atomic.Bool
	mu     sync.Mutex
	since  time.Time // start of the outage
	failed int       // calls failed during it
}

// failure records a failed store call (op names it: get, put, delete, lock, unlock) and logs
// a warning if it starts an outage.
func (h *storeHealth) failure(ctx context.Context, log *slog.Logger, op string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failed++
	if h.down.Load() {
		return
	}
	h.down.Store(true)
	h.since = time.Now()
	log.LogAttrs(ctx, slog.LevelWarn, "api: token store unavailable; fetching tokens directly until it answers",
		slog.String("op", op), slog.String("error", err.Error()))
}

// success records a store call that worked and logs the end of an outage, if one was on.
func (h *storeHealth) success(ctx context.Context, log *slog.Logger) {
	if !h.down.Load() {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.down.Load() {
		return
	}
	h.down.Store(false)
	log.LogAttrs(ctx, slog.LevelInfo, "api: token store available again",
		slog.Duration("outage", time.Since(h.since).Round(time.Millisecond)), slog.Int("failedCalls", h.failed))
	h.failed = 0
}

// unreadable logs a record that Get could not read (err wraps ErrStoreUnreadable and says
// why, never quoting the value): a miss, which the next Put replaces. It is logged each time,
// not once per outage: it is not an outage but a misconfiguration (two encryption keys in one
// fleet) or a foreign writer, and the Put that follows ends it.
func (h *storeHealth) unreadable(ctx context.Context, log *slog.Logger, key StoreKey, err error) {
	log.LogAttrs(ctx, slog.LevelWarn, "api: token store record unreadable; treated as a miss",
		slog.String("key", string(key)), slog.String("error", err.Error()))
}

// storedToken is a token as a Store keeps it: a Token's fields, its times on the wall clock
// at millisecond precision (a Store is shared by machines: no monotonic reading survives it).
type storedToken struct {
	TokenType       string
	Access, Refresh redact.Secret
	Expiry          time.Time
	RefreshExpiry   time.Time // zero: none known
	Lifetime        time.Duration
	ClockSkew       time.Duration
	ResourceOwnerID string
	// Refused marks a tombstone: a user's pair whose refresh token SCB refused, kept without
	// it. nil for a token.
	Refused *storedRefusal
}

// storedRefusal is SCB's refusal of a pair's refresh token, as a tombstone keeps it so that
// every process of the fleet fails with it (TokenSource.bury): the fields of its *Error.
type storedRefusal struct {
	HTTPStatus  int    `json:"httpStatus"`
	Code        int    `json:"code,omitempty"`
	Description string `json:"description,omitempty"`
	RequestUID  string `json:"requestUId,omitempty"`
}

// Bounds of a stored token, checked when it is encoded and when it is decoded: a record
// written by a replica of this version always reads back, and one planted by anyone with
// write access to the store never gets a control character into a header.
const (
	maxStoredValue = 16 << 10 // bytes of an encoded token
	maxStoredOwner = 256      // bytes of a resource owner id
	maxStoredSkew  = 24 * time.Hour
	maxStoredText  = 512 // bytes of a refusal's description (shown bounds it to 203) or requestUId
	maxStoredCode  = 99999
	storedFormat   = 1 // the format of a stored token; another is unreadable
)

// storedJSON is the encoding of a storedToken: JSON, times in Unix milliseconds.
type storedJSON struct {
	Format          int    `json:"format"`
	TokenType       string `json:"tokenType"`
	AccessToken     string `json:"accessToken"`
	RefreshToken    string `json:"refreshToken,omitempty"`
	Expiry          int64  `json:"expiry"`
	RefreshExpiry   int64  `json:"refreshExpiry,omitempty"`
	LifetimeMs      int64  `json:"lifetimeMs"`
	ClockSkewMs     int64  `json:"clockSkewMs,omitempty"`
	ResourceOwnerID string `json:"resourceOwnerId,omitempty"`
	// Refused marks a tombstone. A replica of a version before it ignores the field and reads
	// a pair without a refresh token: it hands out the access token while it is fresh, then
	// fails with ErrReauthorizationRequired ("no refresh token") without asking SCB.
	Refused *storedRefusal `json:"refused,omitempty"`
}

// encodeStoredToken returns the Value of a StoreRecord holding st, or an error naming the
// field that is out of bounds.
func encodeStoredToken(st storedToken) ([]byte, error) {
	j := storedJSON{
		Format: storedFormat, TokenType: st.TokenType, AccessToken: st.Access.Reveal(), RefreshToken: st.Refresh.Reveal(),
		Expiry: st.Expiry.UnixMilli(), LifetimeMs: st.Lifetime.Milliseconds(), ClockSkewMs: st.ClockSkew.Milliseconds(),
		ResourceOwnerID: st.ResourceOwnerID, Refused: st.Refused,
	}
	if !st.RefreshExpiry.IsZero() {
		j.RefreshExpiry = st.RefreshExpiry.UnixMilli()
	}
	if problem := j.check(); problem != "" {
		return nil, errors.New("api: stored token: " + problem)
	}
	b, err := json.Marshal(j)
	if err != nil {
		return nil, fmt.Errorf("api: stored token: %w", err)
	}
	if len(b) > maxStoredValue {
		return nil, fmt.Errorf("api: stored token: %d bytes encoded, at most %d", len(b), maxStoredValue)
	}
	return b, nil
}

// decodeStoredToken reads the Value of a StoreRecord. Anything but a token this package would
// have written is an error wrapping ErrStoreUnreadable, whose text quotes none of b.
func decodeStoredToken(b []byte) (storedToken, error) {
	if len(b) > maxStoredValue {
		return storedToken{}, fmt.Errorf("%w: %d bytes, at most %d", ErrStoreUnreadable, len(b), maxStoredValue)
	}
	var j storedJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return storedToken{}, fmt.Errorf("%w: %s", ErrStoreUnreadable, storedJSONProblem(err))
	}
	if problem := j.check(); problem != "" {
		return storedToken{}, fmt.Errorf("%w: %s", ErrStoreUnreadable, problem)
	}
	st := storedToken{
		TokenType: j.TokenType, Access: redact.New(j.AccessToken), Refresh: redact.New(j.RefreshToken),
		Expiry: time.UnixMilli(j.Expiry), Lifetime: time.Duration(j.LifetimeMs) * time.Millisecond,
		ClockSkew: time.Duration(j.ClockSkewMs) * time.Millisecond, ResourceOwnerID: j.ResourceOwnerID, Refused: j.Refused,
	}
	if j.RefreshExpiry != 0 {
		st.RefreshExpiry = time.UnixMilli(j.RefreshExpiry)
	}
	return st, nil
}

// check returns what is wrong with j, in words that quote no secret, or "".
func (j *storedJSON) check() string {
	switch {
	case j.Format != storedFormat:
		return fmt.Sprintf("format %d, want %d", j.Format, storedFormat)
	case j.TokenType != "Bearer":
		return "tokenType is not Bearer"
	case j.AccessToken == "" || !tokenChars(j.AccessToken):
		return "accessToken empty, longer than 4096 bytes, or not visible ASCII"
	case j.RefreshToken != "" && !tokenChars(j.RefreshToken):
		return "refreshToken longer than 4096 bytes or not visible ASCII"
	case j.Expiry <= 0:
		return "expiry missing"
	case j.LifetimeMs <= 0 || j.LifetimeMs > maxLifetime.Milliseconds():
		return fmt.Sprintf("lifetimeMs %d out of range", j.LifetimeMs)
	case j.RefreshExpiry < 0 || (j.RefreshExpiry != 0 && j.RefreshToken == ""):
		return "refreshExpiry without a refresh token, or negative"
	case j.ClockSkewMs < -maxStoredSkew.Milliseconds() || j.ClockSkewMs > maxStoredSkew.Milliseconds():
		return fmt.Sprintf("clockSkewMs %d out of range", j.ClockSkewMs)
	case len(j.ResourceOwnerID) > maxStoredOwner || strings.ContainsFunc(j.ResourceOwnerID, func(r rune) bool { return r < 0x20 || r >= 0x7f }):
		return "resourceOwnerId longer than 256 bytes or not printable ASCII"
	case j.Refused != nil:
		return j.Refused.check(j.RefreshToken != "")
	}
	return ""
}

// check returns what is wrong with a tombstone's refusal r (refresh: the tombstone holds a
// refresh token), in words that quote nothing, or "".
func (r *storedRefusal) check(refresh bool) string {
	switch {
	case refresh:
		return "refused, yet with a refresh token"
	case r.HTTPStatus < 400 || r.HTTPStatus > 599:
		return fmt.Sprintf("refused.httpStatus %d out of range", r.HTTPStatus)
	case r.Code < 0 || r.Code > maxStoredCode:
		return fmt.Sprintf("refused.code %d out of range", r.Code)
	case len(r.Description) > maxStoredText || !utf8.ValidString(r.Description) || strings.ContainsFunc(r.Description, invisible):
		return "refused.description longer than 512 bytes, not UTF-8, or with an invisible character"
	case len(r.RequestUID) > maxStoredText || !visibleASCII(r.RequestUID):
		return "refused.requestUId longer than 512 bytes or not visible ASCII"
	}
	return ""
}

// tokenChars reports whether s fits in an authorization header: a token tokenProblem accepts,
// not empty.
func tokenChars(s string) bool { return s != "" && tokenProblem(s) == "" }

// storedJSONProblem describes a JSON error by position and type, never by the text it found
// (a syntax error quotes a character of the input, which may be a token's).
func storedJSONProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("not JSON (at byte %d)", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q of the wrong type", te.Field)
	}
	return "not a stored token"
}
