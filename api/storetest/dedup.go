package storetest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scboauth/scboauth/api"
)

// DedupHarness describes the api.Deduplicator under test.
type DedupHarness struct {
	// New returns an empty deduplicator that remembers a processed id for Retention. Each
	// subtest calls it once.
	New func(t *testing.T) api.Deduplicator
	// Retention is the retention New configured; the checks advance past it once.
	Retention time.Duration
	// Advance moves the clock of the deduplicator returned by the last call of New forward by
	// d, so that claims and processed ids expire.
	Advance func(t *testing.T, d time.Duration)
}

// RunDeduplicator checks the deduplicator that h describes against the contract of
// api.Deduplicator, each property in a subtest: claims, their leases, Done and Release, the
// retention, one winner among concurrent claims, and refusal of bad input.
func RunDeduplicator(t *testing.T, h DedupHarness) {
	for _, c := range []struct {
		name string
		f    func(*testing.T, DedupHarness)
	}{
		{"ClaimThenBusy", testClaimThenBusy},
		{"DoneThenProcessed", testDoneThenProcessed},
		{"ReleaseLetsTheResendIn", testReleaseLetsTheResendIn},
		{"ReleaseOnlyOwnClaim", testReleaseOnlyOwnClaim},
		{"DeadHolderLeaseEnds", testDeadHolderLeaseEnds},
		{"RetentionEnds", testRetentionEnds},
		{"IDsAreSeparate", testIDsAreSeparate},
		{"OneWinner", testOneClaimWinner},
		{"BadInput", testDedupBadInput},
	} {
		t.Run(c.name, func(t *testing.T) { c.f(t, h) })
	}
}

// A transactionId as SCB sends them, and the lease the checks take.
const (
	TxA   = "202307261Nlm85Q4mCrpihM"
	TxB   = "202307261Nlm85Q4mCrpihN"
	lease = 100 * time.Millisecond
)

func claim(t *testing.T, d api.Deduplicator, id string, want api.ClaimState) api.Claim {
	t.Helper()
	c, err := d.Claim(t.Context(), id, lease)
	if err != nil {
		t.Fatalf("Claim(%s): %v", id, err)
	}
	if c.State != want || c.ID != id {
		t.Fatalf("Claim(%s): got %v of %q, want %v", id, c.State, c.ID, want)
	}
	if (c.State == api.ClaimAcquired) != (c.Token != "") {
		t.Fatalf("Claim(%s): %v with token %q: an acquired claim, and only it, has a token", id, c.State, c.Token)
	}
	return c
}

func done(t *testing.T, d api.Deduplicator, c api.Claim) {
	t.Helper()
	if err := d.Done(t.Context(), c); err != nil {
		t.Fatalf("Done(%s): %v", c.ID, err)
	}
}

func release(t *testing.T, d api.Deduplicator, c api.Claim) {
	t.Helper()
	if err := d.Release(t.Context(), c); err != nil {
		t.Fatalf("Release(%s): %v", c.ID, err)
	}
}

func testClaimThenBusy(t *testing.T, h DedupHarness) {
	d := h.New(t)
	claim(t, d, TxA, api.ClaimAcquired)
	claim(t, d, TxA, api.ClaimBusy)
}

func testDoneThenProcessed(t *testing.T, h DedupHarness) {
	d := h.New(t)
	c := claim(t, d, TxA, api.ClaimAcquired)
	done(t, d, c)
	claim(t, d, TxA, api.ClaimProcessed)
	release(t, d, c) // a stale release after Done forgets nothing
	claim(t, d, TxA, api.ClaimProcessed)
	h.Advance(t, 2*lease) // Done outlives the claim's lease
	claim(t, d, TxA, api.ClaimProcessed)
}

func testReleaseLetsTheResendIn(t *testing.T, h DedupHarness) {
	d := h.New(t)
	first := claim(t, d, TxA, api.ClaimAcquired)
	release(t, d, first)
	second := claim(t, d, TxA, api.ClaimAcquired)
	if second.Token == first.Token {
		t.Fatalf("two claims got the same token %q", first.Token)
	}
}

func testReleaseOnlyOwnClaim(t *testing.T, h DedupHarness) {
	d := h.New(t)
	c := claim(t, d, TxA, api.ClaimAcquired)
	release(t, d, api.Claim{ID: TxA, State: api.ClaimAcquired, Token: c.Token + "x"})
	claim(t, d, TxA, api.ClaimBusy)
}

// testDeadHolderLeaseEnds: a holder that dies between Claim and Done loses its claim with the
// lease, so that a re-send is processed; its late Release does not end the new holder's.
func testDeadHolderLeaseEnds(t *testing.T, h DedupHarness) {
	d := h.New(t)
	dead := claim(t, d, TxA, api.ClaimAcquired)
	h.Advance(t, lease/2)
	claim(t, d, TxA, api.ClaimBusy)
	h.Advance(t, lease)
	claim(t, d, TxA, api.ClaimAcquired)
	release(t, d, dead)
	claim(t, d, TxA, api.ClaimBusy)
}

func testRetentionEnds(t *testing.T, h DedupHarness) {
	d := h.New(t)
	done(t, d, claim(t, d, TxA, api.ClaimAcquired))
	h.Advance(t, h.Retention/2)
	claim(t, d, TxA, api.ClaimProcessed)
	h.Advance(t, h.Retention)
	claim(t, d, TxA, api.ClaimAcquired)
}

func testIDsAreSeparate(t *testing.T, h DedupHarness) {
	d := h.New(t)
	done(t, d, claim(t, d, TxA, api.ClaimAcquired))
	b := claim(t, d, TxB, api.ClaimAcquired)
	release(t, d, b)
	claim(t, d, TxA, api.ClaimProcessed)
	claim(t, d, TxB, api.ClaimAcquired)
}

func testOneClaimWinner(t *testing.T, h DedupHarness) {
	d := h.New(t)
	const n = 32
	var wg sync.WaitGroup
	states := make(chan api.ClaimState, n)
	for range n {
		wg.Go(func() {
			c, err := d.Claim(context.Background(), TxA, time.Minute)
			if err != nil {
				t.Errorf("Claim: %v", err)
				return
			}
			states <- c.State
		})
	}
	wg.Wait()
	close(states)
	won := 0
	for s := range states {
		if s == api.ClaimAcquired {
			won++
		} else if s != api.ClaimBusy {
			t.Errorf("a concurrent claim got %v, want acquired or busy", s)
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d concurrent claims acquired, want 1", won, n)
	}
}

func testDedupBadInput(t *testing.T, h DedupHarness) {
	d := h.New(t)
	for _, id := range []string{"", "has space", "tab\there", "crlf\r\n", strings.Repeat("x", 129), "ไทย"} {
		if _, err := d.Claim(t.Context(), id, lease); err == nil {
			t.Errorf("Claim(%q): no error", id)
		}
		if err := d.Done(t.Context(), api.Claim{ID: id}); err == nil {
			t.Errorf("Done(%q): no error", id)
		}
	}
	for _, l := range []time.Duration{0, -time.Second} {
		if _, err := d.Claim(t.Context(), TxA, l); err == nil {
			t.Errorf("Claim with lease %s: no error", l)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := d.Claim(ctx, TxA, lease); err == nil {
		t.Errorf("Claim with a cancelled context: no error")
	}
	claim(t, d, TxA, api.ClaimAcquired) // nothing above claimed it
}
