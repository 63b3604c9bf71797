package sandbox

import (
	"fmt"
	"time"
)

// MaxClockOffset bounds how far AdvanceClock moves the clock in all: a hundred years, so that
// every expiresAt stays a ten-digit Unix time.
const MaxClockOffset = 10 * MaxLifetime

// ErrClockAdvance is AdvanceClock's error for a move that is not forward, or past MaxLifetime
// in one call or MaxClockOffset in all.
var ErrClockAdvance = fmt.Errorf("sandbox: the clock moves forward only, at most %v a call and %v in all", MaxLifetime, MaxClockOffset)

// Now returns the emulator's clock: WithClock's (time.Now), moved forward by AdvanceClock.
func (s *Server) Now() time.Time { return s.now() }

// ClockOffset returns how far AdvanceClock has moved the clock in all.
func (s *Server) ClockOffset() time.Duration { return time.Duration(s.offset.Load()) }

// AdvanceClock moves the emulator's clock d forward and returns the new time: the tokens,
// codes and consents whose lifetime d passes expire, so that a test sees an expiry without
// sleeping. d is from 1ns to MaxLifetime, and the clock moves MaxClockOffset at most in all;
// otherwise it returns ErrClockAdvance and the clock does not move.
func (s *Server) AdvanceClock(d time.Duration) (time.Time, error) {
	if d <= 0 || d > MaxLifetime {
		return s.now(), ErrClockAdvance
	}
	for {
		old := s.offset.Load()
		if time.Duration(old)+d > MaxClockOffset {
			return s.now(), ErrClockAdvance
		}
		if s.offset.CompareAndSwap(old, old+int64(d)) {
			return s.now(), nil
		}
	}
}

// StateCounts is what ResetState forgot.
type StateCounts struct {
	AccessTokens, RefreshTokens, Codes, Consents int
	FaultRules                                   int
	Requests                                     int // request log entries
	Deliveries                                   int // deliveries of payment confirmations, stopped if unfinished
}

// ResetState forgets every access and refresh token, authorization code and pending consent,
// every payment record (QRs, deeplinks, bill payments), the deliveries of payment
// confirmations (stopping those not finished), every fault rule, the request log and
// the rate limiter's budgets, and returns how many of each there were (payment records not
// counted). It keeps the applications and the clock, which only moves forward
// [decision]: a test calls it first to start from a known state.
func (s *Server) ResetState() StateCounts {
	s.mu.Lock()
	c := StateCounts{AccessTokens: len(s.tokens.m), RefreshTokens: len(s.refreshes.m), Codes: len(s.codes.m), Consents: len(s.consents.m)}
	s.tokens, s.refreshes, s.codes, s.consents = store{}, store{}, store{}, store{}
	s.resetPayments()
	s.mu.Unlock()
	c.FaultRules = s.ClearFaultRules()
	c.Requests = s.log.reset()
	c.Deliveries = s.delivery.reset()
	s.resetLimiters()
	return c
}

// resetLimiters gives every application, and the failed credentials, a fresh rate budget.
func (s *Server) resetLimiters() {
	s.appsMu.Lock()
	defer s.appsMu.Unlock()
	old := s.apps.Load()
	t := &appTable{byKey: make(map[string]*app, len(old.list))}
	for _, a := range old.list {
		n := s.newApp(a.Application)
		n.callback.Store(a.callback.Load()) // the URL is configuration, not state
		t.add(n)
	}
	s.apps.Store(t)
	s.anonymous.Store(newLimiter(s.faults.RateLimit))
}

// TokenInfo is what Introspect tells of a token.
type TokenInfo struct {
	Active          bool      // issued by the emulator, not expired, not redeemed, not reset
	Kind            string    // "access" or "refresh", when active
	Application     string    // the name of the application it was issued to, when active
	ExpiresAt       time.Time // when active
	ResourceOwnerID string    // the consenting user's identifier, for the authorization-code grant's tokens
}

// Introspect says whether token is an access or refresh token the emulator issued that is
// still active at its clock (after RFC 7662). An access token is active until its expiresAt,
// a refresh token until it expires or is redeemed; ResetState ends both.
func (s *Server) Introspect(token string) TokenInfo {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range []struct {
		kind  string
		store *store
	}{{"access", &s.tokens}, {"refresh", &s.refreshes}} {
		if g, ok := st.store.m[token]; ok && now.Before(g.expires) {
			return TokenInfo{Active: true, Kind: st.kind, Application: g.app.Name, ExpiresAt: g.expires, ResourceOwnerID: g.owner}
		}
	}
	return TokenInfo{}
}
