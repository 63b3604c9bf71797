package contract_test

import (
	"strings"
	"testing"
	"time"

	"github.com/scboauth/scboauth/contract"
)

// TestProgress: the line says the cases done, the violations so far and the time left at the
// pace so far; it is redrawn at most every 100ms but for the last case, and Clear erases it.
func TestProgress(t *testing.T) {
	var b strings.Builder
	clock := time.Unix(1000, 0)
	p := contract.NewProgress(&b, 4, func() time.Time { return clock })
	clock = clock.Add(2 * time.Second)
	p.Case(contract.CaseResult{Findings: []contract.CaseFinding{{Finding: contract.Finding{Severity: contract.SeverityError}}, {Finding: contract.Finding{Severity: contract.SeverityWarning}}}})
	if got, want := b.String(), "\r\x1b[Kcontract: 1/4 cases, 1 findings, about 6s left"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	clock = clock.Add(10 * time.Millisecond)
	p.Case(contract.CaseResult{})
	if strings.Count(b.String(), "\r") != 1 {
		t.Errorf("redrawn within 100ms: %q", b.String())
	}
	clock = clock.Add(time.Second)
	p.Case(contract.CaseResult{})
	p.Case(contract.CaseResult{})
	if !strings.HasSuffix(b.String(), "contract: 4/4 cases, 1 findings, about 0s left") {
		t.Errorf("the last case: got %q", b.String())
	}
	p.Clear()
	if !strings.HasSuffix(b.String(), "left\r\x1b[K") {
		t.Errorf("Clear: got %q", b.String())
	}
}
