package sandbox

// What the external tests (package sandbox_test) need of the emulator's insides.

// The paths the emulator serves.
const (
	PathToken     = pathToken
	PathRefresh   = pathRefresh
	PathAuthorize = pathAuthorize
	PathConsent   = pathConsent
)

// StoreLen returns the number of pending consents, authorization codes and refresh tokens s
// holds.
func (s *Server) StoreLen() (consents, codes, refreshes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.consents.m), len(s.codes.m), len(s.refreshes.m)
}
