package redisstore_test

import (
	"encoding/base64"
	"log"
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/scboauth/scboauth/api/redisstore"
)

// A store on the Redis of REDIS_URL, encrypting tokens with the key of TOKEN_KEY (32 random
// bytes, base64). Every process of the fleet builds the same store.
func Example() {
	opts, err := redis.ParseURL(os.Getenv("REDIS_URL")) // redis://user:password@host:6379/0, rediss:// for TLS
	if err != nil {
		log.Fatal(err) // "redis: invalid URL scheme: ...", "redis: invalid database number: ..."
	}
	opts.ContextTimeoutEnabled = true // required: the store's timeouts bound every call
	opts.DialerRetries = 1            // a Redis that is down costs one dial, not five
	key, err := base64.StdEncoding.DecodeString(os.Getenv("TOKEN_KEY"))
	if err != nil {
		log.Fatal(err)
	}
	store, err := redisstore.New(redis.NewClient(opts), redisstore.Options{EncryptionKey: key})
	if err != nil {
		log.Fatal(err) // e.g. "redisstore: Options.EncryptionKey is 12 bytes, want 16, 24 or 32 (AES-128, -192, -256)"
	}
	log.Print(store) // redisstore.Store{Prefix: "scboauth:", Timeout: 1s, Encrypted: true}
}
