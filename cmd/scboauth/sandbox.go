package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/scboauth/scboauth/sandbox"
)

const sandboxDescription = `Serve a local emulator of SCB's OAuth API: POST /v1/oauth/token, POST /v1/oauth/token/refresh
and GET /v2/oauth/authorize, answered as SCB documents them, plus POST /sandbox/v1/consent, which
completes a user's consent without a phone and returns an authorization code.

Three demo applications (one per kind: plain, authorization-code, web) are registered unless
--no-demo; their public test credentials are printed at start. Register more with --app or --apps
(a YAML or JSON file). A request asks for a fault with the header X-Sandbox-Fault: 500, 502, 503,
504, timeout, truncate or html.

One log line per request goes to stderr (requestUId, status, business code, latency; never a
secret). SIGINT or SIGTERM shuts the server down gracefully.`

// sandboxFlags are the flags of the sandbox command.
type sandboxFlags struct {
	addr, appsFile, logFormat             string
	apps                                  appFlag
	noDemo                                bool
	accessTTL, refreshTTL, codeTTL        time.Duration
	consentTTL, latency, timeoutHold, end time.Duration
	failureRate, rateLimit                float64
	maxBody                               int64
}

// appFlag collects repeated --app name:key:secret:kind values. Its String never shows a
// secret, and Set keeps its error for later: the flag package would print the value, secret
// included, next to it.
type appFlag struct {
	apps []sandbox.Application
	err  error
}

func (a *appFlag) String() string {
	if a == nil {
		return ""
	}
	names := make([]string, len(a.apps))
	for i, app := range a.apps {
		names[i] = app.Name
	}
	return strings.Join(names, ",")
}

func (a *appFlag) Set(v string) error {
	app, err := sandbox.ParseApplication(v)
	if err != nil {
		if a.err == nil {
			a.err = errors.New(strings.TrimPrefix(err.Error(), "sandbox: "))
		}
		return nil
	}
	a.apps = append(a.apps, app)
	return nil
}

// envParser reads typed defaults from environment variables and remembers the first bad one.
type envParser struct {
	e   *env
	err error
}

func (p *envParser) fail(key, v, want string) {
	if p.err == nil {
		p.err = fmt.Errorf("%s=%q is not %s", key, v, want)
	}
}

func (p *envParser) duration(key string, def time.Duration) time.Duration {
	v := p.e.getenv(key)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		p.fail(key, v, "a duration such as 30s")
		return def
	}
	return d
}

func (p *envParser) float(key string, def float64) float64 {
	v := p.e.getenv(key)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		p.fail(key, v, "a number")
		return def
	}
	return f
}

func (p *envParser) int(key string, def int64) int64 {
	v := p.e.getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		p.fail(key, v, "an integer")
		return def
	}
	return n
}

func (p *envParser) bool(key string) bool {
	v := p.e.getenv(key)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(key, v, "a boolean")
	}
	return b
}

// runSandbox serves the emulator until ctx is done.
func runSandbox(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "sandbox", "[flags]", sandboxDescription)
	p := &envParser{e: e}
	var f sandboxFlags
	fs.StringVar(&f.addr, "addr", envOr(e, "SCB_SANDBOX_ADDR", "127.0.0.1:8080"), "address to listen on; port 0 picks a free one (env SCB_SANDBOX_ADDR)")
	fs.StringVar(&f.appsFile, "apps", envOr(e, "SCB_SANDBOX_APPS", ""), "YAML or JSON file of applications to register (env SCB_SANDBOX_APPS)")
	fs.Var(&f.apps, "app", "register an application `name:key:secret:kind` (kind: plain, authorization-code or web); repeatable (env SCB_SANDBOX_APP, several separated by spaces). A flag's secret shows in process lists: prefer --apps or the variable")
	fs.BoolVar(&f.noDemo, "no-demo", p.bool("SCB_SANDBOX_NO_DEMO"), "do not register the demo applications (env SCB_SANDBOX_NO_DEMO)")
	fs.DurationVar(&f.accessTTL, "access-ttl", p.duration("SCB_SANDBOX_ACCESS_TTL", 30*time.Minute), "access token lifetime (env SCB_SANDBOX_ACCESS_TTL)")
	fs.DurationVar(&f.refreshTTL, "refresh-ttl", p.duration("SCB_SANDBOX_REFRESH_TTL", time.Hour), "refresh token lifetime (env SCB_SANDBOX_REFRESH_TTL)")
	fs.DurationVar(&f.codeTTL, "code-ttl", p.duration("SCB_SANDBOX_CODE_TTL", time.Minute), "authorization code lifetime (env SCB_SANDBOX_CODE_TTL)")
	fs.DurationVar(&f.consentTTL, "consent-ttl", p.duration("SCB_SANDBOX_CONSENT_TTL", 10*time.Minute), "how long a callbackUrl can be consented to (env SCB_SANDBOX_CONSENT_TTL)")
	fs.DurationVar(&f.latency, "latency", p.duration("SCB_SANDBOX_LATENCY", 0), "latency added to every answer (env SCB_SANDBOX_LATENCY)")
	fs.Float64Var(&f.failureRate, "failure-rate", p.float("SCB_SANDBOX_FAILURE_RATE", 0), "share of requests to SCB's paths answered 503 9900, 0 to 1 (env SCB_SANDBOX_FAILURE_RATE)")
	fs.Float64Var(&f.rateLimit, "rate-limit", p.float("SCB_SANDBOX_RATE_LIMIT", 0), "requests per second per application, counted after authentication (failed credentials share one such budget), excess answered 429 9900; 0 is off, SCB's sandbox allows 5 (env SCB_SANDBOX_RATE_LIMIT)")
	fs.DurationVar(&f.timeoutHold, "timeout-hold", p.duration("SCB_SANDBOX_TIMEOUT_HOLD", 30*time.Second), "how long X-Sandbox-Fault: timeout holds a request (env SCB_SANDBOX_TIMEOUT_HOLD)")
	fs.Int64Var(&f.maxBody, "max-body", p.int("SCB_SANDBOX_MAX_BODY", 64<<10), "largest request body in bytes (env SCB_SANDBOX_MAX_BODY)")
	fs.StringVar(&f.logFormat, "log-format", envOr(e, "SCB_SANDBOX_LOG_FORMAT", "text"), "request log format: text or json (env SCB_SANDBOX_LOG_FORMAT)")
	fs.DurationVar(&f.end, "shutdown-timeout", p.duration("SCB_SANDBOX_SHUTDOWN_TIMEOUT", 10*time.Second), "how long a shutdown waits for requests in flight (env SCB_SANDBOX_SHUTDOWN_TIMEOUT)")
	for _, s := range strings.Fields(e.getenv("SCB_SANDBOX_APP")) {
		_ = f.apps.Set(s)
	}
	if code, ok := parseFlags(e, fs, args); !ok {
		return code
	}
	if p.err == nil {
		p.err = f.check()
	}
	if p.err != nil {
		fmt.Fprintf(e.stderr, "scboauth sandbox: %v\n", p.err)
		return exitUsage
	}
	if f.apps.err != nil {
		fmt.Fprintf(e.stderr, "scboauth sandbox: --app or SCB_SANDBOX_APP: %v\n", f.apps.err)
		return exitUsage
	}

	var demo, registered []sandbox.Application
	if !f.noDemo {
		demo = sandbox.DemoApplications()
	}
	if f.appsFile != "" {
		apps, err := sandbox.LoadApplications(f.appsFile)
		if err != nil {
			fmt.Fprintf(e.stderr, "scboauth %v\n", err)
			return exitUsage
		}
		registered = append(registered, apps...)
	}
	registered = append(registered, f.apps.apps...)
	if len(demo)+len(registered) == 0 {
		fmt.Fprintln(e.stderr, "scboauth sandbox: no applications: drop --no-demo or register some with --app or --apps")
		return exitUsage
	}
	var handler slog.Handler
	switch f.logFormat {
	case "text":
		handler = slog.NewTextHandler(e.stderr, nil)
	case "json":
		handler = slog.NewJSONHandler(e.stderr, nil)
	default:
		fmt.Fprintf(e.stderr, "scboauth sandbox: --log-format %q is not text or json\n", f.logFormat)
		return exitUsage
	}
	logger := slog.New(handler)
	srv, err := sandbox.New(
		sandbox.WithApplications(append(demo, registered...)...),
		sandbox.WithLifetimes(sandbox.Lifetimes{AccessToken: f.accessTTL, RefreshToken: f.refreshTTL, AuthCode: f.codeTTL, Consent: f.consentTTL}),
		sandbox.WithFaults(sandbox.Faults{Latency: f.latency, FailureRate: f.failureRate, RateLimit: f.rateLimit, TimeoutHold: f.timeoutHold}),
		sandbox.WithMaxBodyBytes(f.maxBody),
		sandbox.WithLogger(logger),
	)
	if err != nil {
		fmt.Fprintf(e.stderr, "scboauth %v\n", err)
		return exitUsage
	}

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		fmt.Fprintf(e.stderr, "scboauth sandbox: %v\n", err)
		return exitFail
	}
	base := "http://" + ln.Addr().String()
	printBanner(e.stdout, base, demo, registered, f)

	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		// Requests end with the command: a held "timeout" fault or a latency wait stops at shutdown.
		BaseContext: func(net.Listener) context.Context { return ctx },
		ErrorLog:    slog.NewLogLogger(handler, slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		fmt.Fprintf(e.stderr, "scboauth sandbox: %v\n", err)
		return exitFail
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), f.end)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		fmt.Fprintf(e.stderr, "scboauth sandbox: shutdown: %v\n", err)
		_ = hs.Close()
		return exitFail
	}
	return exitOK
}

// check returns an error for the first flag outside its range.
func (f *sandboxFlags) check() error {
	if _, _, err := net.SplitHostPort(f.addr); err != nil || strings.IndexFunc(f.addr, notPrintable) >= 0 {
		// net's errors would show the address unquoted.
		return fmt.Errorf("--addr (SCB_SANDBOX_ADDR) %q is not a host:port", f.addr)
	}
	for _, err := range []error{
		inRange("access-ttl", f.accessTTL, time.Second, sandbox.MaxLifetime),
		inRange("refresh-ttl", f.refreshTTL, time.Second, sandbox.MaxLifetime),
		inRange("code-ttl", f.codeTTL, time.Second, sandbox.MaxLifetime),
		inRange("consent-ttl", f.consentTTL, time.Second, sandbox.MaxLifetime),
		inRange("latency", f.latency, 0, sandbox.MaxWait),
		inRange("timeout-hold", f.timeoutHold, time.Millisecond, sandbox.MaxWait),
		inRange("failure-rate", f.failureRate, 0, 1),
		inRange("rate-limit", f.rateLimit, 0, sandbox.MaxRateLimit),
		inRange("max-body", f.maxBody, 1, sandbox.MaxBodyBytes),
		inRange("shutdown-timeout", f.end, time.Millisecond, time.Hour),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// notPrintable reports whether r could hide or reorder text on a terminal: a control or format
// character, such as a bidirectional override.
func notPrintable(r rune) bool { return !unicode.IsPrint(r) }

// inRange returns an error naming the flag and its environment variable unless lo <= v <= hi.
func inRange[T int64 | float64 | time.Duration](flag string, v, lo, hi T) error {
	if v >= lo && v <= hi { // false for NaN
		return nil
	}
	return fmt.Errorf("--%s (SCB_SANDBOX_%s) is %v; it must be between %v and %v",
		flag, strings.ToUpper(strings.ReplaceAll(flag, "-", "_")), v, lo, hi)
}

// printBanner prints where the emulator listens and the applications: the demo ones with their
// public secrets, registered ones without.
func printBanner(w io.Writer, base string, demo, registered []sandbox.Application, f sandboxFlags) {
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
	fmt.Fprintf(w, "faults: latency %v, failure rate %g, rate limit %s; per request: header %s: 500|502|503|504|timeout|truncate|html\n",
		f.latency, f.failureRate, rate, sandbox.FaultHeader)
}
