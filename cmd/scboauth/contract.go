package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scboauth/scboauth/contract"
	"github.com/scboauth/scboauth/sandbox"
)

var contractHelp = help{
	synopsis: "[flags]",
	description: `Check that a server's answers match openapi.yaml: run the contract catalogue (grants that
must succeed, requests that must fail), then the cases generated from openapi.yaml (each
field and parameter present, absent, at its bounds and broken in one way, each enum value
and oneOf alternative, the emulator's faults, and the sequences its links describe), and
validate every response from the raw bytes on the wire. The report says what of the spec the
run covered, and gives each finding a curl command that sends its request again (secrets read
from $SCB_APPLICATION_SECRET-style variables). Generation is repeatable: each run prints its
--seed. --list prints the cases without sending anything; --record DIR saves every
interaction (secrets redacted) and --replay DIR checks a recording against openapi.yaml
offline. When stderr is a terminal, a progress line shows there.

With no --base-url, an emulator is started in process and checked, and the credentials are
not used. A --base-url that is a scboauth emulator with its admin API on (scboauth sandbox
--admin, or --admin-url for its --admin-addr) is recognised by GET /sandbox/v1/health and driven
fully, as the embedded one is: the run registers its own applications there (removed at the
end) and needs no credentials. Otherwise, with --base-url (for SCB's sandbox: https://api-sandbox.partners.scb/partners/sandbox)
the application's key and secret are required; an authorization code (valid one minute, single
use) adds the authorization-code and refresh cases, the biller id and QR CS merchant add the
payment cases, and a client certificate is presented when given. Requests to a non-loopback
target are paced at 4 per second. Each request waits at most --timeout, and the whole run at
most --deadline: the cases it leaves no time for are reported as not run.`,
	exit: [3]string{
		"the target (or the recording) conforms",
		"contract violation, or coverage below --min-coverage",
		"bad flags or variables, target unreachable, cases not run because the deadline passed, or a recording that cannot be read or written",
	},
}

// contractFlags are the contract command's settings.
type contractFlags struct {
	credentials
	baseURL, format   string
	adminURL, token   string
	strict            bool
	timeout, deadline time.Duration
	seed, maxCases    int64
	catalogueOnly     bool
	minCoverage       []coverageMin
	record, replay    string
	specFile          string
	list              bool
	payments          contract.Payments
}

// runContract runs the contract check, or lists or replays it, and reports in the chosen
// format.
func runContract(ctx context.Context, e *env, args []string) int {
	f, c := newFlags(e, "contract", contractHelp), &contractFlags{}
	c.bind(f)
	if code, ok := f.Parse(args); !ok {
		return code
	}
	spec, err := c.loadSpec()
	if err != nil {
		return f.fail(err)
	}
	if c.replay != "" {
		rep, err := contract.Replay(contract.ReplayConfig{Dir: c.replay, Spec: spec, Strict: c.strict, MinCoverage: c.minimums()})
		if err != nil {
			f.errorf("%s", strings.TrimPrefix(err.Error(), "contract: "))
			return exitUsage
		}
		return verdict(f, rep, writeReport(f, rep, c.format, nil))
	}
	cfg := contract.Config{BaseURL: c.baseURL, Strict: c.strict, Timeout: c.timeout, Deadline: c.deadline, Spec: spec,
		MinCoverage: c.minimums(), Payments: c.payments}
	if !c.catalogueOnly {
		cfg.Generated = &contract.Generation{Seed: uint64(c.seed), MaxCases: int(c.maxCases)}
		if cfg.Generated.Seed == 0 {
			cfg.Generated.Seed = contract.NewSeed()
		}
	}
	if c.list {
		return listCases(f, cfg, c.format)
	}
	stop, err := c.target(ctx, f, &cfg)
	if err != nil {
		return f.fail(err)
	}
	defer stop()
	if c.record != "" {
		cfg.Recorder = contract.NewRecorder()
	}
	code := checkAndReport(ctx, f, cfg, c.format)
	if cfg.Recorder != nil && cfg.Recorder.Len() > 0 {
		if err := cfg.Recorder.Save(c.record); err != nil {
			f.errorf("%s", strings.TrimPrefix(err.Error(), "contract: "))
			return exitUsage
		}
	}
	return code
}

// bind defines the contract command's flags.
func (c *contractFlags) bind(f *flags) {
	f.URL(&c.baseURL, "base-url", "SCB_BASE_URL", "", "base URL of the target; empty checks the embedded emulator")
	bindApplication(f, &c.credentials, "authorization code of the application, for the authorization-code and refresh cases of a live target")
	bindClientCertificate(f, &c.credentials)
	c.bindPayments(f)
	f.URL(&c.adminURL, "admin-url", "SCB_SANDBOX_ADMIN_URL", "", "base URL of the scboauth emulator's admin API, when it has an address of its own (--admin-addr); empty: --base-url")
	f.Secret(&c.token, "admin-token", "SCB_SANDBOX_ADMIN_TOKEN", "the admin token of the scboauth emulator checked, when it was started with one")
	f.Enum(&c.format, "format", "SCB_CONTRACT_FORMAT", "table", "report format", "table", "json", "junit")
	f.Bool(&c.strict, "strict", "SCB_CONTRACT_STRICT", "report warnings (fields the spec does not declare, requests a live target accepts that the spec refuses) as violations")
	f.Duration(&c.timeout, "timeout", "SCB_CONTRACT_TIMEOUT", contract.DefaultTimeout, time.Millisecond, 24*time.Hour, "timeout of each request")
	f.Duration(&c.deadline, "deadline", "SCB_CONTRACT_DEADLINE", contract.DefaultDeadline, time.Millisecond, 24*time.Hour, "deadline of the whole run; cases it leaves no time for are reported as not run")
	f.Int(&c.seed, "seed", "SCB_CONTRACT_SEED", 0, 0, 1<<53, "seed of the generated cases; the report shows each run's, and the same seed generates the same cases again; 0 picks one")
	f.Int(&c.maxCases, "max-cases", "SCB_CONTRACT_MAX_CASES", 0, 0, 1_000_000, "at most this many generated cases, a sample chosen with the seed (the catalogue always runs); 0: all")
	f.Bool(&c.catalogueOnly, "catalogue-only", "SCB_CONTRACT_CATALOGUE_ONLY", "run the catalogue only, without the cases generated from openapi.yaml")
	list(f, &c.minCoverage, "min-coverage", "SCB_CONTRACT_MIN_COVERAGE", "[KIND=]PERCENT", "fail the run when a coverage figure is below PERCENT: KIND is one of "+
		strings.Join(contract.CoverageKinds, ", ")+"; without KIND, every one", parseCoverageMin)
	f.String(&c.record, "record", "SCB_CONTRACT_RECORD", "", "directory to save every interaction of the run in (a go-vcr cassette and run.json; secrets and tokens redacted)")
	f.String(&c.replay, "replay", "SCB_CONTRACT_REPLAY", "", "directory of a recording (--record) to check against openapi.yaml offline, instead of a run")
	f.String(&c.specFile, "spec", "SCB_CONTRACT_SPEC", "", "openapi.yaml to check against, such as a changed copy; empty: the one built in")
	f.Bool(&c.list, "list", "SCB_CONTRACT_LIST", "print the catalogue and the generated cases (with --format json: as JSON) without sending anything")
}

// bindPayments binds the live application's biller and QR CS merchant, for the payment cases.
func (c *contractFlags) bindPayments(f *flags) {
	f.String(&c.payments.BillerID, "biller-id", "SCB_BILLER_ID", "", "PromptPay biller id of the live application (15 digits), for the QR 30 and deeplink cases").
		Check(matches(&c.payments.BillerID, `^[0-9]{15}$`, "not 15 digits"))
	f.String(&c.payments.MerchantID, "merchant-id", "SCB_MERCHANT_ID", "", "QR CS merchant id of the live application, for the QR CS cases").
		Check(matches(&c.payments.MerchantID, `^.{1,64}$`, "longer than 64 characters"))
	f.String(&c.payments.TerminalID, "terminal-id", "SCB_TERMINAL_ID", "", "QR CS terminal id of the live application, for the QR CS cases").
		Check(matches(&c.payments.TerminalID, `^.{1,64}$`, "longer than 64 characters"))
}

// matches returns a check that *p is empty or matches expr, else fails saying reason.
func matches(p *string, expr, reason string) func() error {
	re := regexp.MustCompile(expr)
	return func() error {
		if *p != "" && !re.MatchString(*p) {
			return errors.New(reason)
		}
		return nil
	}
}

// coverageMin is one --min-coverage: a kind ("" for every one) and a percentage.
type coverageMin struct {
	kind    string
	percent float64
}

func parseCoverageMin(s string) (coverageMin, error) {
	kind, num, ok := strings.Cut(s, "=")
	if !ok {
		kind, num = "", s
	}
	p, err := strconv.ParseFloat(num, 64)
	switch {
	case kind != "" && !slices.Contains(contract.CoverageKinds, kind):
		return coverageMin{}, fmt.Errorf("not one of %s", strings.Join(contract.CoverageKinds, ", "))
	case err != nil || !(p >= 0 && p <= 100):
		return coverageMin{}, errors.New("not a percentage from 0 to 100")
	}
	return coverageMin{kind, p}, nil
}

// minimums returns the thresholds by kind; a later flag wins.
func (c *contractFlags) minimums() map[string]float64 {
	if len(c.minCoverage) == 0 {
		return nil
	}
	m := map[string]float64{}
	for _, mc := range c.minCoverage {
		for _, kind := range contract.CoverageKinds {
			if mc.kind == "" || mc.kind == kind {
				m[kind] = mc.percent
			}
		}
	}
	return m
}

// loadSpec returns --spec compiled, or the built-in openapi.yaml.
func (c *contractFlags) loadSpec() (*contract.Spec, error) {
	if c.specFile == "" {
		return contract.LoadSpec()
	}
	data, err := os.ReadFile(c.specFile)
	if err != nil {
		return nil, fmt.Errorf("--spec: %w", err)
	}
	spec, err := contract.ParseSpec(data)
	if err != nil {
		return nil, fmt.Errorf("--spec %s: %s", quote(c.specFile), strings.TrimPrefix(err.Error(), "contract: "))
	}
	return spec, nil
}

// listCases prints the cases a run would run, without sending anything.
func listCases(f *flags, cfg contract.Config, format string) int {
	cases, err := contract.Cases(cfg)
	if err != nil {
		return f.fail(err)
	}
	live := cfg.BaseURL != ""
	if format == "json" {
		type item struct {
			ID     string `json:"id"`
			Kind   string `json:"kind"`
			Title  string `json:"title"`
			Expect string `json:"expect"`
			Source string `json:"source"`
		}
		doc := struct {
			Seed  uint64 `json:"seed,omitempty"`
			Cases []item `json:"cases"`
		}{Cases: []item{}}
		if cfg.Generated != nil {
			doc.Seed = cfg.Generated.Seed
		}
		for _, c := range cases {
			doc.Cases = append(doc.Cases, item{c.ID, caseKind(c), c.Title, c.Expect(!live), c.Source})
		}
		enc := json.NewEncoder(f.e.stdout)
		enc.SetIndent("", "  ")
		return writeErr(f, enc.Encode(doc))
	}
	w := 0
	for _, c := range cases {
		w = max(w, len(c.ID))
	}
	for _, c := range cases {
		fmt.Fprintf(f.e.stdout, "%-*s %-9s %s; expect %s\n", w, c.ID, caseKind(c), c.Title, c.Expect(!live))
	}
	if cfg.Generated != nil {
		fmt.Fprintf(f.e.stdout, "\n%d cases (seed %d)\n", len(cases), cfg.Generated.Seed)
	}
	return exitOK
}

// caseKind is "catalogue", or the kind of a generated case.
func caseKind(c contract.Case) string {
	if kind, ok := c.Generated(); ok {
		return kind
	}
	return "catalogue"
}

func writeErr(f *flags, err error) int {
	if err != nil {
		f.errorf("write: %v", err)
		return exitUsage
	}
	return exitOK
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
	var observers []func(contract.CaseResult)
	if format == "table" {
		table = contract.NewTableWriter(e.stdout)
		mode := "live"
		if _, ok := cfg.Emulator.(*contract.HTTPEmulator); ok {
			mode = "scboauth emulator, driven by its admin API"
		} else if cfg.Emulator != nil {
			mode = "embedded emulator"
		}
		table.Begin(strings.TrimSuffix(cfg.BaseURL, "/"), mode)
		observers = append(observers, func(c contract.CaseResult) { table.Case(c) })
	}
	progress := newProgress(e, cfg)
	if progress != nil {
		defer progress.Clear()
		observers = append([]func(contract.CaseResult){func(contract.CaseResult) { progress.Clear() }}, append(observers, progress.Case)...)
	}
	rep, err := contract.Run(ctx, cfg, func(c contract.CaseResult) {
		for _, o := range observers {
			o(c)
		}
	})
	if progress != nil {
		progress.Clear()
	}
	if err != nil {
		f.errorf("%s", strings.TrimPrefix(err.Error(), "contract: "))
		var ue *contract.UnreachableError
		if errors.As(err, &ue) {
			f.errorf("nothing was checked; is %s right and the server up?", f.Label("base-url"))
		}
		return exitUsage
	}
	return verdict(f, rep, writeReport(f, rep, format, table))
}

// newProgress returns the progress line of the run, on stderr when it is a terminal; nil
// otherwise, so that nothing but errors reaches a stderr that is a file or a pipe.
func newProgress(e *env, cfg contract.Config) *contract.Progress {
	if e.isTerminal == nil || !e.isTerminal(e.stderr) {
		return nil
	}
	cases, err := contract.Cases(cfg)
	if err != nil {
		return nil
	}
	return contract.NewProgress(e.stderr, len(cases), time.Now)
}

// writeReport writes rep in format: the table's end (its rows were streamed), JSON or JUnit.
func writeReport(f *flags, rep *contract.Report, format string, table *contract.TableWriter) error {
	switch format {
	case "table":
		if table == nil {
			return contract.WriteTable(f.e.stdout, rep)
		}
		return table.End(rep)
	case "json":
		return contract.WriteJSON(f.e.stdout, rep)
	}
	return contract.WriteJUnit(f.e.stdout, rep)
}

// verdict returns the exit status of a report written with err.
func verdict(f *flags, rep *contract.Report, err error) int {
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
	case len(rep.CoverageShortfalls) > 0:
		f.errorf("%s (%s)", strings.Join(rep.CoverageShortfalls, "; "), f.Label("min-coverage"))
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
