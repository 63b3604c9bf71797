package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/scboauth/scboauth/contract"
	"github.com/scboauth/scboauth/sandbox"
)

var contractHelp = help{
	synopsis: "[flags]",
	description: `Check that a server's answers match openapi.yaml: run the contract catalogue (grants that
must succeed, requests that must fail) and validate every response from the raw bytes on the wire.

With no --base-url, an emulator is started in process and checked, and the credentials are
not used. A --base-url that is a scboauth emulator with its admin API on (scboauth sandbox
--admin, or --admin-url for its --admin-addr) is recognised by GET /sandbox/v1/health and driven
fully, as the embedded one is: the run registers its own applications there (removed at the
end) and needs no credentials. Otherwise, with --base-url (for SCB's sandbox: https://api-sandbox.partners.scb/partners/sandbox)
the application's key and secret are required; an authorization code (valid one minute, single
use) adds the authorization-code and refresh cases, and a client certificate is presented when
given. Requests to a non-loopback target are paced at 4 per second. Each request waits at most
--timeout, and the whole run at most --deadline: the cases it leaves no time for are reported
as not run.`,
	exit: [3]string{
		"the target conforms",
		"contract violation",
		"bad flags or variables, target unreachable, or cases not run because the deadline passed",
	},
}

// contractFlags are the contract command's settings.
type contractFlags struct {
	credentials
	baseURL, format   string
	adminURL, token   string
	strict            bool
	timeout, deadline time.Duration
}

// runContract runs the contract check and reports in the chosen format.
func runContract(ctx context.Context, e *env, args []string) int {
	f, c := newFlags(e, "contract", contractHelp), &contractFlags{}
	c.bind(f)
	if code, ok := f.Parse(args); !ok {
		return code
	}
	cfg := contract.Config{BaseURL: c.baseURL, Strict: c.strict, Timeout: c.timeout, Deadline: c.deadline}
	stop, err := c.target(ctx, f, &cfg)
	if err != nil {
		return f.fail(err)
	}
	defer stop()
	return checkAndReport(ctx, f, cfg, c.format)
}

// bind defines the contract command's flags.
func (c *contractFlags) bind(f *flags) {
	f.URL(&c.baseURL, "base-url", "SCB_BASE_URL", "", "base URL of the target; empty checks the embedded emulator")
	bindApplication(f, &c.credentials, "authorization code of the application, for the authorization-code and refresh cases of a live target")
	bindClientCertificate(f, &c.credentials)
	f.URL(&c.adminURL, "admin-url", "SCB_SANDBOX_ADMIN_URL", "", "base URL of the scboauth emulator's admin API, when it has an address of its own (--admin-addr); empty: --base-url")
	f.Secret(&c.token, "admin-token", "SCB_SANDBOX_ADMIN_TOKEN", "the admin token of the scboauth emulator checked, when it was started with one")
	f.Enum(&c.format, "format", "SCB_CONTRACT_FORMAT", "table", "report format", "table", "json", "junit")
	f.Bool(&c.strict, "strict", "SCB_CONTRACT_STRICT", "report fields the spec does not declare as violations, not warnings")
	f.Duration(&c.timeout, "timeout", "SCB_CONTRACT_TIMEOUT", contract.DefaultTimeout, time.Millisecond, 24*time.Hour, "timeout of each request")
	f.Duration(&c.deadline, "deadline", "SCB_CONTRACT_DEADLINE", contract.DefaultDeadline, time.Millisecond, 24*time.Hour, "deadline of the whole run; cases it leaves no time for are reported as not run")
}

// target completes cfg: the embedded emulator when no base URL is given (stop shuts it down),
// a served scboauth emulator recognised by its admin API (stop removes the applications the
// run registered on it), or a live target's credentials and client certificate.
func (c *contractFlags) target(ctx context.Context, f *flags, cfg *contract.Config) (stop func(), err error) {
	if cfg.BaseURL == "" {
		return startEmulator(cfg)
	}
	// The probe is one more request, bounded as the run is.
	em, err := contract.DialEmulator(ctx, contract.EmulatorConfig{AdminURL: cmp.Or(c.adminURL, cfg.BaseURL), Token: c.token, Timeout: min(c.timeout, c.deadline)})
	switch {
	case err == nil:
		cfg.Emulator = em
		return func() { _ = em.Close(context.WithoutCancel(ctx)) }, nil
	case !errors.Is(err, contract.ErrNotEmulator):
		return nil, errors.New(strings.TrimPrefix(err.Error(), "contract: "))
	case c.adminURL != "":
		return nil, fmt.Errorf("%s: no scboauth emulator's admin API answers there", f.Label("admin-url"))
	}
	if err := c.check(f); err != nil {
		return nil, fmt.Errorf("checking a live target (--base-url): %w", err)
	}
	cfg.Application = contract.Credentials{Key: c.key, Secret: c.secret}
	cfg.AuthCode = c.authCode
	if cfg.Transport, err = clientTransport(c.certFile, c.keyFile); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Label("client-cert"), err)
	}
	return func() {}, nil
}

// checkAndReport runs the check and writes the report; it returns the exit status.
func checkAndReport(ctx context.Context, f *flags, cfg contract.Config, format string) int {
	e := f.e
	var table *contract.TableWriter
	var observe func(contract.CaseResult)
	if format == "table" {
		table = contract.NewTableWriter(e.stdout)
		mode := "live"
		if _, ok := cfg.Emulator.(*contract.HTTPEmulator); ok {
			mode = "scboauth emulator, driven by its admin API"
		} else if cfg.Emulator != nil {
			mode = "embedded emulator"
		}
		table.Begin(strings.TrimSuffix(cfg.BaseURL, "/"), mode)
		observe = func(c contract.CaseResult) { table.Case(c) }
	}
	rep, err := contract.Run(ctx, cfg, observe)
	if err != nil {
		f.errorf("%s", strings.TrimPrefix(err.Error(), "contract: "))
		var ue *contract.UnreachableError
		if errors.As(err, &ue) {
			f.errorf("nothing was checked; is %s right and the server up?", f.Label("base-url"))
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
		f.errorf("write report: %v", err)
		return exitUsage
	}
	s := rep.Summary()
	switch {
	case s.Failed > 0:
		if f.FromEnv("auth-code") {
			f.errorf("the authorization code came from SCB_AUTH_CODE: a code is valid one minute and once; unset it to skip its cases")
		}
		return exitFail
	case s.NotRun > 0:
		// Nothing failed, but the run did not check everything: like an unreachable target,
		// not a verdict on the contract.
		f.errorf("%s; %d cases were not checked (raise %s?)", rep.Stopped, s.NotRun, f.Label("deadline"))
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

// clientTransport returns nil (the default transport) when certFile is empty, or one
// presenting the client certificate of certFile and keyFile.
func clientTransport(certFile, keyFile string) (http.RoundTripper, error) {
	if certFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load the client certificate: %w", err)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	return t, nil
}
