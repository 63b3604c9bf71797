package sandbox

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"golang.org/x/time/rate"

	"github.com/scboauth/scboauth/generated"
)

// SCB's lifetimes [doc] and the emulator's defaults.
const (
	defaultAccessTTL   = 30 * time.Minute
	defaultRefreshTTL  = 60 * time.Minute
	defaultAuthCodeTTL = time.Minute
	defaultConsentTTL  = 10 * time.Minute
	defaultTimeoutHold = 30 * time.Second
	defaultMaxBody     = 64 << 10
)

// The bounds of the options: New refuses values outside them.
const (
	// MaxLifetime bounds each of Lifetimes (which are at least a second): ten years, so that
	// every expiresAt stays a ten-digit Unix time.
	MaxLifetime = 10 * 365 * 24 * time.Hour
	// MaxWait bounds Faults.Latency and Faults.TimeoutHold.
	MaxWait = time.Hour
	// MaxRateLimit bounds Faults.RateLimit, in requests per second.
	MaxRateLimit = 1e6
	// MaxBodyBytes bounds WithMaxBodyBytes: SCB's request bodies are a few hundred bytes.
	MaxBodyBytes = 1 << 20
)

// Lifetimes are the lifetimes of what the emulator issues. Zero fields mean SCB's: 30m, 60m,
// 1m (and 10m for a pending consent). Each must otherwise be between one second and
// MaxLifetime; token lifetimes are reported in whole seconds.
type Lifetimes struct {
	AccessToken  time.Duration // expiresIn
	RefreshToken time.Duration // refreshExpiresIn
	AuthCode     time.Duration // how long an authorization code can be traded
	Consent      time.Duration // how long an authorize callbackUrl can be consented to [decision]
}

// Faults are the failures the emulator injects into every answer, so that clients can test
// their resilience. Per-request faults are asked for with the X-Sandbox-Fault header (see the
// package documentation).
type Faults struct {
	Latency     time.Duration // added to every answer, up to MaxWait
	FailureRate float64       // 0..1: that share of SCB-path requests answered 503 9900
	RateLimit   float64       // requests per second per authenticated application (and for all failed credentials together), up to MaxRateLimit; 0 = off (SCB's sandbox: 5); excess answered 429 9900 with Retry-After
	TimeoutHold time.Duration // how long the "timeout" fault holds a request whose client does not give up, up to MaxWait; zero means 30s
}

// config is what the options set.
type config struct {
	apps      []Application
	now       func() time.Time
	ownClock  bool // WithClock was given
	next      func() string
	lifetimes Lifetimes
	faults    Faults
	logger    *slog.Logger
	maxBody   int64
	strict    bool
	admin     bool
	token     string
	logSize   int
	delivery  DeliveryPolicy
}

// Option configures a Server.
type Option func(*config)

// WithApplications replaces the demo applications with apps.
func WithApplications(apps ...Application) Option {
	return func(c *config) { c.apps = append([]Application(nil), apps...) }
}

// WithClock sets the clock of issue times and expiries (default time.Now). Tests advance their
// own clock instead of sleeping. It must be safe for concurrent use. The Date header of every
// answer then reads this clock too, so that a client or checker comparing expiresAt with Date
// sees the emulator's time.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now, c.ownClock = now, true }
}

// WithTokenGenerator sets the generator of access and refresh tokens, authorization codes and
// callback ids (default: random UUIDs). Its values must be unique, non-empty, and it must be
// safe for concurrent use.
func WithTokenGenerator(next func() string) Option {
	return func(c *config) { c.next = next }
}

// WithLifetimes sets the lifetimes; zero fields keep SCB's.
func WithLifetimes(l Lifetimes) Option {
	return func(c *config) { c.lifetimes = l }
}

// WithFaults sets the injected faults (default none).
func WithFaults(f Faults) Option {
	return func(c *config) { c.faults = f }
}

// WithLogger logs one line per request at level Info: method, path, requestUId, status,
// business code, latency, and the application's name, the fault and the detail of a refusal
// when there are; admin calls at level Debug. Secrets are never logged. A logger whose handler
// is above Info (the sandbox command's --log-level) costs the requests nothing. Default: no
// log.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithStrict holds clients to the letter of SCB's documentation, where by default the emulator
// accepts what SCB accepts: a requestUId must be a hyphenated UUID or 32 alphanumerics (by
// default any printable ASCII up to MaxRequestUIDBytes), and an optional body field sent as
// JSON null, in the OAuth calls and the payment calls alike, is refused 400 1102 (by default it
// counts as absent).
func WithStrict() Option {
	return func(c *config) { c.strict = true }
}

// WithAdmin serves the admin API (sandbox/admin.yaml) under /sandbox/v1/ on the Server's own
// handler, next to SCB's paths. Without it, those paths answer SCB's 404 1104, as SCB would;
// AdminHandler serves the admin API on its own in either case. The consent endpoint, POST
// /sandbox/v1/consent, is served either way.
func WithAdmin() Option {
	return func(c *config) { c.admin = true }
}

// WithAdminToken requires "Authorization: Bearer <token>" on every admin call but the consent,
// wherever the admin API is served: for an emulator on a shared network. The token is
// MinAdminTokenBytes to 256 bytes of printable ASCII without spaces.
func WithAdminToken(token string) Option {
	return func(c *config) { c.token = token }
}

// MinAdminTokenBytes is the shortest admin token WithAdminToken accepts [decision]: a token
// meant to keep others out must not be guessable.
const MinAdminTokenBytes = 16

// WithRequestLogSize sets how many entries the request log keeps (Requests, GET
// /sandbox/v1/requests), from 0 (no log) to MaxRequestLogSize; default DefaultRequestLogSize.
func WithRequestLogSize(n int) Option {
	return func(c *config) { c.logSize = n }
}

// WithMaxBodyBytes sets the largest request body read, from 1 to MaxBodyBytes (default
// 64 KiB); a longer one is answered 400 1102 without being read whole.
func WithMaxBodyBytes(n int64) Option {
	return func(c *config) { c.maxBody = n }
}

// app is a registered application with what the emulator derives from it.
type app struct {
	Application // its CallbackURL as registered; callback holds the current one
	secretHash  [sha256.Size]byte
	limiter     *rate.Limiter // nil when the rate limit is off
	callback    atomic.Pointer[string]
}

// callbackURL returns where the application's payment confirmations go now ("" for nowhere).
func (a *app) callbackURL() string { return *a.callback.Load() }

// Server is the emulator: an http.Handler that answers SCB's three OAuth operations as SCB
// documents them, plus the consent endpoint POST /sandbox/v1/consent and, with WithAdmin, the
// admin API. Use it in process with httptest.NewServer(srv) or serve it with Serve. It is safe
// for concurrent use.
type Server struct {
	apps      atomic.Pointer[appTable] // replaced whole when an application is registered or removed
	appsMu    sync.Mutex               // serialises the replacements
	clock     func() time.Time         // WithClock's; now adds the offset
	ownClock  bool                     // WithClock was given: answers carry the emulator's Date
	offset    atomic.Int64             // how far AdvanceClock moved the clock, in nanoseconds
	next      func() string
	lifetimes Lifetimes
	faults    Faults
	logger    *slog.Logger                 // nil: no log
	anonymous atomic.Pointer[rate.Limiter] // the rate limit of requests whose credentials fail; nil when off
	maxBody   int64
	strict    bool
	mux       http.Handler // the generated router on a ServeMux
	admin     http.Handler // the admin API; nil without WithAdmin
	adminAPI  http.Handler // the admin API, served by AdminHandler
	token     string       // the admin token; "" for none
	log       requestLog
	rules     faultRules
	delivery  *deliverer // of payment confirmations

	mu        sync.Mutex
	consents  store // pending consents by callback id
	codes     store // authorization codes
	refreshes store // refresh tokens
	tokens    store // access tokens
	nextSweep time.Time
	payments  // access tokens and payment records (payments.go)

	writers sync.Pool
}

// New returns an emulator with the demo applications (see DemoApplications) unless
// WithApplications replaces them.
func New(opts ...Option) (*Server, error) {
	c := config{apps: DemoApplications(), now: time.Now, next: uuid.NewString, maxBody: defaultMaxBody, logSize: DefaultRequestLogSize}
	for _, o := range opts {
		o(&c)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	s := &Server{
		clock:     c.now,
		ownClock:  c.ownClock,
		next:      c.next,
		lifetimes: c.lifetimes,
		faults:    c.faults,
		logger:    c.logger,
		maxBody:   c.maxBody,
		strict:    c.strict,
		token:     c.token,
	}
	s.delivery = newDeliverer(c.delivery)
	s.log.ring = make([]RequestEntry, c.logSize)
	s.anonymous.Store(newLimiter(c.faults.RateLimit))
	t := &appTable{byKey: make(map[string]*app, len(c.apps))}
	for _, a := range c.apps {
		t.add(s.newApp(a))
	}
	s.apps.Store(t)
	s.writers.New = func() any { return new(respWriter) }
	s.mux = s.routes()
	s.adminAPI = s.adminRoutes()
	if c.admin {
		s.admin = s.adminAPI
	}
	if _, err := paymentSpecs(); err != nil {
		return nil, err
	}
	return s, nil
}

// now returns the emulator's clock: WithClock's, moved forward by AdvanceClock.
func (s *Server) now() time.Time { return s.clock().Add(time.Duration(s.offset.Load())) }

// setDate gives an answer the emulator's own Date when its clock is not the machine's (WithClock,
// AdvanceClock): expiresAt and Date then agree, as they do at SCB. net/http sets the machine's
// otherwise.
func (s *Server) setDate(h http.Header) {
	if s.ownClock || s.offset.Load() != 0 {
		h["Date"] = []string{s.now().UTC().Format(http.TimeFormat)}
	}
}

// routes returns the generated router, with the consent endpoint and SCB's 404 for the rest.
func (s *Server) routes() http.Handler {
	strict := generated.NewStrictHandlerWithOptions(operations{s}, nil, generated.StrictHTTPServerOptions{
		// The middleware validated the body already; this is a safety net.
		RequestErrorHandlerFunc: func(w http.ResponseWriter, _ *http.Request, _ error) {
			writeOnce(w, errInvalidParams)
		},
		ResponseErrorHandlerFunc: func(w http.ResponseWriter, _ *http.Request, _ error) {
			writeOnce(w, errServer)
		},
	})
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+pathConsent, s.serveConsent)
	// ServeHTTP routes before the mux; this catches what the mux would answer in plain text.
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { writeOnce(w, errNotFound) })
	return generated.HandlerWithOptions(strict, generated.StdHTTPServerOptions{
		BaseRouter:       mux,
		Middlewares:      []generated.MiddlewareFunc{s.validate},
		ErrorHandlerFunc: s.paramError,
	})
}

// validate checks the options against their bounds and fills in the defaults.
func (c *config) validate() error {
	if err := validateApplications(c.apps); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	if c.now == nil || c.next == nil {
		return errors.New("sandbox: the clock and the token generator must not be nil")
	}
	lt, err := resolveLifetimes(c.lifetimes)
	if err != nil {
		return err
	}
	c.lifetimes = lt
	f := &c.faults
	switch {
	case f.Latency < 0 || f.Latency > MaxWait:
		return fmt.Errorf("sandbox: the latency must be between 0 and %v", MaxWait)
	case !(f.FailureRate >= 0 && f.FailureRate <= 1):
		return errors.New("sandbox: the failure rate must be between 0 and 1")
	case !(f.RateLimit >= 0 && f.RateLimit <= MaxRateLimit):
		return fmt.Errorf("sandbox: the rate limit must be between 0 and %g requests per second", float64(MaxRateLimit))
	case f.TimeoutHold < 0 || f.TimeoutHold > MaxWait:
		return fmt.Errorf("sandbox: the timeout hold must be between 0 (meaning %v) and %v", defaultTimeoutHold, MaxWait)
	case c.maxBody <= 0 || c.maxBody > MaxBodyBytes:
		return fmt.Errorf("sandbox: the body limit must be between 1 and %d bytes", MaxBodyBytes)
	case c.logSize < 0 || c.logSize > MaxRequestLogSize:
		return fmt.Errorf("sandbox: the request log size must be between 0 and %d", MaxRequestLogSize)
	case c.token != "" && !ValidAdminToken(c.token):
		return fmt.Errorf("sandbox: the admin token must be %d to 256 bytes of printable ASCII without spaces (not shown)", MinAdminTokenBytes)
	}
	if f.TimeoutHold == 0 {
		f.TimeoutHold = defaultTimeoutHold
	}
	p, err := c.delivery.resolve()
	c.delivery = p
	return err
}

// Format implements fmt.Formatter: a Server prints as a summary for every verb, since its
// stores hold tokens and codes.
func (s *Server) Format(f fmt.State, _ rune) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = fmt.Fprintf(f, "sandbox.Server{applications: %d, pending consents: %d, codes: %d, refresh tokens: %d}",
		len(s.apps.Load().list), len(s.consents.m), len(s.codes.m), len(s.refreshes.m))
}

func resolveLifetimes(l Lifetimes) (Lifetimes, error) {
	fields := []struct {
		name string
		d    *time.Duration
		def  time.Duration
	}{
		{"access token", &l.AccessToken, defaultAccessTTL},
		{"refresh token", &l.RefreshToken, defaultRefreshTTL},
		{"authorization code", &l.AuthCode, defaultAuthCodeTTL},
		{"consent", &l.Consent, defaultConsentTTL},
	}
	for _, f := range fields {
		switch {
		case *f.d == 0:
			*f.d = f.def
		case *f.d < time.Second || *f.d > MaxLifetime:
			return l, fmt.Errorf("sandbox: the %s lifetime must be between 1s and %v", f.name, MaxLifetime)
		}
	}
	return l, nil
}

// writeOnce writes e unless an answer was already started.
func writeOnce(w http.ResponseWriter, e *apiError) {
	if x, ok := w.(*respWriter); ok && x.wrote {
		return
	}
	_ = e.write(w)
}

// authenticate returns the application whose key and secret these are, or the error to answer:
// 401 9500 (errUnknown for an unknown key), or 429 9900 over the rate limit. The secret is
// compared in constant time (through SHA-256, so that its length does not show either).
//
// The rate limit counts a request against the application it authenticated, never against a
// key a request merely names; requests whose credentials fail share one budget of the same rate
// [decision], so that a flood of them cannot spend an application's budget, nor go unlimited.
//
// A fault rule of the application (FaultRule.Application) for path fires once the request
// authenticated.
func (s *Server) authenticate(key, secret, path string, errUnknown *apiError) (*app, errorAnswer) {
	h := sha256.Sum256([]byte(secret))
	a := s.apps.Load().byKey[key]
	var match bool
	if a == nil {
		subtle.ConstantTimeCompare(h[:], h[:]) // same work as a known key
	} else {
		match = subtle.ConstantTimeCompare(h[:], a.secretHash[:]) == 1
	}
	switch {
	case match:
		if e := s.allow(a.limiter); e != nil {
			return nil, forApp{e, a.Name}
		}
		if f, id := s.rules.fire(path, a.Name); f != "" {
			return nil, ruleFault{s: s, fault: f, id: id, app: a.Name}
		}
		return a, nil
	case s.anonymous.Load() != nil:
		if e := s.allow(s.anonymous.Load()); e != nil {
			return nil, e
		}
	}
	if a == nil {
		return nil, errUnknown
	}
	return nil, errCredentials
}

// newLimiter returns a limiter of perSecond requests per second, with a burst of as many (at
// least one), or nil when perSecond is 0.
func newLimiter(perSecond float64) *rate.Limiter {
	if perSecond == 0 {
		return nil
	}
	return rate.NewLimiter(rate.Limit(perSecond), max(1, int(math.Ceil(perSecond))))
}

// allow applies the rate limiter l (nil when the rate limit is off): it returns nil or the 429
// to answer.
func (s *Server) allow(l *rate.Limiter) *apiError {
	if l == nil {
		return nil
	}
	now := s.now()
	r := l.ReserveN(now, 1)
	d := r.DelayFrom(now)
	if r.OK() && d == 0 {
		return nil
	}
	r.CancelAt(now)
	secs := int(math.Ceil(d.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return errTooManyRequests.withRetryAfter(secs)
}

// wait returns after d or when ctx is done, whichever comes first.
func wait(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// seconds returns d in whole seconds.
func seconds(d time.Duration) int64 { return int64(d / time.Second) }
