package sandbox

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// fill stores n grants with a state of stateLen bytes in st, expiring after ttl, at now.
func fill(s *Server, st *store, n, stateLen int, now time.Time, ttl time.Duration) {
	a := s.apps.Load().byKey[DemoApplications()[1].Key]
	state := strings.Repeat("s", stateLen)
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < n; i++ {
		s.store(st, fmt.Sprintf("id-%d-%d", now.UnixNano(), i), grant{app: a, expires: now.Add(ttl), state: state}, now)
	}
}

// checkAccounting fails t unless st.bytes is what its entries hold and both bounds hold.
func checkAccounting(t *testing.T, st *store) {
	t.Helper()
	sum := 0
	for id, g := range st.m {
		sum += entrySize(id, g)
	}
	if st.bytes != sum {
		t.Errorf("bytes counted: %d, held by the entries: %d", st.bytes, sum)
	}
	if len(st.m) > maxGrants || st.bytes > maxStoreBytes {
		t.Errorf("store of %d entries and %d bytes, over its bounds (%d, %d)", len(st.m), st.bytes, maxGrants, maxStoreBytes)
	}
}

func TestStoreIsBoundedByEntries(t *testing.T) {
	srv, _ := New()
	now := time.Unix(1_700_000_000, 0)
	fill(srv, &srv.consents, maxGrants+100, 0, now, time.Hour)
	checkAccounting(t, &srv.consents)
	if _, ok := srv.consents.m[fmt.Sprintf("id-%d-%d", now.UnixNano(), maxGrants+99)]; !ok {
		t.Error("the newest consent was dropped")
	}
}

// Live grants with the longest states fill a store by bytes long before its count of entries
// (item 12 of issue 9: a store's cap allowed about 8 GiB).
func TestStoreIsBoundedByBytes(t *testing.T) {
	srv, _ := New()
	now := time.Unix(1_700_000_000, 0)
	n := 2 * maxStoreBytes / (entryOverhead + MaxStateBytes)
	fill(srv, &srv.codes, n, MaxStateBytes, now, time.Hour)
	checkAccounting(t, &srv.codes)
	if len(srv.codes.m) >= n || srv.codes.bytes < maxStoreBytes/2 {
		t.Errorf("after %d codes of %d bytes: %d entries, %d bytes", n, entryOverhead+MaxStateBytes, len(srv.codes.m), srv.codes.bytes)
	}
}

// Expired grants are removed by the next store after sweepEvery, and a map that held a flood is
// replaced by one of its size (Go maps never shrink).
func TestStoreGivesBackExpired(t *testing.T) {
	srv, _ := New()
	now := time.Unix(1_700_000_000, 0)
	fill(srv, &srv.codes, 10_000, MaxStateBytes, now, time.Minute)
	fill(srv, &srv.refreshes, 100, 0, now, time.Hour)
	if srv.codes.peak != 10_000 {
		t.Fatalf("peak: got %d, want 10000", srv.codes.peak)
	}
	fill(srv, &srv.consents, 1, 0, now.Add(sweepEvery/2), time.Minute) // too early to sweep
	if len(srv.codes.m) != 10_000 {
		t.Errorf("swept before sweepEvery: %d codes left", len(srv.codes.m))
	}
	later := now.Add(time.Minute)
	fill(srv, &srv.consents, 1, 0, later, time.Minute)
	if len(srv.codes.m) != 0 || srv.codes.bytes != 0 || srv.codes.peak != 0 {
		t.Errorf("after expiry: %d codes of %d bytes (peak %d), want none and a new map", len(srv.codes.m), srv.codes.bytes, srv.codes.peak)
	}
	if len(srv.refreshes.m) != 100 || srv.refreshes.peak != 100 {
		t.Errorf("live refresh tokens: got %d (peak %d), want 100 kept", len(srv.refreshes.m), srv.refreshes.peak)
	}
	for _, st := range []*store{&srv.consents, &srv.codes, &srv.refreshes} {
		checkAccounting(t, st)
	}
}

// net/http's own complaints reach the logger as warnings, escaped like the request log.
func TestErrorLog(t *testing.T) {
	var buf strings.Builder
	srv, _ := New(WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))))
	srv.errorLog().Printf("http: TLS handshake error from 1.2.3.4:5: \u202ebad\x1b[2J")
	if got := buf.String(); !strings.Contains(got, `"level":"WARN"`) || !strings.Contains(got, `\\u202ebad\\x1b[2J`) || strings.ContainsRune(got, '\u202e') {
		t.Errorf("got %s, want a warning with the text escaped", got)
	}
	quiet, _ := New()
	quiet.errorLog().Printf("nothing to see") // no logger: discarded, no panic
}
