package contract

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/scboauth/scboauth/internal/redact"
)

// UnreachableError is returned by Run when the target gives no answer at all to the first
// request: nothing was checked.
type UnreachableError struct {
	URL string // the request's method and URL
	Err error
}

// Error says which request got no answer, and why.
func (e *UnreachableError) Error() string {
	return fmt.Sprintf("contract: target unreachable: %s: %v", e.URL, e.Err)
}

// Unwrap returns the transport's error.
func (e *UnreachableError) Unwrap() error { return e.Err }

// errDeadline is the cause of the run's context when Config.Deadline passes.
var errDeadline = errors.New("contract: the run's deadline passed")

// Run checks cfg.BaseURL with every case of the catalogue, in order, calling observe (when not
// nil) as each case finishes. It returns an error, and no report, when the configuration is
// unusable, ctx ends, or the target does not answer the first request (an *UnreachableError).
// Contract violations are in the report, and so are the cases Config.Deadline left no time for.
func Run(ctx context.Context, cfg Config, observe func(CaseResult)) (*Report, error) {
	r, err := newRunner(cfg)
	if err != nil {
		return nil, err
	}
	rep := &Report{Target: r.secrets.redact(r.target), Mode: r.mode(), Strict: cfg.Strict}
	if cfg.Generated != nil {
		gen := *cfg.Generated
		if gen.Seed == 0 {
			gen.Seed = NewSeed()
		}
		rep.Seed, cfg.Generated = gen.Seed, &gen
	}
	all := cases(r.spec, cfg) // made before the deadline starts: it bounds the sending
	ctx, cancel := context.WithTimeoutCause(ctx, r.deadline, errDeadline)
	defer cancel()
	rep.Started = r.now()
	for _, c := range all {
		res := r.runCase(ctx, c)
		if r.fatal != nil {
			return nil, r.fatal
		}
		rep.Cases = append(rep.Cases, res)
		if observe != nil {
			observe(r.redacted(res))
		}
	}
	rep.Duration = r.now().Sub(rep.Started)
	rep.Stopped = r.stopped
	rep.Coverage, rep.CoverageShortfalls = r.cov.report(r.emulator(), cfg.MinCoverage)
	if cfg.Recorder != nil {
		cfg.Recorder.seal(RunRecord{Format: recordingFormat, Target: namesOf(r.secrets.named.Redact(r.target)), Mode: r.mode(), Seed: rep.Seed,
			Started: rep.Started.UTC(), Spec: r.spec.title()}, r.secrets.named.Redact)
	}
	// The report is redacted once, with every secret the run learnt: a token the target quoted
	// before it issued it leaves no trace either (the rows streamed to observe could not know it).
	for i := range rep.Cases {
		rep.Cases[i] = r.redacted(rep.Cases[i])
		for j := range rep.Cases[i].Interactions {
			rep.Cases[i].Interactions[j].rq = nil // the report is final: its requests held secrets
		}
	}
	return rep, nil
}

// Cases returns the cases Run runs with cfg, in order, without sending anything: the
// catalogue's, then, with cfg.Generated, those generated from cfg.Spec (nil: LoadSpec) with
// its seed. Set the seed (NewSeed) to list the very cases a run will run.
func Cases(cfg Config) ([]Case, error) {
	spec := cfg.Spec
	if spec == nil {
		var err error
		if spec, err = LoadSpec(); err != nil {
			return nil, err
		}
	}
	return cases(spec, cfg), nil
}

func cases(spec *Spec, cfg Config) []Case {
	if cfg.Generated == nil {
		return slices.Clone(catalogue)
	}
	return append(slices.Clone(catalogue), spec.Generate(*cfg.Generated)...)
}

// NewSeed returns a random seed for Generation.Seed: never 0, and below 2^53, so that it
// survives JSON and a shell variable unchanged.
func NewSeed() uint64 { return rand.Uint64()>>11 | 1 }

// runner is one run in progress: the configuration with its defaults, what the run has learnt
// (secrets, tokens), and why it stops.
type runner struct {
	cfg       Config
	spec      *Spec
	transport *Transport // validates each answer; the runner paces itself
	limiter   Limiter
	base      *url.URL
	target    string // base URL without user info, query or fragment
	tolerance time.Duration
	timeout   time.Duration
	deadline  time.Duration
	now       func() time.Time
	apps      [3]Credentials // the emulator's applications by role; zero on a live target
	strict    bool           // the emulator is in strict mode (StrictEmulator)
	secrets   secrets        // every value no report may show
	cov       *coverage      // what of the spec the run exercised

	reached bool   // the target answered at least once
	fatal   error  // stops the run without a report
	stopped string // why the remaining cases are not run

	// state carried from case to case
	refreshToken    string       // of the latest authorization-code or refresh answer
	refreshOwner    string       // the resourceOwnerId header of that answer
	redeemedRefresh string       // a refresh token already redeemed
	payment         paymentState // the payment cases' tokens (payments.go)
}

func newRunner(cfg Config) (*runner, error) {
	base, err := checkBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.Emulator == nil && (cfg.Application.Key == "" || cfg.Application.Secret == "") {
		return nil, errors.New("contract: a live target needs an application key and secret")
	}
	r := &runner{cfg: cfg, spec: cfg.Spec, base: base, limiter: cfg.Limiter, now: cfg.Now,
		tolerance: orDefault(cfg.Tolerance, DefaultTolerance), timeout: orDefault(cfg.Timeout, DefaultTimeout),
		deadline: orDefault(cfg.Deadline, DefaultDeadline)}
	if r.apps, err = emulatorApps(cfg.Emulator); err != nil {
		return nil, err
	}
	if se, ok := cfg.Emulator.(StrictEmulator); ok {
		r.strict = se.Strict()
	}
	if r.spec == nil {
		if r.spec, err = LoadSpec(); err != nil {
			return nil, err
		}
	}
	if r.now == nil {
		r.now = time.Now
	}
	r.cov = newCoverage(r.spec)
	if r.limiter == nil {
		r.limiter = DefaultLimiter(base)
	}
	clean := *base
	clean.User, clean.RawQuery, clean.Fragment = nil, "", ""
	r.target = strings.TrimSuffix(clean.String(), "/")
	r.transport = &Transport{Base: cfg.Transport, Spec: r.spec, BasePath: base.Path, Now: r.now}
	r.secrets.addAs("SCB_APPLICATION_SECRET", cfg.Application.Secret)
	r.secrets.addAs("SCB_AUTH_CODE", cfg.AuthCode)
	r.secrets.name("SCB_APPLICATION_KEY", cfg.Application.Key)
	for _, c := range r.apps {
		r.secrets.addAs("SCB_APPLICATION_SECRET", c.Secret)
		r.secrets.name("SCB_APPLICATION_KEY", c.Key)
	}
	return r, nil
}

func checkBaseURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("contract: no base URL")
	}
	base, err := url.Parse(s)
	if err != nil {
		// Not even why: url.Error quotes the URL, and its reasons quote parts of it (`invalid
		// port ":pass" after host`), password included.
		return nil, errors.New("contract: the base URL does not parse as a URL (not shown: it may hold a password)")
	}
	if (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("contract: base URL %q is not an http(s) URL", redactURL(s))
	}
	return base, nil
}

// emulatorApps asks the emulator for its application of each role.
func emulatorApps(em Emulator) (apps [3]Credentials, err error) {
	if em == nil {
		return apps, nil
	}
	for ro, kind := range []string{KindPlain, KindAuthorizationCode, KindWeb} {
		key, secret, ok := em.Credentials(kind)
		if !ok {
			return apps, fmt.Errorf("contract: the emulator has no application of kind %q", kind)
		}
		apps[ro] = Credentials{Key: key, Secret: secret}
	}
	return apps, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func (r *runner) emulator() bool { return r.cfg.Emulator != nil }

func (r *runner) mode() string {
	if r.emulator() {
		return "emulator"
	}
	return "live"
}

// redactURL drops the user info of a URL, where a password would be. A URL that does not
// parse is not shown at all: net/url's errors quote parts of it.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(a URL that does not parse)"
	}
	u.User = nil
	return u.String()
}

// redacted returns res without any known secret in what a report shows that the target or the
// configuration can put there: the reason (transport errors), and the findings' messages and
// paths (which quote descriptions and field names). The catalogue's and the spec's own words
// (case IDs, titles, operations, methods and paths) are left readable: they hold no secret, and
// a one-letter secret would make them unreadable. res itself is not changed: redacting text
// twice would redact the marker.
func (r *runner) redacted(res CaseResult) CaseResult {
	res.Reason = r.secrets.redact(res.Reason)
	fs := make([]CaseFinding, len(res.Findings))
	for i, f := range res.Findings {
		f.Message, f.Path = r.secrets.redact(f.Message), r.secrets.redact(f.Path)
		fs[i] = f
	}
	res.Findings = fs
	res.Interactions = slices.Clone(res.Interactions)
	for i := range res.Interactions {
		in := &res.Interactions[i]
		if in.rq != nil && hasFindingOf(res, i) {
			in.Reproduce = reproducer(r.target, *in.rq, r.secrets.named.Redact)
		}
	}
	return res
}

// hasFindingOf reports whether a finding of res is about its interaction i: one naming its
// request, or one of the case as a whole when i is the last.
func hasFindingOf(res CaseResult, i int) bool {
	name := res.Interactions[i].Method + " " + res.Interactions[i].Path
	for _, f := range res.Findings {
		if f.Request == name || (f.Request == "" && i == len(res.Interactions)-1) {
			return true
		}
	}
	return false
}

// learnSecrets remembers the tokens and codes of an answer so that no report shows them.
func (r *runner) learnSecrets(v any) {
	obj, _ := v.(map[string]any)
	data, _ := obj["data"].(map[string]any)
	for k, name := range map[string]string{"accessToken": "SCB_ACCESS_TOKEN", "refreshToken": "SCB_REFRESH_TOKEN", "authCode": "SCB_AUTH_CODE", "callbackUrl": "SCB_CALLBACK_URL"} {
		if s, ok := data[k].(string); ok {
			r.secrets.addAs(name, s)
		}
	}
}

// secrets are the values no report may show: the application's secret, the authorization
// code, and every token, code and challenge the run learns. Adding one is cheap; the
// redact.Set that removes them all in one pass is built again only when a report needs it.
type secrets struct {
	known []string
	set   *redact.Set
	built int // len(known) when set was built
	// named has every secret, and the application keys, under the environment variable a
	// reproducer reads it from (variable), for reproducers and recordings.
	named redact.Set
}

// addAs adds secret values, which reproducers and recordings read from the variable name.
func (s *secrets) addAs(name string, values ...string) {
	s.known = append(s.known, values...)
	s.named.AddAs(variable(name), values...)
}

// name adds values that reports may show but reproducers and recordings read from the
// variable name: an application's key.
func (s *secrets) name(name string, values ...string) { s.named.AddAs(variable(name), values...) }

// variable is the marker of the environment variable name in text redacted by secrets.named:
// NUL bytes, which no header can hold and encoding/json always escapes, around the name.
func variable(name string) string { return "\x00" + name + "\x00" }

// redact returns text with every known secret replaced by redact.Marker.
func (s *secrets) redact(text string) string {
	if text == "" {
		return ""
	}
	if s.set == nil || s.built != len(s.known) {
		s.set = &redact.Set{}
		s.set.Add(s.known...)
		s.built = len(s.known)
	}
	return s.set.Redact(text)
}

// stop records why the cases still to come are not run.
func (r *runner) stop(reason string) {
	if r.stopped == "" {
		r.stopped = reason
	}
}

// deadlineReason says that the run's deadline passed.
func (r *runner) deadlineReason() string {
	return fmt.Sprintf("the run's deadline (%s) passed", r.deadline)
}
