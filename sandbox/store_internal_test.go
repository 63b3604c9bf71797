package sandbox

import (
	"fmt"
	"testing"
	"time"
)

func TestStoreIsBounded(t *testing.T) {
	srv, err := New()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	a := srv.apps[DemoApplications()[1].Key]
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for i := 0; i < maxGrants+100; i++ {
		srv.store(srv.consents, fmt.Sprint(i), grant{app: a, expires: now.Add(time.Hour)}, now)
	}
	if n := len(srv.consents); n > maxGrants {
		t.Errorf("pending consents: got %d, want at most %d", n, maxGrants)
	}
	if _, ok := srv.consents[fmt.Sprint(maxGrants+99)]; !ok {
		t.Error("the newest consent was dropped")
	}
}
