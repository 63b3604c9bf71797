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
	description: `Serve a local emulator of SCB's OAuth API: POST /v1/oauth/token, POST /v1/oauth/token/refresh
and GET /v2/oauth/authorize, answered as SCB documents them, plus POST /sandbox/v1/consent, which
completes a user's consent without a phone and returns an authorization code.

Three demo applications (one per kind: plain, authorization-code, web) are registered unless
--no-demo; their public test credentials are printed at start. Register more with --app or --apps
(a YAML or JSON file). A request asks for a fault with the header X-Sandbox-Fault: 500, 502, 503,
504, timeout, truncate or html.

One log line per request goes to stderr (requestUId, status, business code, latency; never a
secret; what a client sent is escaped). Timeouts and a cap on connections bound what a client
can hold. SIGINT or SIGTERM shuts the server down gracefully: held requests and requests whose
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
	apps                           []sandbox.Application
	noDemo                         bool
	accessTTL, refreshTTL, codeTTL time.Duration
	consentTTL, latency            time.Duration
	timeoutHold                    time.Duration
	failureRate, rateLimit         float64
	maxBody                        int64
	limits                         sandbox.Limits // the durations; the sizes are below
	maxHeaderBytes, maxConns       int64
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
	handler := slog.Handler(slog.NewTextHandler(e.stderr, nil))
	if s.logFormat == "json" {
		handler = slog.NewJSONHandler(e.stderr, nil)
	}
	logger := slog.New(handler)
	srv, err := sandbox.New(
		sandbox.WithApplications(append(demo, registered...)...),
		sandbox.WithLifetimes(sandbox.Lifetimes{AccessToken: s.accessTTL, RefreshToken: s.refreshTTL, AuthCode: s.codeTTL, Consent: s.consentTTL}),
		sandbox.WithFaults(sandbox.Faults{Latency: s.latency, FailureRate: s.failureRate, RateLimit: s.rateLimit, TimeoutHold: s.timeoutHold}),
		sandbox.WithMaxBodyBytes(s.maxBody),
		sandbox.WithLogger(logger),
	)
	if err != nil {
		return f.fail(errors.New(strings.TrimPrefix(err.Error(), "sandbox: ")))
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		f.errorf("%v", err)
		return exitFail
	}
	printBanner(e.stdout, "http://"+ln.Addr().String(), demo, registered, s)
	stop := context.AfterFunc(ctx, func() { logger.Info("shutting down") })
	defer stop()
	limits := s.limits
	limits.HeaderBytes, limits.Connections = int(s.maxHeaderBytes), int(s.maxConns)
	if err := srv.Serve(ctx, ln, limits); err != nil {
		f.errorf("%s", strings.TrimPrefix(err.Error(), "sandbox: "))
		return exitFail
	}
	return exitOK
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
	f.Duration(&s.limits.HeaderTimeout, "header-timeout", "SCB_SANDBOX_HEADER_TIMEOUT", def.HeaderTimeout, ms, timeout, "how long a client may take to send a request's line and headers")
	f.Duration(&s.limits.ReadTimeout, "read-timeout", "SCB_SANDBOX_READ_TIMEOUT", def.ReadTimeout, ms, timeout, "how long a client may take to send a whole request; a body still arriving is answered 504 9900")
	f.Duration(&s.limits.WriteTimeout, "write-timeout", "SCB_SANDBOX_WRITE_TIMEOUT", def.WriteTimeout, ms, timeout, "how long writing an answer may take, after --latency and the timeout fault")
	f.Duration(&s.limits.IdleTimeout, "idle-timeout", "SCB_SANDBOX_IDLE_TIMEOUT", def.IdleTimeout, ms, timeout, "how long a keep-alive connection may wait for its next request")
	f.Duration(&s.limits.ShutdownTimeout, "shutdown-timeout", "SCB_SANDBOX_SHUTDOWN_TIMEOUT", def.ShutdownTimeout, ms, timeout, "how long a shutdown waits for requests in flight")
	f.Int(&s.maxHeaderBytes, "max-header-bytes", "SCB_SANDBOX_MAX_HEADER_BYTES", int64(def.HeaderBytes), 1, sandbox.MaxHeaderBytes, "largest request line and headers in bytes; more is answered 431")
	f.Int(&s.maxConns, "max-conns", "SCB_SANDBOX_MAX_CONNS", int64(def.Connections), 1, sandbox.MaxConnections, "connections served at once, more wait; keep it under the open-file limit")
}

// checkAddr returns an error unless --addr is a host:port.
func (s *sandboxFlags) checkAddr() error {
	if _, _, err := net.SplitHostPort(s.addr); err != nil || strings.IndexFunc(s.addr, unsafe) >= 0 {
		return errors.New("not a host:port") // net's errors would show the address unquoted
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
