package api

import (
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/oauth2"
)

// DefaultAPITimeout is the Timeout of the *http.Client that APIClient returns.
const DefaultAPITimeout = 30 * time.Second

// opTransport is Error.Op for a request the Transport refused to send.
const opTransport = "transport"

// Transport is an http.RoundTripper for SCB's other APIs (payments, slips...). On each request
// it sets, unless the request already has them:
//
//   - authorization: "Bearer <access token>" from Source (always set);
//   - resourceOwnerId: the token's ResourceOwnerID, else the client's Config.ResourceOwnerID
//     (which defaults to the application key);
//   - requestUId: a fresh UUID per attempt;
//   - accept-language: the client's Config.Language, if set.
//
// The token goes only where it may: to the host of the request the caller made, and, when a
// redirect is followed, only to that host or the base URL's (Go's http.Client drops the
// authorization header on a redirect to another host, and so does not the Transport: it refuses
// the request with an error matching ErrRedirect). Over plain http it goes only to a loopback
// address, never through a proxy.
//
// When SCB answers 401, Transport invalidates that token (TokenSource.Invalidate) and retries
// the request once with a newer one, provided there is one and the body can be sent again (no
// body, or Request.GetBody set, as http.NewRequest does for in-memory bodies). It never
// modifies the caller's request.
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
	if err := t.refuse(req); err != nil {
		closeBody(req)
		return nil, err
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
	fresh, err := t.Source.replacement(ctx, tok)
	if err != nil {
		// No new token: the caller gets SCB's 401 as it is.
		t.Source.c.log.LogAttrs(ctx, slog.LevelWarn, "api: no new token after a 401", slog.String("error", err.Error()))
		return resp, nil
	}
	if fresh == nil {
		return resp, nil // no newer token (renewals after 401s are paced): the rejection stands
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

// refuse returns the error for a request the token must not go with: plain http to anything
// but a loopback address, or a redirect to a host other than the original request's or the
// base URL's.
func (t *Transport) refuse(req *http.Request) error {
	if req.URL.Scheme != "https" && !(req.URL.Scheme == "http" && isLoopback(req.URL.Hostname())) {
		return &Error{Op: opTransport, Err: redirectError("the token goes over https only (plain http only to a loopback address)")}
	}
	if req.Response == nil {
		return nil // the caller's own request
	}
	first := req
	for first.Response != nil && first.Response.Request != nil {
		first = first.Response.Request
	}
	host := canonicalHost(req.URL.Scheme, req.URL.Host)
	if host == canonicalHost(first.URL.Scheme, first.URL.Host) || host == t.Source.c.baseHost {
		return nil
	}
	return &Error{Op: opTransport, Err: redirectError("redirect to host " + t.Source.c.shown(req.URL.Host) +
		" refused: the token goes only to the original request's host and the base URL's")}
}

// canonicalHost returns host in lower case with the scheme's default port, so that
// "Example.com" and "example.com:443" compare equal over https.
func canonicalHost(scheme, host string) string {
	host = strings.ToLower(host)
	if strings.LastIndex(host, ":") <= strings.LastIndex(host, "]") { // no port
		if scheme == "http" {
			return host + ":80"
		}
		return host + ":443"
	}
	return host
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
		r.Header.Set("resourceOwnerId", cmp.Or(tok.ResourceOwnerID, c.owner))
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

// APIClient returns an *http.Client for SCB's other APIs whose requests carry ts's tokens and
// SCB's headers (see Transport), with Timeout DefaultAPITimeout. (Config.HTTPClient is the
// other direction: the client the Client sends with.)
func (ts *TokenSource) APIClient() *http.Client {
	return &http.Client{Transport: &Transport{Source: ts}, Timeout: DefaultAPITimeout}
}

// HTTPClient returns ts.APIClient().
//
// Deprecated: use APIClient; Config.HTTPClient is the client the Client sends with, a
// different thing.
func (ts *TokenSource) HTTPClient() *http.Client { return ts.APIClient() }

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
	expiry := tok.staleAt()
	if e := s.ts.cur.Load(); e != nil && e.tok == tok {
		expiry = e.refreshAt
	}
	return &oauth2.Token{AccessToken: tok.AccessToken(), TokenType: tok.TokenType, Expiry: expiry}, nil
}
