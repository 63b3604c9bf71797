package api_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"golang.org/x/oauth2"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// startSandbox serves the emulator on loopback with predictable tokens (token-1, token-2...),
// as the examples need for their output, and, beside it, the partner API handlers of apis.
// Against SCB, use api.SandboxURL instead.
func startSandbox(apis map[string]http.HandlerFunc) (*sandbox.Server, *httptest.Server) {
	srv, err := sandbox.New(sandbox.WithTokenGenerator(sandboxtest.Tokens("token")))
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", srv)
	for path, h := range apis {
		mux.Handle(path, h)
	}
	return srv, httptest.NewServer(mux)
}

func ExampleClient_Token() {
	_, hs := startSandbox(nil)
	defer hs.Close()
	app := sandboxtest.Demo(sandbox.KindPlain)

	client, err := api.NewClient(api.Config{
		BaseURL:           hs.URL, // api.SandboxURL for SCB's sandbox
		ApplicationKey:    app.Key,
		ApplicationSecret: app.Secret,
	})
	if err != nil {
		log.Fatal(err)
	}
	tok, err := client.Token(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.TokenType, tok.AccessToken(), tok.Lifetime())
	fmt.Printf("%q\n", tok.AccessToken())
	fmt.Println(strings.Contains(fmt.Sprint(tok), "AccessToken: [redacted]")) // printing a token redacts it
	// Output:
	// Bearer token-1 30m0s
	// "token-1"
	// true
}

func ExampleClient_TokenSource() {
	_, hs := startSandbox(nil)
	defer hs.Close()
	app := sandboxtest.Demo(sandbox.KindPlain)
	client, err := api.NewClient(api.Config{BaseURL: hs.URL, ApplicationKey: app.Key, ApplicationSecret: app.Secret})
	if err != nil {
		log.Fatal(err)
	}

	// Share one token source: it caches the token, renews it in the background 5 minutes
	// before expiry, and makes one request however many goroutines ask at once.
	ts := client.TokenSource()
	a, err := ts.Token(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	b, err := ts.Token(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(a.AccessToken(), a == b)
	// Output:
	// token-1 true
}

func ExampleTokenSource_APIClient() {
	// A partner API next to the OAuth endpoints, for the example.
	_, hs := startSandbox(map[string]http.HandlerFunc{"/v1/payment/ping": func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("authorization:", r.Header.Get("Authorization"))
		fmt.Println("resourceOwnerId is the key:", r.Header.Get("resourceOwnerId") == sandboxtest.Demo(sandbox.KindPlain).Key)
		fmt.Println("requestUId length:", len(r.Header.Get("requestUId")))
		fmt.Println("accept-language:", r.Header.Get("accept-language"))
	}})
	defer hs.Close()

	app := sandboxtest.Demo(sandbox.KindPlain)
	client, err := api.NewClient(api.Config{BaseURL: hs.URL, ApplicationKey: app.Key, ApplicationSecret: app.Secret, Language: api.Thai})
	if err != nil {
		log.Fatal(err)
	}
	resp, err := client.TokenSource().APIClient().Get(hs.URL + "/v1/payment/ping")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	// Output:
	// authorization: Bearer token-1
	// resourceOwnerId is the key: true
	// requestUId length: 36
	// accept-language: TH
	// 200 OK
}

func ExampleClient_Exchange() {
	srv, hs := startSandbox(nil)
	defer hs.Close()
	app := sandboxtest.Demo(sandbox.KindAuthorizationCode)
	client, err := api.NewClient(api.Config{BaseURL: hs.URL, ApplicationKey: app.Key, ApplicationSecret: app.Secret})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	// 1. Start the consent flow: the deep link opens the SCB app.
	callback, err := client.AuthorizeURL(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(callback)
	// 2. The user consents; SCB calls your redirect URL with a code. The emulator does both.
	code, err := srv.Consent(callback, sandbox.Consent{})
	if err != nil {
		log.Fatal(err)
	}
	// 3. Trade the code (within a minute, once) for a user's token.
	tok, err := client.Exchange(ctx, code)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.AccessToken(), tok.RefreshToken())
	// 4. Refresh: the pair rotates, and the old refresh token is spent.
	next, err := client.Refresh(ctx, tok.RefreshToken())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(next.AccessToken(), next.RefreshToken())
	_, err = client.Refresh(ctx, tok.RefreshToken())
	fmt.Println(errors.Is(err, api.ErrReauthorizationRequired))
	// Output:
	// scbeasysim://login/token-1
	// token-3 token-4
	// token-5 token-6
	// true
}

func ExampleError() {
	_, hs := startSandbox(nil)
	defer hs.Close()
	app := sandboxtest.Demo(sandbox.KindPlain)
	client, err := api.NewClient(api.Config{BaseURL: hs.URL, ApplicationKey: app.Key, ApplicationSecret: "a wrong secret"})
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.Token(context.Background())
	var e *api.Error
	if errors.As(err, &e) {
		fmt.Println(e.Op, e.HTTPStatus, e.Code, e.Description, len(e.RequestUID))
	}
	fmt.Println(errors.Is(err, api.ErrBadCredentials), e.Retryable())
	// Output:
	// token request 401 9500 Invalid authorization credentials 36
	// true false
}

func ExampleTokenSource_OAuth2TokenSource() {
	_, hs := startSandbox(map[string]http.HandlerFunc{"/v1/ping": func(w http.ResponseWriter, r *http.Request) {
		fmt.Println(r.Header.Get("Authorization"))
	}})
	defer hs.Close()
	app := sandboxtest.Demo(sandbox.KindPlain)
	client, err := api.NewClient(api.Config{BaseURL: hs.URL, ApplicationKey: app.Key, ApplicationSecret: app.Secret})
	if err != nil {
		log.Fatal(err)
	}

	// Libraries built on golang.org/x/oauth2 take the adapter.
	ctx := context.Background()
	hc := oauth2.NewClient(ctx, client.TokenSource().OAuth2TokenSource(ctx))
	for range 2 {
		resp, err := hc.Get(hs.URL + "/v1/ping")
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
	}
	// Output:
	// Bearer token-1
	// Bearer token-1
}
