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
secret; what a client sent is escaped). Timeouts and a cap on connections bound what a client
can hold. SIGINT or SIGTERM shuts the server down gracefully: held requests and requests whose
body is still arriving are answered 504 9900, and the command exits 0.`

// sandboxFlags are the flags of the sandbox command.
type sandboxFlags struct {
	addr, appsFile, logFormat      string
	apps                           appFlag
	noDemo                         bool
	accessTTL, refreshTTL, codeTTL time.Duration
	consentTTL, latency            time.Duration
	timeoutHold                    time.Duration
	failureRate, rateLimit         float64
	maxBody                        int64
	limits                         sandbox.Limits // the durations; the sizes are below
	maxHeaderBytes, maxConns       int64
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
	f, code, ok := parseSandboxFlags(e, args)
	if !ok {
		return code
	}
	demo, registered, err := f.applications()
	if err != nil {
		fmt.Fprintf(e.stderr, "scboauth sandbox: %v\n", err)
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
	printBanner(e.stdout, "http://"+ln.Addr().String(), demo, registered, f)
	stop := context.AfterFunc(ctx, func() { logger.Info("shutting down") })
	defer stop()
	limits := f.limits
	limits.HeaderBytes, limits.Connections = int(f.maxHeaderBytes), int(f.maxConns)
	if err := srv.Serve(ctx, ln, limits); err != nil {
		fmt.Fprintf(e.stderr, "scboauth %v\n", err)
		return exitFail
	}
	return exitOK
}

// parseSandboxFlags parses and checks the flags and their environment variables. It returns
// ok=false and the exit code when the command must stop.
func parseSandboxFlags(e *env, args []string) (f *sandboxFlags, code int, ok bool) {
	fs := newFlagSet(e, "sandbox", "[flags]", sandboxDescription)
	p := &envParser{e: e}
	f = &sandboxFlags{}
	def := sandbox.DefaultLimits()
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
	fs.DurationVar(&f.limits.HeaderTimeout, "header-timeout", p.duration("SCB_SANDBOX_HEADER_TIMEOUT", def.HeaderTimeout), "how long a client may take to send a request's line and headers (env SCB_SANDBOX_HEADER_TIMEOUT)")
	fs.DurationVar(&f.limits.ReadTimeout, "read-timeout", p.duration("SCB_SANDBOX_READ_TIMEOUT", def.ReadTimeout), "how long a client may take to send a whole request; a body still arriving is answered 504 9900 (env SCB_SANDBOX_READ_TIMEOUT)")
	fs.DurationVar(&f.limits.WriteTimeout, "write-timeout", p.duration("SCB_SANDBOX_WRITE_TIMEOUT", def.WriteTimeout), "how long writing an answer may take, after --latency and the timeout fault (env SCB_SANDBOX_WRITE_TIMEOUT)")
	fs.DurationVar(&f.limits.IdleTimeout, "idle-timeout", p.duration("SCB_SANDBOX_IDLE_TIMEOUT", def.IdleTimeout), "how long a keep-alive connection may wait for its next request (env SCB_SANDBOX_IDLE_TIMEOUT)")
	fs.DurationVar(&f.limits.ShutdownTimeout, "shutdown-timeout", p.duration("SCB_SANDBOX_SHUTDOWN_TIMEOUT", def.ShutdownTimeout), "how long a shutdown waits for requests in flight (env SCB_SANDBOX_SHUTDOWN_TIMEOUT)")
	fs.Int64Var(&f.maxHeaderBytes, "max-header-bytes", p.int("SCB_SANDBOX_MAX_HEADER_BYTES", int64(def.HeaderBytes)), "largest request line and headers in bytes; more is answered 431 (env SCB_SANDBOX_MAX_HEADER_BYTES)")
	fs.Int64Var(&f.maxConns, "max-conns", p.int("SCB_SANDBOX_MAX_CONNS", int64(def.Connections)), "connections served at once, more wait; keep it under the open-file limit (env SCB_SANDBOX_MAX_CONNS)")
	for _, s := range strings.Fields(e.getenv("SCB_SANDBOX_APP")) {
		_ = f.apps.Set(s)
	}
	if code, ok := parseFlags(e, fs, args); !ok {
		return nil, code, false
	}
	if p.err == nil {
		p.err = f.check()
	}
	if p.err != nil {
		fmt.Fprintf(e.stderr, "scboauth sandbox: %v\n", p.err)
		return nil, exitUsage, false
	}
	if f.apps.err != nil {
		fmt.Fprintf(e.stderr, "scboauth sandbox: --app or SCB_SANDBOX_APP: %v\n", f.apps.err)
		return nil, exitUsage, false
	}
	return f, exitOK, true
}

// applications returns the demo applications (unless --no-demo) and the registered ones.
func (f *sandboxFlags) applications() (demo, registered []sandbox.Application, err error) {
	if !f.noDemo {
		demo = sandbox.DemoApplications()
	}
	if f.appsFile != "" {
		apps, err := sandbox.LoadApplications(f.appsFile)
		if err != nil {
			return nil, nil, errors.New(strings.TrimPrefix(err.Error(), "sandbox: "))
		}
		registered = append(registered, apps...)
	}
	registered = append(registered, f.apps.apps...)
	if len(demo)+len(registered) == 0 {
		return nil, nil, errors.New("no applications: drop --no-demo or register some with --app or --apps")
	}
	return demo, registered, nil
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
		inRange("header-timeout", f.limits.HeaderTimeout, time.Millisecond, sandbox.MaxTimeout),
		inRange("read-timeout", f.limits.ReadTimeout, time.Millisecond, sandbox.MaxTimeout),
		inRange("write-timeout", f.limits.WriteTimeout, time.Millisecond, sandbox.MaxTimeout),
		inRange("idle-timeout", f.limits.IdleTimeout, time.Millisecond, sandbox.MaxTimeout),
		inRange("shutdown-timeout", f.limits.ShutdownTimeout, time.Millisecond, sandbox.MaxTimeout),
		inRange("max-header-bytes", f.maxHeaderBytes, 1, sandbox.MaxHeaderBytes),
		inRange("max-conns", f.maxConns, 1, sandbox.MaxConnections),
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
func printBanner(w io.Writer, base string, demo, registered []sandbox.Application, f *sandboxFlags) {
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
