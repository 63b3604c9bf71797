package contract_test

import (
	"os"
	"testing"

	"github.com/scboauth/scboauth/contract"
)

func TestFaithfulFakeConforms(t *testing.T) {
	f := newFakeSCB()
	rep := checkAgainst(t, f, f, false)
	if testing.Verbose() {
		_ = contract.WriteTable(os.Stdout, rep)
	}
	for _, c := range rep.Cases {
		if c.Verdict != contract.VerdictPass {
			t.Errorf("case %s: got verdict %s, want pass (%s)", c.ID, c.Verdict, c.Reason)
		}
		for _, f := range c.Findings {
			t.Errorf("case %s: got finding %v, want none", c.ID, f)
		}
	}
}
