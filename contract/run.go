package contract

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Credentials are an SCB application's key and secret. The secret never appears when the value
// is printed or logged.
type Credentials struct {
	Key    string
	Secret string
}

// String returns the key with the secret redacted.
func (c Credentials) String() string { return fmt.Sprintf("{Key:%s Secret:[redacted]}", c.Key) }

// GoString returns the key with the secret redacted.
func (c Credentials) GoString() string {
	return fmt.Sprintf("contract.Credentials{Key:%q, Secret:\"[redacted]\"}", c.Key)
}

// Format prints String for every verb, so that %v, %+v, %#v and %s never show the secret.
func (c Credentials) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, c.GoString())
		return
	}
	io.WriteString(f, c.String())
}

// LogValue keeps the secret out of slog output.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("key", c.Key), slog.String("secret", "[redacted]"))
}

// MarshalJSON keeps the secret out of JSON.
func (c Credentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"key": c.Key, "secret": "[redacted]"})
}

// Emulator is a target known to be the scboauth emulator. With it, Run uses the emulator's own
// applications, one per kind, mints authorization codes itself, and holds the target to the
// emulator's exact answers, which are openapi.yaml's decisions where SCB's documentation is
// silent. A *sandbox.Server satisfies it, so the contract engine needs no import of the emulator.
type Emulator interface {
	// Credentials returns the key and secret of an application of kind "plain" (client
	// credentials only), "authorization-code" or "web" (the code grant with state and
	// codeChallenge); ok is false when the emulator has none.
	Credentials(kind string) (key, secret string, ok bool)
	// GrantConsent completes the user's consent for the callbackUrl an authorize call returned
	// and returns the authorization code, bound to state and codeChallenge.
	GrantConsent(ctx context.Context, callbackURL, state, codeChallenge string) (authCode string, err error)
}

// The application kinds an Emulator is asked for.
const (
	KindPlain             = "plain"
	KindAuthorizationCode = "authorization-code"
	KindWeb               = "web"
)

// Config is what Run checks and how.
type Config struct {
	// BaseURL is the target, such as https://api-sandbox.partners.scb/partners/sandbox or the
	// emulator's http://127.0.0.1:PORT. Required.
	BaseURL string
	// Application is the application checked on a live target. Required unless Emulator is set.
	Application Credentials
	// AuthCode is an authorization code for Application on a live target (valid one minute,
	// single use). Empty: the authorization-code cases are skipped with the reason.
	AuthCode string
	// Emulator, when set, says the target is the scboauth emulator (such as a *sandbox.Server).
	Emulator Emulator
	// Transport sends the requests; nil means http.DefaultTransport. Every response is validated
	// on its way through a Transport wrapped around it.
	Transport http.RoundTripper
	// Timeout bounds each request; 0 means 10 seconds.
	Timeout time.Duration
	// Strict turns drift (fields the spec does not declare) from warnings into violations.
	Strict bool
	// Tolerance bounds |expiresAt - (issue time + expiresIn)|; 0 means DefaultTolerance.
	Tolerance time.Duration
	// Limiter paces requests; nil means DefaultLimiter(BaseURL): none on loopback, SCBRate
	// otherwise.
	Limiter Limiter
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Spec is the contract; nil means LoadSpec().
	Spec *Spec
}

// DefaultTimeout bounds each request when Config.Timeout is 0.
const DefaultTimeout = 10 * time.Second

// DefaultTolerance bounds the expiry check when Config.Tolerance is 0: the Date header has a
// one-second resolution and the server stamps it a moment after issuing the token.
const DefaultTolerance = 5 * time.Second

// UnreachableError is returned by Run when the target gives no answer at all to the first
// request: nothing was checked.
type UnreachableError struct {
	URL string // the request's URL
	Err error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("contract: target unreachable: %s: %v", e.URL, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Verdict is the outcome of a case.
type Verdict string

// Verdicts of a case.
const (
	VerdictPass Verdict = "pass" // no violation (warnings allowed)
	VerdictFail Verdict = "fail" // at least one violation
	VerdictSkip Verdict = "skip" // not run; Reason says why
)

// ExchangeResult is what a report says about one exchange: never headers or bodies.
type ExchangeResult struct {
	Method    string  `json:"method"`
	Path      string  `json:"path"`
	Operation string  `json:"operation"`
	Status    int     `json:"status"`
	Code      int     `json:"code,omitempty"`
	LatencyMS float64 `json:"latencyMs"`
}

// CaseResult is the outcome of one case of the catalogue.
type CaseResult struct {
	ID        string           `json:"id"`
	Title     string           `json:"title"`
	Expect    string           `json:"expect"`
	Source    string           `json:"source"` // where the expectations come from ([doc], [seen], [decision])
	Verdict   Verdict          `json:"verdict"`
	Reason    string           `json:"reason,omitempty"` // why the case was skipped
	Status    int              `json:"status,omitempty"` // HTTP status of the case's last exchange
	Code      int              `json:"code,omitempty"`   // business code of the case's last exchange
	Latency   time.Duration    `json:"-"`
	LatencyMS float64          `json:"latencyMs"`
	Exchanges []ExchangeResult `json:"exchanges"`
	// Findings of every exchange; Exchange names the request when the case made several.
	Findings []CaseFinding `json:"findings"`
}

// CaseFinding is a Finding with the request it was found in.
type CaseFinding struct {
	Finding
	Exchange string `json:"exchange"` // such as "POST /v1/oauth/token"
}

// Report is the outcome of a run.
type Report struct {
	Target   string        `json:"target"`
	Mode     string        `json:"mode"` // "emulator" or "live"
	Strict   bool          `json:"strict"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"-"`
	Cases    []CaseResult  `json:"cases"`
}

// Counts returns how many cases passed, failed and were skipped, and the number of warnings.
func (r *Report) Counts() (passed, failed, skipped, warnings int) {
	for _, c := range r.Cases {
		switch c.Verdict {
		case VerdictPass:
			passed++
		case VerdictFail:
			failed++
		case VerdictSkip:
			skipped++
		}
		for _, f := range c.Findings {
			if f.Severity == SeverityWarning {
				warnings++
			}
		}
	}
	return
}

// Conforms reports whether no case failed.
func (r *Report) Conforms() bool {
	_, failed, _, _ := r.Counts()
	return failed == 0
}

// Run checks cfg.BaseURL with every case of the catalogue, in order, calling observe (when not
// nil) as each case finishes. It returns an error, and no report, when the configuration is
// unusable or the target does not answer the first request (an *UnreachableError); contract
// violations are in the report.
func Run(ctx context.Context, cfg Config, observe func(CaseResult)) (*Report, error) {
	r, err := newRunner(cfg)
	if err != nil {
		return nil, err
	}
	rep := &Report{Target: r.target, Mode: r.mode(), Strict: cfg.Strict, Started: r.now()}
	for _, c := range Catalogue() {
		res := r.runCase(ctx, c)
		if r.fatal != nil {
			return nil, r.fatal
		}
		rep.Cases = append(rep.Cases, res)
		if observe != nil {
			observe(res)
		}
	}
	rep.Duration = r.now().Sub(rep.Started)
	return rep, nil
}

type runner struct {
	cfg       Config
	spec      *Spec
	client    *http.Client
	base      *url.URL
	target    string // base URL without user info, query or fragment
	tolerance time.Duration
	timeout   time.Duration
	now       func() time.Time
	reached   bool  // the target answered at least once
	fatal     error // stops the run
	secrets   []string
	emulated  [3]Credentials // the emulator's applications by role; zero on a live target

	// state carried from case to case
	refreshToken    string // of the latest authorization-code or refresh answer
	redeemedRefresh string // a refresh token already redeemed
}

func newRunner(cfg Config) (*runner, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("contract: no base URL")
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("contract: base URL %q is not an http(s) URL", redactURL(cfg.BaseURL))
	}
	if cfg.Emulator == nil && (cfg.Application.Key == "" || cfg.Application.Secret == "") {
		return nil, errors.New("contract: a live target needs an application key and secret")
	}
	var emulated [3]Credentials // by role
	if cfg.Emulator != nil {
		for ro, kind := range []string{KindPlain, KindAuthorizationCode, KindWeb} {
			key, secret, ok := cfg.Emulator.Credentials(kind)
			if !ok {
				return nil, fmt.Errorf("contract: the emulator has no application of kind %q", kind)
			}
			emulated[ro] = Credentials{Key: key, Secret: secret}
		}
	}
	spec := cfg.Spec
	if spec == nil {
		if spec, err = LoadSpec(); err != nil {
			return nil, err
		}
	}
	r := &runner{cfg: cfg, spec: spec, base: base, now: cfg.Now, tolerance: cfg.Tolerance, timeout: cfg.Timeout, emulated: emulated}
	if r.now == nil {
		r.now = time.Now
	}
	if r.tolerance <= 0 {
		r.tolerance = DefaultTolerance
	}
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	clean := *base
	clean.User, clean.RawQuery, clean.Fragment = nil, "", ""
	r.target = strings.TrimSuffix(clean.String(), "/")
	limiter := cfg.Limiter
	if limiter == nil {
		limiter = DefaultLimiter(base)
	}
	r.client = &http.Client{
		Transport: &Transport{Base: cfg.Transport, Spec: spec, BasePath: base.Path, Limiter: limiter, Now: r.now},
		// A redirect is an answer to check, not to follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	r.addSecret(cfg.Application.Secret)
	r.addSecret(cfg.AuthCode)
	for _, c := range emulated {
		r.addSecret(c.Secret)
	}
	return r, nil
}

func (r *runner) emulator() bool { return r.cfg.Emulator != nil }

func (r *runner) mode() string {
	if r.emulator() {
		return "emulator"
	}
	return "live"
}

// addSecret remembers a value that must never appear in a report.
func (r *runner) addSecret(s string) {
	if len(s) >= 4 {
		r.secrets = append(r.secrets, s)
	}
}

// redact replaces every known secret in s.
func (r *runner) redact(s string) string {
	for _, sec := range r.secrets {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = nil
	return u.String()
}

// caseRun is one case in progress.
type caseRun struct {
	r   *runner
	ctx context.Context
	res *CaseResult
	// latency sums the latencies of the case's exchanges.
	latency time.Duration
}

func (r *runner) runCase(ctx context.Context, c Case) CaseResult {
	res := CaseResult{ID: c.ID, Title: c.Title, Expect: c.Expect(r.emulator()), Source: c.Source, Exchanges: []ExchangeResult{}, Findings: []CaseFinding{}}
	cr := &caseRun{r: r, ctx: ctx, res: &res}
	if c.emulatorOnly && !r.emulator() {
		res.Verdict, res.Reason = VerdictSkip, "needs the scboauth emulator (its demo applications and consent); not run against a live target"
		return res
	}
	if c.needs != nil {
		if reason := c.needs(r); reason != "" {
			res.Verdict, res.Reason = VerdictSkip, reason
			return res
		}
	}
	c.run(cr, c)
	if r.fatal != nil {
		return res
	}
	if res.Verdict != VerdictSkip {
		res.Verdict = VerdictPass
		for i := range res.Findings {
			f := &res.Findings[i].Finding
			if f.Severity == SeverityWarning && r.cfg.Strict {
				f.Severity = SeverityError
			}
			if f.Severity == SeverityError {
				res.Verdict = VerdictFail
			}
		}
	}
	res.Latency = cr.latency
	res.LatencyMS = float64(res.Latency.Microseconds()) / 1000
	// Secrets learnt during the case (tokens, codes) are redacted from everything it reports.
	res.Reason = r.redact(res.Reason)
	for i := range res.Findings {
		res.Findings[i].Message = r.redact(res.Findings[i].Message)
		res.Findings[i].Path = r.redact(res.Findings[i].Path)
	}
	return res
}

// add records findings of the exchange ex (nil for case-level findings).
func (c *caseRun) add(ex *Exchange, fs ...Finding) {
	name := ""
	if ex != nil {
		name = ex.Method + " " + ex.Path
	}
	for _, f := range fs {
		c.res.Findings = append(c.res.Findings, CaseFinding{Finding: f, Exchange: name})
	}
}

// requestCheck says what the catalogue's own request must do against the spec.
type requestCheck int

const (
	requestConforms requestCheck = iota // a positive (or semantically negative) case: the request must conform
	requestBreaks                       // a malformed request: the spec must reject it
)

// request is one request of a case.
type request struct {
	method, path string
	header       http.Header
	body         []byte
	check        requestCheck
	grant        grant // for a 200 answer: which grant's token checks apply
}

// tokenHeaders are the headers of a token or refresh call, with a fresh requestUId.
func tokenHeaders(key string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("resourceOwnerId", key)
	h.Set("requestUId", uuid.NewString())
	return h
}

// jsonBody marshals fields in a stable order.
func jsonBody(fields map[string]any) []byte {
	b, err := json.Marshal(fields)
	if err != nil {
		panic(err) // only literal maps of strings and numbers are passed
	}
	return b
}

// send checks the request against the spec as rq.check says, sends it through the validating
// transport, and records the exchange and its findings. It returns nil when no response came.
func (c *caseRun) send(rq request) *Exchange {
	r := c.r
	if r.fatal != nil {
		return nil
	}
	reqFindings := r.spec.ValidateRequest(rq.method, rq.path, rq.header, rq.body)
	label := &Exchange{Method: rq.method, Path: rq.path}
	switch rq.check {
	case requestConforms:
		for i := range reqFindings {
			reqFindings[i].Message = "the catalogue's request breaks the spec: " + reqFindings[i].Message
		}
		c.add(label, reqFindings...)
	case requestBreaks:
		if len(reqFindings) == 0 {
			c.add(label, errorf(RuleRequest, pathBody, "the catalogue's request was meant to break the spec but conforms"))
		}
	}

	ctx, cancel := context.WithTimeout(c.ctx, r.timeout)
	defer cancel()
	var ex *Exchange
	ctx = withExchange(ctx, &ex)
	u := *r.base
	u.Path = strings.TrimSuffix(r.base.Path, "/") + rq.path
	u.RawPath = ""
	req, err := http.NewRequestWithContext(ctx, rq.method, u.String(), bytes.NewReader(rq.body))
	if err != nil {
		c.add(label, errorf(RuleTransport, pathStatus, "cannot build the request: %v", err))
		return nil
	}
	if rq.body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	req.Header = rq.header
	resp, err := r.client.Do(req)
	if err != nil {
		if ex == nil {
			ex = label
		}
		if c.ctx.Err() != nil {
			r.fatal = fmt.Errorf("contract: run stopped: %w", c.ctx.Err())
			return nil
		}
		if !r.reached {
			r.fatal = &UnreachableError{URL: rq.method + " " + redactURL(u.String()), Err: unwrapURLError(err)}
			return nil
		}
		msg := fmt.Sprintf("no answer: %v", unwrapURLError(err))
		if errors.Is(err, context.DeadlineExceeded) {
			msg = fmt.Sprintf("no answer within %s", r.timeout)
		}
		c.add(ex, errorf(RuleTransport, pathStatus, "%s", msg))
		c.latency += ex.latency
		c.res.Exchanges = append(c.res.Exchanges, ExchangeResult{Method: ex.Method, Path: ex.Path, Operation: ex.Operation, LatencyMS: ms(ex.latency)})
		return nil
	}
	resp.Body.Close() // the transport has read it already
	r.reached = true
	r.learnSecrets(ex.value)

	fs := append([]Finding(nil), ex.Findings...)
	fs = append(fs, generalChecks(ex)...)
	if ex.Status == http.StatusOK && rq.grant != grantNone {
		fs = append(fs, tokenChecks(ex, rq.grant, r.tolerance)...)
		// [decision] the emulator echoes the request's resourceOwnerId; SCB only documents that
		// the header is there.
		sent, got := rq.header.Get("resourceOwnerId"), ex.Header.Get("resourceOwnerId")
		if r.emulator() && got != "" && got != sent {
			fs = append(fs, errorf(RuleExpect, headerPath("resourceOwnerId"), "got %q, want the request's resourceOwnerId %q", got, sent))
		}
	}
	c.add(ex, fs...)
	code, _, _ := envelope(ex.value)
	c.latency += ex.latency
	c.res.Exchanges = append(c.res.Exchanges, ExchangeResult{Method: ex.Method, Path: ex.Path, Operation: ex.Operation, Status: ex.Status, Code: code, LatencyMS: ms(ex.latency)})
	c.res.Status, c.res.Code = ex.Status, code
	return ex
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// learnSecrets remembers the tokens and codes of an answer so that no report shows them.
func (r *runner) learnSecrets(v any) {
	obj, _ := v.(map[string]any)
	data, _ := obj["data"].(map[string]any)
	for _, k := range []string{"accessToken", "refreshToken", "authCode", "callbackUrl"} {
		if s, ok := data[k].(string); ok {
			r.addSecret(s)
		}
	}
}

// outcome is an expected answer: an HTTP status and a business code (0: any code SCB's table
// allows with the status), and for the emulator a phrase its description must contain.
type outcome struct {
	status, code int
	desc         string
}

func (o outcome) String() string {
	if o.code == 0 {
		return fmt.Sprintf("%d (any code of SCB's table)", o.status)
	}
	return fmt.Sprintf("%d %d", o.status, o.code)
}

// anyClientError stands for any 4xx answer whose status and code form a row of SCB's table.
var anyClientError = outcome{status: -4}

// expect records a finding unless ex's answer is one of want.
func (c *caseRun) expect(ex *Exchange, want ...outcome) {
	if ex == nil || len(want) == 0 {
		return
	}
	code, hasCode, desc := envelope(ex.value)
	for _, w := range want {
		if w == anyClientError {
			if ex.Status >= 400 && ex.Status < 500 && hasCode && tableAllows(ex.Status, code) {
				return
			}
			continue
		}
		if ex.Status != w.status {
			continue
		}
		if w.code != 0 && (!hasCode || code != w.code) {
			continue
		}
		if w.code == 0 && (!hasCode || !tableAllows(ex.Status, code)) {
			continue
		}
		if w.desc != "" && !strings.Contains(desc, w.desc) {
			c.add(ex, errorf(RuleExpect, "$.status.description", "description %q does not say %q", desc, w.desc))
		}
		return
	}
	var ws []string
	for _, w := range want {
		if w == anyClientError {
			ws = append(ws, "a 4xx answer whose code SCB's table allows")
		} else {
			ws = append(ws, w.String())
		}
	}
	got := fmt.Sprintf("HTTP %d", ex.Status)
	if hasCode {
		got += fmt.Sprintf(" code %d", code)
	} else {
		got += " without a business code"
	}
	path := pathStatus
	for _, w := range want {
		if w.status == ex.Status {
			path = "$.status.code"
		}
	}
	c.add(ex, errorf(RuleExpect, path, "got %s, want %s", got, strings.Join(ws, " or ")))
}

// randomString returns n random bytes, base64url encoded.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
