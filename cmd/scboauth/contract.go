package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/scboauth/scboauth/contract"
	"github.com/scboauth/scboauth/sandbox"
)

const contractDescription = `Check that a server's answers match openapi.yaml: run the contract catalogue (grants that
must succeed, requests that must fail) and validate every response from the raw bytes on the wire.

With no --base-url, an emulator is started in process and checked. With --base-url (for SCB's
sandbox: https://api-sandbox.partners.scb/partners/sandbox) the credentials come from
SCB_APPLICATION_KEY and SCB_APPLICATION_SECRET, an optional authorization code from SCB_AUTH_CODE,
and an optional client certificate from SCB_CLIENT_CERT and SCB_CLIENT_KEY (PEM files).
Requests to a non-loopback target are paced at 4 per second. Each request waits at most
--timeout, and the whole run at most --deadline: the cases it leaves no time for are reported
as not run.

Exit status: 0 the target conforms, 1 contract violation, 2 usage error, target unreachable, or
cases not run because the deadline passed.`

// contractFlags are the contract command's settings.
type contractFlags struct {
	baseURL, format   string
	strict            bool
	timeout, deadline time.Duration
}

// runContract runs the contract check and reports in the chosen format.
func runContract(ctx context.Context, e *env, args []string) int {
	f, code, ok := parseContractFlags(e, args)
	if !ok {
		return code
	}
	cfg := contract.Config{BaseURL: f.baseURL, Strict: f.strict, Timeout: f.timeout, Deadline: f.deadline}
	stop, err := contractTarget(e, &cfg)
	if err != nil {
		fmt.Fprintf(e.stderr, "scboauth contract: %v\n", err)
		return exitUsage
	}
	defer stop()
	return checkAndReport(ctx, e, cfg, f.format)
}

// parseContractFlags reads the flags, each over its environment variable. ok is false, with
// the exit code, when the command must stop.
func parseContractFlags(e *env, args []string) (f contractFlags, code int, ok bool) {
	fs := newFlagSet(e, "contract", "[flags]", contractDescription)
	fs.StringVar(&f.baseURL, "base-url", envOr(e, "SCB_BASE_URL", ""), "base URL of the target; empty checks the embedded emulator (env SCB_BASE_URL)")
	fs.StringVar(&f.format, "format", envOr(e, "SCB_CONTRACT_FORMAT", "table"), "report format: table, json or junit (env SCB_CONTRACT_FORMAT)")
	fs.BoolVar(&f.strict, "strict", false, "report fields the spec does not declare as violations, not warnings (env SCB_CONTRACT_STRICT)")
	fs.DurationVar(&f.timeout, "timeout", contract.DefaultTimeout, "timeout of each request (env SCB_CONTRACT_TIMEOUT)")
	fs.DurationVar(&f.deadline, "deadline", contract.DefaultDeadline, "deadline of the whole run; cases it leaves no time for are reported as not run (env SCB_CONTRACT_DEADLINE)")
	for _, err := range []error{
		envValue(e, "SCB_CONTRACT_STRICT", &f.strict, strconv.ParseBool, "a boolean"),
		envValue(e, "SCB_CONTRACT_TIMEOUT", &f.timeout, time.ParseDuration, "a duration such as 10s"),
		envValue(e, "SCB_CONTRACT_DEADLINE", &f.deadline, time.ParseDuration, "a duration such as 5m"),
	} {
		if err != nil {
			fmt.Fprintf(e.stderr, "scboauth contract: %v\n", err)
			return f, exitUsage, false
		}
	}
	if code, ok := parseFlags(e, fs, args); !ok {
		return f, code, false
	}
	f.format = strings.ToLower(f.format)
	var problem string
	switch {
	case f.format != "table" && f.format != "json" && f.format != "junit":
		problem = fmt.Sprintf("--format %q: want table, json or junit", f.format)
	case f.timeout <= 0:
		problem = fmt.Sprintf("--timeout %s: want a positive duration", f.timeout)
	case f.deadline <= 0:
		problem = fmt.Sprintf("--deadline %s: want a positive duration", f.deadline)
	}
	if problem != "" {
		fmt.Fprintf(e.stderr, "scboauth contract: %s\n", problem)
		return f, exitUsage, false
	}
	return f, exitOK, true
}

// envValue sets *dst from the variable key, when it is set, with parse; what names the kind of
// value it wants, for the error.
func envValue[T any](e *env, key string, dst *T, parse func(string) (T, error), what string) error {
	v := e.getenv(key)
	if v == "" {
		return nil
	}
	x, err := parse(v)
	if err != nil {
		return fmt.Errorf("%s=%q is not %s", key, v, what)
	}
	*dst = x
	return nil
}

// contractTarget completes cfg: the embedded emulator when no base URL is given (stop shuts it
// down), or a live target's credentials and client certificate from the environment.
func contractTarget(e *env, cfg *contract.Config) (stop func(), err error) {
	if cfg.BaseURL == "" {
		return startEmulator(cfg)
	}
	cfg.Application = contract.Credentials{Key: e.getenv("SCB_APPLICATION_KEY"), Secret: e.getenv("SCB_APPLICATION_SECRET")}
	cfg.AuthCode = e.getenv("SCB_AUTH_CODE")
	var missing []string
	for _, kv := range [][2]string{{"SCB_APPLICATION_KEY", cfg.Application.Key}, {"SCB_APPLICATION_SECRET", cfg.Application.Secret}} {
		if kv[1] == "" {
			missing = append(missing, kv[0])
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("checking a live target (--base-url) needs the application's credentials: set %s", strings.Join(missing, " and "))
	}
	if cfg.Transport, err = clientTransport(e); err != nil {
		return nil, err
	}
	return func() {}, nil
}

// checkAndReport runs the check and writes the report; it returns the exit status.
func checkAndReport(ctx context.Context, e *env, cfg contract.Config, format string) int {
	var table *contract.TableWriter
	var observe func(contract.CaseResult)
	if format == "table" {
		table = contract.NewTableWriter(e.stdout)
		mode := "live"
		if cfg.Emulator != nil {
			mode = "embedded emulator"
		}
		table.Begin(strings.TrimSuffix(cfg.BaseURL, "/"), mode)
		observe = func(c contract.CaseResult) { table.Case(c) }
	}
	rep, err := contract.Run(ctx, cfg, observe)
	if err != nil {
		fmt.Fprintf(e.stderr, "scboauth contract: %s\n", strings.TrimPrefix(err.Error(), "contract: "))
		var ue *contract.UnreachableError
		if errors.As(err, &ue) {
			fmt.Fprintln(e.stderr, "scboauth contract: nothing was checked; is --base-url right and the server up?")
		}
		return exitUsage
	}
	switch format {
	case "table":
		err = table.End(rep)
	case "json":
		err = contract.WriteJSON(e.stdout, rep)
	case "junit":
		err = contract.WriteJUnit(e.stdout, rep)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "scboauth contract: write report: %v\n", err)
		return exitUsage
	}
	s := rep.Summary()
	switch {
	case s.Failed > 0:
		return exitFail
	case s.NotRun > 0:
		// Nothing failed, but the run did not check everything: like an unreachable target,
		// not a verdict on the contract.
		fmt.Fprintf(e.stderr, "scboauth contract: %s; %d cases were not checked (raise --deadline?)\n", rep.Stopped, s.NotRun)
		return exitUsage
	}
	return exitOK
}

// startEmulator serves a fresh emulator with its demo applications on a loopback port and
// points cfg at it. stop shuts it down.
func startEmulator(cfg *contract.Config) (stop func(), err error) {
	srv, err := sandbox.New()
	if err != nil {
		return nil, fmt.Errorf("start the emulator: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start the emulator: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = hs.Serve(ln)
	}()
	cfg.BaseURL = "http://" + ln.Addr().String()
	cfg.Emulator = srv
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
		<-done
	}, nil
}

// clientTransport returns nil (the default transport), or one presenting the client
// certificate of SCB_CLIENT_CERT and SCB_CLIENT_KEY.
func clientTransport(e *env) (http.RoundTripper, error) {
	certFile, keyFile := e.getenv("SCB_CLIENT_CERT"), e.getenv("SCB_CLIENT_KEY")
	if certFile == "" && keyFile == "" {
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, errors.New("a client certificate needs both SCB_CLIENT_CERT and SCB_CLIENT_KEY")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load the client certificate: %w", err)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	return t, nil
}
