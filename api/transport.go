package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"
	"golang.org/x/oauth2"
)

// DefaultAPITimeout is the Timeout of the *http.Client that HTTPClient returns.
const DefaultAPITimeout = 30 * time.Second

// Transport is an http.RoundTripper for SCB's other APIs (payments, slips...). On each request
// it sets, unless the request already has them:
//
//   - authorization: "Bearer <access token>" from Source (always set);
//   - resourceOwnerId: the token's ResourceOwnerID, else the client's Config.ResourceOwnerID
//     (which defaults to the application key);
//   - requestUId: a fresh UUID per attempt;
//   - accept-language: the client's Config.Language, if set.
//
// When SCB answers 401, Transport invalidates that token (TokenSource.Invalidate) and retries
// the request once with a new one, provided the body can be sent again (no body, or
// Request.GetBody set, as http.NewRequest does for in-memory bodies). It never modifies the
// caller's request.
type Transport struct {
	// Source provides the tokens. Required.
	Source *TokenSource
	// Base sends the requests; nil means the transport of Source's Client (with its client
	// certificate, if any).
	Base http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.Source == nil {
		closeBody(req)
		return nil, errors.New("api: Transport.Source is nil")
	}
	ctx := req.Context()
	tok, err := t.Source.Token(ctx)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	resp, err := t.base().RoundTrip(t.prepare(req, req.Body, tok))
	if err != nil || resp.StatusCode != http.StatusUnauthorized || !replayable {
		return resp, err
	}
	t.Source.Invalidate(tok)
	fresh, err := t.Source.Token(ctx)
	if err != nil {
		// No new token: the caller gets SCB's 401 as it is.
		t.Source.c.log.LogAttrs(ctx, slog.LevelWarn, "api: no new token after a 401", slog.String("error", err.Error()))
		return resp, nil
	}
	body := req.Body
	if req.GetBody != nil {
		if body, err = req.GetBody(); err != nil {
			return resp, nil
		}
	}
	drain(resp.Body)
	return t.base().RoundTrip(t.prepare(req, body, fresh))
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	if rt := t.Source.c.hc.Transport; rt != nil {
		return rt
	}
	return http.DefaultTransport
}

// prepare returns a copy of req with body and the SCB headers.
func (t *Transport) prepare(req *http.Request, body io.ReadCloser, tok *Token) *http.Request {
	r := req.Clone(req.Context())
	r.Body = body
	c := t.Source.c
	r.Header.Set("Authorization", tok.authorization())
	if r.Header.Get("resourceOwnerId") == "" {
		owner := tok.ResourceOwnerID
		if owner == "" {
			owner = c.owner
		}
		r.Header.Set("resourceOwnerId", owner)
	}
	if req.Header.Get("requestUId") == "" {
		r.Header.Set("requestUId", uuid.NewString())
	}
	if c.lang != nil && r.Header.Get("accept-language") == "" {
		r.Header.Set("accept-language", string(*c.lang))
	}
	return r
}

func closeBody(r *http.Request) {
	if r.Body != nil {
		_ = r.Body.Close()
	}
}

// drain reads a little of a body we are done with, so that its connection can be reused.
func drain(b io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, b, 4<<10)
	_ = b.Close()
}

// HTTPClient returns an *http.Client for SCB's other APIs whose requests carry ts's tokens and
// SCB's headers (see Transport), with Timeout DefaultAPITimeout.
func (ts *TokenSource) HTTPClient() *http.Client {
	return &http.Client{Transport: &Transport{Source: ts}, Timeout: DefaultAPITimeout}
}

// OAuth2TokenSource adapts ts to golang.org/x/oauth2, so that oauth2.NewClient and libraries
// built on oauth2.TokenSource can use it. Each Token call waits with ctx. The returned token's
// Expiry is the time ts starts renewing it, so that x/oauth2's own cache comes back to ts in
// time for the renewal ahead of expiry.
func (ts *TokenSource) OAuth2TokenSource(ctx context.Context) oauth2.TokenSource {
	return oauth2Source{ctx: ctx, ts: ts}
}

type oauth2Source struct {
	ctx context.Context
	ts  *TokenSource
}

func (s oauth2Source) Token() (*oauth2.Token, error) {
	tok, err := s.ts.Token(s.ctx)
	if err != nil {
		return nil, err
	}
	expiry := tok.Expiry.Add(-safetyMargin(tok.lifetime))
	if e := s.ts.cur.Load(); e != nil && e.tok == tok {
		expiry = e.refreshAt
	}
	return &oauth2.Token{AccessToken: tok.AccessToken(), TokenType: tok.TokenType, Expiry: expiry}, nil
}
