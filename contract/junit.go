package contract

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// junitCounts are the attributes a testsuites and a testsuite element share.
type junitCounts struct {
	Name     string `xml:"name,attr"`
	Tests    int    `xml:"tests,attr"`
	Failures int    `xml:"failures,attr"`
	Errors   int    `xml:"errors,attr"`
	Skipped  int    `xml:"skipped,attr"`
	Time     string `xml:"time,attr"`
}

type junitSuites struct {
	XMLName xml.Name `xml:"testsuites"`
	junitCounts
	Suites []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	junitCounts
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
	Error     *junitMessage `xml:"error,omitempty"`
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

func junitSeconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteJUnit writes the report as JUnit XML, one testcase per case: violations as failure, cases
// not run (the run's deadline) as error, skips as skipped, warnings in system-out.
func WriteJUnit(w io.Writer, r *Report) error {
	s := r.Summary()
	counts := junitCounts{Name: "scboauth contract", Tests: s.Cases, Failures: s.Failed, Errors: s.NotRun, Skipped: s.Skipped, Time: junitSeconds(r.Duration)}
	suite := junitSuite{junitCounts: counts, Timestamp: r.Started.UTC().Format(time.RFC3339),
		Properties: []junitProperty{{"target", r.Target}, {"mode", r.Mode}, {"strict", fmt.Sprint(r.Strict)}}}
	suite.Name += " " + r.Target
	if r.Stopped != "" {
		suite.Properties = append(suite.Properties, junitProperty{"stopped", r.Stopped})
	}
	if r.Seed != 0 {
		suite.Properties = append(suite.Properties, junitProperty{"seed", fmt.Sprint(r.Seed)})
	}
	for _, c := range r.Cases {
		suite.Cases = append(suite.Cases, junitCaseOf(c, r.Mode))
	}
	if r.Coverage != nil {
		for i, f := range r.Coverage.figures() {
			suite.Properties = append(suite.Properties, junitProperty{"coverage." + CoverageKinds[i], fmt.Sprintf("%d/%d (%.1f%%)", f.Covered, f.Total, f.Percent)})
		}
		suite.Cases = append(suite.Cases, junitCoverage(r))
		if len(r.CoverageShortfalls) > 0 {
			counts.Failures++
			suite.Failures++
		}
		counts.Tests++
		suite.Tests++
	}
	doc := junitSuites{junitCounts: counts, Suites: []junitSuite{suite}}
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

// junitCoverage is the testcase "coverage": a failure when a figure is below its threshold,
// the figures and what was not reached in system-out.
func junitCoverage(r *Report) junitCase {
	jc := junitCase{Name: "coverage", Classname: "scboauth.contract." + r.Mode, Time: "0.000"}
	if len(r.CoverageShortfalls) > 0 {
		jc.Failure = &junitMessage{Message: strings.Join(r.CoverageShortfalls, "; "), Type: "coverage", Text: strings.Join(r.CoverageShortfalls, "\n") + "\n"}
	}
	var out []string
	for i, f := range r.Coverage.figures() {
		out = append(out, fmt.Sprintf("%s: %d/%d (%.1f%%)", CoverageKinds[i], f.Covered, f.Total, f.Percent))
	}
	for _, g := range r.Coverage.NotProducible {
		out = append(out, "the emulator cannot produce "+g.Item+": "+g.Reason)
	}
	out = append(out, "statuses not reached: "+strings.Join(r.Coverage.Statuses.Missing, ", "))
	jc.SystemOut = &junitText{strings.Join(out, "\n")}
	return jc
}

func junitCaseOf(c CaseResult, mode string) junitCase {
	jc := junitCase{Name: c.ID, Classname: "scboauth.contract." + mode, Time: junitSeconds(c.Latency)}
	var errs, warns []string
	for _, f := range c.Findings {
		line := strings.TrimSpace(fmt.Sprintf("%s %s: %s (%s)", f.Request, f.Path, f.Message, f.Rule))
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
		text := strings.Join(errs, "\n") + "\nexpected: " + c.Expect + "\n"
		for _, in := range c.Interactions {
			if in.Reproduce != "" {
				text += "reproduce: " + in.Reproduce + "\n"
			}
		}
		jc.Failure = &junitMessage{Message: msg, Type: "contract", Text: text}
	case VerdictNotRun:
		jc.Error = &junitMessage{Message: "not run: " + c.Reason, Type: "not-run"}
	case VerdictSkip:
		jc.Skipped = &junitMessage{Message: c.Reason}
	}
	out := []string{c.Title, "expected: " + c.Expect, "source: " + c.Source}
	for _, e := range c.Interactions {
		out = append(out, fmt.Sprintf("%s %s -> %d %d (%.1fms)", e.Method, e.Path, e.Status, e.Code, e.LatencyMS))
	}
	jc.SystemOut = &junitText{strings.Join(append(out, warns...), "\n")}
	return jc
}
