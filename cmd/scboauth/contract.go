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
Requests to a non-loopback target are paced at 4 per second.

Exit status: 0 the target conforms, 1 contract violation, 2 usage error or target unreachable.`

// runContract runs the contract check and reports in the chosen format.
func runContract(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "contract", "[flags]", contractDescription)
	baseURL := fs.String("base-url", envOr(e, "SCB_BASE_URL", ""), "base URL of the target; empty checks the embedded emulator (env SCB_BASE_URL)")
	format := fs.String("format", envOr(e, "SCB_CONTRACT_FORMAT", "table"), "report format: table, json or junit (env SCB_CONTRACT_FORMAT)")
	strict := fs.Bool("strict", false, "report fields the spec does not declare as violations, not warnings (env SCB_CONTRACT_STRICT)")
	timeout := fs.Duration("timeout", contract.DefaultTimeout, "timeout of each request (env SCB_CONTRACT_TIMEOUT)")
	if v := e.getenv("SCB_CONTRACT_STRICT"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			fmt.Fprintf(e.stderr, "scboauth contract: SCB_CONTRACT_STRICT=%q is not a boolean\n", v)
			return exitUsage
		}
		*strict = b
	}
	if v := e.getenv("SCB_CONTRACT_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			fmt.Fprintf(e.stderr, "scboauth contract: SCB_CONTRACT_TIMEOUT=%q is not a duration such as 10s\n", v)
			return exitUsage
		}
		*timeout = d
	}
	if code, ok := parseFlags(e, fs, args); !ok {
		return code
	}
	switch *format {
	case "table", "json", "junit":
	default:
		fmt.Fprintf(e.stderr, "scboauth contract: --format %q: want table, json or junit\n", *format)
		return exitUsage
	}
	if *timeout <= 0 {
		fmt.Fprintf(e.stderr, "scboauth contract: --timeout %s: want a positive duration\n", *timeout)
		return exitUsage
	}

	cfg := contract.Config{BaseURL: *baseURL, Strict: *strict, Timeout: *timeout}
	if cfg.BaseURL == "" {
		stop, err := startEmulator(&cfg)
		if err != nil {
			fmt.Fprintf(e.stderr, "scboauth contract: %v\n", err)
			return exitUsage
		}
		defer stop()
	} else {
		cfg.Application = contract.Credentials{Key: e.getenv("SCB_APPLICATION_KEY"), Secret: e.getenv("SCB_APPLICATION_SECRET")}
		cfg.AuthCode = e.getenv("SCB_AUTH_CODE")
		var missing []string
		for _, kv := range [][2]string{{"SCB_APPLICATION_KEY", cfg.Application.Key}, {"SCB_APPLICATION_SECRET", cfg.Application.Secret}} {
			if kv[1] == "" {
				missing = append(missing, kv[0])
			}
		}
		if len(missing) > 0 {
			fmt.Fprintf(e.stderr, "scboauth contract: checking %s needs the application's credentials: set %s\n", cfg.BaseURL, strings.Join(missing, " and "))
			return exitUsage
		}
		transport, err := clientTransport(e)
		if err != nil {
			fmt.Fprintf(e.stderr, "scboauth contract: %v\n", err)
			return exitUsage
		}
		cfg.Transport = transport
	}

	var table *contract.TableWriter
	var observe func(contract.CaseResult)
	if *format == "table" {
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
		msg := strings.TrimPrefix(err.Error(), "contract: ")
		var ue *contract.UnreachableError
		if errors.As(err, &ue) {
			fmt.Fprintf(e.stderr, "scboauth contract: %s\nscboauth contract: nothing was checked; is --base-url right and the server up?\n", msg)
		} else {
			fmt.Fprintf(e.stderr, "scboauth contract: %s\n", msg)
		}
		return exitUsage
	}
	switch *format {
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
	if !rep.Conforms() {
		return exitFail
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
