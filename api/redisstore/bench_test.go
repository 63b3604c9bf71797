package redisstore_test

import (
	"testing"
	"time"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/api/redisstore"
	"github.com/scboauth/scboauth/api/storetest"
	"github.com/scboauth/scboauth/internal/redistest"
)

// BenchmarkStoreHit measures a shared-store hit, one Redis GET on loopback to a real
// redis-server, against its floor in the same run: the bare go-redis GET of the same value.
// plain and aes-gcm add the header check and, for aes-gcm, the decryption. Round 2 adds the
// upstream token request to the emulator as the other baseline.
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
}
