package redisstore_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/api/redisstore"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// Two processes of a fleet (two Clients here) share one token through Redis: the first asks
// SCB, the second reads the token the first wrote and asks nothing.
func Example() {
	redisURL, stop := startRedis() // in production: os.Getenv("REDIS_URL"), e.g. redis://:password@redis:6379/0
	defer stop()
	opts, err := redisstore.ParseURL(redisURL) // ContextTimeoutEnabled, one dial per call
	if err != nil {
		log.Fatal(err) // e.g. redisstore: Redis URL: redis: invalid URL scheme: localhost
	}
	// Optional: tokens encrypted at rest with AES-GCM; every process needs the same 32 random
	// bytes (in production, from a secret: base64.StdEncoding.DecodeString(os.Getenv("TOKEN_KEY"))).
	key := []byte("0123456789abcdef0123456789abcdef")
	store, err := redisstore.New(redis.NewClient(opts), redisstore.Options{EncryptionKey: key})
	if err != nil {
		log.Fatal(err)
	}

	_, hs := startSandbox()
	defer hs.Close()
	base := hs.URL // api.SandboxURL for SCB's sandbox
	app := sandboxtest.Demo(sandbox.KindPlain)
	replica := func() *api.Client {
		c, err := api.NewClient(api.Config{BaseURL: base, ApplicationKey: app.Key, ApplicationSecret: app.Secret, Store: store})
		if err != nil {
			log.Fatal(err)
		}
		return c
	}
	a, b := replica(), replica() // in production, one per process
	ctx := context.Background()
	ta, err := a.TokenSource().Token(ctx)
	if err != nil {
		log.Fatal(err)
	}
	tb, err := b.TokenSource().Token(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ta.AccessToken(), tb.AccessToken())
	fmt.Printf("a: %+v\n", a.TokenSource().Stats())
	fmt.Printf("b: %+v\n", b.TokenSource().Stats())
	// Output:
	// token-1 token-1
	// a: {InProcessHits:0 SharedHits:0 UpstreamFetches:1 LockWaits:0 Fallbacks:0 Failures:0}
	// b: {InProcessHits:0 SharedHits:1 UpstreamFetches:0 LockWaits:0 Fallbacks:0 Failures:0}
}

// The process that receives the user's authorization code trades it and shares the pair under
// the user's id; any other process serves that user from the store, and the refresh token is
// redeemed once for the whole fleet.
func Example_userTokenSource() {
	redisURL, stop := startRedis()
	defer stop()
	opts, err := redisstore.ParseURL(redisURL)
	if err != nil {
		log.Fatal(err)
	}
	store, err := redisstore.New(redis.NewClient(opts), redisstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	emulator, hs := startSandbox()
	defer hs.Close()
	app := sandboxtest.Demo(sandbox.KindAuthorizationCode)
	cfg := api.Config{BaseURL: hs.URL, ApplicationKey: app.Key, ApplicationSecret: app.Secret, Store: store}
	podA, _ := api.NewClient(cfg)
	podB, _ := api.NewClient(cfg)
	ctx := context.Background()

	// Pod A: the consent, then the redirect with the code (the emulator consents for the user).
	callback, _ := podA.AuthorizeURL(ctx)
	code, _ := emulator.Consent(callback, sandbox.Consent{})
	tok, err := podA.Exchange(ctx, code)
	if err != nil {
		log.Fatal(err)
	}
	podA.UserTokenSource(tok, api.WithUserID("user-42")) // writes the pair to Redis

	// Pod B, later: nothing but the user's id.
	ts := podB.UserTokenSource(nil, api.WithUserID("user-42"))
	got, err := ts.Token(ctx)
	if err != nil {
		log.Fatal(err) // api.ErrReauthorizationRequired when no pair is stored for the user
	}
	fmt.Println(got.AccessToken() == tok.AccessToken(), got.RefreshToken() == tok.RefreshToken())
	fmt.Println("pod B asked SCB", ts.Stats().UpstreamFetches, "times")
	// Output:
	// true true
	// pod B asked SCB 0 times
}

// startRedis starts an in-memory Redis (miniredis) on loopback for the examples and returns its
// URL.
func startRedis() (url string, stop func()) {
	mr, err := miniredis.Run()
	if err != nil {
		log.Fatal(err)
	}
	return "redis://" + mr.Addr() + "/0", mr.Close
}

// startSandbox serves the emulator on loopback with predictable tokens (token-1, token-2...).
func startSandbox() (*sandbox.Server, *httptest.Server) {
	srv, err := sandbox.New(sandbox.WithTokenGenerator(sandboxtest.Tokens("token")))
	if err != nil {
		log.Fatal(err)
	}
	return srv, httptest.NewServer(srv)
}
