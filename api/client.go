package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/scboauth/scboauth/generated"
)

// Client calls SCB's OAuth API for one application. It is safe for concurrent use; create one
// per application and share it.
type Client struct {
	base    string // with a trailing slash, as the generated request builders expect
	key     string
	secret  secret
	owner   string
	lang    *generated.Language
	hc      *http.Client
	timeout time.Duration
	retry   RetryPolicy
	maxBody int64
	log     *slog.Logger

	refreshDeadline time.Duration

	tsOnce sync.Once
	ts     *TokenSource
}

// NewClient validates cfg and returns a Client. It fails on a missing key or secret, a base URL
// that is not https (http is allowed on loopback addresses only), an unknown language, a client
// certificate that does not load, or SCB's production URL without a client certificate.
func NewClient(cfg Config, opts ...Option) (*Client, error) {
	base, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	retry, err := o.retry.withDefaults()
	if err != nil {
		return nil, err
	}
	if o.maxBody < 0 || o.refreshDeadline < 0 {
		return nil, errors.New("api: negative option value")
	}
	hc, err := cfg.httpClient()
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:            base,
		key:             cfg.ApplicationKey,
		secret:          newSecret(cfg.ApplicationSecret),
		owner:           cfg.ResourceOwnerID,
		hc:              hc,
		timeout:         cfg.Timeout,
		retry:           retry,
		maxBody:         o.maxBody,
		log:             cfg.Logger,
		refreshDeadline: o.refreshDeadline,
	}
	if c.owner == "" {
		c.owner = c.key
	}
	if cfg.Language != "" {
		l := generated.Language(cfg.Language)
		c.lang = &l
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBody == 0 {
		c.maxBody = DefaultMaxResponseBytes
	}
	if c.refreshDeadline == 0 {
		c.refreshDeadline = 30 * time.Second
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

// GoString returns the same description for %#v.
func (c *Client) GoString() string { return c.String() }

// Format prints the description for every verb.
func (c *Client) Format(f fmt.State, verb rune) { formatRedacted(f, verb, c.String()) }

// LogValue logs c's base URL and application key.
func (c *Client) LogValue() slog.Value {
	return slog.GroupValue(slog.String("baseUrl", c.base), slog.String("applicationKey", c.key))
}

// MarshalJSON encodes c's base URL and application key.
func (c *Client) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		BaseURL        string `json:"baseUrl"`
		ApplicationKey string `json:"applicationKey"`
	}{c.base, c.key})
}

// Token requests an access token with the client-credentials grant (POST /v1/oauth/token with
// the application's key and secret). Every call goes to SCB; use TokenSource to cache and
// renew.
func (c *Client) Token(ctx context.Context) (*Token, error) {
	return c.createToken(ctx, generated.TokenRequest{ApplicationKey: c.key, ApplicationSecret: c.secret.reveal()}, true)
}

type exchangeParams struct{ state, challenge string }

// ExchangeOption adds a field to an authorization-code exchange.
type ExchangeOption func(*exchangeParams)

// WithState sends the state of the current session (web applications).
func WithState(state string) ExchangeOption {
	return func(p *exchangeParams) { p.state = state }
}

// WithCodeChallenge sends the code challenge of the current session, which SCB requires of web
// applications. It is a secret: it never appears in errors or logs.
func WithCodeChallenge(challenge string) ExchangeOption {
	return func(p *exchangeParams) { p.challenge = challenge }
}

// Exchange trades an authorization code (from the user's consent, valid one minute and once)
// for an access token and a refresh token: the authorization-code grant. Web applications pass
// WithState and WithCodeChallenge. Errors match ErrInvalidAuthorizationCode,
// ErrCodeChallengeRequired or ErrInvalidAuthorizationMethod with errors.Is.
func (c *Client) Exchange(ctx context.Context, code string, opts ...ExchangeOption) (*Token, error) {
	if code == "" {
		return nil, errors.New("api: exchange: empty authorization code")
	}
	var p exchangeParams
	for _, opt := range opts {
		if opt != nil {
			opt(&p)
		}
	}
	return c.createToken(ctx, generated.TokenRequest{
		ApplicationKey: c.key, ApplicationSecret: c.secret.reveal(),
		AuthCode: &code, State: nonEmpty(p.state), CodeChallenge: nonEmpty(p.challenge),
	}, false)
}

func (c *Client) createToken(ctx context.Context, body generated.TokenRequest, idempotent bool) (*Token, error) {
	buf, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("api: token request: %w", err)
	}
	k := &call{
		op:         opToken,
		idempotent: idempotent,
		secrets:    []string{body.ApplicationSecret, deref(body.AuthCode), deref(body.CodeChallenge)},
		build: func(uid string) (*http.Request, error) {
			return generated.NewCreateTokenRequestWithBody(c.base, &generated.CreateTokenParams{
				ResourceOwnerId: c.owner, RequestUId: uid, AcceptLanguage: c.lang,
			}, "application/json", bytes.NewReader(buf))
		},
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
	buf, err := json.Marshal(generated.RefreshTokenRequest{
		ApplicationKey: c.key, ApplicationSecret: c.secret.reveal(), RefreshToken: refreshToken,
	})
	if err != nil {
		return nil, fmt.Errorf("api: refresh request: %w", err)
	}
	k := &call{
		op:      opRefresh,
		secrets: []string{c.secret.reveal(), refreshToken},
		build: func(uid string) (*http.Request, error) {
			return generated.NewRefreshTokenRequestWithBody(c.base, &generated.RefreshTokenParams{
				ResourceOwnerId: c.owner, RequestUId: uid, AcceptLanguage: c.lang,
			}, "application/json", bytes.NewReader(buf))
		},
	}
	a, err := c.send(ctx, k)
	if err != nil {
		return nil, err
	}
	tok, err := c.decodeToken(k, a)
	if err != nil {
		return nil, err
	}
	if !tok.refresh.isSet() { // SCB did not rotate it: the old one stays in use
		tok.refresh = newSecret(refreshToken)
	}
	return tok, nil
}

// Values of the authorize call's response-channel and endState headers.
const (
	ChannelMobile     = "mobile"     // response-channel: the SCB app returns to a mobile app
	ChannelMobileMMA  = "mobile_mma" // response-channel: SCB's MMA flavour
	EndStateMobileApp = "mobile_app" // endState: the user ends in the partner's app
	EndStateMobileWeb = "mobile_web" // endState: the user ends in the partner's web page
)

type authorizeParams struct {
	channel, endState, applicationID, redirectOption string
	query                                            url.Values
}

// AuthorizeOption sets a header or the query of the authorize call.
type AuthorizeOption func(*authorizeParams)

// WithResponseChannel sets the response-channel header: ChannelMobile (the default) or
// ChannelMobileMMA.
func WithResponseChannel(channel string) AuthorizeOption {
	return func(p *authorizeParams) { p.channel = channel }
}

// WithEndState sets the endState header: EndStateMobileApp (the default) or EndStateMobileWeb.
func WithEndState(endState string) AuthorizeOption {
	return func(p *authorizeParams) { p.endState = endState }
}

// WithApplicationID sets the optional applicationId header.
func WithApplicationID(id string) AuthorizeOption {
	return func(p *authorizeParams) { p.applicationID = id }
}

// WithRedirectOption sets the optional redirectOption header.
func WithRedirectOption(option string) AuthorizeOption {
	return func(p *authorizeParams) { p.redirectOption = option }
}

// WithRedirectParams adds query parameters that SCB passes through to the partner's redirect
// URL: at most 255 characters encoded; code, state and status are reserved.
func WithRedirectParams(q url.Values) AuthorizeOption {
	return func(p *authorizeParams) { p.query = q }
}

// AuthorizeURL starts the user-consent flow (GET /v2/oauth/authorize, the application's
// credentials in headers) and returns the callbackUrl SCB answers: a deep link that opens the
// SCB app, where the user consents. SCB then calls the partner's redirect URL with an
// authorization code for Exchange.
func (c *Client) AuthorizeURL(ctx context.Context, opts ...AuthorizeOption) (string, error) {
	p := authorizeParams{channel: ChannelMobile, endState: EndStateMobileApp}
	for _, opt := range opts {
		if opt != nil {
			opt(&p)
		}
	}
	switch p.channel {
	case ChannelMobile, ChannelMobileMMA:
	default:
		return "", fmt.Errorf("api: authorize: response channel %q, want %q or %q", p.channel, ChannelMobile, ChannelMobileMMA)
	}
	switch p.endState {
	case EndStateMobileApp, EndStateMobileWeb:
	default:
		return "", fmt.Errorf("api: authorize: end state %q, want %q or %q", p.endState, EndStateMobileApp, EndStateMobileWeb)
	}
	var rawQuery string
	if len(p.query) > 0 {
		for _, reserved := range []string{"code", "state", "status"} {
			if p.query.Has(reserved) {
				return "", fmt.Errorf("api: authorize: query parameter %q is reserved", reserved)
			}
		}
		rawQuery = p.query.Encode()
		if len(rawQuery) > 255 {
			return "", fmt.Errorf("api: authorize: query parameters are %d characters encoded, at most 255", len(rawQuery))
		}
	}
	params := generated.AuthorizeParams{
		Apikey: c.key, Apisecret: c.secret.reveal(), ResourceOwnerId: c.owner,
		ResponseChannel: generated.ResponseChannel(p.channel), EndState: generated.EndState(p.endState),
		AcceptLanguage: c.lang, ApplicationId: nonEmpty(p.applicationID), RedirectOption: nonEmpty(p.redirectOption),
	}
	k := &call{
		op:         opAuthorize,
		idempotent: true,
		secrets:    []string{c.secret.reveal()},
		build: func(uid string) (*http.Request, error) {
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
	if r.Data.CallbackUrl == "" {
		return "", a.fail(k, malformed("data.callbackUrl missing", nil))
	}
	return r.Data.CallbackUrl, nil
}

// TokenSource returns the client's token source for the client-credentials grant: it caches the
// token, renews it ahead of expiry and shares one renewal among all callers. Every call returns
// the same TokenSource.
func (c *Client) TokenSource() *TokenSource {
	c.tsOnce.Do(func() {
		c.ts = newTokenSource(c, func(ctx context.Context, _ *Token) (*Token, error) { return c.Token(ctx) })
	})
	return c.ts
}

// UserTokenSource returns a new token source for a user's token from Exchange (or Refresh): it
// hands out t while it is fresh, then redeems its refresh token, one redemption at a time, and
// swaps the access and refresh token together. When the refresh token is refused or expired,
// Token fails with an error matching ErrReauthorizationRequired and never calls SCB again.
func (c *Client) UserTokenSource(t *Token) *TokenSource {
	ts := newTokenSource(c, func(ctx context.Context, cur *Token) (*Token, error) {
		if cur == nil || !cur.refresh.isSet() {
			return nil, &Error{Op: opRefresh, Err: errors.New("no refresh token"), kind: ErrReauthorizationRequired}
		}
		if !cur.RefreshExpiry.IsZero() && !time.Now().Before(cur.RefreshExpiry) {
			return nil, &Error{Op: opRefresh, Err: fmt.Errorf("refresh token expired at %s", formatTime(cur.RefreshExpiry)), kind: ErrReauthorizationRequired}
		}
		return c.Refresh(ctx, cur.refresh.reveal())
	})
	if t != nil {
		ts.cur.Store(newEntry(t))
	}
	return ts
}

// HTTPClient returns an *http.Client for SCB's other APIs, authenticated with the client's
// TokenSource; see Transport.
func (c *Client) HTTPClient() *http.Client { return c.TokenSource().HTTPClient() }

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
