package contract_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/scboauth/scboauth/contract"
)

// describe lists the generated cases as a report shows them: ID, kind, title and expectation.
func describe(cs []contract.Case) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		kind, _ := c.Generated()
		out[i] = c.ID + " " + kind + " " + c.Title + " " + c.Expect(true)
	}
	return out
}

// TestGenerateDeterministic: a seed gives the same cases with the same values again; another
// seed keeps the cases (their IDs) but not all their values.
func TestGenerateDeterministic(t *testing.T) {
	s := spec(t)
	a, b := describe(s.Generate(contract.Generation{Seed: 42})), describe(s.Generate(contract.Generation{Seed: 42}))
	if !slices.Equal(a, b) {
		t.Fatalf("seed 42 gave two different generations")
	}
	c := describe(s.Generate(contract.Generation{Seed: 43}))
	if slices.Equal(a, c) {
		t.Errorf("seeds 42 and 43 gave the same values")
	}
}

// TestGenerateIDs: every generated case has an ID of its own, none the catalogue's, and says
// which kind it is; every operation has a well-formed case, cases the spec accepts and cases
// it refuses.
func TestGenerateIDs(t *testing.T) {
	ids := map[string]bool{}
	for _, c := range contract.Catalogue() {
		ids[c.ID] = true
	}
	kinds := map[string]map[string]int{}
	for _, c := range spec(t).Generate(contract.Generation{Seed: 7}) {
		kind, ok := c.Generated()
		if !ok || kind == "" {
			t.Errorf("case %s: Generated gave %q, %v", c.ID, kind, ok)
		}
		if ids[c.ID] {
			t.Errorf("case %s: its ID is taken", c.ID)
		}
		ids[c.ID] = true
		op, _, _ := strings.Cut(c.ID, "/")
		if kinds[op] == nil {
			kinds[op] = map[string]int{}
		}
		kinds[op][kind]++
	}
	for _, op := range []string{"createToken", "refreshToken", "authorize", "createQRCode", "verifySlip", "inquireBillPayment", "createDeeplink", "getTransaction"} {
		if !ids[op+"/well-formed"] || kinds[op]["valid"] < 2 || kinds[op]["invalid"] < 3 || kinds[op]["fixed"] < 5 {
			t.Errorf("operation %s: got %v cases, want a well-formed one, valid, invalid and fixed ones", op, kinds[op])
		}
	}
	if kinds["sequence"]["sequence"] != 5 {
		t.Errorf("got %d sequences, want the spec links' 5", kinds["sequence"]["sequence"])
	}
}

// TestGenerateMaxCases: a bound gives that many cases, a sample chosen by the seed, in the
// spec's order.
func TestGenerateMaxCases(t *testing.T) {
	s := spec(t)
	all := describe(s.Generate(contract.Generation{Seed: 5}))
	some := describe(s.Generate(contract.Generation{Seed: 5, MaxCases: 25}))
	if len(some) != 25 {
		t.Fatalf("got %d cases, want 25", len(some))
	}
	at := -1
	for _, c := range some {
		i := slices.Index(all, c)
		if i <= at {
			t.Fatalf("case %q: not one of the whole generation's, in its order", c)
		}
		at = i
	}
	if again := describe(s.Generate(contract.Generation{Seed: 5, MaxCases: 25})); !slices.Equal(some, again) {
		t.Errorf("the same seed and bound gave another sample")
	}
	if n := len(s.Generate(contract.Generation{Seed: 5, MaxCases: len(all) + 10})); n != len(all) {
		t.Errorf("a bound above the count: got %d cases, want all %d", n, len(all))
	}
}
