package contract

import (
	"encoding/json"
	"encoding/xml"
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

// caseWidth is the width of the CASE column: the longest case ID of the catalogue.
var caseWidth = sync.OnceValue(func() int {
	w := len("CASE")
	for _, c := range Catalogue() {
		w = max(w, len(c.ID))
	}
	return w
})

func (t *TableWriter) printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, args...)
	}
}

// Begin sets the title; it is written with the column headings before the first case, so that
// nothing is written when the target cannot be reached.
func (t *TableWriter) Begin(target, mode string) error {
	t.title = fmt.Sprintf("scboauth contract: %s (%s)", target, mode)
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
	if len(c.Exchanges) > 0 {
		latency = formatLatency(c.Latency)
	}
	verdict := tableVerdict(c)
	t.start()
	t.printf(tableRow, caseWidth(), c.ID, status, code, verdict, latency)
	if c.Verdict == VerdictSkip {
		t.printf("    skipped: %s\n", c.Reason)
	}
	multi := len(c.Exchanges) > 1
	for _, f := range c.Findings {
		where := f.Path
		if multi && f.Exchange != "" {
			where = f.Exchange + " " + f.Path
		}
		t.printf("    %-7s %s: %s (%s)\n", f.Severity, where, f.Message, f.Rule)
	}
	if c.Verdict == VerdictFail {
		t.printf("    expected: %s\n", c.Expect)
	}
	return t.err
}

func tableVerdict(c CaseResult) string {
	switch c.Verdict {
	case VerdictFail:
		return "FAIL"
	case VerdictSkip:
		return "skip"
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

// End writes the summary line.
func (t *TableWriter) End(r *Report) error {
	passed, failed, skipped, warnings := r.Counts()
	verdict := "conforms"
	if failed > 0 {
		verdict = "CONTRACT VIOLATION"
	}
	strict := "off"
	if r.Strict {
		strict = "on"
	}
	t.start()
	t.printf("\n%s: %d cases, %d passed, %d failed, %d skipped, %d warnings (strict %s) in %s\n",
		verdict, len(r.Cases), passed, failed, skipped, warnings, strict, formatLatency(r.Duration))
	return t.err
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

type jsonSummary struct {
	Cases    int `json:"cases"`
	Passed   int `json:"passed"`
	Failed   int `json:"failed"`
	Skipped  int `json:"skipped"`
	Warnings int `json:"warnings"`
}

// WriteJSON writes the report as one JSON document: target, mode, strict, conforms, summary
// counts, duration and every case with its exchanges and findings.
func WriteJSON(w io.Writer, r *Report) error {
	passed, failed, skipped, warnings := r.Counts()
	doc := struct {
		*Report
		Conforms   bool        `json:"conforms"`
		DurationMS float64     `json:"durationMs"`
		Summary    jsonSummary `json:"summary"`
	}{r, failed == 0, ms(r.Duration), jsonSummary{len(r.Cases), passed, failed, skipped, warnings}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",cdata"`
}

// WriteJUnit writes the report as JUnit XML, one testcase per case: violations as failure, skips
// as skipped, warnings in system-out.
func WriteJUnit(w io.Writer, r *Report) error {
	_, failed, skipped, _ := r.Counts()
	secs := func(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }
	suite := junitSuite{
		Name: "scboauth contract " + r.Target, Tests: len(r.Cases), Failures: failed, Skipped: skipped,
		Time: secs(r.Duration), Timestamp: r.Started.UTC().Format(time.RFC3339),
		Properties: []junitProperty{{"target", r.Target}, {"mode", r.Mode}, {"strict", fmt.Sprint(r.Strict)}},
	}
	for _, c := range r.Cases {
		jc := junitCase{Name: c.ID, Classname: "scboauth.contract." + r.Mode, Time: secs(c.Latency)}
		var errs, warns []string
		for _, f := range c.Findings {
			line := fmt.Sprintf("%s %s: %s (%s)", f.Exchange, f.Path, f.Message, f.Rule)
			line = strings.TrimSpace(line)
			if f.Severity == SeverityError {
				errs = append(errs, line)
			} else {
				warns = append(warns, "warning: "+line)
			}
		}
		switch c.Verdict {
		case VerdictFail:
			msg := fmt.Sprintf("%d violation(s)", len(errs))
			if len(errs) > 0 {
				msg += ": " + errs[0]
			}
			jc.Failure = &junitMessage{Message: msg, Type: "contract", Text: strings.Join(errs, "\n") + "\nexpected: " + c.Expect + "\n"}
		case VerdictSkip:
			jc.Skipped = &junitMessage{Message: c.Reason}
		}
		out := []string{c.Title, "expected: " + c.Expect, "source: " + c.Source}
		for _, e := range c.Exchanges {
			out = append(out, fmt.Sprintf("%s %s -> %d %d (%.1fms)", e.Method, e.Path, e.Status, e.Code, e.LatencyMS))
		}
		jc.SystemOut = &junitText{strings.Join(append(out, warns...), "\n")}
		suite.Cases = append(suite.Cases, jc)
	}
	doc := junitSuites{Name: "scboauth contract", Tests: suite.Tests, Failures: suite.Failures, Skipped: suite.Skipped, Time: suite.Time, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
