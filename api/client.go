package api

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/scboauth/scboauth/generated"
	"github.com/scboauth/scboauth/internal/redact"
)

// Client calls SCB's OAuth API for one application. It is safe for concurrent use; create one
// per application and share it.
type Client struct {
	base     string // with a trailing slash, as the generated request builders expect
	baseHost string // the base URL's host (canonicalHost), to which the Transport may send tokens
	key      string
	secret   redact.Secret
	owner    string
	lang     *generated.Language
	hc       *http.Client
	timeout  time.Duration
	retry    RetryPolicy
	maxBody  int64
	log      *slog.Logger

	refreshDeadline time.Duration
	recent          recentSecrets // the latest tokens, redacted from what servers say

	store       Store // nil: none
	storeLease  time.Duration
	storeHealth storeHealth // one warning per outage of the store, for all its token sources
	countHits   bool

	tsOnce sync.Once
	ts     *TokenSource
}

// NewClient validates cfg and returns a Client. It fails with a *ConfigError naming the field
// on a missing key or secret, a base URL that is not https (http is allowed on loopback
// addresses only), an unknown language, a client certificate that does not load, or SCB's
// production without a client certificate. The deprecated opts set fields of cfg.
func NewClient(cfg Config, opts ...Option) (*Client, error) {
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	hc, err := cfg.httpClient()
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.BaseURL) // validated
	c := &Client{
		base:            cfg.BaseURL,
		baseHost:        canonicalHost(u.Scheme, u.Host),
		key:             cfg.ApplicationKey,
		secret:          redact.New(cfg.ApplicationSecret),
		owner:           cmp.Or(cfg.ResourceOwnerID, cfg.ApplicationKey),
		hc:              hc,
		timeout:         cfg.Timeout,
		retry:           cfg.Retry,
		maxBody:         cfg.MaxResponseBytes,
		log:             cfg.Logger,
		refreshDeadline: cfg.RefreshDeadline,
		store:           cfg.Store,
		storeLease:      cfg.StoreLease,
		countHits:       cfg.CountHits,
	}
	if cfg.Language != "" {
		l := generated.Language(cfg.Language)
		c.lang = &l
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// String describes c (base URL and application key); it never shows the secret.
func (c *Client) String() string {
	if c == nil {
		return "api.Client(nil)"
	}
	return "api.Client{BaseURL: " + c.base + ", ApplicationKey: " + c.key + "}"
}

// Token requests an access token with the client-credentials grant (POST /v1/oauth/token with
// the application's key and secret). Every call goes to SCB; use TokenSource to cache and
// renew.
func (c *Client) Token(ctx context.Context) (*Token, error) {
	return c.createToken(ctx, generated.TokenRequest{ApplicationKey: c.key, ApplicationSecret: c.secret.Reveal()}, true)
}

// Exchange trades an authorization code (from the user's consent, valid one minute and once)
// for an access token and a refresh token: the authorization-code grant, as x/oauth2's
// Config.Exchange. Web applications pass WithState and WithCodeChallenge. Errors match
// ErrInvalidAuthorizationCode, ErrCodeChallengeRequired or ErrInvalidAuthorizationMethod with
// errors.Is.
func (c *Client) Exchange(ctx context.Context, code string, opts ...CallOption) (*Token, error) {
	p, err := collect("exchange", opts, "WithState", "WithCodeChallenge")
	if err != nil {
		return nil, err
	}
	if code == "" {
		return nil, errors.New("api: exchange: empty authorization code")
	}
	return c.createToken(ctx, generated.TokenRequest{
		ApplicationKey: c.key, ApplicationSecret: c.secret.Reveal(),
		AuthCode: &code, State: nonEmpty(p.state), CodeChallenge: nonEmpty(p.challenge),
	}, false)
}

func (c *Client) createToken(ctx context.Context, body generated.TokenRequest, idempotent bool) (*Token, error) {
	k := &call{
		op:         opToken,
		idempotent: idempotent,
		secrets:    []string{body.ApplicationSecret, deref(body.AuthCode), deref(body.CodeChallenge)},
		build: func(uid string, body *bytes.Reader) (*http.Request, error) {
			return generated.NewCreateTokenRequestWithBody(c.base, &generated.CreateTokenParams{
				ResourceOwnerId: c.owner, RequestUId: uid, AcceptLanguage: c.lang,
			}, "application/json", body)
		},
	}
	if err := k.setBody(body); err != nil {
		return nil, err
	}
	a, err := c.send(ctx, k)
	if err != nil {
		return nil, err
	}
	return c.decodeToken(k, a)
}

// Refresh redeems a refresh token for a new access token and refresh token
// (POST /v1/oauth/token/refresh). Keep the returned RefreshToken: SCB may rotate it, and the
// old one may no longer work. An unknown, redeemed or expired refresh token fails with an error
// matching ErrReauthorizationRequired.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*Token, error) {
	if refreshToken == "" {
		return nil, &Error{Op: opRefresh, Err: errors.New("no refresh token"), kind: ErrReauthorizationRequired}
	}
	k := &call{
		op:      opRefresh,
		secrets: []string{c.secret.Reveal(), refreshToken},
		build: func(uid string, body *bytes.Reader) (*http.Request, error) {
			return generated.NewRefreshTokenRequestWithBody(c.base, &generated.RefreshTokenParams{
				ResourceOwnerId: c.owner, RequestUId: uid, AcceptLanguage: c.lang,
			}, "application/json", body)
		},
	}
	if err := k.setBody(generated.RefreshTokenRequest{
		ApplicationKey: c.key, ApplicationSecret: c.secret.Reveal(), RefreshToken: refreshToken,
	}); err != nil {
		return nil, err
	}
	a, err := c.send(ctx, k)
	if err != nil {
		return nil, err
	}
	tok, err := c.decodeToken(k, a)
	if err != nil {
		return nil, err
	}
	if !tok.refresh.IsSet() { // SCB did not rotate it: the old one stays in use
		tok.refresh = redact.New(refreshToken)
	}
	return tok, nil
}

// AuthorizeURL starts the user-consent flow (GET /v2/oauth/authorize, the application's
// credentials in headers) and returns the callbackUrl SCB answers: a deep link that opens the
// SCB app, where the user consents. SCB then calls the partner's redirect URL with an
// authorization code for Exchange. It takes WithResponseChannel, WithEndState,
// WithApplicationID, WithRedirectOption and WithRedirectParams.
//
// The callbackUrl is checked before it is returned, since a partner hands it to a phone to
// open: an absolute URL of the form scheme://..., at most 2048 bytes of visible ASCII (no
// spaces, CR, LF or other controls), whose scheme is not one a browser runs or reads locally
// (javascript, vbscript, data, file, blob, about). Anything else is ErrMalformedResponse.
func (c *Client) AuthorizeURL(ctx context.Context, opts ...CallOption) (string, error) {
	p, err := collect("authorize", opts, "WithResponseChannel", "WithEndState", "WithApplicationID", "WithRedirectOption", "WithRedirectParams")
	if err != nil {
		return "", err
	}
	rawQuery, err := p.validateAuthorize()
	if err != nil {
		return "", err
	}
	params := generated.AuthorizeParams{
		Apikey: c.key, Apisecret: c.secret.Reveal(), ResourceOwnerId: c.owner,
		ResponseChannel: generated.ResponseChannel(p.channel), EndState: generated.EndState(p.endState),
		AcceptLanguage: c.lang, ApplicationId: nonEmpty(p.applicationID), RedirectOption: nonEmpty(p.redirectOption),
	}
	k := &call{
		op:         opAuthorize,
		idempotent: true,
		secrets:    []string{c.secret.Reveal()},
		build: func(uid string, _ *bytes.Reader) (*http.Request, error) {
			params.RequestUId = uid
			req, err := generated.NewAuthorizeRequest(c.base, &params)
			if err == nil {
				req.URL.RawQuery = rawQuery
			}
			return req, err
		},
	}
	a, err := c.send(ctx, k)
	if err != nil {
		return "", err
	}
	var r generated.CallbackResponse
	if err := c.decodeSuccess(k, a, &r, &r.Status); err != nil {
		return "", err
	}
	if problem := checkCallbackURL(r.Data.CallbackUrl); problem != "" {
		return "", a.fail(k, malformed("data.callbackUrl "+problem, nil))
	}
	return r.Data.CallbackUrl, nil
}

// TokenSource returns the client's token source for the client-credentials grant: it caches the
// token, renews it ahead of expiry and shares one renewal among all callers (and, with
// Config.Store, among all the processes of the fleet). Every call returns the same TokenSource.
func (c *Client) TokenSource() *TokenSource {
	c.tsOnce.Do(func() {
		c.ts = newTokenSource(c, nil)
		c.ts.fetch = func(ctx context.Context, _ *Token) (*Token, error) {
			c.ts.stats.fetches.Add(1)
			return c.Token(ctx)
		}
		if c.store != nil {
			c.ts.sh = &sharing{key: storeKey(c.base, c.key, "")}
		}
	})
	return c.ts
}

// UserTokenSource returns a new token source for a user's token from Exchange (or Refresh): it
// hands out t while it is fresh, then redeems its refresh token, one redemption at a time, and
// swaps the access and refresh token together. When the refresh token is refused or expired,
// Token fails with an error matching ErrReauthorizationRequired and never calls SCB again.
//
// With Config.Store, WithUserID(id) shares the user's pair with the fleet under id (an id of
// your choosing, kept in the store only as a hash): the process that made the Exchange passes
// the token, which is written to the store before UserTokenSource returns (a read and a
// compare-and-swap, within twice Config.StoreLease; a store that fails gets it once it answers
// again, within 30 seconds of its return or at the next renewal if sooner), and any other
// process passes nil and reads the pair from the store on its first Token call. The refresh
// token is then redeemed once for the whole fleet: the process that renews holds the store's
// lock, and the others adopt the pair it wrote. A pair in the store that is newer than t (a
// later expiry) is adopted instead of t. A refused refresh token makes Token fail with
// ErrReauthorizationRequired in every process until a new pair reaches the store (an Exchange
// after the user consents again, in any process), which the sources then adopt; SCB is asked
// once for the fleet (the process refused leaves a tombstone in the store, see Store), and
// each source reads the store for the new pair once per backoff step. Keep one source per active
// user: a new one costs a store read on its first call.
//
// It takes WithUserID only; another option, or an empty id, makes every Token call fail with
// an error that says so.
func (c *Client) UserTokenSource(t *Token, opts ...CallOption) *TokenSource {
	ts := newTokenSource(c, nil)
	ts.fetch = func(ctx context.Context, cur *Token) (*Token, error) {
		if cur == nil || !cur.refresh.IsSet() {
			return nil, &Error{Op: opRefresh, Err: errors.New("no refresh token"), kind: ErrReauthorizationRequired}
		}
		if !cur.RefreshExpiry.IsZero() && !time.Now().Before(cur.RefreshExpiry) {
			return nil, &Error{Op: opRefresh, Err: fmt.Errorf("refresh token expired at %s", formatTime(cur.RefreshExpiry)), kind: ErrReauthorizationRequired}
		}
		ts.stats.fetches.Add(1)
		return c.Refresh(ctx, cur.refresh.Reveal())
	}
	p, err := collect("user token source", opts, "WithUserID")
	if err == nil && p.userSet && p.userID == "" {
		err = errors.New("api: user token source: WithUserID: empty user id")
	}
	if err != nil {
		ts.broken(err)
		return ts
	}
	if c.store != nil && p.userSet {
		ts.sh = &sharing{key: storeKey(c.base, c.key, p.userID)}
	}
	if t != nil {
		c.recent.add(t.access, t.refresh)
		ts.cur.Store(ts.seed(t))
	}
	return ts
}

// HTTPClient returns c.TokenSource().APIClient().
//
// Deprecated: use TokenSource().APIClient(); Config.HTTPClient is the client the Client sends
// with, a different thing.
func (c *Client) HTTPClient() *http.Client { return c.TokenSource().APIClient() }

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
