package sandbox

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
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
				code, err := h.srv.Consent(h.callback(demoAuthCode), Consent{})
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
	h.srv.mu.Lock()
	defer h.srv.mu.Unlock()
	if n := len(h.srv.refreshes); n != 80 {
		t.Errorf("live refresh tokens: got %d, want 80 (one per flow)", n)
	}
	if n := len(h.srv.codes) + len(h.srv.consents); n != 0 {
		t.Errorf("codes and consents left: got %d, want 0", n)
	}
}

func TestStoreSweepsExpired(t *testing.T) {
	clock := newFakeClock()
	srv, err := New(WithClock(clock.Now), WithTokenGenerator(seqTokens("t")))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		cb := "scbeasysim://login/" + fmt.Sprint(i)
		srv.mu.Lock()
		srv.store(srv.consents, fmt.Sprint(i), grant{app: srv.apps[demoAuthCode.Key], expires: clock.Now().Add(time.Minute)}, clock.Now())
		srv.mu.Unlock()
		if i%2 == 0 {
			if _, err := srv.Consent(cb, Consent{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	clock.Advance(time.Hour)
	srv.mu.Lock()
	srv.store(srv.consents, "new", grant{app: srv.apps[demoAuthCode.Key], expires: clock.Now().Add(time.Minute)}, clock.Now())
	consents, codes := len(srv.consents), len(srv.codes)
	srv.mu.Unlock()
	if consents != 1 || codes != 0 {
		t.Errorf("after expiry: got %d consents and %d codes, want 1 and 0", consents, codes)
	}
}

func TestStoreIsBounded(t *testing.T) {
	clock := newFakeClock()
	srv, err := New(WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	a := srv.apps[demoAuthCode.Key]
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for i := 0; i < maxGrants+100; i++ {
		srv.store(srv.consents, fmt.Sprint(i), grant{app: a, expires: clock.Now().Add(time.Hour)}, clock.Now())
	}
	if n := len(srv.consents); n > maxGrants {
		t.Errorf("pending consents: got %d, want at most %d", n, maxGrants)
	}
	if _, ok := srv.consents[fmt.Sprint(maxGrants+99)]; !ok {
		t.Error("the newest consent was dropped")
	}
}

func TestServerPrintsNoSecret(t *testing.T) {
	h := newHarness(t, WithTokenGenerator(seqTokens("SECRET")))
	code := h.authCode(demoAuthCode, Consent{})
	h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoAuthCode, "authCode", code))
	h.authCode(demoWeb, Consent{CodeChallenge: "CHALLENGE"})
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
