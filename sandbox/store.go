package sandbox

import (
	"crypto/sha256"
	"time"
)

// The bounds of each store (pending consents, authorization codes, refresh tokens, access
// tokens). When a
// store is full, expired entries are swept and, if it is still full, arbitrary live ones are
// dropped until it is at most seven eighths full: the emulator forgets a grant rather than
// grow without bound.
const (
	maxGrants     = 1 << 17  // entries
	maxStoreBytes = 32 << 20 // bytes, as entrySize counts them
	// entryOverhead is what an entry holds besides its two strings: the map slot (key header,
	// grant) and its share of the map's spare room.
	entryOverhead = 160
	// sweepEvery is how often the stores are swept of expired entries: on the next store at
	// the latest, and by Serve's clock when nothing is stored.
	sweepEvery = 10 * time.Second
)

// grant is a pending consent, an authorization code, a refresh token, an access token, or a
// payment record (a QR, a deeplink, a paid bill payment).
type grant struct {
	app           *app
	expires       time.Time
	state         string // at most MaxStateBytes
	owner         string // the resourceOwnerId of an authorization code and its refresh tokens
	hasChallenge  bool
	challengeHash [sha256.Size]byte
	pay           *payment // a payment record's
}

// store holds grants by id, and counts their bytes.
type store struct {
	m     map[string]grant
	bytes int // the sum of entrySize over m
	peak  int // the most entries m has held since it was made
}

func entrySize(id string, g grant) int {
	return entryOverhead + len(id) + len(g.state) + len(g.owner) + g.pay.size()
}

// fits reports whether an entry of n bytes fits without passing a bound.
func (st *store) fits(n int) bool {
	return len(st.m) < maxGrants && st.bytes+n <= maxStoreBytes
}

func (st *store) put(id string, g grant) {
	if st.m == nil {
		st.m = make(map[string]grant)
	}
	if old, ok := st.m[id]; ok {
		st.bytes -= entrySize(id, old)
	}
	st.m[id] = g
	st.bytes += entrySize(id, g)
	st.peak = max(st.peak, len(st.m))
}

func (st *store) remove(id string) {
	if g, ok := st.m[id]; ok {
		delete(st.m, id)
		st.bytes -= entrySize(id, g)
	}
}

// sweep removes the entries expired at now. A Go map keeps its room when entries are deleted:
// once it holds less than a quarter of its peak, it is copied into a map of its size, so that
// the memory of a flood is given back.
func (st *store) sweep(now time.Time) {
	for id, g := range st.m {
		if !now.Before(g.expires) {
			st.remove(id)
		}
	}
	if st.peak >= 64 && len(st.m) < st.peak/4 {
		m := make(map[string]grant, len(st.m))
		for id, g := range st.m {
			m[id] = g
		}
		st.m, st.peak = m, len(m)
	}
}

// shrink drops arbitrary entries (map order) until the store is at most seven eighths full by
// entries and by bytes, and an entry of n bytes fits.
func (st *store) shrink(n int) {
	for id := range st.m {
		if len(st.m) <= maxGrants-maxGrants/8 && st.bytes+n <= maxStoreBytes-maxStoreBytes/8 {
			return
		}
		st.remove(id)
	}
}

// store keeps g under id in st, sweeping the stores of expired entries now and then and when st
// is full. s.mu is held.
func (s *Server) store(st *store, id string, g grant, now time.Time) {
	n := entrySize(id, g)
	if now.After(s.nextSweep) || !st.fits(n) {
		s.sweep(now)
	}
	if !st.fits(n) {
		st.shrink(n)
	}
	st.put(id, g)
}

// sweep sweeps every store of the entries expired at now. s.mu is held.
func (s *Server) sweep(now time.Time) {
	s.consents.sweep(now)
	s.codes.sweep(now)
	s.refreshes.sweep(now)
	s.tokens.sweep(now)
	s.sweepPayments(now)
	s.nextSweep = now.Add(sweepEvery)
}

// take removes and returns the unexpired grant under id in st, if check accepts it; an expired
// grant is removed too. s.mu is held.
func take(st *store, id string, now time.Time, check func(grant) *apiError, invalid *apiError) (grant, *apiError) {
	g, ok := st.m[id]
	if !ok {
		return g, invalid
	}
	if !now.Before(g.expires) {
		st.remove(id)
		return g, invalid
	}
	if e := check(g); e != nil {
		return g, e
	}
	st.remove(id)
	return g, nil
}
