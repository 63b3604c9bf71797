package sandbox_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

func TestConcurrentFlows(t *testing.T) {
	h := newHarness(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				code, err := h.srv.Consent(h.callback(demoAuthCode), sandbox.Consent{})
				if err != nil {
					errs <- err
					return
				}
				r := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoAuthCode, "authCode", code))
				if r.status != http.StatusOK {
					errs <- fmt.Errorf("token: %d %s", r.status, r.body)
					return
				}
				r = h.do(http.MethodPost, pathRefresh, stdHeaders(), credentials(demoAuthCode, "refreshToken", *r.token(t).RefreshToken))
				if r.status != http.StatusOK {
					errs <- fmt.Errorf("refresh: %d %s", r.status, r.body)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	consents, codes, refreshes := h.srv.StoreLen()
	if refreshes != 80 {
		t.Errorf("live refresh tokens: got %d, want 80 (one per flow)", refreshes)
	}
	if consents+codes != 0 {
		t.Errorf("codes and consents left: got %d, want 0", consents+codes)
	}
}

func TestStoreSweepsExpired(t *testing.T) {
	h := newHarness(t)
	for i := 0; i < 20; i++ {
		cb := h.callback(demoAuthCode)
		if i%2 == 0 {
			if _, err := h.srv.Consent(cb, sandbox.Consent{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if consents, codes, _ := h.srv.StoreLen(); consents != 10 || codes != 10 {
		t.Fatalf("before expiry: got %d consents and %d codes, want 10 and 10", consents, codes)
	}
	h.clock.Advance(time.Hour)
	h.callback(demoAuthCode) // a store sweeps what expired
	if consents, codes, _ := h.srv.StoreLen(); consents != 1 || codes != 0 {
		t.Errorf("after expiry: got %d consents and %d codes, want 1 and 0", consents, codes)
	}
}

func TestServerPrintsNoSecret(t *testing.T) {
	h := newHarness(t, sandbox.WithTokenGenerator(sandboxtest.Tokens("SECRET")))
	code := h.authCode(demoAuthCode, sandbox.Consent{})
	h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoAuthCode, "authCode", code))
	h.authCode(demoWeb, sandbox.Consent{CodeChallenge: "CHALLENGE"})
	h.callback(demoAuthCode)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		got := fmt.Sprintf(verb, h.srv)
		if strings.Contains(got, "SECRET") || strings.Contains(got, "CHALLENGE") || strings.Contains(got, demoAuthCode.Secret) {
			t.Errorf("%s: got %s, which shows a secret", verb, got)
		}
		if want := "sandbox.Server{applications: 3, pending consents: 1, codes: 1, refresh tokens: 1}"; got != want {
			t.Errorf("%s: got %s, want %s", verb, got, want)
		}
	}
}

func TestEscapedPath(t *testing.T) {
	h := newHarness(t)
	// net/http unescapes %74 to t: the path is the token path.
	if r := h.do(http.MethodPost, "/v1/oauth/%74oken", stdHeaders(), credentials(demoPlain)); r.status != http.StatusOK {
		t.Errorf("got %d %s, want 200", r.status, r.body)
	}
	r := h.do(http.MethodPost, "/v1/oauth%2Ftoken", stdHeaders(), credentials(demoPlain))
	if r.status != http.StatusOK && r.status != http.StatusNotFound {
		t.Errorf("got %d %s, want 200 or 404", r.status, r.body)
	}
}
