package redisstore

import (
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/scboauth/scboauth/api"
)

// FuzzOpen feeds the value decoder anything, for a plain and an encrypting store: it never
// panics, reads nothing it did not write except as ErrStoreUnreadable, and what it reads seals
// back to the same record.
func FuzzOpen(f *testing.F) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true}) // never dialled
	plain, err := New(rdb, Options{})
	if err != nil {
		f.Fatal(err)
	}
	enc, err := New(rdb, Options{EncryptionKey: []byte("0123456789abcdef")})
	if err != nil {
		f.Fatal(err)
	}
	const name = "scboauth:tok:0123456789abcdef0123456789abcdef"
	expiry := time.UnixMilli(time.Now().Add(time.Hour).UnixMilli())
	f.Add(plain.seal(name, 7, expiry, []byte(`{"format":1}`)))
	f.Add(enc.seal(name, 7, expiry, []byte(`{"format":1}`)))
	f.Add([]byte("scb1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, s := range []*Store{plain, enc} {
			r, err := s.open(name, append([]byte(nil), b...))
			if err != nil {
				if !errors.Is(err, api.ErrStoreUnreadable) || r.Value() != nil {
					t.Fatalf("err %v with %d bytes of value: want ErrStoreUnreadable and none", err, len(r.Value()))
				}
				continue
			}
			again, err := s.open(name, s.seal(name, r.Version, r.Expiry, r.Value()))
			if err != nil || string(again.Value()) != string(r.Value()) || again.Version != r.Version || !again.Expiry.Equal(r.Expiry) {
				t.Fatalf("resealed record differs: %v, %v; want %v", again, err, r)
			}
		}
	})
}
