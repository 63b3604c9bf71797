package api

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/scboauth/scboauth/generated"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// TestNewClientValidation: every refused Config is a *ConfigError naming the field (for a CLI
// to map to its flag) with a message that starts with the package name and shows no secret.
func TestNewClientValidation(t *testing.T) {
	_, _, cert := selfSignedCert(t)
	withCert := &http.Transport{TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	withGetCert := &http.Transport{TLSClientConfig: &tls.Config{GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }}}
	tests := []struct {
		name      string
		cfg       Config
		wantField string // "" means success
		wantErr   string
	}{
		{name: "sandbox default", cfg: Config{ApplicationKey: "k", ApplicationSecret: "s"}},
		{name: "uat", cfg: Config{BaseURL: UATURL, ApplicationKey: "k", ApplicationSecret: "s"}},
		{name: "http on loopback", cfg: Config{BaseURL: "http://127.0.0.1:8080", ApplicationKey: "k", ApplicationSecret: "s"}},
		{name: "http on 127.1.2.3", cfg: Config{BaseURL: "http://127.1.2.3:8080", ApplicationKey: "k", ApplicationSecret: "s"}},
		{name: "http on localhost", cfg: Config{BaseURL: "http://localhost:8080/x/", ApplicationKey: "k", ApplicationSecret: "s"}},
		{name: "http on LOCALHOST", cfg: Config{BaseURL: "http://LOCALHOST:8080/x/", ApplicationKey: "k", ApplicationSecret: "s"}},
		{name: "http on ::1", cfg: Config{BaseURL: "http://[::1]:8080", ApplicationKey: "k", ApplicationSecret: "s"}},
		{name: "language any case", cfg: Config{ApplicationKey: "k", ApplicationSecret: "s", Language: "th"}},
		{name: "production with a certificate on the caller's transport", cfg: Config{BaseURL: ProductionURL, ApplicationKey: "k", ApplicationSecret: "s", HTTPClient: &http.Client{Transport: withCert}}},
		{name: "production with GetClientCertificate", cfg: Config{BaseURL: ProductionURL, ApplicationKey: "k", ApplicationSecret: "s", HTTPClient: &http.Client{Transport: withGetCert}}},
		{name: "production with a certificate", cfg: Config{BaseURL: ProductionURL, ApplicationKey: "k", ApplicationSecret: "s", Certificate: &cert}},
		{name: "production, certificate in a custom transport", cfg: Config{BaseURL: ProductionURL, ApplicationKey: "k", ApplicationSecret: "s", HTTPClient: &http.Client{Transport: rtFunc(nil)}, CertificateInTransport: true}},
		{name: "missing key", cfg: Config{ApplicationSecret: "s"}, wantField: "ApplicationKey", wantErr: "api: Config.ApplicationKey: empty"},
		{name: "missing secret", cfg: Config{ApplicationKey: "k"}, wantField: "ApplicationSecret", wantErr: "api: Config.ApplicationSecret: empty"},
		{name: "http elsewhere", cfg: Config{BaseURL: "http://api.partners.scb/partners", ApplicationKey: "k", ApplicationSecret: "s"}, wantField: "BaseURL", wantErr: "https required"},
		{name: "http on a .localhost name", cfg: Config{BaseURL: "http://evil.localhost:8080", ApplicationKey: "k", ApplicationSecret: "s"}, wantField: "BaseURL", wantErr: "https required"},
		{name: "http on localhost.evil.example", cfg: Config{BaseURL: "http://localhost.evil.example", ApplicationKey: "k", ApplicationSecret: "s"}, wantField: "BaseURL", wantErr: "https required"},
		{name: "ftp with a password", cfg: Config{BaseURL: "ftp://u:pa55word@127.0.0.1", ApplicationKey: "k", ApplicationSecret: "s"}, wantField: "BaseURL", wantErr: "user information"},
		{name: "ftp", cfg: Config{BaseURL: "ftp://127.0.0.1", ApplicationKey: "k", ApplicationSecret: "s"}, wantField: "BaseURL", wantErr: `scheme "ftp", want https`},
		{name: "no host", cfg: Config{BaseURL: "https:///x", ApplicationKey: "k", ApplicationSecret: "s"}, wantField: "BaseURL", wantErr: "no host"},
		{name: "user info", cfg: Config{BaseURL: "https://u:pa55word@example.com", ApplicationKey: "k", ApplicationSecret: "s"}, wantField: "BaseURL", wantErr: "user information"},
		{name: "user info in an unparseable URL", cfg: Config{BaseURL: "https://u:pa55word@exa mple.com/%zz", ApplicationKey: "k", ApplicationSecret: "s"}, wantField: "BaseURL", wantErr: "api: Config.BaseURL: not a valid URL"},
		{name: "query", cfg: Config{BaseURL: "https://example.com/?apisecret=pa55word", ApplicationKey: "k", ApplicationSecret: "s"}, wantField: "BaseURL", wantErr: "query or fragment"},
		{name: "unknown language", cfg: Config{ApplicationKey: "k", ApplicationSecret: "s", Language: "FR"}, wantField: "Language", wantErr: `"FR", want EN or TH`},
		{name: "newline in secret", cfg: Config{ApplicationKey: "k", ApplicationSecret: "s\nx"}, wantField: "ApplicationSecret", wantErr: "contains control or invisible characters"},
		{name: "bidirectional control in key", cfg: Config{ApplicationKey: "k\u202ey", ApplicationSecret: "s"}, wantField: "ApplicationKey", wantErr: "contains control or invisible characters"},
		{name: "zero-width space in owner", cfg: Config{ApplicationKey: "k", ApplicationSecret: "s", ResourceOwnerID: "a\u200bb"}, wantField: "ResourceOwnerID", wantErr: "invisible"},
		{name: "negative timeout", cfg: Config{ApplicationKey: "k", ApplicationSecret: "s", Timeout: -time.Second}, wantField: "Timeout", wantErr: "negative"},
		{name: "negative body limit", cfg: Config{ApplicationKey: "k", ApplicationSecret: "s", MaxResponseBytes: -1}, wantField: "MaxResponseBytes", wantErr: "negative"},
		{name: "negative refresh deadline", cfg: Config{ApplicationKey: "k", ApplicationSecret: "s", RefreshDeadline: -1}, wantField: "RefreshDeadline", wantErr: "negative"},
		{name: "cert without key", cfg: Config{ApplicationKey: "k", ApplicationSecret: "s", CertFile: "c.pem"}, wantField: "KeyFile", wantErr: "go together"},
		{name: "key without cert", cfg: Config{ApplicationKey: "k", ApplicationSecret: "s", KeyFile: "k.pem"}, wantField: "CertFile", wantErr: "go together"},
		{name: "production without certificate", cfg: Config{BaseURL: ProductionURL, ApplicationKey: "k", ApplicationSecret: "s"}, wantField: "Certificate", wantErr: "requires a client certificate"},
		// Issue 9 item 10: any HTTPClient used to pass the check.
		{name: "production with a plain HTTP client", cfg: Config{BaseURL: ProductionURL, ApplicationKey: "k", ApplicationSecret: "s", HTTPClient: &http.Client{}}, wantField: "Certificate", wantErr: "requires a client certificate"},
		{name: "production with a transport without certificate", cfg: Config{BaseURL: ProductionURL, ApplicationKey: "k", ApplicationSecret: "s", HTTPClient: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{}}}}, wantField: "Certificate", wantErr: "requires a client certificate"},
		{name: "production with a custom round tripper", cfg: Config{BaseURL: ProductionURL, ApplicationKey: "k", ApplicationSecret: "s", HTTPClient: &http.Client{Transport: rtFunc(nil)}}, wantField: "Certificate", wantErr: "requires a client certificate"},
		{name: "production spelled otherwise", cfg: Config{BaseURL: "https://API.Partners.SCB:443/partners/v1/", ApplicationKey: "k", ApplicationSecret: "s"}, wantField: "Certificate", wantErr: "requires a client certificate"},
		{name: "missing certificate file", cfg: Config{ApplicationKey: "k", ApplicationSecret: "s", CertFile: "/nonexistent/c.pem", KeyFile: "/nonexistent/k.pem"}, wantField: "CertFile", wantErr: "api: Config.CertFile: client certificate:"},
		{name: "four attempts", cfg: Config{ApplicationKey: "k", ApplicationSecret: "s", Retry: RetryPolicy{MaxAttempts: 4}}, wantField: "Retry.MaxAttempts", wantErr: "4, want 1 to 3"},
		{name: "negative retry delay", cfg: Config{ApplicationKey: "k", ApplicationSecret: "s", Retry: RetryPolicy{BaseDelay: -1}}, wantField: "Retry.BaseDelay", wantErr: "negative"},
		{name: "certificate on a custom round tripper", cfg: Config{ApplicationKey: "k", ApplicationSecret: "s", HTTPClient: &http.Client{Transport: rtFunc(nil)}, Certificate: &cert}, wantField: "HTTPClient", wantErr: "cannot add a client certificate or roots to a api.rtFunc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.cfg)
			if tt.wantField == "" {
				if err != nil || c == nil {
					t.Fatalf("got %v, %v; want a client", c, err)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != tt.wantField {
				t.Fatalf("got %T %v, want a *ConfigError for %s", err, err, tt.wantField)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "api: Config."+tt.wantField+": ") {
				t.Errorf("got %q, want one starting api: Config.%s: and containing %q", err, tt.wantField, tt.wantErr)
			}
			if strings.Contains(err.Error(), "pa55word") || strings.ContainsRune(err.Error(), '\u202e') {
				t.Errorf("got %q, which shows a secret or a bidirectional control", err)
			}
		})
	}
}

// TestDeprecatedOptions: the options that came before the Config fields still set them.
func TestDeprecatedOptions(t *testing.T) {
	c, err := NewClient(Config{ApplicationKey: "k", ApplicationSecret: "s"},
		WithRetryPolicy(RetryPolicy{MaxAttempts: 1}), WithMaxResponseBytes(10), WithRefreshDeadline(time.Second), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.retry.MaxAttempts != 1 || c.maxBody != 10 || c.refreshDeadline != time.Second {
		t.Errorf("got %d attempts, %d bytes, %v; want 1, 10, 1s", c.retry.MaxAttempts, c.maxBody, c.refreshDeadline)
	}
	if _, err := NewClient(Config{ApplicationKey: "k", ApplicationSecret: "s"}, WithRetryPolicy(RetryPolicy{MaxAttempts: 9})); err == nil {
		t.Error("got no error for 9 attempts set by an option")
	}
}

// TestTokenRequestShape checks what the client-credentials call sends, and that the base
// path is kept (a base without a trailing slash must not lose its last segment).
func TestTokenRequestShape(t *testing.T) {
	var got struct {
		method, path, contentType, owner, uid, lang string
		body                                        map[string]any
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.method, got.path = r.Method, r.URL.Path
		got.contentType = r.Header.Get("Content-Type")
		got.owner, got.uid, got.lang = r.Header.Get("resourceOwnerId"), r.Header.Get("requestUId"), r.Header.Get("accept-language")
		_ = json.NewDecoder(r.Body).Decode(&got.body)
		w.Header().Set("resourceOwnerId", "owner-from-scb")
		writeJSON(w, http.StatusOK, tokenAnswer("tok-1", 30*time.Minute, ""))
	})
	c := newTestClientConfig(t, Config{HTTPClient: sandboxtest.Client(h), Language: "th"})
	before := time.Now()
	tok, err := c.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got.method != http.MethodPost || got.path != "/partners/sandbox/v1/oauth/token" {
		t.Errorf("got %s %s, want POST /partners/sandbox/v1/oauth/token", got.method, got.path)
	}
	if got.contentType != "application/json" {
		t.Errorf("got content-type %q, want application/json", got.contentType)
	}
	if got.owner != testKey {
		t.Errorf("got resourceOwnerId %q, want the application key %q", got.owner, testKey)
	}
	if !uuidRE.MatchString(got.uid) {
		t.Errorf("got requestUId %q, want a UUID", got.uid)
	}
	if got.lang != "TH" {
		t.Errorf("got accept-language %q, want TH", got.lang)
	}
	want := map[string]any{"applicationKey": testKey, "applicationSecret": testSecret}
	if len(got.body) != len(want) || got.body["applicationKey"] != want["applicationKey"] || got.body["applicationSecret"] != want["applicationSecret"] {
		t.Errorf("got body %v, want exactly applicationKey and applicationSecret", got.body)
	}
	if tok.AccessToken() != "tok-1" || tok.TokenType != "Bearer" || tok.RefreshToken() != "" {
		t.Errorf("got token %q %q refresh %q, want tok-1 Bearer and no refresh", tok.AccessToken(), tok.TokenType, tok.RefreshToken())
	}
	if tok.ResourceOwnerID != "owner-from-scb" {
		t.Errorf("got ResourceOwnerID %q, want owner-from-scb", tok.ResourceOwnerID)
	}
	if d := tok.Expiry.Sub(before); d < 30*time.Minute || d > 30*time.Minute+time.Minute {
		t.Errorf("got expiry %v after the call, want 30m", d)
	}
	if !tok.Valid() {
		t.Error("got an invalid fresh token")
	}
}

// strictSCB implements the generated strict server interface: the client's requests must bind
// to the generated types (required headers and body).
type strictSCB struct {
	got atomic.Pointer[generated.CreateTokenRequestObject]
}

func (s *strictSCB) CreateToken(_ context.Context, r generated.CreateTokenRequestObject) (generated.CreateTokenResponseObject, error) {
	s.got.Store(&r)
	if r.Body == nil || r.Body.ApplicationSecret != testSecret {
		return generated.CreateToken401JSONResponse{TokenUnauthorizedJSONResponse: generated.TokenUnauthorizedJSONResponse{
			Status: generated.Status{Code: 9500, Description: "Invalid authorization credentials"}}}, nil
	}
	refresh, refreshIn, refreshAt := "refresh-strict", 3600, int64(1550134985)
	data := generated.Token{AccessToken: "access-strict", TokenType: generated.TokenTypeBearer, ExpiresIn: 1800, ExpiresAt: 1550133185}
	if r.Body.AuthCode != nil {
		data.RefreshToken, data.RefreshExpiresIn, data.RefreshExpiresAt = &refresh, &refreshIn, &refreshAt
	}
	return generated.CreateToken200JSONResponse{
		Body:    generated.TokenResponse{Status: generated.Status{Code: 1000, Description: "Success"}, Data: data},
		Headers: generated.CreateToken200ResponseHeaders{ResourceOwnerId: r.Params.ResourceOwnerId},
	}, nil
}

func (s *strictSCB) RefreshToken(_ context.Context, r generated.RefreshTokenRequestObject) (generated.RefreshTokenResponseObject, error) {
	if r.Body == nil || r.Body.RefreshToken != "refresh-strict" {
		return generated.RefreshToken401JSONResponse{RefreshUnauthorizedJSONResponse: generated.RefreshUnauthorizedJSONResponse{
			Status: generated.Status{Code: 9300, Description: "Invalid/expired temporary token"}}}, nil
	}
	refresh, refreshIn := "refresh-strict-2", 3600
	return generated.RefreshToken200JSONResponse{Body: generated.TokenResponse{
		Status: generated.Status{Code: 1000, Description: "Success"},
		Data:   generated.Token{AccessToken: "access-strict-2", TokenType: generated.TokenTypeBearer, ExpiresIn: 1800, ExpiresAt: 1550133185, RefreshToken: &refresh, RefreshExpiresIn: &refreshIn},
	}}, nil
}

func (s *strictSCB) Authorize(_ context.Context, r generated.AuthorizeRequestObject) (generated.AuthorizeResponseObject, error) {
	if r.Params.Apisecret != testSecret || r.Params.ResponseChannel != generated.ResponseChannelMobile || r.Params.EndState != generated.EndStateMobileApp {
		return generated.Authorize401JSONResponse{AuthorizeUnauthorizedJSONResponse: generated.AuthorizeUnauthorizedJSONResponse{
			Status: generated.Status{Code: 9500, Description: "Invalid apikey provided"}}}, nil
	}
	return generated.Authorize200JSONResponse{Status: generated.Status{Code: 1000, Description: "Success"},
		Data: generated.Callback{CallbackUrl: "scbeasysim://login/strict"}}, nil
}

func TestAgainstGeneratedStrictServer(t *testing.T) {
	s := &strictSCB{}
	h := generated.HandlerWithOptions(generated.NewStrictHandler(s, nil), generated.StdHTTPServerOptions{BaseURL: "/partners/sandbox"})
	c := newTestClient(t, h)
	ctx := context.Background()

	tok, err := c.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken() != "access-strict" || tok.RefreshToken() != "" {
		t.Errorf("got %q/%q, want access-strict and no refresh token", tok.AccessToken(), tok.RefreshToken())
	}
	if r := s.got.Load(); r.Params.ResourceOwnerId != testKey || !uuidRE.MatchString(r.Params.RequestUId) || r.Body.AuthCode != nil {
		t.Errorf("got params %+v, authCode %v; want the key as owner, a UUID, no authCode", r.Params, r.Body.AuthCode)
	}

	tok, err = c.Exchange(ctx, "code-1", WithState("st"), WithCodeChallenge("cc"))
	if err != nil {
		t.Fatal(err)
	}
	if r := s.got.Load(); deref(r.Body.AuthCode) != "code-1" || deref(r.Body.State) != "st" || deref(r.Body.CodeChallenge) != "cc" {
		t.Errorf("got authCode %q state %q codeChallenge %q, want code-1 st cc", deref(r.Body.AuthCode), deref(r.Body.State), deref(r.Body.CodeChallenge))
	}
	if tok.RefreshToken() != "refresh-strict" || tok.RefreshExpiry.IsZero() {
		t.Errorf("got refresh token %q expiry %v, want refresh-strict with an expiry", tok.RefreshToken(), tok.RefreshExpiry)
	}

	tok, err = c.Refresh(ctx, tok.RefreshToken())
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken() != "access-strict-2" || tok.RefreshToken() != "refresh-strict-2" {
		t.Errorf("got %q/%q, want the rotated pair", tok.AccessToken(), tok.RefreshToken())
	}
	_, err = c.Refresh(ctx, "unknown-refresh-token")
	if !errors.Is(err, ErrReauthorizationRequired) {
		t.Errorf("got %v, want ErrReauthorizationRequired", err)
	}

	u, err := c.AuthorizeURL(ctx)
	if err != nil || u != "scbeasysim://login/strict" {
		t.Errorf("got %q, %v; want scbeasysim://login/strict", u, err)
	}
}

func TestExchangeAndAuthorizeRequests(t *testing.T) {
	var hdr http.Header
	var query url.Values
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr, query = r.Header.Clone(), r.URL.Query()
		if r.Method != http.MethodGet || r.URL.Path != "/partners/sandbox/v2/oauth/authorize" {
			t.Errorf("got %s %s, want GET .../v2/oauth/authorize", r.Method, r.URL.Path)
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": map[string]any{"code": 1000, "description": "Success"},
			"data": map[string]any{"callbackUrl": "scbeasysim://login/abc"}})
	})
	c := newTestClient(t, h)
	ctx := context.Background()
	u, err := c.AuthorizeURL(ctx, WithResponseChannel(ChannelMobileMMA), WithEndState(EndStateMobileWeb),
		WithApplicationID("app-1"), WithRedirectOption("opt"), WithRedirectParams(url.Values{"order": {"42"}}))
	if err != nil {
		t.Fatal(err)
	}
	if u != "scbeasysim://login/abc" {
		t.Errorf("got callback %q, want scbeasysim://login/abc", u)
	}
	for name, want := range map[string]string{
		"apikey": testKey, "apisecret": testSecret, "resourceOwnerId": testKey, "response-channel": "mobile_mma",
		"endState": "mobile_web", "applicationId": "app-1", "redirectOption": "opt",
	} {
		if got := hdr.Get(name); got != want {
			t.Errorf("got header %s %q, want %q", name, got, want)
		}
	}
	if query.Get("order") != "42" {
		t.Errorf("got query %v, want order=42", query)
	}

	tests := []struct {
		name    string
		opts    []CallOption
		wantErr string
	}{
		{"reserved state", []CallOption{WithRedirectParams(url.Values{"state": {"x"}})}, `query parameter "state" is reserved`},
		{"too long", []CallOption{WithRedirectParams(url.Values{"a": {strings.Repeat("x", 300)}})}, "at most 255"},
		{"bad channel", []CallOption{WithResponseChannel("web")}, `response channel "web"`},
		{"bad end state", []CallOption{WithEndState("desktop")}, `end state "desktop"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.AuthorizeURL(ctx, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
	if _, err := c.Exchange(ctx, ""); err == nil || !strings.Contains(err.Error(), "empty authorization code") {
		t.Errorf("got %v, want an error for an empty code", err)
	}
}

// badGatewayPage is an HTML gateway page, as a proxy in front of SCB answers.
var badGatewayPage = "<html><body><h1>502 Bad Gateway</h1>" + strings.Repeat(" ", 100) + "</body></html>"

// errorAnswerTests are the answers TestErrorAnswers sorts into typed errors.
var errorAnswerTests = []struct {
	name         string
	op           string // token (default), exchange, refresh
	handler      func(w http.ResponseWriter, r *http.Request)
	wantStatus   int
	wantCode     int
	wantIs       []error
	wantNotIs    []error
	wantMsg      string // the message with the requestUId part removed
	wantAttempts int64
}{
	{
		name: "bad credentials",
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeSCBError(w, 401, 9500, "Invalid authorization credentials")
		},
		wantStatus: 401, wantCode: 9500, wantIs: []error{ErrBadCredentials}, wantNotIs: []error{ErrInvalidAuthorizationCode},
		wantMsg: "api: token request: 401 9500 invalid authorization credentials", wantAttempts: 1,
	},
	{
		name: "invalid authorization code", op: "exchange",
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeSCBError(w, 401, 9300, "Invalid authorization code")
		},
		wantStatus: 401, wantCode: 9300, wantIs: []error{ErrInvalidAuthorizationCode}, wantNotIs: []error{ErrCodeChallengeRequired, ErrReauthorizationRequired},
		wantMsg: "api: token request: 401 9300 invalid authorization code", wantAttempts: 1,
	},
	{
		name: "code challenge required", op: "exchange",
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeSCBError(w, 401, 9300, "This application requires codeChallenge verification")
		},
		wantStatus: 401, wantCode: 9300, wantIs: []error{ErrCodeChallengeRequired}, wantNotIs: []error{ErrInvalidAuthorizationCode},
		wantMsg: "api: token request: 401 9300 this application requires codeChallenge verification", wantAttempts: 1,
	},
	{
		name: "invalid authorization method", op: "exchange",
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeSCBError(w, 403, 9503, "Invalid authorization method for current credentials")
		},
		wantStatus: 403, wantCode: 9503, wantIs: []error{ErrInvalidAuthorizationMethod},
		wantMsg: "api: token request: 403 9503 invalid authorization method for current credentials", wantAttempts: 1,
	},
	{
		name: "missing header",
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeSCBError(w, 400, 9100, "Required standard headers (requestUId) not found")
		},
		wantStatus: 400, wantCode: 9100, wantIs: []error{ErrMissingHeader},
		wantMsg: "api: token request: 400 9100 required standard headers (requestUId) not found", wantAttempts: 1,
	},
	{
		name: "invalid refresh token", op: "refresh",
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeSCBError(w, 401, 9300, "Invalid/expired temporary token")
		},
		wantStatus: 401, wantCode: 9300, wantIs: []error{ErrReauthorizationRequired}, wantNotIs: []error{ErrInvalidAuthorizationCode},
		wantMsg: "api: refresh request: 401 9300 invalid/expired temporary token", wantAttempts: 1,
	},
	{
		name: "HTML 502",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(502)
			_, _ = w.Write([]byte(badGatewayPage))
		},
		wantStatus: 502, wantIs: []error{ErrMalformedResponse},
		wantMsg:      "api: token request: 502: unexpected text/html body of " + itoa(len(badGatewayPage)) + " bytes, not SCB's envelope",
		wantAttempts: 3,
	},
	{
		name: "503 three times",
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeSCBError(w, 503, 9900, "System maintenance in progress. We will be back shortly.")
		},
		wantStatus: 503, wantCode: 9900,
		wantMsg:      "api: token request: 503 9900 system maintenance in progress. We will be back shortly.",
		wantAttempts: 3,
	},
	{
		name: "429 with a long Retry-After is not waited for",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "60")
			writeSCBError(w, 429, 9900, "Too many requests")
		},
		wantStatus: 429, wantCode: 9900, wantIs: []error{ErrRateLimited},
		wantMsg: "api: token request: 429 9900 too many requests (retry after 1m0s)", wantAttempts: 1,
	},
	{
		name: "not found is not retried",
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeSCBError(w, 404, 1104, "Requested entity record does not exist")
		},
		wantStatus: 404, wantCode: 1104, wantMsg: "api: token request: 404 1104 requested entity record does not exist", wantAttempts: 1,
	},
	{
		name: "502 on a refresh is not retried (the token may have been redeemed)", op: "refresh",
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeSCBError(w, 502, 9900, "Invalid response from upstream server")
		},
		wantStatus: 502, wantCode: 9900, wantMsg: "api: refresh request: 502 9900 invalid response from upstream server", wantAttempts: 1,
	},
	{
		name: "503 on an exchange is retried (SCB did not redeem the code)", op: "exchange",
		handler:    func(w http.ResponseWriter, r *http.Request) { writeSCBError(w, 503, 9900, "Down") },
		wantStatus: 503, wantCode: 9900, wantMsg: "api: token request: 503 9900 down", wantAttempts: 3,
	},
	{
		name: "truncated 200",
		handler: func(w http.ResponseWriter, r *http.Request) {
			b, _ := json.Marshal(tokenAnswer("tok", time.Hour, ""))
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(b[:len(b)/2])
		},
		wantStatus: 200, wantIs: []error{ErrMalformedResponse}, wantAttempts: 1,
	},
	{
		name: "oversized 200",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"status":{"code":1000},"data":{"accessToken":"` + strings.Repeat("a", DefaultMaxResponseBytes) + `"}}`))
		},
		wantStatus: 200, wantIs: []error{ErrResponseTooLarge}, wantNotIs: []error{ErrMalformedResponse},
		wantMsg: "api: token request: 200: body larger than 65536 bytes", wantAttempts: 1,
	},
	{
		name: "200 with a non-1000 code",
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"status": map[string]any{"code": 9700, "description": "Generic server side error"}, "data": nil})
		},
		wantStatus: 200, wantCode: 9700, wantIs: []error{ErrMalformedResponse},
		wantMsg: "api: token request: 200 9700 generic server side error: success answer with business code 9700, want 1000", wantAttempts: 1,
	},
	{
		name: "200 with expiresIn as a string",
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"status": map[string]any{"code": 1000}, "data": map[string]any{"accessToken": "t", "tokenType": "Bearer", "expiresIn": "1800"}})
		},
		wantStatus: 200, wantIs: []error{ErrMalformedResponse},
		wantMsg: "api: token request: 200: wrong shape: data.expiresIn is a JSON string, want int", wantAttempts: 1,
	},
	{
		name: "200 without data",
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"status": map[string]any{"code": 1000, "description": "Success"}})
		},
		wantStatus: 200, wantIs: []error{ErrMalformedResponse},
		wantMsg: "api: token request: 200: wrong shape: data.accessToken missing or empty", wantAttempts: 1,
	},
	{
		name: "200 with another token type",
		handler: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"status": map[string]any{"code": 1000}, "data": map[string]any{"accessToken": "t", "tokenType": "MAC", "expiresIn": 60}})
		},
		wantStatus: 200, wantIs: []error{ErrMalformedResponse},
		wantMsg: `api: token request: 200: wrong shape: data.tokenType "MAC", want Bearer`, wantAttempts: 1,
	},
	{
		name: "200 that is not JSON",
		handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write([]byte("OK"))
		},
		wantStatus: 200, wantIs: []error{ErrMalformedResponse},
		wantMsg: "api: token request: 200: unexpected text/plain body of 2 bytes, not SCB's envelope", wantAttempts: 1,
	},
}

// TestErrorAnswers sorts every kind of answer into a typed error, counting attempts (so that
// credential errors are shown not to be retried and server errors to be retried 3 times).
func TestErrorAnswers(t *testing.T) {
	tests := errorAnswerTests
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var attempts atomic.Int64
				c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					attempts.Add(1)
					tt.handler(w, r)
				}))
				var err error
				switch tt.op {
				case "exchange":
					_, err = c.Exchange(context.Background(), "a-code")
				case "refresh":
					_, err = c.Refresh(context.Background(), "a-refresh-token")
				default:
					_, err = c.Token(context.Background())
				}
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("got %T %v, want *Error", err, err)
				}
				if e.HTTPStatus != tt.wantStatus || e.Code != tt.wantCode {
					t.Errorf("got %d %d, want %d %d", e.HTTPStatus, e.Code, tt.wantStatus, tt.wantCode)
				}
				for _, target := range tt.wantIs {
					if !errors.Is(err, target) {
						t.Errorf("errors.Is(%v, %v) = false, want true", err, target)
					}
				}
				for _, target := range tt.wantNotIs {
					if errors.Is(err, target) {
						t.Errorf("errors.Is(%v, %v) = true, want false", err, target)
					}
				}
				if !uuidRE.MatchString(e.RequestUID) {
					t.Errorf("got RequestUID %q, want a UUID", e.RequestUID)
				}
				msg := strings.TrimSuffix(err.Error(), " (requestUId "+e.RequestUID+")")
				if tt.wantMsg != "" && msg != tt.wantMsg {
					t.Errorf("got message %q, want %q", msg, tt.wantMsg)
				}
				if got := attempts.Load(); got != tt.wantAttempts {
					t.Errorf("got %d attempts, want %d", got, tt.wantAttempts)
				}
			})
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestRetries checks the retry schedule: full jitter within [0, step), Retry-After honoured,
// success after a transient failure, the caller's deadline.
func TestRetries(t *testing.T) {
	t.Run("backoff steps", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var times []time.Duration
			start := time.Now()
			c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				times = append(times, time.Since(start))
				writeSCBError(w, 500, 9700, "Generic server side error")
			}))
			_, err := c.Token(context.Background())
			if err == nil || len(times) != 3 {
				t.Fatalf("got %d attempts and %v, want 3 attempts and an error", len(times), err)
			}
			if d := times[1] - times[0]; d >= 250*time.Millisecond {
				t.Errorf("got a first wait of %v, want < 250ms", d)
			}
			if d := times[2] - times[1]; d >= 500*time.Millisecond {
				t.Errorf("got a second wait of %v, want < 500ms", d)
			}
		})
	})
	t.Run("Retry-After honoured, then success", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var times []time.Time
			c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				times = append(times, time.Now())
				if len(times) == 1 {
					w.Header().Set("Retry-After", "3")
					writeSCBError(w, 429, 9900, "Too many requests")
					return
				}
				writeJSON(w, 200, tokenAnswer("tok", time.Hour, ""))
			}))
			tok, err := c.Token(context.Background())
			if err != nil || tok.AccessToken() != "tok" {
				t.Fatalf("got %v, %v; want tok", tok, err)
			}
			if d := times[1].Sub(times[0]); d != 3*time.Second {
				t.Errorf("got a wait of %v, want the 3s of Retry-After", d)
			}
		})
	})
	t.Run("caller deadline shorter than the wait", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			var n atomic.Int64
			c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				w.Header().Set("Retry-After", "5")
				writeSCBError(w, 503, 9900, "Down")
			}))
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			start := time.Now()
			_, err := c.Token(ctx)
			if err == nil || n.Load() != 1 || time.Since(start) != 0 {
				t.Errorf("got %v after %d attempts and %v, want the 503 at once", err, n.Load(), time.Since(start))
			}
		})
	})
}

// TestRetryConnectionErrors: connection errors are retried only where safe, a TLS failure
// (plain HTTP on the https port) never.
func TestRetryConnectionErrors(t *testing.T) {
	dialErr := func(*http.Request) (*http.Response, error) {
		return nil, &netOpError
	}
	resetErr := func(*http.Request) (*http.Response, error) {
		return nil, errors.New("read: connection reset by peer")
	}
	httpsErr := func(*http.Request) (*http.Response, error) {
		return nil, errors.New("http: server gave HTTP response to HTTPS client")
	}
	tests := []struct {
		name          string
		rt            func(*http.Request) (*http.Response, error)
		op            string
		wantAttempts  int
		wantRetryable bool
	}{
		{"token: dial error retried", dialErr, "token", 3, true},
		{"token: connection reset retried", resetErr, "token", 3, true},
		{"refresh: dial error retried", dialErr, "refresh", 3, true},
		{"refresh: connection reset not retried", resetErr, "refresh", 1, true},
		{"exchange: connection reset not retried", resetErr, "exchange", 1, true},
		{"token: plain HTTP on the https port not retried", httpsErr, "token", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := 0
				c := newTestClientConfig(t, Config{HTTPClient: &http.Client{Transport: rtFunc(func(r *http.Request) (*http.Response, error) {
					n++
					return tt.rt(r)
				})}})
				var err error
				switch tt.op {
				case "refresh":
					_, err = c.Refresh(context.Background(), "r")
				case "exchange":
					_, err = c.Exchange(context.Background(), "c")
				default:
					_, err = c.Token(context.Background())
				}
				var e *Error
				if !errors.As(err, &e) || e.HTTPStatus != 0 || e.Err == nil || e.Retryable() != tt.wantRetryable {
					t.Errorf("got %v, want an *Error without status, retryable %v", err, tt.wantRetryable)
				}
				if n != tt.wantAttempts {
					t.Errorf("got %d attempts, want %d", n, tt.wantAttempts)
				}
			})
		})
	}
}

// TestAttemptTimeout: a hanging SCB costs each attempt Config.Timeout, and the error says so.
func TestAttemptTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int64
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			<-r.Context().Done()
		})
		c := newTestClientConfig(t, Config{HTTPClient: sandboxtest.Client(h), Timeout: time.Second, Retry: RetryPolicy{MaxAttempts: 2}})
		start := time.Now()
		_, err := c.Token(context.Background())
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v, want a deadline error", err)
		}
		if n.Load() != 2 {
			t.Errorf("got %d attempts, want 2", n.Load())
		}
		if d := time.Since(start); d < 2*time.Second || d >= 2*time.Second+250*time.Millisecond {
			t.Errorf("got %v, want 2 timeouts of 1s and one backoff below 250ms", d)
		}
	})
}
