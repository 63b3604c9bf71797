package contract

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// TableWriter streams a readable report: a row per case as it finishes (case, HTTP status,
// business code, verdict, latency) with its findings below it, then a summary line.
type TableWriter struct {
	w       io.Writer
	err     error
	title   string
	started bool // the title and headings are written
}

// NewTableWriter returns a TableWriter writing to w.
func NewTableWriter(w io.Writer) *TableWriter { return &TableWriter{w: w} }

const tableRow = "%-*s %4s %5s  %-7s %9s\n"

// caseWidth is the width of the CASE column: the longest case ID of the catalogue and of the
// cases generated from openapi.yaml (their IDs do not depend on the seed), at most
// maxCaseWidth; a longer ID pushes its row to the right.
var caseWidth = sync.OnceValue(func() int {
	w := len("CASE")
	cs, _ := Cases(Config{Generated: &Generation{Seed: 1}})
	for _, c := range append(cs, catalogue...) {
		w = max(w, min(len(c.ID), maxCaseWidth))
	}
	return w
})

const maxCaseWidth = 56

func (t *TableWriter) printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, args...)
	}
}

// Begin sets the title: the target (shown without its user info, where a password would be)
// and the mode. It is written with the column headings before the first case, so that nothing
// is written when the target cannot be reached.
func (t *TableWriter) Begin(target, mode string) error {
	t.title = fmt.Sprintf("scboauth contract: %s (%s)", redactURL(target), mode)
	return t.err
}

func (t *TableWriter) start() {
	if t.started {
		return
	}
	t.started = true
	if t.title != "" {
		t.printf("%s\n\n", t.title)
	}
	t.printf(tableRow, caseWidth(), "CASE", "HTTP", "CODE", "VERDICT", "LATENCY")
}

// Case writes one case and its findings.
func (t *TableWriter) Case(c CaseResult) error {
	status, code, latency := "-", "-", "-"
	if c.Status != 0 {
		status = fmt.Sprint(c.Status)
	}
	if c.Code != 0 {
		code = fmt.Sprint(c.Code)
	}
	if len(c.Interactions) > 0 {
		latency = formatLatency(c.Latency)
	}
	t.start()
	t.printf(tableRow, caseWidth(), c.ID, status, code, tableVerdict(c), latency)
	switch c.Verdict {
	case VerdictSkip:
		t.printf("    skipped: %s\n", c.Reason)
	case VerdictNotRun:
		t.printf("    not run: %s\n", c.Reason)
	}
	multi := len(c.Interactions) > 1
	for _, f := range c.Findings {
		where := f.Path
		if multi && f.Request != "" {
			where = f.Request + " " + f.Path
		}
		t.printf("    %-7s %s: %s (%s)\n", f.Severity, where, f.Message, f.Rule)
	}
	if c.Verdict == VerdictFail {
		t.printf("    expected: %s\n", c.Expect)
		for _, in := range c.Interactions {
			if in.Reproduce != "" {
				t.printf("    reproduce: %s\n", in.Reproduce)
			}
		}
	}
	return t.err
}

func tableVerdict(c CaseResult) string {
	switch c.Verdict {
	case VerdictFail:
		return "FAIL"
	case VerdictSkip:
		return "skip"
	case VerdictNotRun:
		return "not run"
	}
	for _, f := range c.Findings {
		if f.Severity == SeverityWarning {
			return "warn"
		}
	}
	return "ok"
}

func formatLatency(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

// End writes the summary line, and why the run stopped early when it did.
func (t *TableWriter) End(r *Report) error {
	s := r.Summary()
	strict := "off"
	if r.Strict {
		strict = "on"
	}
	t.start()
	verdict := s.verdictLine()
	if verdict == "conforms" && len(r.CoverageShortfalls) > 0 {
		verdict = "COVERAGE BELOW THRESHOLD"
	}
	seed := ""
	if r.Seed != 0 {
		seed = fmt.Sprintf(", seed %d", r.Seed)
	}
	t.printf("\n%s: %s (strict %s%s) in %s\n", verdict, s.counts(), strict, seed, formatLatency(r.Duration))
	if r.Stopped != "" {
		t.printf("stopped: %s; %d cases were not checked\n", r.Stopped, s.NotRun)
	}
	t.coverage(r)
	return t.err
}

// coverage writes the coverage figures, the statuses the emulator cannot produce grouped by
// why, the statuses not reached otherwise, and the figures below their thresholds.
func (t *TableWriter) coverage(r *Report) {
	c := r.Coverage
	if c == nil {
		return
	}
	names := []string{"operations", "statuses", "codes", "request properties", "response properties"}
	parts := make([]string, len(names))
	for i, f := range c.figures() {
		parts[i] = fmt.Sprintf("%s %d/%d (%.1f%%)", names[i], f.Covered, f.Total, f.Percent)
	}
	t.printf("coverage: %s\n", strings.Join(parts, ", "))
	cannot := map[string]bool{}
	var reasons []string
	byReason := map[string][]string{}
	for _, g := range c.NotProducible {
		cannot[g.Item] = true
		if byReason[g.Reason] == nil {
			reasons = append(reasons, g.Reason)
		}
		byReason[g.Reason] = append(byReason[g.Reason], g.Item)
	}
	if len(c.NotProducible) > 0 {
		t.printf("  statuses the emulator cannot produce (%d):\n", len(c.NotProducible))
		for _, why := range reasons {
			t.printf("    %s: %s\n", strings.Join(byReason[why], ", "), why)
		}
	}
	var missed []string
	for _, m := range c.Statuses.Missing {
		if !cannot[m] {
			missed = append(missed, m)
		}
	}
	if len(missed) > 0 {
		t.printf("  statuses not reached: %s\n", strings.Join(missed, ", "))
	}
	for _, sf := range r.CoverageShortfalls {
		t.printf("COVERAGE BELOW THRESHOLD: %s\n", sf)
	}
}

// WriteTable writes the whole report as a table (Begin, Case for each case, End).
func WriteTable(w io.Writer, r *Report) error {
	t := NewTableWriter(w)
	t.Begin(r.Target, r.Mode)
	for _, c := range r.Cases {
		t.Case(c)
	}
	return t.End(r)
}
