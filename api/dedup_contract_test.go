package api_test

import (
	"testing"
	"time"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/api/storetest"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// TestMemoryDeduplicatorContract checks the in-process deduplicator against the Deduplicator
// contract, on a clock the checks advance.
func TestMemoryDeduplicatorContract(t *testing.T) {
	var clock *sandboxtest.Clock
	storetest.RunDeduplicator(t, storetest.DedupHarness{
		New: func(t *testing.T) api.Deduplicator {
			clock = sandboxtest.NewClock(time.Unix(1_700_000_000, 0))
			d, err := api.NewMemoryDeduplicator(api.MemoryDeduplicatorOptions{Retention: time.Hour, Now: clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			return d
		},
		Retention: time.Hour,
		Advance:   func(_ *testing.T, d time.Duration) { clock.Advance(d) },
	})
}

// TestMemoryDeduplicatorBound: a full deduplicator forgets its oldest entries, never grows past
// its bound, and sweeps expired entries as it writes.
func TestMemoryDeduplicatorBound(t *testing.T) {
	clock := sandboxtest.NewClock(time.Unix(1_700_000_000, 0))
	d, err := api.NewMemoryDeduplicator(api.MemoryDeduplicatorOptions{MaxEntries: 3, Retention: time.Minute, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, id := range []string{"T1", "T2", "T3", "T4"} {
		c, err := d.Claim(ctx, id, time.Second)
		if err != nil || c.State != api.ClaimAcquired {
			t.Fatalf("Claim(%s): %v %v", id, c.State, err)
		}
		if err := d.Done(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if n := d.Len(); n != 3 {
		t.Errorf("got %d entries, want the bound 3", n)
	}
	if c, _ := d.Claim(ctx, "T1", time.Second); c.State != api.ClaimAcquired {
		t.Errorf("the oldest id: got %v, want it forgotten (acquired)", c.State)
	}
	if c, _ := d.Claim(ctx, "T4", time.Second); c.State != api.ClaimProcessed {
		t.Errorf("the newest id: got %v, want processed", c.State)
	}
	clock.Advance(2 * time.Minute)
	if _, err := d.Claim(ctx, "T5", time.Second); err != nil {
		t.Fatal(err)
	}
	if n := d.Len(); n != 1 {
		t.Errorf("after the retention: got %d entries, want only the new claim", n)
	}
	if _, err := api.NewMemoryDeduplicator(api.MemoryDeduplicatorOptions{MaxEntries: -1}); err == nil {
		t.Error("MaxEntries -1: no error")
	}
}
