package sandbox

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// MaxApplications bounds the applications a Server holds at once: WithApplications and
// RegisterApplication refuse more [decision].
const MaxApplications = 1024

// Errors of RegisterApplication and RemoveApplication.
var (
	// ErrApplicationExists: an application of that name or key is registered already.
	ErrApplicationExists = errors.New("sandbox: an application of that name or key is registered already")
	// ErrTooManyApplications: MaxApplications are registered already.
	ErrTooManyApplications = fmt.Errorf("sandbox: %d applications are registered already", MaxApplications)
	// ErrUnknownApplication: no application has that name.
	ErrUnknownApplication = errors.New("sandbox: no application of that name")
)

// ApplicationError is RegisterApplication's error for an invalid application: the field at
// fault and what is wrong with it, never its value.
type ApplicationError struct {
	Field   string // name, key, secret or kind
	Problem string // such as "a secret longer than 256 bytes"
}

func (e *ApplicationError) Error() string { return "sandbox: the application has " + e.Problem }

// appTable is the registered applications: replaced whole, never changed, so that requests
// read it without a lock.
type appTable struct {
	byKey map[string]*app
	list  []*app // in the order they were registered
}

func (t *appTable) add(a *app) {
	t.byKey[a.Key] = a
	t.list = append(t.list, a)
}

func (s *Server) newApp(a Application) *app {
	n := &app{Application: a, secretHash: sha256.Sum256([]byte(a.Secret)), limiter: newLimiter(s.faults.RateLimit)}
	n.callback.Store(&a.CallbackURL)
	return n
}

// Applications returns the applications s serves, in the order they were registered (the demo
// applications, unless WithApplications replaced them, then those RegisterApplication added).
// Each redacts its secret when printed.
func (s *Server) Applications() []Application {
	list := s.apps.Load().list
	out := make([]Application, len(list))
	for i, a := range list {
		out[i] = a.Application
		out[i].CallbackURL = a.callbackURL()
	}
	return out
}

// RegisterApplication registers a at runtime. Its errors: an *ApplicationError for an invalid
// application (see LoadApplications for the rules), ErrApplicationExists, ErrTooManyApplications.
func (s *Server) RegisterApplication(a Application) error {
	if field, p := a.fieldProblem(); p != "" {
		return &ApplicationError{Field: field, Problem: p}
	}
	s.appsMu.Lock()
	defer s.appsMu.Unlock()
	old := s.apps.Load()
	if len(old.list) >= MaxApplications {
		return ErrTooManyApplications
	}
	if _, ok := old.byKey[a.Key]; ok || slices.ContainsFunc(old.list, func(o *app) bool { return o.Name == a.Name }) {
		return ErrApplicationExists
	}
	t := &appTable{byKey: maps.Clone(old.byKey), list: slices.Clone(old.list)}
	t.add(s.newApp(a))
	s.apps.Store(t)
	return nil
}

// RemoveApplication removes the application named name: its key and secret are refused from
// now on, and its grants can no longer be used. It returns ErrUnknownApplication when no
// application has that name.
func (s *Server) RemoveApplication(name string) error {
	s.appsMu.Lock()
	defer s.appsMu.Unlock()
	old := s.apps.Load()
	i := slices.IndexFunc(old.list, func(o *app) bool { return o.Name == name })
	if i < 0 {
		return ErrUnknownApplication
	}
	t := &appTable{byKey: maps.Clone(old.byKey), list: slices.Delete(slices.Clone(old.list), i, i+1)}
	delete(t.byKey, old.list[i].Key)
	s.apps.Store(t)
	return nil
}

// Credentials returns the key and secret of the first application of kind (KindPlain,
// KindAuthorizationCode or KindWeb, as a string); ok is false when s serves none. With
// GrantConsent it lets a tool that drives the emulator, such as the contract check
// (contract.Emulator), use a Server directly.
func (s *Server) Credentials(kind string) (key, secret string, ok bool) {
	for _, a := range s.apps.Load().list {
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
