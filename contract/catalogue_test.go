package contract

import "testing"

// TestCatalogueIsWellFormed checks the catalogue's data, as a generated case would be checked:
// a unique ID, words for reports, an operation that has a well-formed request, and an
// expectation for each target the case runs against.
func TestCatalogueIsWellFormed(t *testing.T) {
	ids := map[string]bool{}
	for _, c := range catalogue {
		switch {
		case c.ID == "" || ids[c.ID]:
			t.Errorf("case %q: got an empty or repeated ID", c.ID)
		case c.Title == "" || c.Source == "":
			t.Errorf("case %s: got no title or source", c.ID)
		case wellFormed[c.call.op] == nil:
			t.Errorf("case %s: operation %q has no well-formed request", c.ID, c.call.op)
		case len(c.emulatorWant) == 0:
			t.Errorf("case %s: got no expectation for the emulator", c.ID)
		case !c.emulatorOnly && len(c.liveWant) == 0:
			t.Errorf("case %s: runs against a live target but expects nothing of it", c.ID)
		}
		ids[c.ID] = true
	}
	if len(catalogue) != len(Catalogue()) || len(catalogue) != 63 {
		t.Errorf("got %d cases (Catalogue %d), want the catalogue's 63: 38 OAuth, 25 payment", len(catalogue), len(Catalogue()))
	}
}
