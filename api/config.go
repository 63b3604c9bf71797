package api

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// Base URLs of SCB's environments. Paths such as /v1/oauth/token are appended to them.
const (
	// SandboxURL is SCB's sandbox, the "Sandbox URL" of every SCB OAuth page. No client
	// certificate; rate limited to 5 requests per second.
	SandboxURL = "https://api-sandbox.partners.scb/partners/sandbox"
	// UATURL is SCB's user-acceptance environment. No client certificate.
	UATURL = "https://api-uat.partners.scb/partners"
	// ProductionURL is SCB's production API. It requires a client certificate issued by SCB
	// (Config.Certificate, or Config.CertFile and Config.KeyFile).
	ProductionURL = "https://api.partners.scb/partners"
)

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
	// DefaultMaxResponseBytes bounds the body of an answer; SCB's are a few hundred bytes.
	DefaultMaxResponseBytes = 64 << 10
)

// Config describes an SCB application and how to reach SCB. Only ApplicationKey and
// ApplicationSecret are required. A Config holds the application secret in the clear: its
// String, GoString, Format, MarshalJSON and LogValue redact it, but fmt prints a Config nested in
// an unexported field by reflection. Hand it to NewClient and keep the Client, which holds the
// secret in a form nothing prints.
type Config struct {
	// BaseURL is the base of SCB's API: SandboxURL (the default when empty), UATURL,
	// ProductionURL, or an emulator. It must be https, except on a loopback address.
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
	// HTTPClient sends the requests. Nil means a client of the package's own (never
	// http.DefaultClient). The Client uses a copy that never follows redirects; when a
	// certificate or RootCAs is configured, its Transport must be an *http.Transport (or nil).
	HTTPClient *http.Client
	// Timeout bounds each HTTP attempt; zero means DefaultTimeout.
	Timeout time.Duration
	// Certificate is the client certificate for mutual TLS, which SCB's production requires.
	Certificate *tls.Certificate
	// CertFile and KeyFile name PEM files of the client certificate and its key, as an
	// alternative to Certificate.
	CertFile, KeyFile string
	// RootCAs, when set, replaces the system's roots to verify SCB's (or a test server's)
	// certificate.
	RootCAs *x509.CertPool
	// Logger receives one debug line per HTTP attempt and warnings (retries, clock skew,
	// failed refreshes); never a secret. Nil discards.
	Logger *slog.Logger
}

// String describes c with the application secret redacted.
func (c Config) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "api.Config{BaseURL: %s, ApplicationKey: %s, ApplicationSecret: %s", redactURL(c.BaseURL), c.ApplicationKey, shownString(c.ApplicationSecret))
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
	b.WriteString("}")
	return b.String()
}

// GoString returns the redacted description for %#v.
func (c Config) GoString() string { return c.String() }

// Format prints the redacted description for every verb.
func (c Config) Format(f fmt.State, verb rune) { formatRedacted(f, verb, c.String()) }

// MarshalJSON encodes c with the application secret redacted.
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		BaseURL           string   `json:"baseUrl,omitempty"`
		ApplicationKey    string   `json:"applicationKey,omitempty"`
		ApplicationSecret string   `json:"applicationSecret,omitempty"`
		ResourceOwnerID   string   `json:"resourceOwnerId,omitempty"`
		Language          Language `json:"language,omitempty"`
		Timeout           string   `json:"timeout,omitempty"`
		CertFile          string   `json:"certFile,omitempty"`
		KeyFile           string   `json:"keyFile,omitempty"`
	}{redactURL(c.BaseURL), c.ApplicationKey, shownString(c.ApplicationSecret), c.ResourceOwnerID, c.Language,
		durationString(c.Timeout), c.CertFile, c.KeyFile})
}

// LogValue logs c as a group with the application secret redacted.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("baseUrl", redactURL(c.BaseURL)),
		slog.String("applicationKey", c.ApplicationKey),
		slog.String("applicationSecret", shownString(c.ApplicationSecret)),
	)
}

// redactURL hides the password of a URL's user information (which NewClient refuses anyway).
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		return u.Redacted()
	}
	return s
}

func shownString(s string) string {
	if s != "" {
		return redacted
	}
	return ""
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
	if p.MaxAttempts < 1 || p.MaxAttempts > 3 {
		return p, fmt.Errorf("api: RetryPolicy.MaxAttempts %d, want 1 to 3", p.MaxAttempts)
	}
	if p.BaseDelay < 0 || p.MaxDelay < 0 || p.MaxRetryAfter < 0 {
		return p, errors.New("api: RetryPolicy: negative duration")
	}
	if p.BaseDelay == 0 {
		p.BaseDelay = 250 * time.Millisecond
	}
	if p.MaxDelay == 0 {
		p.MaxDelay = 2 * time.Second
	}
	if p.MaxRetryAfter == 0 {
		p.MaxRetryAfter = 10 * time.Second
	}
	return p, nil
}

// Option configures a Client beyond its Config.
type Option func(*options)

type options struct {
	retry           RetryPolicy
	maxBody         int64
	refreshDeadline time.Duration
}

// WithRetryPolicy replaces the default retry policy (3 attempts, full jitter from 250ms up to
// 2s, Retry-After honoured up to 10s).
func WithRetryPolicy(p RetryPolicy) Option {
	return func(o *options) { o.retry = p }
}

// WithMaxResponseBytes bounds the body of SCB's answers (default DefaultMaxResponseBytes); a
// longer body fails with ErrResponseTooLarge.
func WithMaxResponseBytes(n int64) Option {
	return func(o *options) { o.maxBody = n }
}

// WithRefreshDeadline bounds the shared renewal a TokenSource runs for its callers, retries
// included (default 30s). A caller stops waiting at its own context's deadline; the renewal
// carries on for the others until this one.
func WithRefreshDeadline(d time.Duration) Option {
	return func(o *options) { o.refreshDeadline = d }
}

// validate checks c, normalises its Language, and returns the base URL with a trailing slash
// (the generated request builders resolve paths against it).
func (c *Config) validate() (base string, err error) {
	base = c.BaseURL
	if base == "" {
		base = SandboxURL
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("api: Config.BaseURL: %w", err)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return "", fmt.Errorf("api: Config.BaseURL %q: scheme must be https", base)
	case u.Host == "":
		return "", fmt.Errorf("api: Config.BaseURL %q: no host", base)
	case u.User != nil:
		return "", errors.New("api: Config.BaseURL: must not contain user information")
	case u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("api: Config.BaseURL %q: must not have a query or fragment", base)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return "", fmt.Errorf("api: Config.BaseURL %q: https required (http only on a loopback address)", base)
	}
	if c.ApplicationKey == "" {
		return "", errors.New("api: Config.ApplicationKey is empty")
	}
	if c.ApplicationSecret == "" {
		return "", errors.New("api: Config.ApplicationSecret is empty")
	}
	for _, f := range []struct{ name, value string }{
		{"ApplicationKey", c.ApplicationKey},
		{"ApplicationSecret", c.ApplicationSecret},
		{"ResourceOwnerID", c.ResourceOwnerID},
	} {
		if strings.ContainsFunc(f.value, unicode.IsControl) || strings.TrimSpace(f.value) != f.value {
			return "", fmt.Errorf("api: Config.%s contains control characters or surrounding spaces", f.name)
		}
	}
	switch Language(strings.ToUpper(string(c.Language))) {
	case "", English, Thai:
		c.Language = Language(strings.ToUpper(string(c.Language)))
	default:
		return "", fmt.Errorf("api: Config.Language %q: want EN or TH", c.Language)
	}
	if c.Timeout < 0 {
		return "", fmt.Errorf("api: Config.Timeout %s is negative", c.Timeout)
	}
	if c.Certificate != nil && (c.CertFile != "" || c.KeyFile != "") {
		return "", errors.New("api: set either Config.Certificate or Config.CertFile and KeyFile, not both")
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return "", errors.New("api: Config.CertFile and Config.KeyFile go together")
	}
	if strings.TrimSuffix(base, "/") == ProductionURL && c.Certificate == nil && c.CertFile == "" && c.HTTPClient == nil {
		return "", errors.New("api: SCB's production requires a client certificate: set Config.Certificate or Config.CertFile and KeyFile")
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return base, nil
}

func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// httpClient returns the client the Client sends with: a copy of c.HTTPClient (or a new one
// on a clone of http.DefaultTransport) that never follows redirects, with the client
// certificate and roots applied.
func (c *Config) httpClient() (*http.Client, error) {
	var hc http.Client
	if c.HTTPClient != nil {
		hc = *c.HTTPClient
	}
	rt := hc.Transport
	if rt == nil {
		if dt, ok := http.DefaultTransport.(*http.Transport); ok {
			rt = dt.Clone()
		} else {
			rt = &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true}
		}
	}
	cert := c.Certificate
	if c.CertFile != "" {
		pair, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("api: client certificate: %w", err)
		}
		cert = &pair
	}
	if cert != nil || c.RootCAs != nil {
		t, ok := rt.(*http.Transport)
		if !ok {
			return nil, fmt.Errorf("api: cannot add a client certificate or roots to a %T; configure it on your transport", rt)
		}
		t = t.Clone()
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if t.TLSClientConfig != nil {
			tc = t.TLSClientConfig.Clone()
			tc.MinVersion = max(tc.MinVersion, tls.VersionTLS12)
		}
		if cert != nil {
			tc.Certificates = []tls.Certificate{*cert}
		}
		if c.RootCAs != nil {
			tc.RootCAs = c.RootCAs
		}
		t.TLSClientConfig = tc
		rt = t
	}
	hc.Transport = rt
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc, nil
}
