package api

import (
	"cmp"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"
	"unicode"

	"github.com/scboauth/scboauth/internal/redact"
)

// Base URLs of SCB's environments. Paths such as /v1/oauth/token are appended to them.
const (
	// SandboxURL is SCB's sandbox, the "Sandbox URL" of every SCB OAuth page. No client
	// certificate; rate limited to 5 requests per second.
	SandboxURL = "https://api-sandbox.partners.scb/partners/sandbox"
	// UATURL is SCB's user-acceptance environment. No client certificate.
	UATURL = "https://api-uat.partners.scb/partners"
	// ProductionURL is SCB's production API. It requires a client certificate issued by SCB
	// (Config.Certificate, or Config.CertFile and Config.KeyFile); NewClient refuses any base
	// URL on its host without one.
	ProductionURL = "https://api.partners.scb/partners"
)

// productionHost is the host of ProductionURL: any base URL on it needs a client certificate.
const productionHost = "api.partners.scb"

// Language is the language of SCB's descriptions (status.description), sent as accept-language.
type Language string

// The languages SCB serves.
const (
	English Language = "EN"
	Thai    Language = "TH"
)

// Defaults of a Client.
const (
	// DefaultTimeout bounds each HTTP attempt when Config.Timeout is zero.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxResponseBytes bounds the body of an answer when Config.MaxResponseBytes is
	// zero; SCB's are a few hundred bytes.
	DefaultMaxResponseBytes = 64 << 10
	// DefaultRefreshDeadline bounds a TokenSource's shared renewal when Config.RefreshDeadline
	// is zero.
	DefaultRefreshDeadline = 30 * time.Second
	// DefaultStoreLease is the lease of the store's lock when Config.StoreLease is zero.
	DefaultStoreLease = 5 * time.Second
)

// Bounds of Config.StoreLease.
const (
	minStoreLease = 100 * time.Millisecond
	maxStoreLease = time.Minute
)

// Config describes an SCB application and how to reach SCB: everything that holds for all the
// calls of a Client. Only ApplicationKey and ApplicationSecret are required.
//
// A Config holds the application secret in the clear: its String, Format and MarshalJSON
// redact it (slog uses them too), but fmt prints a Config nested in an unexported field by
// reflection. Hand it to NewClient and keep the Client, which holds the secret in a form
// nothing prints.
type Config struct {
	// BaseURL is the base of SCB's API: SandboxURL (the default when empty), UATURL,
	// ProductionURL, or an emulator. It must be https, except on a loopback address (a
	// literal loopback IP or "localhost"), where plain http goes direct, never through a proxy.
	BaseURL string
	// ApplicationKey is the application's API key (applicationKey, apikey).
	ApplicationKey string
	// ApplicationSecret is the application's API secret (applicationSecret, apisecret).
	ApplicationSecret string
	// ResourceOwnerID is sent as the resourceOwnerId header: a hash of the user's id or a
	// related identifier. Empty means the application key, as SCB's documentation says when no
	// user identifier is available.
	ResourceOwnerID string
	// Language is sent as accept-language: English or Thai (any case). Empty sends none, and
	// SCB answers in English.
	Language Language

	// HTTPClient is the HTTP client the Client sends with, to SCB's OAuth endpoints and (as
	// the base of TokenSource.APIClient) to its other APIs. Nil means a client of the
	// package's own (never http.DefaultClient). The Client uses a copy that never follows
	// redirects; when a certificate or RootCAs is configured, its Transport must be an
	// *http.Transport (or nil).
	HTTPClient *http.Client
	// Timeout bounds each HTTP attempt; zero means DefaultTimeout.
	Timeout time.Duration
	// Retry says how failed requests are retried; the zero value is the default policy.
	Retry RetryPolicy
	// MaxResponseBytes bounds the body of SCB's answers; a longer body fails with
	// ErrResponseTooLarge. Zero means DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// RefreshDeadline bounds the shared renewal a TokenSource runs for its callers, retries
	// included; zero means DefaultRefreshDeadline. A caller stops waiting at its own context's
	// deadline; the renewal carries on for the others until this one.
	RefreshDeadline time.Duration

	// Certificate is the client certificate for mutual TLS, which SCB's production requires.
	Certificate *tls.Certificate
	// CertFile and KeyFile name PEM files of the client certificate and its key, as an
	// alternative to Certificate.
	CertFile, KeyFile string
	// CertificateInTransport says that HTTPClient's Transport presents SCB's client
	// certificate in a way NewClient cannot see: a RoundTripper other than *http.Transport.
	// NewClient otherwise refuses a base URL on SCB's production host unless Certificate,
	// CertFile, or an *http.Transport whose TLSClientConfig has Certificates or
	// GetClientCertificate provides one.
	CertificateInTransport bool
	// RootCAs, when set, replaces the system's roots to verify SCB's (or a test server's)
	// certificate.
	RootCAs *x509.CertPool

	// Store, when set, shares tokens between the processes of a fleet (api/redisstore keeps
	// them in Redis): the client-credentials token of TokenSource, and the pair of a user
	// whose UserTokenSource is given WithUserID. A cache hit never touches it; on a miss or a
	// renewal, one process of the fleet asks SCB and the others read its token. When the
	// store fails, each process fetches for itself and serves its own cache until the store
	// answers again. See Store for the protocol.
	Store Store
	// StoreLease is the lease of the store's lock, which a process holds while it asks SCB
	// for the fleet (kept alive every third of it): when the holder dies, the others wait at
	// most this long, plus one request. It also bounds every call to the store. Zero means
	// DefaultStoreLease; otherwise from 100ms to 1 minute.
	StoreLease time.Duration

	// CountHits makes TokenSource.Stats count cache hits (SourceStats.InProcessHits). Off by
	// default, a hit is an atomic load and a clock reading. Counting adds an atomic add on a
	// cache line chosen by the calling goroutine's stack: about 1 ns on one core, and up to
	// the cost of a shared counter (40 ns more on two cores) when goroutines that run on
	// different cores pick the same line (BenchmarkTokenSourceHit), and 1 KiB per token source.
	CountHits bool

	// Logger receives one debug line per HTTP attempt and warnings (retries, clock skew,
	// failed renewals, a store that fails or holds an unreadable record); never a secret.
	// Nil discards.
	Logger *slog.Logger
}

// String describes c with the application secret redacted.
func (c Config) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "api.Config{BaseURL: %s, ApplicationKey: %s, ApplicationSecret: %s", showURL(c.BaseURL), c.ApplicationKey, redact.New(c.ApplicationSecret))
	if c.ResourceOwnerID != "" {
		fmt.Fprintf(&b, ", ResourceOwnerID: %s", c.ResourceOwnerID)
	}
	if c.Language != "" {
		fmt.Fprintf(&b, ", Language: %s", c.Language)
	}
	if c.Timeout != 0 {
		fmt.Fprintf(&b, ", Timeout: %s", c.Timeout)
	}
	if c.Certificate != nil {
		b.WriteString(", Certificate: [set]")
	}
	if c.CertFile != "" || c.KeyFile != "" {
		fmt.Fprintf(&b, ", CertFile: %s, KeyFile: %s", c.CertFile, c.KeyFile)
	}
	if c.Store != nil {
		fmt.Fprintf(&b, ", Store: %T", c.Store) // its type only: a Store of another module may print more
	}
	b.WriteString("}")
	return b.String()
}

// Format prints the redacted description for every verb, %#v included.
func (c Config) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String()) }

// MarshalJSON encodes c with the application secret redacted.
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		BaseURL           string        `json:"baseUrl,omitempty"`
		ApplicationKey    string        `json:"applicationKey,omitempty"`
		ApplicationSecret redact.Secret `json:"applicationSecret,omitzero"`
		ResourceOwnerID   string        `json:"resourceOwnerId,omitempty"`
		Language          Language      `json:"language,omitempty"`
		Timeout           string        `json:"timeout,omitempty"`
		CertFile          string        `json:"certFile,omitempty"`
		KeyFile           string        `json:"keyFile,omitempty"`
	}{showURL(c.BaseURL), c.ApplicationKey, redact.New(c.ApplicationSecret), c.ResourceOwnerID, c.Language,
		durationString(c.Timeout), c.CertFile, c.KeyFile})
}

// showURL shows a base URL without the password of its user information (which NewClient
// refuses anyway); a URL that does not parse is not shown, since it may hold one.
func showURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "(invalid URL)"
	case u.User != nil:
		return u.Redacted()
	}
	return s
}

func durationString(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

// RetryPolicy says how a Client retries a request that failed for a reason that may pass: no
// answer, or HTTP 408, 429, 500, 502, 503, 504. Credential errors (4xx) are never retried. The
// refresh and authorization-code calls redeem single-use values, so they are retried only when
// SCB cannot have processed them: connection refused, 408, 429 and 503.
type RetryPolicy struct {
	// MaxAttempts is the number of attempts, 1 to 3; zero means 3.
	MaxAttempts int
	// BaseDelay is the first backoff step; each step doubles it, up to MaxDelay, and the wait
	// is drawn uniformly from [0, step) ("full jitter"). Zero means 250ms.
	BaseDelay time.Duration
	// MaxDelay caps a backoff step; zero means 2s.
	MaxDelay time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits for; a longer one ends the
	// retries and is reported in Error.RetryAfter. Zero means 10s.
	MaxRetryAfter time.Duration
}

func (p RetryPolicy) withDefaults() (RetryPolicy, error) {
	if p.MaxAttempts == 0 {
		p.MaxAttempts = 3
	}
	switch {
	case p.MaxAttempts < 1 || p.MaxAttempts > 3:
		return p, configError("Retry.MaxAttempts", "%d, want 1 to 3", p.MaxAttempts)
	case p.BaseDelay < 0:
		return p, configError("Retry.BaseDelay", "negative")
	case p.MaxDelay < 0:
		return p, configError("Retry.MaxDelay", "negative")
	case p.MaxRetryAfter < 0:
		return p, configError("Retry.MaxRetryAfter", "negative")
	}
	p.BaseDelay = cmp.Or(p.BaseDelay, 250*time.Millisecond)
	p.MaxDelay = cmp.Or(p.MaxDelay, 2*time.Second)
	p.MaxRetryAfter = cmp.Or(p.MaxRetryAfter, 10*time.Second)
	return p, nil
}

// Option configures a Client beyond its Config.
//
// Deprecated: set the Config fields instead (Retry, MaxResponseBytes, RefreshDeadline).
type Option func(*Config)

// WithRetryPolicy sets Config.Retry.
//
// Deprecated: set Config.Retry.
func WithRetryPolicy(p RetryPolicy) Option { return func(c *Config) { c.Retry = p } }

// WithMaxResponseBytes sets Config.MaxResponseBytes.
//
// Deprecated: set Config.MaxResponseBytes.
func WithMaxResponseBytes(n int64) Option { return func(c *Config) { c.MaxResponseBytes = n } }

// WithRefreshDeadline sets Config.RefreshDeadline.
//
// Deprecated: set Config.RefreshDeadline.
func WithRefreshDeadline(d time.Duration) Option { return func(c *Config) { c.RefreshDeadline = d } }

// validate checks c and fills in its defaults: the base URL (with a trailing slash, as the
// generated request builders resolve paths against it), the language in upper case, the
// timeouts, limits and retry policy.
func (c *Config) validate() error {
	if err := c.validateBaseURL(); err != nil {
		return err
	}
	if err := c.validateStrings(); err != nil {
		return err
	}
	var err error
	if c.Retry, err = c.Retry.withDefaults(); err != nil {
		return err
	}
	switch {
	case c.Timeout < 0:
		return configError("Timeout", "negative")
	case c.RefreshDeadline < 0:
		return configError("RefreshDeadline", "negative")
	case c.MaxResponseBytes < 0:
		return configError("MaxResponseBytes", "negative")
	case c.StoreLease != 0 && (c.StoreLease < minStoreLease || c.StoreLease > maxStoreLease):
		return configError("StoreLease", "%s, want 0 (default %s) or %s to %s", c.StoreLease, DefaultStoreLease, minStoreLease, maxStoreLease)
	case isNilStore(c.Store):
		return configError("Store", "a nil %T", c.Store)
	}
	c.StoreLease = cmp.Or(c.StoreLease, DefaultStoreLease)
	c.Timeout = cmp.Or(c.Timeout, DefaultTimeout)
	c.RefreshDeadline = cmp.Or(c.RefreshDeadline, DefaultRefreshDeadline)
	c.MaxResponseBytes = cmp.Or(c.MaxResponseBytes, DefaultMaxResponseBytes)
	if c.Certificate != nil && (c.CertFile != "" || c.KeyFile != "") {
		return configError("Certificate", "set either Certificate or CertFile and KeyFile, not both")
	}
	if c.CertFile != "" && c.KeyFile == "" {
		return configError("KeyFile", "empty: Config.CertFile and Config.KeyFile go together")
	}
	if c.KeyFile != "" && c.CertFile == "" {
		return configError("CertFile", "empty: Config.CertFile and Config.KeyFile go together")
	}
	return nil
}

// validateBaseURL checks BaseURL and normalises it to end with a slash. Its errors never show
// the URL itself, which may hold a password or a secret in its query.
func (c *Config) validateBaseURL() error {
	base := cmp.Or(c.BaseURL, SandboxURL)
	u, err := url.Parse(base)
	switch {
	case err != nil:
		return configError("BaseURL", "not a valid URL")
	case u.User != nil:
		return configError("BaseURL", "must not contain user information")
	case u.Scheme != "https" && u.Scheme != "http":
		return configError("BaseURL", "scheme %q, want https", u.Scheme)
	case u.Host == "":
		return configError("BaseURL", "no host")
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return configError("BaseURL", "must not have a query or fragment")
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return configError("BaseURL", "https required (http only on a loopback address: 127.0.0.1, ::1 or localhost)")
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	c.BaseURL = base
	return nil
}

// validateStrings checks the values sent as headers and in bodies: no control, format
// (bidirectional) or other invisible characters, no surrounding spaces.
func (c *Config) validateStrings() error {
	if c.ApplicationKey == "" {
		return configError("ApplicationKey", "empty")
	}
	if c.ApplicationSecret == "" {
		return configError("ApplicationSecret", "empty")
	}
	for _, f := range []struct{ name, value string }{
		{"ApplicationKey", c.ApplicationKey},
		{"ApplicationSecret", c.ApplicationSecret},
		{"ResourceOwnerID", c.ResourceOwnerID},
	} {
		if strings.ContainsFunc(f.value, invisible) || strings.TrimSpace(f.value) != f.value {
			return configError(f.name, "contains control or invisible characters, or surrounding spaces")
		}
	}
	switch l := Language(strings.ToUpper(string(c.Language))); l {
	case "", English, Thai:
		c.Language = l
	default:
		return configError("Language", "Language %q, want EN or TH", c.Language)
	}
	return nil
}

// isNilStore reports whether s is a nil pointer (or map, func...) in a non-nil interface, a
// Store whose first call would panic.
func isNilStore(s Store) bool {
	if s == nil {
		return false
	}
	v := reflect.ValueOf(s)
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Func, reflect.Chan, reflect.Slice, reflect.Interface:
		return v.IsNil()
	}
	return false
}

// invisible reports whether r is a character that does not show as itself: a control or
// format character (CR, LF, U+202E and the other bidirectional controls, zero-width ones), a
// line or paragraph separator, or one that is unassigned, private or not valid UTF-8.
func invisible(r rune) bool { return !unicode.IsGraphic(r) && r != ' ' }

// isLoopback reports whether host is a literal loopback address or "localhost" itself (Go's
// proxy rules send neither through a proxy); "*.localhost" names are resolved like any name.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// httpClient returns the client the Client sends with: a copy of c.HTTPClient (or a new one
// on a clone of http.DefaultTransport) that never follows redirects, with the client
// certificate and roots applied, and checks that SCB's production gets a certificate.
func (c *Config) httpClient() (*http.Client, error) {
	var hc http.Client
	if c.HTTPClient != nil {
		hc = *c.HTTPClient
	}
	cert := c.Certificate
	if c.CertFile != "" {
		pair, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, &ConfigError{Field: "CertFile", Reason: "client certificate", Err: err}
		}
		cert = &pair
	}
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	t, ok := rt.(*http.Transport)
	switch {
	case !ok && (cert != nil || c.RootCAs != nil):
		return nil, configError("HTTPClient", "cannot add a client certificate or roots to a %T; configure it on your transport", rt)
	case ok:
		t = t.Clone()
		t.Proxy = directForPlainHTTP(t.Proxy)
		if cert != nil || c.RootCAs != nil {
			t.TLSClientConfig = withTLS(t.TLSClientConfig, cert, c.RootCAs)
		}
		rt = t
	}
	if c.onProduction() && !c.CertificateInTransport && !presentsCertificate(t) {
		return nil, configError("Certificate", "SCB's production requires a client certificate: set Certificate, or CertFile and KeyFile")
	}
	hc.Transport = rt
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc, nil
}

// onProduction reports whether the (validated) base URL is on SCB's production host, however
// it is spelled.
func (c *Config) onProduction() bool {
	u, err := url.Parse(c.BaseURL)
	return err == nil && strings.EqualFold(strings.TrimSuffix(u.Hostname(), "."), productionHost)
}

// presentsCertificate reports whether t (nil when the transport is not an *http.Transport)
// has a client certificate to present.
func presentsCertificate(t *http.Transport) bool {
	return t != nil && t.TLSClientConfig != nil &&
		(len(t.TLSClientConfig.Certificates) > 0 || t.TLSClientConfig.GetClientCertificate != nil)
}

// withTLS returns a copy of tc (or a new config) at TLS 1.2 or later with the client
// certificate and roots, when given.
func withTLS(tc *tls.Config, cert *tls.Certificate, roots *x509.CertPool) *tls.Config {
	if tc == nil {
		tc = &tls.Config{}
	} else {
		tc = tc.Clone()
	}
	tc.MinVersion = max(tc.MinVersion, tls.VersionTLS12)
	if cert != nil {
		tc.Certificates = []tls.Certificate{*cert}
	}
	if roots != nil {
		tc.RootCAs = roots
	}
	return tc
}

// directForPlainHTTP wraps a transport's proxy function so that plain-http requests (which the
// Client sends only to loopback addresses) never go through a proxy: a proxy would see the
// application secret and tokens in the clear.
func directForPlainHTTP(proxy func(*http.Request) (*url.URL, error)) func(*http.Request) (*url.URL, error) {
	if proxy == nil {
		return nil
	}
	return func(r *http.Request) (*url.URL, error) {
		if r.URL.Scheme == "http" {
			return nil, nil
		}
		return proxy(r)
	}
}
