package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/scboauth/scboauth/contract"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// A Server is what the contract check drives as an emulator.
var _ contract.Emulator = (*sandbox.Server)(nil)

func TestApplications(t *testing.T) {
	srv := sandboxtest.New(t)
	got := srv.Applications()
	if fmt.Sprint(got) != fmt.Sprint(demo) || len(got) != 3 {
		t.Fatalf("got %v, want the demo applications in order", got)
	}
	for i := range got {
		if got[i] != demo[i] {
			t.Errorf("application %d: got %s, want %s (secrets compared too)", i, got[i].Name, demo[i].Name)
		}
	}
	got[0].Secret = "changed"
	if srv.Applications()[0].Secret != demoPlain.Secret {
		t.Error("Applications shares the server's slice")
	}
	if s := fmt.Sprintf("%v %+v", srv.Applications(), srv.Applications()); strings.Contains(s, demoPlain.Secret) {
		t.Errorf("printed applications show a secret: %s", s)
	}

	shop := sandbox.Application{Name: "shop", Key: "l7shop", Secret: "shop-secret", Kind: sandbox.KindWeb}
	batch := sandbox.Application{Name: "batch", Key: "l7batch", Secret: "batch-secret", Kind: sandbox.KindPlain}
	if got := sandboxtest.New(t, sandbox.WithApplications(shop, batch)).Applications(); len(got) != 2 || got[0] != shop || got[1] != batch {
		t.Errorf("with WithApplications: got %v, want shop and batch in order", got)
	}
}

func TestServerCredentials(t *testing.T) {
	srv := sandboxtest.New(t)
	for _, a := range demo {
		key, secret, ok := srv.Credentials(string(a.Kind))
		if !ok || key != a.Key || secret != a.Secret {
			t.Errorf("Credentials(%q): got %q, ok %v, want %s's key and secret", a.Kind, key, ok, a.Name)
		}
	}
	for _, kind := range []string{"", "mobile", "WEB"} {
		if key, secret, ok := srv.Credentials(kind); ok || key != "" || secret != "" {
			t.Errorf("Credentials(%q): got %q %q %v, want nothing", kind, key, secret, ok)
		}
	}
	first := sandbox.Application{Name: "a", Key: "l7a", Secret: "a-secret", Kind: sandbox.KindWeb}
	second := sandbox.Application{Name: "b", Key: "l7b", Secret: "b-secret", Kind: sandbox.KindWeb}
	srv = sandboxtest.New(t, sandbox.WithApplications(first, second))
	if key, _, ok := srv.Credentials(string(sandbox.KindWeb)); !ok || key != first.Key {
		t.Errorf("two web applications: got %q %v, want the first one's key", key, ok)
	}
	if _, _, ok := srv.Credentials(string(sandbox.KindPlain)); ok {
		t.Error("a kind the server does not serve: got ok")
	}
}

func TestGrantConsent(t *testing.T) {
	h := newHarness(t)
	cb := h.callback(demoWeb)
	ctx := context.Background()
	if _, err := h.srv.GrantConsent(ctx, cb, "st", ""); !errors.Is(err, sandbox.ErrCodeChallengeRequired) {
		t.Errorf("web application without a challenge: got %v, want ErrCodeChallengeRequired", err)
	}
	code, err := h.srv.GrantConsent(ctx, cb, "st", "ch")
	if err != nil {
		t.Fatal(err)
	}
	if r := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoWeb, "authCode", code, "state", "other", "codeChallenge", "ch")); r.status != http.StatusUnauthorized {
		t.Errorf("the code with another state: got %d, want 401 (bound to the consent's state)", r.status)
	}
	r := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoWeb, "authCode", code, "state", "st", "codeChallenge", "ch"))
	if r.status != http.StatusOK || r.token(t).RefreshToken == nil {
		t.Errorf("the code: got %d %s, want a token with refresh fields", r.status, r.body)
	}
	if _, err := h.srv.GrantConsent(ctx, cb, "st", "ch"); !errors.Is(err, sandbox.ErrUnknownCallback) {
		t.Errorf("the callbackUrl again: got %v, want ErrUnknownCallback", err)
	}
}
