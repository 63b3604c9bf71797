package sandbox

import (
	"context"
	"slices"
)

// Applications returns the applications s serves, in the order they were registered (the demo
// applications, unless WithApplications replaced them). Each redacts its secret when printed.
func (s *Server) Applications() []Application { return slices.Clone(s.appList) }

// Credentials returns the key and secret of the first application of kind (KindPlain,
// KindAuthorizationCode or KindWeb, as a string); ok is false when s serves none. With
// GrantConsent it lets a tool that drives the emulator, such as the contract check
// (contract.Emulator), use a Server directly.
func (s *Server) Credentials(kind string) (key, secret string, ok bool) {
	for _, a := range s.appList {
		if string(a.Kind) == kind {
			return a.Key, a.Secret, true
		}
	}
	return "", "", false
}

// GrantConsent is Consent for tools that drive the emulator (contract.Emulator): it completes
// the user's consent to callbackURL, bound to state and codeChallenge, and returns the
// authorization code.
func (s *Server) GrantConsent(_ context.Context, callbackURL, state, codeChallenge string) (authCode string, err error) {
	return s.Consent(callbackURL, Consent{State: state, CodeChallenge: codeChallenge})
}

// Strict reports whether s runs in strict mode (WithStrict). With Credentials and GrantConsent
// it lets the contract check (contract.StrictEmulator) expect strict answers.
func (s *Server) Strict() bool { return s.strict }
