package contract_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/scboauth/scboauth/contract"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// hangAfter answers the first n requests with h, and never answers the later ones.
func hangAfter(n int64, h http.Handler) http.Handler {
	var seen atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) > n {
			<-r.Context().Done()
			return
		}
		h.ServeHTTP(w, r)
	})
}

// runHanging checks the emulator, which answers once and then hangs, with timeout and
// deadline, and returns the report and the fake time the run took.
func runHanging(t *testing.T, timeout, deadline time.Duration) (*contract.Report, time.Duration) {
	t.Helper()
	em := newEmulator(t)
	start := time.Now()
	rep, err := contract.Run(context.Background(), contract.Config{BaseURL: "http://127.0.0.1:1", Emulator: em,
		Transport: &sandboxtest.Transport{Handler: hangAfter(1, em)}, Timeout: timeout, Deadline: deadline}, nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep, time.Since(start)
}

// TestDeadlineBoundsAHangingTarget checks that a target that answers once and then hangs costs
// the run its deadline, not one timeout per case: the cases that timed out fail, the one the
// deadline interrupted and all later ones are not run, and the report does not conform.
func TestDeadlineBoundsAHangingTarget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rep, took := runHanging(t, 10*time.Second, 25*time.Second)
		if took != 25*time.Second {
			t.Errorf("got the run to take %s, want the deadline of 25s", took)
		}
		s := rep.Summary()
		if s.Passed != 1 || s.Failed != 2 || s.NotRun != len(rep.Cases)-3 || rep.Conforms() {
			t.Fatalf("got %+v, conforms %v; want 1 passed, 2 timed out, the rest not run", s, rep.Conforms())
		}
		if want := "the run's deadline (25s) passed"; rep.Stopped != want {
			t.Errorf("got Stopped %q, want %q", rep.Stopped, want)
		}
		if c := rep.Cases[1]; c.Verdict != contract.VerdictFail || !hasError(c, want{"HTTP status", "no answer within 10s"}) {
			t.Errorf("case %s: got %s %v, want a timeout finding", c.ID, c.Verdict, c.Findings)
		}
		interrupted := rep.Cases[3]
		if wantReason := "the run's deadline (25s) passed while the case was waiting for the answer to GET /v2/oauth/authorize"; interrupted.Verdict != contract.VerdictNotRun || interrupted.Reason != wantReason || len(interrupted.Findings) != 0 {
			t.Errorf("case %s: got %s %q %v, want not run: %q", interrupted.ID, interrupted.Verdict, interrupted.Reason, interrupted.Findings, wantReason)
		}
		for _, c := range rep.Cases[4:] {
			if c.Verdict != contract.VerdictNotRun || c.Reason != "the run's deadline (25s) passed before the case began" || len(c.Interactions) != 0 {
				t.Errorf("case %s: got %s %q, want not run before it began", c.ID, c.Verdict, c.Reason)
			}
		}
	})
}

// TestDeadlineReports checks that every format says which cases were not checked, and why, for
// a run whose deadline came before the per-request timeout: nothing failed, yet the target is
// not shown to conform.
func TestDeadlineReports(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rep, took := runHanging(t, 10*time.Second, 3*time.Second)
		if took != 3*time.Second {
			t.Errorf("got the run to take %s, want the deadline of 3s", took)
		}
		notRun := len(rep.Cases) - 1
		if s := rep.Summary(); s.Passed != 1 || s.Failed != 0 || s.NotRun != notRun || rep.Conforms() {
			t.Fatalf("got %+v, conforms %v; want 1 passed and the rest not run, not conforming", s, rep.Conforms())
		}
		var table, js, junit bytes.Buffer
		if err := contract.WriteTable(&table, rep); err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{
			"  not run ", "    not run: the run's deadline (3s) passed while the case was waiting for the answer to POST /v1/oauth/token\n",
			"    not run: the run's deadline (3s) passed before the case began\n",
			fmt.Sprintf("\nINCOMPLETE: %d cases, 1 passed, 0 failed, 0 skipped, %d not run, 0 warnings (strict off)", notRun+1, notRun),
			fmt.Sprintf("\nstopped: the run's deadline (3s) passed; %d cases were not checked\n", notRun),
		} {
			if !strings.Contains(table.String(), w) {
				t.Errorf("got table\n%s\nwant it to contain %q", table.String(), w)
			}
		}

		if err := contract.WriteJSON(&js, rep); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Conforms bool
			Stopped  string
			Summary  struct{ NotRun int }
			Cases    []struct{ Verdict, Reason string }
		}
		if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Conforms || doc.Stopped != "the run's deadline (3s) passed" || doc.Summary.NotRun != notRun || doc.Cases[1].Verdict != "not-run" || doc.Cases[1].Reason == "" {
			t.Errorf("got JSON %+v, want not conforming, stopped, %d not run with reasons", doc, notRun)
		}

		if err := contract.WriteJUnit(&junit, rep); err != nil {
			t.Fatal(err)
		}
		var suites struct {
			Errors int `xml:"errors,attr"`
			Suites []struct {
				Cases []struct {
					Error *struct {
						Message string `xml:"message,attr"`
						Type    string `xml:"type,attr"`
					} `xml:"error"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal(junit.Bytes(), &suites); err != nil {
			t.Fatal(err)
		}
		errs := 0
		for _, c := range suites.Suites[0].Cases {
			if c.Error != nil && c.Error.Type == "not-run" && strings.HasPrefix(c.Error.Message, "not run: the run's deadline (3s) passed") {
				errs++
			}
		}
		if suites.Errors != notRun || errs != notRun {
			t.Errorf("got errors=%d and %d not-run testcases, want %d each", suites.Errors, errs, notRun)
		}
	})
}

// TestDeadlineBoundsPacing checks that the pace for a remote target never waits past the
// deadline: the run ends by it, with what it could not send reported as not run.
func TestDeadlineBoundsPacing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		em := newEmulator(t)
		tr := &sandboxtest.Transport{Handler: http.StripPrefix("/partners/sandbox", em)}
		start := time.Now()
		rep, err := contract.Run(context.Background(), contract.Config{BaseURL: scbSandbox, Application: demo(sandbox.KindPlain), Transport: tr, Deadline: 2 * time.Second}, nil)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("got the run to take %s, want at most the deadline of 2s", took)
		}
		if max := int64(2*contract.SCBRate) + 1; tr.Sent() > max || tr.Sent() == 0 {
			t.Errorf("got %d requests, want 1 to %d at %v per second within 2s", tr.Sent(), max, contract.SCBRate)
		}
		if s := rep.Summary(); s.Failed != 0 || s.NotRun == 0 || rep.Stopped == "" || rep.Conforms() {
			t.Errorf("got %+v, stopped %q; want no failure, the rest not run", s, rep.Stopped)
		}
	})
}

// TestRunStoppedByContext checks that the caller's context ending stops the run with an error
// and no report: unlike the deadline, it asks for no verdict.
func TestRunStoppedByContext(t *testing.T) {
	em := newEmulator(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 3 {
			cancel()
			<-r.Context().Done()
			return
		}
		em.ServeHTTP(w, r)
	})
	rep, err := contract.Run(ctx, contract.Config{BaseURL: "http://127.0.0.1:1", Emulator: em, Transport: &sandboxtest.Transport{Handler: h}}, nil)
	if rep != nil || !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "contract: run stopped: ") {
		t.Errorf("got %v, %v; want no report and \"contract: run stopped: context canceled\"", rep, err)
	}
}
