package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/scboauth/scboauth/sandbox"
)

var sandboxHelp = help{
	synopsis: "[flags]",
	description: `Serve a local emulator of SCB's OAuth API (POST /v1/oauth/token, POST /v1/oauth/token/refresh,
GET /v2/oauth/authorize) and payment APIs (QR create, slip verification, bill-payment inquiry,
deeplink and its transaction), answered as SCB documents them, plus POST /sandbox/v1/consent,
which completes a user's consent without a phone and returns an authorization code.

Three demo applications (one per kind: plain, authorization-code, web) are registered unless
--no-demo; their public test credentials are printed at start. Register more with --app or --apps
(a YAML or JSON file); an application with a callback URL (--app name:key:secret:kind:URL, or
callbackUrl in the file) gets the payment confirmation of every payment simulated through the
admin API (POST /sandbox/v1/payments, or "scboauth pay"), re-sent as SCB does (--delivery-*).
A request asks for a fault with the header X-Sandbox-Fault: 429, 500, 502, 503, 504,
timeout, truncate or html.

By default the emulator accepts what SCB accepts, which is more than SCB documents (a requestUId
that is not a UUID, optional fields sent as null); --strict holds clients to the documented forms.
A refused request's X-Sandbox-Detail header names the field at fault.

With --admin, the admin API is served under /sandbox/v1/ (described by GET
/sandbox/v1/openapi.yaml): the request log, a reset, applications at runtime, fault rules, the
clock, token introspection, health. --admin-addr serves it on an address of its own instead,
and --admin-token (better: SCB_SANDBOX_ADMIN_TOKEN) requires "Authorization: Bearer <token>".

One log line per request goes to stderr at level info (requestUId, status, business code,
latency, the detail of a refusal; never a secret; what a client sent is escaped); --log-level off
silences it. Timeouts and a cap on connections bound what a client can hold. SIGINT or SIGTERM shuts the server down gracefully: held requests and requests whose
body is still arriving are answered 504 9900, and the command exits 0.`,
	exit: [3]string{
		"the server was shut down by SIGINT or SIGTERM",
		"the server could not listen or serve (address in use...)",
		"bad flags or variables, or applications that cannot be registered",
	},
}

// sandboxFlags are the flags of the sandbox command.
type sandboxFlags struct {
	addr, appsFile, logFormat      string
	logLevel                       string
	adminAddr, adminToken          string
	apps                           []sandbox.Application
	noDemo, strict, admin          bool
	requestLog                     int64
	accessTTL, refreshTTL, codeTTL time.Duration
	consentTTL, latency            time.Duration
	timeoutHold                    time.Duration
	failureRate, rateLimit         float64
	maxBody                        int64
	limits                         sandbox.Limits // the durations; the sizes are below
	maxHeaderBytes, maxConns       int64
	delivery                       sandbox.DeliveryPolicy // of payment confirmations
	deliveryAttempts, inFlight     int64
}

// runSandbox serves the emulator until ctx is done.
func runSandbox(ctx context.Context, e *env, args []string) int {
	f, s := newFlags(e, "sandbox", sandboxHelp), &sandboxFlags{}
	s.bind(f)
	if code, ok := f.Parse(args); !ok {
		return code
	}
	demo, registered, err := s.applications(f)
	if err != nil {
		return f.fail(err)
	}
	logger := s.logger(e.stderr)
	srv, err := sandbox.New(s.options(demo, registered, logger)...)
	if err != nil {
		return f.fail(errors.New(strings.TrimPrefix(err.Error(), "sandbox: ")))
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		f.errorf("%v", err)
		return exitFail
	}
	var adminLn net.Listener
	if s.adminAddr != "" {
		if adminLn, err = net.Listen("tcp", s.adminAddr); err != nil {
			_ = ln.Close()
			f.errorf("%s: %v", f.Label("admin-addr"), err)
			return exitFail
		}
	}
	base, adminBase := "http://"+ln.Addr().String(), ""
	switch {
	case adminLn != nil:
		adminBase = "http://" + adminLn.Addr().String()
	case s.admin:
		adminBase = base
	}
	printBanner(e.stdout, base, adminBase, demo, registered, s)
	if logger != nil {
		stop := context.AfterFunc(ctx, func() { logger.Info("shutting down") })
		defer stop()
	}
	return s.serve(ctx, f, srv, ln, adminLn)
}

// serve serves the emulator on ln and, when adminLn is not nil, its admin API there, until ctx
// is done or one of them fails.
func (s *sandboxFlags) serve(ctx context.Context, f *flags, srv *sandbox.Server, ln, adminLn net.Listener) int {
	limits := s.limits
	limits.HeaderBytes, limits.Connections = int(s.maxHeaderBytes), int(s.maxConns)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 2)
	serving := 1
	go func() { errs <- srv.Serve(ctx, ln, limits) }()
	if adminLn != nil {
		serving++
		go func() { errs <- srv.ServeAdmin(ctx, adminLn, limits) }()
	}
	code := exitOK
	for range serving {
		if err := <-errs; err != nil {
			f.errorf("%s", strings.TrimPrefix(err.Error(), "sandbox: "))
			code = exitFail
			cancel() // the other one stops too
		}
	}
	return code
}

// logger returns the request log's logger at --log-level, or nil for off.
func (s *sandboxFlags) logger(w io.Writer) *slog.Logger {
	var level slog.Level
	switch s.logLevel {
	case "off":
		return nil
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	if s.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// options returns the emulator's options from the flags.
func (s *sandboxFlags) options(demo, registered []sandbox.Application, logger *slog.Logger) []sandbox.Option {
	opts := []sandbox.Option{
		sandbox.WithApplications(append(demo, registered...)...),
		sandbox.WithLifetimes(sandbox.Lifetimes{AccessToken: s.accessTTL, RefreshToken: s.refreshTTL, AuthCode: s.codeTTL, Consent: s.consentTTL}),
		sandbox.WithFaults(sandbox.Faults{Latency: s.latency, FailureRate: s.failureRate, RateLimit: s.rateLimit, TimeoutHold: s.timeoutHold}),
		sandbox.WithMaxBodyBytes(s.maxBody),
		sandbox.WithRequestLogSize(int(s.requestLog)),
		sandbox.WithDeliveryPolicy(sandbox.DeliveryPolicy{Attempts: int(s.deliveryAttempts), Interval: s.delivery.Interval,
			Timeout: s.delivery.Timeout, MaxInFlight: int(s.inFlight)}),
	}
	if logger != nil {
		opts = append(opts, sandbox.WithLogger(logger))
	}
	if s.strict {
		opts = append(opts, sandbox.WithStrict())
	}
	if s.admin {
		opts = append(opts, sandbox.WithAdmin())
	}
	if s.adminToken != "" {
		opts = append(opts, sandbox.WithAdminToken(s.adminToken))
	}
	return opts
}

// bind defines the sandbox command's flags, each checked against its range.
func (s *sandboxFlags) bind(f *flags) {
	def := sandbox.DefaultLimits()
	const ms, life, wait, timeout = time.Millisecond, sandbox.MaxLifetime, sandbox.MaxWait, sandbox.MaxTimeout
	f.String(&s.addr, "addr", "SCB_SANDBOX_ADDR", "127.0.0.1:8080", "address to listen on; port 0 picks a free one").Check(s.checkAddr)
	f.String(&s.appsFile, "apps", "SCB_SANDBOX_APPS", "", "YAML or JSON file of applications to register")
	list(f, &s.apps, "app", "SCB_SANDBOX_APP", "name:key:secret:kind", "register an application (kind: plain, authorization-code or web); the variable holds several separated by spaces, and flags replace them", parseApplication).
		Secret("SCB_SANDBOX_APP", "--apps FILE")
	f.Bool(&s.noDemo, "no-demo", "SCB_SANDBOX_NO_DEMO", "do not register the demo applications")
	f.Duration(&s.accessTTL, "access-ttl", "SCB_SANDBOX_ACCESS_TTL", 30*time.Minute, time.Second, life, "access token lifetime")
	f.Duration(&s.refreshTTL, "refresh-ttl", "SCB_SANDBOX_REFRESH_TTL", time.Hour, time.Second, life, "refresh token lifetime")
	f.Duration(&s.codeTTL, "code-ttl", "SCB_SANDBOX_CODE_TTL", time.Minute, time.Second, life, "authorization code lifetime")
	f.Duration(&s.consentTTL, "consent-ttl", "SCB_SANDBOX_CONSENT_TTL", 10*time.Minute, time.Second, life, "how long a callbackUrl can be consented to")
	f.Duration(&s.latency, "latency", "SCB_SANDBOX_LATENCY", 0, 0, wait, "latency added to every answer")
	f.Float(&s.failureRate, "failure-rate", "SCB_SANDBOX_FAILURE_RATE", 0, 0, 1, "share of requests to SCB's paths answered 503 9900")
	f.Float(&s.rateLimit, "rate-limit", "SCB_SANDBOX_RATE_LIMIT", 0, 0, sandbox.MaxRateLimit, "requests per second per application, counted after authentication (failed credentials share one such budget), excess answered 429 9900; 0 is off, SCB's sandbox allows 5")
	f.Duration(&s.timeoutHold, "timeout-hold", "SCB_SANDBOX_TIMEOUT_HOLD", 30*time.Second, ms, wait, "how long X-Sandbox-Fault: timeout holds a request")
	f.Int(&s.maxBody, "max-body", "SCB_SANDBOX_MAX_BODY", 64<<10, 1, sandbox.MaxBodyBytes, "largest request body in bytes")
	f.Enum(&s.logFormat, "log-format", "SCB_SANDBOX_LOG_FORMAT", "text", "request log format", "text", "json")
	f.Enum(&s.logLevel, "log-level", "SCB_SANDBOX_LOG_LEVEL", "info", "stderr log level: info logs every request, debug admin calls too, off nothing", "debug", "info", "warn", "error", "off")
	f.Bool(&s.strict, "strict", "SCB_SANDBOX_STRICT", "hold clients to SCB's documented forms: a requestUId that is a UUID or 32 alphanumerics, no null body fields (by default the emulator accepts what SCB accepts)")
	f.Bool(&s.admin, "admin", "SCB_SANDBOX_ADMIN", "serve the admin API under /sandbox/v1/ on --addr (request log, reset, applications, fault rules, clock)")
	f.String(&s.adminAddr, "admin-addr", "SCB_SANDBOX_ADMIN_ADDR", "", "serve the admin API on this address of its own (host:port; port 0 picks a free one)").Check(s.checkAdminAddr)
	f.Secret(&s.adminToken, "admin-token", "SCB_SANDBOX_ADMIN_TOKEN", "require Authorization: Bearer <token> on admin calls (16 to 256 printable characters, no spaces)").Check(s.checkAdminToken)
	f.Int(&s.requestLog, "request-log", "SCB_SANDBOX_REQUEST_LOG", sandbox.DefaultRequestLogSize, 0, sandbox.MaxRequestLogSize, "entries the admin API's request log keeps; 0 keeps none")
	f.Duration(&s.limits.HeaderTimeout, "header-timeout", "SCB_SANDBOX_HEADER_TIMEOUT", def.HeaderTimeout, ms, timeout, "how long a client may take to send a request's line and headers")
	f.Duration(&s.limits.ReadTimeout, "read-timeout", "SCB_SANDBOX_READ_TIMEOUT", def.ReadTimeout, ms, timeout, "how long a client may take to send a whole request; a body still arriving is answered 504 9900")
	f.Duration(&s.limits.WriteTimeout, "write-timeout", "SCB_SANDBOX_WRITE_TIMEOUT", def.WriteTimeout, ms, timeout, "how long writing an answer may take, after --latency and the timeout fault")
	f.Duration(&s.limits.IdleTimeout, "idle-timeout", "SCB_SANDBOX_IDLE_TIMEOUT", def.IdleTimeout, ms, timeout, "how long a keep-alive connection may wait for its next request")
	f.Duration(&s.limits.ShutdownTimeout, "shutdown-timeout", "SCB_SANDBOX_SHUTDOWN_TIMEOUT", def.ShutdownTimeout, ms, timeout, "how long a shutdown waits for requests in flight")
	f.Int(&s.maxHeaderBytes, "max-header-bytes", "SCB_SANDBOX_MAX_HEADER_BYTES", int64(def.HeaderBytes), 1, sandbox.MaxHeaderBytes, "largest request line and headers in bytes; more is answered 431")
	f.Int(&s.maxConns, "max-conns", "SCB_SANDBOX_MAX_CONNS", int64(def.Connections), 1, sandbox.MaxConnections, "connections served at once, more wait; keep it under the open-file limit")
	dp := sandbox.DefaultDeliveryPolicy()
	f.Int(&s.deliveryAttempts, "delivery-attempts", "SCB_SANDBOX_DELIVERY_ATTEMPTS", int64(dp.Attempts), 1, sandbox.MaxDeliveryAttempts, "posts of one payment confirmation at most: the first and the re-sends (SCB: 1 and 3)")
	f.Duration(&s.delivery.Interval, "delivery-interval", "SCB_SANDBOX_DELIVERY_INTERVAL", dp.Interval, ms, wait, "wait between the end of one delivery attempt and the next (SCB: 12s)")
	f.Duration(&s.delivery.Timeout, "delivery-timeout", "SCB_SANDBOX_DELIVERY_TIMEOUT", dp.Timeout, ms, wait, "how long a delivery attempt waits for the receiver's answer")
	f.Int(&s.inFlight, "delivery-in-flight", "SCB_SANDBOX_DELIVERY_IN_FLIGHT", int64(dp.MaxInFlight), 1, sandbox.MaxDeliveriesInFlight, "delivery attempts in flight at once, over all applications")
}

// checkAddr returns an error unless --addr is a host:port.
func (s *sandboxFlags) checkAddr() error {
	if _, _, err := net.SplitHostPort(s.addr); err != nil || strings.IndexFunc(s.addr, unsafe) >= 0 {
		return errors.New("not a host:port") // net's errors would show the address unquoted
	}
	return nil
}

// checkAdminAddr returns an error unless --admin-addr is empty or a host:port.
func (s *sandboxFlags) checkAdminAddr() error {
	if s.adminAddr == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(s.adminAddr); err != nil || strings.IndexFunc(s.adminAddr, unsafe) >= 0 {
		return errors.New("not a host:port")
	}
	return nil
}

// checkAdminToken returns an error for an admin token the emulator refuses; it shows no part
// of the token.
func (s *sandboxFlags) checkAdminToken() error {
	if s.adminToken == "" {
		return nil
	}
	if !sandbox.ValidAdminToken(s.adminToken) {
		return fmt.Errorf("must be %d to 256 printable characters without spaces", sandbox.MinAdminTokenBytes)
	}
	return nil
}

// parseApplication parses an --app value; its error shows no part of it.
func parseApplication(v string) (sandbox.Application, error) {
	app, err := sandbox.ParseApplication(v)
	if err != nil {
		return app, errors.New(strings.TrimPrefix(err.Error(), "sandbox: "))
	}
	return app, nil
}

// applications returns the demo applications (unless --no-demo) and the registered ones.
// Their secrets are kept out of every message.
func (s *sandboxFlags) applications(f *flags) (demo, registered []sandbox.Application, err error) {
	if !s.noDemo {
		demo = sandbox.DemoApplications()
	}
	if s.appsFile != "" {
		apps, err := sandbox.LoadApplications(s.appsFile)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %s", f.Label("apps"), strings.TrimPrefix(err.Error(), "sandbox: "))
		}
		registered = append(registered, apps...)
	}
	registered = append(registered, s.apps...)
	for _, a := range registered {
		f.AddSecret(a.Secret)
	}
	if len(demo)+len(registered) == 0 {
		return nil, nil, errors.New("no applications: drop --no-demo or register some with --app or --apps")
	}
	return demo, registered, nil
}

// printBanner prints where the emulator and its admin API (adminBase, "" when off) listen and
// the applications: the demo ones with their public secrets, registered ones without.
func printBanner(w io.Writer, base, adminBase string, demo, registered []sandbox.Application, f *sandboxFlags) {
	fmt.Fprintf(w, "scboauth sandbox: serving SCB's OAuth API on %s\n", base)
	row := func(a sandbox.Application, secret string) {
		fmt.Fprintf(w, "  %-16s %-19s key %-36s secret %s\n", a.Name, a.Kind, a.Key, secret)
	}
	if len(demo) > 0 {
		fmt.Fprintln(w, "demo applications (public test credentials):")
		for _, a := range demo {
			row(a, a.Secret)
		}
	}
	if len(registered) > 0 {
		fmt.Fprintln(w, "registered applications:")
		for _, a := range registered {
			row(a, "(not shown)")
		}
	}
	rate := "off"
	if f.rateLimit > 0 {
		rate = strconv.FormatFloat(f.rateLimit, 'g', -1, 64) + "/s per application"
	}
	fmt.Fprintf(w, "consent without a phone: POST %s/sandbox/v1/consent {\"callbackUrl\": \"...\"}\n", base)
	if adminBase != "" {
		fmt.Fprintf(w, "admin API: %s/sandbox/v1/ (GET /sandbox/v1/openapi.yaml describes it)\n", adminBase)
	}
	if f.strict {
		fmt.Fprintln(w, "strict mode: requestUId must be a UUID or 32 alphanumerics, no null body fields")
	}
	fmt.Fprintf(w, "faults: latency %v, failure rate %g, rate limit %s; per request: header %s: 429|500|502|503|504|timeout|truncate|html\n",
		f.latency, f.failureRate, rate, sandbox.FaultHeader)
}
