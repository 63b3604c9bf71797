package redisstore_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/api/redisstore"
	"github.com/scboauth/scboauth/api/storetest"
	"github.com/scboauth/scboauth/internal/redistest"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// BenchmarkStoreHit measures a shared-store hit on loopback to a real redis-server against its
// floor and against what it saves, in the same run:
//
//   - go-redis-GET: the floor, a bare go-redis GET of a stored value;
//   - plain, aes-gcm: Store.Get, which adds the header check and, for aes-gcm, the decryption;
//   - token-source: what a process pays on a miss when another process has written the token:
//     a new TokenSource (a user's, under WithUserID) whose first Token call reads the store,
//     decodes the token and adopts it;
//   - upstream-token-request: what it saves, a token request to the emulator on loopback
//     (Client.Token; SCB itself is farther away).
func BenchmarkStoreHit(b *testing.B) {
	srv := redistest.Start(b)
	rdb := srv.Client(b)
	ctx := b.Context()
	token := []byte(`{"format":1,"tokenType":"Bearer","accessToken":"0123456789abcdef0123456789abcdef","expiry":1,"lifetimeMs":1800000}`)
	stores := map[string]*redisstore.Store{}
	for name, opts := range map[string]redisstore.Options{
		"plain":   {Prefix: "plain:"},
		"aes-gcm": {Prefix: "gcm:", EncryptionKey: []byte("0123456789abcdef0123456789abcdef")},
	} {
		s := newStore(b, rdb, opts)
		if _, err := s.Put(ctx, storetest.AppA, api.NewStoreRecord(token, time.Now().Add(time.Hour), 0), 0); err != nil {
			b.Fatal(err)
		}
		stores[name] = s
	}
	b.Run("go-redis-GET", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if v, err := rdb.Get(ctx, "plain:tok:"+string(storetest.AppA)).Bytes(); err != nil || len(v) == 0 {
				b.Fatal(err)
			}
		}
	})
	for _, name := range []string{"plain", "aes-gcm"} {
		b.Run(name, func(b *testing.B) {
			s := stores[name]
			b.ReportAllocs()
			for b.Loop() {
				if r, err := s.Get(ctx, storetest.AppA); err != nil || len(r.Value()) != len(token) {
					b.Fatal(err)
				}
			}
		})
	}
	srvSandbox, hs := sandboxtest.NewServer(b)
	app := sandboxtest.Demo(sandbox.KindAuthorizationCode)
	c := benchClient(b, hs, app, stores["plain"])
	seedPair(b, c, srvSandbox, "bench-user")
	b.Run("token-source", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ts := c.UserTokenSource(nil, api.WithUserID("bench-user"))
			if tok, err := ts.Token(ctx); err != nil || ts.Stats().SharedHits != 1 {
				b.Fatal(tok, err, ts.Stats())
			}
		}
	})
	b.Run("upstream-token-request", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if tok, err := c.Token(ctx); err != nil || tok.AccessToken() == "" {
				b.Fatal(tok, err)
			}
		}
	})
}

func benchClient(b *testing.B, hs *httptest.Server, app sandbox.Application, store api.Store) *api.Client {
	b.Helper()
	c, err := api.NewClient(api.Config{BaseURL: hs.URL, ApplicationKey: app.Key, ApplicationSecret: app.Secret, Store: store})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// seedPair makes a user's consent and exchange on the emulator srv and writes the pair to c's
// store under user.
func seedPair(b *testing.B, c *api.Client, srv *sandbox.Server, user string) {
	b.Helper()
	callback, err := c.AuthorizeURL(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	code, err := srv.Consent(callback, sandbox.Consent{})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := c.Exchange(b.Context(), code)
	if err != nil {
		b.Fatal(err)
	}
	c.UserTokenSource(tok, api.WithUserID(user))
}
