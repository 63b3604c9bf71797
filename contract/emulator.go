package contract

import (
	"context"

	"github.com/scboauth/scboauth/sandbox"
)

// EmulatorFor describes srv, the scboauth emulator serving apps, to Run: the first application
// of each kind plays its role, and the emulator's Consent mints authorization codes. Pass it as
// Config.Emulator with Config.BaseURL pointing at srv, for example:
//
//	srv, _ := sandbox.New()
//	hs := httptest.NewServer(srv)
//	cfg := contract.Config{BaseURL: hs.URL, Emulator: contract.EmulatorFor(srv, sandbox.DemoApplications())}
func EmulatorFor(srv *sandbox.Server, apps []sandbox.Application) *Emulator {
	em := &Emulator{Consent: func(_ context.Context, callbackURL, state, codeChallenge string) (string, error) {
		return srv.Consent(callbackURL, sandbox.Consent{State: state, CodeChallenge: codeChallenge})
	}}
	for _, a := range apps {
		c := Credentials{Key: a.Key, Secret: a.Secret}
		switch {
		case a.Kind == sandbox.KindPlain && em.Plain.Key == "":
			em.Plain = c
		case a.Kind == sandbox.KindAuthorizationCode && em.AuthorizationCode.Key == "":
			em.AuthorizationCode = c
		case a.Kind == sandbox.KindWeb && em.Web.Key == "":
			em.Web = c
		}
	}
	return em
}
