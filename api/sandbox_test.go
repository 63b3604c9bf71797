package api_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// Round trips against the emulator: the client and the emulator are written from the same
// contract by different hands, so agreement here is evidence for both.

// clientFor returns a Client of app at base, sending with hc (nil: the package's own).
func clientFor(t testing.TB, base string, app sandbox.Application, hc *http.Client) *api.Client {
	t.Helper()
	c, err := api.NewClient(api.Config{BaseURL: base, ApplicationKey: app.Key, ApplicationSecret: app.Secret, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSandboxClientCredentials: over loopback HTTP, a token, a cached token, and the errors of
// a wrong secret and of a plain application trying a user grant.
func TestSandboxClientCredentials(t *testing.T) {
	_, hs := sandboxtest.NewServer(t)
	app := sandboxtest.Demo(sandbox.KindPlain)
	c := clientFor(t, hs.URL, app, nil)
	ctx := context.Background()

	tok, err := c.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tok.TokenType != "Bearer" || tok.Lifetime() != 30*time.Minute || tok.RefreshToken() != "" || !tok.Valid() {
		t.Errorf("got %v (lifetime %v), want a valid 30m Bearer token without refresh token", tok, tok.Lifetime())
	}
	if tok.ClockSkew < -time.Second || tok.ClockSkew > time.Second {
		t.Errorf("got ClockSkew %v against a local emulator, want about 0", tok.ClockSkew)
	}
	ts := c.TokenSource()
	a, err := ts.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := ts.Token(ctx); b != a {
		t.Error("the token source did not cache")
	}

	wrong := app
	wrong.Secret = "not-the-secret"
	_, err = clientFor(t, hs.URL, wrong, nil).Token(ctx)
	var e *api.Error
	if !errors.Is(err, api.ErrBadCredentials) || !errors.As(err, &e) || e.HTTPStatus != 401 || e.Code != 9500 {
		t.Errorf("got %v, want 401 9500 ErrBadCredentials", err)
	}
	if !strings.HasPrefix(err.Error(), "api: token request: 401 9500 ") || !strings.Contains(err.Error(), "(requestUId "+e.RequestUID+")") {
		t.Errorf("got message %q", err)
	}

	_, err = c.Exchange(ctx, "some-code")
	if !errors.Is(err, api.ErrInvalidAuthorizationMethod) {
		t.Errorf("got %v, want ErrInvalidAuthorizationMethod for a plain application", err)
	}
	_, err = c.AuthorizeURL(ctx)
	if err == nil {
		t.Error("got no error from authorize for a plain application")
	}
}

// TestSandboxAuthorizationCode: authorize, consent, exchange, refresh with rotation, and the
// errors of a used code, a spent refresh token and a web application without its challenge.
func TestSandboxAuthorizationCode(t *testing.T) {
	srv, hs := sandboxtest.NewServer(t)
	ctx := context.Background()

	t.Run("mobile application", func(t *testing.T) {
		c := clientFor(t, hs.URL, sandboxtest.Demo(sandbox.KindAuthorizationCode), nil)
		tok, code := consentedToken(t, c, srv)
		if tok.RefreshToken() == "" || tok.RefreshExpiry.Sub(tok.Expiry) != 30*time.Minute {
			t.Errorf("got refresh token %q expiring %v after the access token, want one, 30m later", tok.RefreshToken(), tok.RefreshExpiry.Sub(tok.Expiry))
		}
		if _, err := c.Exchange(ctx, code); !errors.Is(err, api.ErrInvalidAuthorizationCode) {
			t.Errorf("reusing the code: got %v, want ErrInvalidAuthorizationCode", err)
		}
		next, err := c.Refresh(ctx, tok.RefreshToken())
		if err != nil {
			t.Fatal(err)
		}
		if next.AccessToken() == tok.AccessToken() || next.RefreshToken() == tok.RefreshToken() {
			t.Error("refresh did not give a new pair")
		}
		if _, err := c.Refresh(ctx, tok.RefreshToken()); !errors.Is(err, api.ErrReauthorizationRequired) {
			t.Errorf("redeeming a spent refresh token: got %v, want ErrReauthorizationRequired", err)
		}
	})

	t.Run("web application", func(t *testing.T) {
		c := clientFor(t, hs.URL, sandboxtest.Demo(sandbox.KindWeb), nil)
		callback, err := c.AuthorizeURL(ctx, api.WithEndState(api.EndStateMobileWeb))
		if err != nil {
			t.Fatal(err)
		}
		code, err := srv.Consent(callback, sandbox.Consent{State: "st-1", CodeChallenge: "challenge-1"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exchange(ctx, code, api.WithState("st-1")); !errors.Is(err, api.ErrCodeChallengeRequired) {
			t.Errorf("without the challenge: got %v, want ErrCodeChallengeRequired", err)
		}
		tok, err := c.Exchange(ctx, code, api.WithState("st-1"), api.WithCodeChallenge("challenge-1"))
		if err != nil {
			t.Fatal(err)
		}
		if tok.RefreshToken() == "" {
			t.Error("got no refresh token")
		}
	})
}

// TestSandboxUserTokenSource: against the emulator's clock (fake, in a synctest bubble), a
// user's token source renews with the refresh token ahead of expiry, 100 callers at once
// share one redemption, and the emulator's refusal of an expired refresh token surfaces as
// ErrReauthorizationRequired.
func TestSandboxUserTokenSource(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := sandboxtest.New(t, sandbox.WithTokenGenerator(sandboxtest.Tokens("tok")))
		mem := &sandboxtest.Transport{Handler: srv}
		c := clientFor(t, "http://127.0.0.1", sandboxtest.Demo(sandbox.KindAuthorizationCode), &http.Client{Transport: mem})
		ctx := context.Background()
		tok, _ := consentedToken(t, c, srv)
		ts := c.UserTokenSource(tok)
		time.Sleep(31 * time.Minute)
		sentBefore := mem.Sent()
		var wg sync.WaitGroup
		toks := make([]*api.Token, 100)
		for i := range toks {
			wg.Go(func() {
				var err error
				if toks[i], err = ts.Token(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := mem.Sent() - sentBefore; got != 1 {
			t.Errorf("got %d requests for 100 callers, want 1 refresh", got)
		}
		for _, tk := range toks {
			if tk != toks[0] || tk == tok || tk.RefreshToken() == tok.RefreshToken() {
				t.Fatal("callers got different tokens, or not a new pair")
			}
		}
		// Nobody calls for 2 hours: the refresh token (60m) expires; no request is even sent.
		time.Sleep(2 * time.Hour)
		sentBefore = mem.Sent()
		if _, err := ts.Token(ctx); !errors.Is(err, api.ErrReauthorizationRequired) {
			t.Errorf("got %v, want ErrReauthorizationRequired", err)
		}
		if got := mem.Sent() - sentBefore; got != 0 {
			t.Errorf("got %d requests with an expired refresh token, want 0", got)
		}
	})
}

// consentedToken runs the consent flow of a mobile application against srv: authorize (whose
// callbackUrl must be the emulator's deep link), the user's consent, and the exchange of the
// code, which it returns spent.
func consentedToken(t testing.TB, c *api.Client, srv *sandbox.Server) (*api.Token, string) {
	t.Helper()
	ctx := context.Background()
	callback, err := c.AuthorizeURL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(callback, "scbeasysim://login/") {
		t.Errorf("got callback %q, want scbeasysim://login/...", callback)
	}
	code, err := srv.Consent(callback, sandbox.Consent{})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.Exchange(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	return tok, code
}

// TestSandboxShortRefreshLifetime (issue 9 item 3): against the emulator with a refresh token
// of two minutes (its --refresh-ttl 2m) beside a 30-minute access token, a caller asking every
// 10ms for 10 minutes causes about one refresh a minute, not one per call.
func TestSandboxShortRefreshLifetime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := sandboxtest.New(t, sandbox.WithLifetimes(sandbox.Lifetimes{RefreshToken: 2 * time.Minute}), sandbox.WithClock(time.Now))
		mem := &sandboxtest.Transport{Handler: srv}
		c := clientFor(t, "http://127.0.0.1", sandboxtest.Demo(sandbox.KindAuthorizationCode), &http.Client{Transport: mem})
		tok, _ := consentedToken(t, c, srv)
		ts := c.UserTokenSource(tok)
		before := mem.Sent()
		for start := time.Now(); time.Since(start) < 10*time.Minute; time.Sleep(10 * time.Millisecond) {
			if _, err := ts.Token(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if n := mem.Sent() - before; n < 5 || n > 15 {
			t.Errorf("got %d refreshes in 10 minutes with a 2-minute refresh token, want about one a minute", n)
		}
	})
}

// TestSandboxFaults: the emulator's injected faults give typed errors, retried where they
// should be (time is fake: Retry-After and backoff cost nothing).
func TestSandboxFaults(t *testing.T) {
	tests := []struct {
		fault        string
		wantIs       error
		wantStatus   int
		wantAttempts int64
	}{
		{fault: "html", wantIs: api.ErrMalformedResponse, wantStatus: 502, wantAttempts: 3},
		{fault: "truncate", wantIs: api.ErrMalformedResponse, wantStatus: 200, wantAttempts: 1},
		{fault: "500", wantStatus: 500, wantAttempts: 3},
		{fault: "503", wantStatus: 503, wantAttempts: 3},
		{fault: "504", wantStatus: 504, wantAttempts: 3},
		{fault: "timeout", wantIs: context.DeadlineExceeded, wantAttempts: 3},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				mem := &sandboxtest.Transport{Handler: sandboxtest.New(t), Header: http.Header{sandbox.FaultHeader: {tt.fault}}}
				c := clientFor(t, "http://127.0.0.1", sandboxtest.Demo(sandbox.KindPlain), &http.Client{Transport: mem})
				_, err := c.Token(context.Background())
				var e *api.Error
				if !errors.As(err, &e) || e.HTTPStatus != tt.wantStatus {
					t.Fatalf("got %v, want an *Error with status %d", err, tt.wantStatus)
				}
				if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
					t.Errorf("got %v, want it to match %v", err, tt.wantIs)
				}
				if got := mem.Sent(); got != tt.wantAttempts {
					t.Errorf("got %d attempts, want %d", got, tt.wantAttempts)
				}
			})
		})
	}
}

// TestSandboxRateLimit: past the emulator's rate limit, the token source still gives every
// caller a token (one request for all of them) and the client waits out Retry-After.
func TestSandboxRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := &sandboxtest.Transport{Handler: sandboxtest.New(t, sandbox.WithFaults(sandbox.Faults{RateLimit: 1}))}
		c := clientFor(t, "http://127.0.0.1", sandboxtest.Demo(sandbox.KindPlain), &http.Client{Transport: mem})
		ctx := context.Background()
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				if _, err := c.TokenSource().Token(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := mem.Sent(); got != 1 {
			t.Errorf("got %d requests for 50 callers, want 1", got)
		}
		// Direct calls beyond the limit are answered 429 with Retry-After, which is waited out.
		start := time.Now()
		for range 3 {
			if _, err := c.Token(ctx); err != nil {
				t.Fatalf("got %v, want the retry after the 429 to succeed", err)
			}
		}
		if time.Since(start) == 0 || mem.Sent() < 5 {
			t.Errorf("got %d requests in %v, want some 429s waited out", mem.Sent(), time.Since(start))
		}
	})
}
