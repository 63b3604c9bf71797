package contract

import (
	"fmt"
	"time"
)

// Report is the outcome of a run: a CaseResult per case of the catalogue, in order.
type Report struct {
	Target   string        `json:"target"`
	Mode     string        `json:"mode"` // "emulator" or "live"
	Strict   bool          `json:"strict"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"-"`
	// Seed is the seed of the generated cases (Config.Generated), 0 when the run had none.
	Seed uint64 `json:"seed,omitempty"`
	// Stopped says why the run stopped before every case ran, such as "the run's deadline (5m0s)
	// passed"; empty when every case had its turn.
	Stopped string       `json:"stopped,omitempty"`
	Cases   []CaseResult `json:"cases"`
	// Coverage is what of openapi.yaml the run exercised.
	Coverage *Coverage `json:"coverage,omitempty"`
	// CoverageShortfalls are the coverage figures below Config.MinCoverage, such as "statuses
	// coverage 91.3% is below 100%"; a report with any does not conform.
	CoverageShortfalls []string `json:"coverageShortfalls,omitempty"`
}

// Verdict is the outcome of a case.
type Verdict string

// Verdicts of a case.
const (
	VerdictPass   Verdict = "pass"    // no violation (warnings allowed)
	VerdictFail   Verdict = "fail"    // at least one violation
	VerdictSkip   Verdict = "skip"    // not run by design (no authorization code, a live target); Reason says why
	VerdictNotRun Verdict = "not-run" // the run stopped before the case could finish; Reason says why
)

// CaseResult is the outcome of one case of the catalogue.
type CaseResult struct {
	ID           string              `json:"id"`
	Title        string              `json:"title"`
	Expect       string              `json:"expect"`
	Source       string              `json:"source"` // where the expectations come from ([doc], [seen], [decision])
	Verdict      Verdict             `json:"verdict"`
	Reason       string              `json:"reason,omitempty"` // why the case was skipped or not run
	Status       int                 `json:"status,omitempty"` // HTTP status of the case's last interaction
	Code         int                 `json:"code,omitempty"`   // business code of the case's last interaction
	Latency      time.Duration       `json:"-"`
	LatencyMS    float64             `json:"latencyMs"`
	Interactions []InteractionResult `json:"interactions"`
	// Findings of every interaction; Request names the request when the case made several.
	Findings []CaseFinding `json:"findings"`
}

// InteractionResult is what a report says about one interaction: never headers or bodies.
type InteractionResult struct {
	Method    string  `json:"method"`
	Path      string  `json:"path"`
	Operation string  `json:"operation"`
	Status    int     `json:"status"`
	Code      int     `json:"code,omitempty"`
	LatencyMS float64 `json:"latencyMs"`
	// Reproduce, for an interaction with a finding, is a curl command line that sends its
	// request again, secrets and tokens read from environment variables ($SCB_ACCESS_TOKEN...).
	Reproduce string `json:"reproduce,omitempty"`

	rq *request // the request sent, until the report is final
}

// ExchangeResult is the former name of InteractionResult.
//
// Deprecated: use InteractionResult.
type ExchangeResult = InteractionResult

// CaseFinding is a Finding with the request it was found in.
type CaseFinding struct {
	Finding
	Request string `json:"request"` // such as "POST /v1/oauth/token"; empty for the case as a whole
}

// Summary counts a report's cases by verdict, and its warnings.
type Summary struct {
	Cases    int `json:"cases"`
	Passed   int `json:"passed"`
	Failed   int `json:"failed"`
	Skipped  int `json:"skipped"`
	NotRun   int `json:"notRun"`
	Warnings int `json:"warnings"`
}

// Summary counts the cases of r by verdict, and the warnings.
func (r *Report) Summary() Summary {
	s := Summary{Cases: len(r.Cases)}
	for _, c := range r.Cases {
		switch c.Verdict {
		case VerdictPass:
			s.Passed++
		case VerdictFail:
			s.Failed++
		case VerdictSkip:
			s.Skipped++
		case VerdictNotRun:
			s.NotRun++
		}
		for _, f := range c.Findings {
			if f.Severity == SeverityWarning {
				s.Warnings++
			}
		}
	}
	return s
}

// Counts returns how many cases passed, failed and were skipped, and the number of warnings.
//
// Deprecated: use Summary, which also counts the cases not run.
func (r *Report) Counts() (passed, failed, skipped, warnings int) {
	s := r.Summary()
	return s.Passed, s.Failed, s.Skipped, s.Warnings
}

// Conforms reports whether the run shows that the target conforms: no case failed, no case
// was left unrun (a skip, with its reason, is by design and does not count against it), and
// no coverage figure is below its threshold.
func (r *Report) Conforms() bool {
	s := r.Summary()
	return s.Failed == 0 && s.NotRun == 0 && len(r.CoverageShortfalls) == 0
}

// verdictLine is the summary's first word: "conforms", "CONTRACT VIOLATION" or "INCOMPLETE".
func (s Summary) verdictLine() string {
	switch {
	case s.Failed > 0:
		return "CONTRACT VIOLATION"
	case s.NotRun > 0:
		return "INCOMPLETE"
	}
	return "conforms"
}

// counts formats the summary's counts, such as "34 cases, 34 passed, 0 failed, 0 skipped, 0
// warnings"; cases not run are named only when there are some.
func (s Summary) counts() string {
	notRun := ""
	if s.NotRun > 0 {
		notRun = fmt.Sprintf(", %d not run", s.NotRun)
	}
	return fmt.Sprintf("%d cases, %d passed, %d failed, %d skipped%s, %d warnings", s.Cases, s.Passed, s.Failed, s.Skipped, notRun, s.Warnings)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
