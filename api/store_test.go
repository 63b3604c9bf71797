package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scboauth/scboauth/internal/redact"
)

func TestStoreKey(t *testing.T) {
	a := storeKey(SandboxURL, "key-a", "")
	if !a.Valid() || a.User() || len(a) != 32 {
		t.Fatalf("application key %q: valid %v, user %v, %d bytes; want valid, not a user's, 32 bytes", a, a.Valid(), a.User(), len(a))
	}
	if b := storeKey(SandboxURL+"/", "key-a", ""); b != a {
		t.Errorf("base with a trailing slash: %q, want %q", b, a)
	}
	u := storeKey(SandboxURL, "key-a", "user 1")
	if !u.Valid() || !u.User() || !strings.HasPrefix(string(u), string(a)+":u:") {
		t.Fatalf("user key %q: valid %v, user %v; want a valid user key under %q", u, u.Valid(), u.User(), a)
	}
	distinct := map[StoreKey]string{}
	for name, k := range map[string]StoreKey{
		"a":                a,
		"user 1":           u,
		"user 2":           storeKey(SandboxURL, "key-a", "user 2"),
		"other app":        storeKey(SandboxURL, "key-b", ""),
		"other base":       storeKey(UATURL, "key-a", ""),
		"joined fields":    storeKey(SandboxURL+"\x00key", "-a", ""),
		"user of other":    storeKey(SandboxURL, "key-b", "user 1"),
		"control in user":  storeKey(SandboxURL, "key-a", "user 1\r\nDEL *"),
		"huge user":        storeKey(SandboxURL, "key-a", strings.Repeat("u", 1<<20)),
		"production, key":  storeKey(ProductionURL, "key-a", ""),
		"empty app key":    storeKey(SandboxURL, "", ""),
		"user that is key": storeKey(SandboxURL, "key-a", "key-a"),
	} {
		if !k.Valid() {
			t.Errorf("%s: key %q is not Valid", name, k)
		}
		if other, ok := distinct[k]; ok {
			t.Errorf("%s and %s share key %q", name, other, k)
		}
		distinct[k] = name
	}
}

// TestStoreKeyNoSecret shows that the application secret is no input of a key: two clients of
// one application with different secrets (a rotation) share their tokens.
func TestStoreKeyNoSecret(t *testing.T) {
	c1 := newTestClientConfig(t, Config{BaseURL: "http://127.0.0.1:1", ApplicationKey: "k", ApplicationSecret: "secret-one"})
	c2 := newTestClientConfig(t, Config{BaseURL: "http://127.0.0.1:1", ApplicationKey: "k", ApplicationSecret: "secret-two"})
	k1, k2 := storeKey(c1.base, c1.key, ""), storeKey(c2.base, c2.key, "")
	if k1 != k2 {
		t.Fatalf("keys %q and %q differ for one application with two secrets", k1, k2)
	}
	if strings.Contains(string(k1), "secret") {
		t.Fatalf("key %q", k1)
	}
}

func TestStoreKeyValid(t *testing.T) {
	good := StoreKey(strings.Repeat("a", 32))
	for _, k := range []StoreKey{"", good[:31], good + "a", good + ":u:", good + ":u:" + good[:31] + "g", good + ":x:" + good,
		StoreKey(strings.Repeat("A", 32)), good[:31] + " ", good[:30] + "\r\n", good + ":u:" + good + "a"} {
		if k.Valid() {
			t.Errorf("StoreKey(%q).Valid() = true", k)
		}
	}
	for _, k := range []StoreKey{good, good + ":u:" + good, "0123456789abcdef0123456789abcdef"} {
		if !k.Valid() {
			t.Errorf("StoreKey(%q).Valid() = false", k)
		}
	}
}

func TestStoreRecordRedacted(t *testing.T) {
	const secret = "access-token-0123"
	r := NewStoreRecord([]byte(`{"accessToken":"`+secret+`"}`), time.Unix(1e9, 0), 0xabc)
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("record", "r", r, "p", &r)
	js, err := json.Marshal(map[string]any{"r": r, "p": &r})
	if err != nil {
		t.Fatal(err)
	}
	outs := []string{logged.String(), string(js), r.String(), r.GoString()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %v"} {
		outs = append(outs, fmt.Sprintf(verb, r), fmt.Sprintf(verb, &r), fmt.Sprintf(verb, []StoreRecord{r}),
			fmt.Sprintf(verb, struct{ r StoreRecord }{r}))
	}
	for _, out := range outs {
		if strings.Contains(out, secret) || strings.Contains(out, fmt.Sprintf("%x", secret)) {
			t.Errorf("shows the value: %s", out)
		}
	}
	if want := "api.StoreRecord{Version: abc, Expiry: 2001-09-09T01:46:40Z, Value: 35 bytes [redacted]}"; r.String() != want {
		t.Errorf("String() = %q, want %q", r.String(), want)
	}
}

func storedExample() storedToken {
	now := time.UnixMilli(time.Now().UnixMilli())
	return storedToken{
		TokenType: "Bearer", Access: redact.New("access-1"), Refresh: redact.New("refresh-1"),
		Expiry: now.Add(30 * time.Minute), RefreshExpiry: now.Add(time.Hour), Lifetime: 30 * time.Minute,
		ClockSkew: -2 * time.Second, ResourceOwnerID: "owner 1",
	}
}

func TestStoredTokenRoundTrip(t *testing.T) {
	for name, st := range map[string]storedToken{
		"user pair": storedExample(),
		"client credentials": {TokenType: "Bearer", Access: redact.New("a"), Expiry: time.UnixMilli(1),
			Lifetime: time.Millisecond},
		"longest": {TokenType: "Bearer", Access: redact.New(strings.Repeat("a", maxTokenBytes)),
			Refresh: redact.New(strings.Repeat("~", maxTokenBytes)), Expiry: time.UnixMilli(1<<62 - 1),
			RefreshExpiry: time.UnixMilli(1 << 40), Lifetime: maxLifetime, ClockSkew: maxStoredSkew,
			ResourceOwnerID: strings.Repeat(" ", maxStoredOwner)},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := encodeStoredToken(st)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeStoredToken(b)
			if err != nil {
				t.Fatal(err)
			}
			if got.Access.Reveal() != st.Access.Reveal() || got.Refresh.Reveal() != st.Refresh.Reveal() ||
				got.TokenType != st.TokenType || !got.Expiry.Equal(st.Expiry) || !got.RefreshExpiry.Equal(st.RefreshExpiry) ||
				got.Lifetime != st.Lifetime || got.ClockSkew != st.ClockSkew || got.ResourceOwnerID != st.ResourceOwnerID {
				t.Fatalf("round trip: got %+v, want %+v", got, st)
			}
		})
	}
}

func TestStoredTokenBounds(t *testing.T) {
	const secret = "sEcReT-value"
	for _, c := range []struct {
		name string
		edit func(*storedToken)
	}{
		{"no access token", func(s *storedToken) { s.Access = redact.Secret{} }},
		{"not Bearer", func(s *storedToken) { s.TokenType = "MAC" }},
		{"CRLF in access token", func(s *storedToken) { s.Access = redact.New(secret + "\r\nX-Evil: 1") }},
		{"space in refresh token", func(s *storedToken) { s.Refresh = redact.New(secret + " x") }},
		{"non-ASCII access token", func(s *storedToken) { s.Access = redact.New(secret + "é") }},
		{"huge access token", func(s *storedToken) { s.Access = redact.New(strings.Repeat("a", maxTokenBytes+1)) }},
		{"no expiry", func(s *storedToken) { s.Expiry = time.Time{} }},
		{"expiry before 1970", func(s *storedToken) { s.Expiry = time.Unix(-1, 0) }},
		{"no lifetime", func(s *storedToken) { s.Lifetime = 0 }},
		{"negative lifetime", func(s *storedToken) { s.Lifetime = -time.Second }},
		{"ten years", func(s *storedToken) { s.Lifetime = 10 * 365 * 24 * time.Hour }},
		{"refresh expiry without refresh token", func(s *storedToken) { s.Refresh = redact.Secret{} }},
		{"refresh expiry before 1970", func(s *storedToken) { s.RefreshExpiry = time.UnixMilli(-5) }},
		{"skew of two days", func(s *storedToken) { s.ClockSkew = 48 * time.Hour }},
		{"control in owner", func(s *storedToken) { s.ResourceOwnerID = "a\nb" }},
		{"huge owner", func(s *storedToken) { s.ResourceOwnerID = strings.Repeat("o", maxStoredOwner+1) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := storedExample()
			c.edit(&st)
			_, err := encodeStoredToken(st)
			if err == nil {
				t.Fatal("encoded")
			}
			if strings.Contains(err.Error(), secret) || !strings.HasPrefix(err.Error(), "api: stored token: ") {
				t.Fatalf("err %q: want an api error without the secret", err)
			}
			// The same token planted by hand is unreadable.
			planted := storedJSON{Format: 1, TokenType: st.TokenType, AccessToken: st.Access.Reveal(), RefreshToken: st.Refresh.Reveal(),
				Expiry: st.Expiry.UnixMilli(), LifetimeMs: st.Lifetime.Milliseconds(), ClockSkewMs: st.ClockSkew.Milliseconds(),
				ResourceOwnerID: st.ResourceOwnerID, RefreshExpiry: st.RefreshExpiry.UnixMilli()}
			if st.Expiry.IsZero() {
				planted.Expiry = 0
			}
			b, _ := json.Marshal(planted)
			wantUnreadable(t, b, secret)
		})
	}
}

func wantUnreadable(t *testing.T, b []byte, secret string) {
	t.Helper()
	_, err := decodeStoredToken(b)
	if !errors.Is(err, ErrStoreUnreadable) {
		t.Fatalf("decode: err %v, want ErrStoreUnreadable", err)
	}
	if secret != "" && strings.Contains(strings.ToLower(err.Error()), strings.ToLower(secret)) {
		t.Fatalf("decode: err %q shows the secret", err)
	}
}

func TestStoredTokenUnreadable(t *testing.T) {
	good, err := encodeStoredToken(storedExample())
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"empty":            nil,
		"null":             []byte("null"),
		"not JSON":         []byte("access-1 is the token"),
		"cut short":        good[:len(good)/2],
		"trailing data":    append(append([]byte{}, good...), "x"...),
		"other format":     bytes.Replace(good, []byte(`"format":1`), []byte(`"format":2`), 1),
		"no format":        bytes.Replace(good, []byte(`"format":1,`), nil, 1),
		"wrong type":       bytes.Replace(good, []byte(`"format":1`), []byte(`"format":"1"`), 1),
		"array":            []byte(`[1,2]`),
		"huge":             bytes.Repeat([]byte(" "), maxStoredValue+1),
		"lifetime int max": bytes.Replace(good, []byte(`"lifetimeMs":1800000`), []byte(`"lifetimeMs":9223372036854775807`), 1),
		"lifetime too big": bytes.Replace(good, []byte(`"lifetimeMs":1800000`), []byte(`"lifetimeMs":1e30`), 1),
		"invalid UTF-8":    bytes.Replace(good, []byte(`access-1`), []byte("access-\xff"), 1),
	} {
		t.Run(name, func(t *testing.T) { wantUnreadable(t, b, "access-1") })
	}
}

func tombstoneExample() storedToken {
	st := storedExample()
	st.Refresh, st.RefreshExpiry = redact.Secret{}, time.Time{}
	st.Refused = &storedRefusal{HTTPStatus: 401, Code: 9300, Description: "Invalid/expired temporary token", RequestUID: "3f2a-uid"}
	return st
}

// TestStoredTombstone: a tombstone round-trips with its refusal; a refusal out of bounds is
// refused at encoding and unreadable when planted, its error quoting none of it. A replica of
// the version before tombstones, which knows no "refused" field, reads one as a pair without
// a refresh token (which it never redeems); a record without the field is a plain token.
func TestStoredTombstone(t *testing.T) {
	b, err := encodeStoredToken(tombstoneExample())
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeStoredToken(b)
	if err != nil || got.Refused == nil || *got.Refused != *tombstoneExample().Refused || got.Refresh.IsSet() {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	var old storedJSON // what the previous version decodes: no Refused field
	if err := json.Unmarshal(b, &old); err != nil {
		t.Fatal(err)
	}
	old.Refused = nil
	if p := old.check(); p != "" || old.RefreshToken != "" || old.AccessToken != "access-1" {
		t.Errorf("read by the previous version: %q, refresh token %q; want a pair without a refresh token", p, old.RefreshToken)
	}
	if plain, err := decodeStoredToken(bytes.Replace(b, []byte(`,"refused":{`), []byte(`,"x":{`), 1)); err != nil || plain.Refused != nil {
		t.Errorf("without the field: %+v, %v; want a plain token", plain, err)
	}
	const secret = "sEcReT-value"
	for _, c := range []struct {
		name string
		edit func(*storedToken)
	}{
		{"with a refresh token", func(s *storedToken) { s.Refresh = redact.New(secret) }},
		{"status 0", func(s *storedToken) { s.Refused.HTTPStatus = 0 }},
		{"status 200", func(s *storedToken) { s.Refused.HTTPStatus = 200 }},
		{"status 600", func(s *storedToken) { s.Refused.HTTPStatus = 600 }},
		{"status int max", func(s *storedToken) { s.Refused.HTTPStatus = math.MaxInt }},
		{"negative code", func(s *storedToken) { s.Refused.Code = -1 }},
		{"huge code", func(s *storedToken) { s.Refused.Code = maxStoredCode + 1 }},
		{"CRLF in description", func(s *storedToken) { s.Refused.Description = secret + "\r\nX-Evil: 1" }},
		{"bidi control in description", func(s *storedToken) { s.Refused.Description = secret + "\u202e" }},
		{"huge description", func(s *storedToken) { s.Refused.Description = strings.Repeat(secret, maxStoredText) }},
		{"CRLF in requestUId", func(s *storedToken) { s.Refused.RequestUID = secret + "\r\n" }},
		{"space in requestUId", func(s *storedToken) { s.Refused.RequestUID = secret + " x" }},
		{"huge requestUId", func(s *storedToken) { s.Refused.RequestUID = strings.Repeat("u", maxStoredText+1) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := tombstoneExample()
			c.edit(&st)
			if _, err := encodeStoredToken(st); err == nil || strings.Contains(err.Error(), secret) {
				t.Fatalf("encode: %v, want an error without the secret", err)
			}
			planted, _ := json.Marshal(storedJSON{Format: 1, TokenType: "Bearer", AccessToken: "a", RefreshToken: st.Refresh.Reveal(),
				Expiry: 1, LifetimeMs: 1, Refused: st.Refused})
			wantUnreadable(t, planted, secret)
		})
	}
	// Invalid UTF-8 is refused at encoding; planted, JSON decodes it as U+FFFD, which shows.
	st := tombstoneExample()
	st.Refused.Description = "bad \xff"
	if _, err := encodeStoredToken(st); err == nil {
		t.Error("encoded a description that is not UTF-8")
	}
	planted := bytes.Replace(b, []byte("Invalid/expired"), []byte("Invalid\xffexpired"), 1)
	if got, err := decodeStoredToken(planted); err != nil || got.Refused.Description != "Invalid\ufffdexpired temporary token" {
		t.Errorf("planted invalid UTF-8: %+v, %v; want it read as U+FFFD", got.Refused, err)
	}
}

// FuzzDecodeStoredToken feeds the decoder of stored tokens anything: it never panics, and
// whatever it accepts encodes back to a value that decodes to the same token.
func FuzzDecodeStoredToken(f *testing.F) {
	good, err := encodeStoredToken(storedExample())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"format":1,"tokenType":"Bearer","accessToken":"a","expiry":1,"lifetimeMs":1}`))
	f.Add([]byte(`{"format":1,"tokenType":"Bearer","accessToken":"a\u0000","expiry":-1,"lifetimeMs":1e3}`))
	f.Add([]byte(`null`))
	tomb, err := encodeStoredToken(tombstoneExample())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tomb)
	f.Add([]byte(`{"format":1,"tokenType":"Bearer","accessToken":"a","expiry":1,"lifetimeMs":1,"refused":{"httpStatus":401}}`))
	f.Add([]byte(`{"format":1,"tokenType":"Bearer","accessToken":"a","expiry":1,"lifetimeMs":1,"refused":null}`))
	f.Add([]byte(`{"format":1,"tokenType":"Bearer","accessToken":"a","expiry":1,"lifetimeMs":1,"refused":{"httpStatus":401,"code":-1,"description":"\u0000","requestUId":"a b"}}`))
	f.Add([]byte(`{"format":1,"tokenType":"Bearer","accessToken":"a","refreshToken":"r","expiry":1,"lifetimeMs":1,"refused":{"httpStatus":401}}`))
	f.Add([]byte(`{"format":1,"tokenType":"Bearer","accessToken":"a","expiry":1,"lifetimeMs":1,"refused":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := decodeStoredToken(b)
		if err != nil {
			if !errors.Is(err, ErrStoreUnreadable) {
				t.Fatalf("err %v does not match ErrStoreUnreadable", err)
			}
			return
		}
		again, err := encodeStoredToken(st)
		if err != nil {
			t.Fatalf("a decoded token does not encode: %v", err)
		}
		st2, err := decodeStoredToken(again)
		if err != nil || st2.Access.Reveal() != st.Access.Reveal() || st2.Refresh.Reveal() != st.Refresh.Reveal() ||
			!st2.Expiry.Equal(st.Expiry) || !st2.RefreshExpiry.Equal(st.RefreshExpiry) || st2.Lifetime != st.Lifetime ||
			st2.ClockSkew != st.ClockSkew || st2.ResourceOwnerID != st.ResourceOwnerID ||
			(st2.Refused == nil) != (st.Refused == nil) || (st.Refused != nil && *st2.Refused != *st.Refused) {
			t.Fatalf("re-encoded token differs: %+v, %v; want %+v", st2, err, st)
		}
	})
}

// logRecords is a slog handler that keeps the records it is given.
type logRecords struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (l *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecords) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, r)
	return nil
}
func (l *logRecords) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecords) WithGroup(string) slog.Handler      { return l }

func (l *logRecords) messages() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.recs {
		out = append(out, r.Level.String()+" "+r.Message)
	}
	return out
}

// TestStoreHealthOneLinePerOutage: 100 failures from 8 goroutines log one warning; the first
// success after them logs one info line with the count; the next outage warns again.
func TestStoreHealthOneLinePerOutage(t *testing.T) {
	var h storeHealth
	logs := &logRecords{}
	log := slog.New(logs)
	ctx := context.Background()
	h.success(ctx, log) // no outage: nothing to say
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 / 8 {
				h.failure(ctx, log, "get", errors.New("dial tcp 127.0.0.1:6379: connection refused"))
			}
		})
	}
	wg.Wait()
	for range 3 {
		h.success(ctx, log)
	}
	h.failure(ctx, log, "lock", errors.New("i/o timeout"))
	h.unreadable(ctx, log, storeKey(SandboxURL, "k", ""), fmt.Errorf("%w: wrong key", ErrStoreUnreadable))
	want := []string{
		"WARN api: token store unavailable; fetching tokens directly until it answers",
		"INFO api: token store available again",
		"WARN api: token store unavailable; fetching tokens directly until it answers",
		"WARN api: token store record unreadable; treated as a miss",
	}
	if got := logs.messages(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("logged:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var failed int64
	logs.recs[1].Attrs(func(a slog.Attr) bool {
		if a.Key == "failedCalls" {
			failed = a.Value.Int64()
		}
		return true
	})
	if failed != 96 {
		t.Errorf("failedCalls = %d, want 96", failed)
	}
}

func TestSourceCounters(t *testing.T) {
	var c sourceCounters
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			c.sharedHits.Add(1)
			c.fetches.Add(2)
			c.lockWaits.Add(3)
			c.fallbacks.Add(4)
			c.failures.Add(5)
		})
	}
	wg.Wait()
	want := SourceStats{SharedHits: 8, UpstreamFetches: 16, LockWaits: 24, Fallbacks: 32, Failures: 40}
	if got := c.stats(); got != want {
		t.Fatalf("stats = %+v, want %+v", got, want)
	}
}
