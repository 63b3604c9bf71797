package sandbox_test

import (
	"github.com/google/uuid"

	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scboauth/scboauth/sandbox"
)

func TestClientCredentials(t *testing.T) {
	for _, a := range demo {
		t.Run(a.Name, func(t *testing.T) {
			h := newHarness(t)
			issued := h.clock.Now().Unix()
			r := h.do(http.MethodPost, pathToken, stdHeaders("resourceOwnerId", "owner-42"), credentials(a))
			if r.status != http.StatusOK {
				t.Fatalf("status: got %d %s, want 200", r.status, r.body)
			}
			tok := r.token(t)
			if tok.AccessToken != "tok-1" || tok.TokenType != "Bearer" || tok.ExpiresIn != 1800 || tok.ExpiresAt != issued+1800 {
				t.Errorf("token: got %+v, want tok-1 Bearer 1800 %d", tok, issued+1800)
			}
			if tok.RefreshToken != nil || tok.RefreshExpiresIn != nil || tok.RefreshExpiresAt != nil {
				t.Errorf("client-credentials token has refresh fields: %s", r.body)
			}
			if bytes.Contains(r.body, []byte("refresh")) {
				t.Errorf("body mentions refresh: %s", r.body)
			}
			if got := r.header.Get("resourceOwnerId"); got != "owner-42" {
				t.Errorf("resourceOwnerId header: got %q, want owner-42", got)
			}
			if code, desc, _ := r.envelope(t); code != 1000 || desc != "Success" {
				t.Errorf("status: got %d %q, want 1000 Success", code, desc)
			}
		})
	}
}

func TestDefaultTokensAreUUIDs(t *testing.T) {
	srv, err := sandbox.New()
	if err != nil {
		t.Fatal(err)
	}
	rec := serve(t, srv, http.MethodPost, pathToken, stdHeaders(), credentials(demoPlain))
	if rec.status != http.StatusOK {
		t.Fatalf("status: got %d %s", rec.status, rec.body)
	}
	tok := rec.token(t)
	if _, err := uuid.Parse(tok.AccessToken); err != nil || len(tok.AccessToken) != 36 {
		t.Errorf("accessToken: got %q, want a UUID", tok.AccessToken)
	}
	now := time.Now().Unix()
	if tok.ExpiresAt < now+1790 || tok.ExpiresAt > now+1810 {
		t.Errorf("expiresAt: got %d, want about %d", tok.ExpiresAt, now+1800)
	}
}

func TestAuthorizationCodeFlow(t *testing.T) {
	tests := []struct {
		name    string
		app     sandbox.Application
		consent sandbox.Consent
		extra   []string // added to the token request
	}{
		{"authorization-code", demoAuthCode, sandbox.Consent{}, nil},
		{"authorization-code with state", demoAuthCode, sandbox.Consent{State: "s1"}, []string{"state", "other"}},
		{"web", demoWeb, sandbox.Consent{State: "s1", CodeChallenge: "ch1"}, []string{"state", "s1", "codeChallenge", "ch1"}},
		{"web without state", demoWeb, sandbox.Consent{CodeChallenge: "ch1"}, []string{"codeChallenge", "ch1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, sandbox.WithLifetimes(sandbox.Lifetimes{}))
			cb := h.callback(tt.app)
			if !strings.HasPrefix(cb, "scbeasysim://login/") {
				t.Fatalf("callbackUrl: got %q, want scbeasysim://login/...", cb)
			}
			code, err := h.srv.Consent(cb, tt.consent)
			if err != nil {
				t.Fatalf("Consent: %v", err)
			}
			issued := h.clock.Now().Unix()
			r := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(tt.app, append([]string{"authCode", code}, tt.extra...)...))
			if r.status != http.StatusOK {
				t.Fatalf("token: got %d %s, want 200", r.status, r.body)
			}
			tok := r.token(t)
			if tok.RefreshToken == nil || *tok.RefreshToken == "" || tok.RefreshExpiresIn == nil || *tok.RefreshExpiresIn != 3600 ||
				tok.RefreshExpiresAt == nil || *tok.RefreshExpiresAt != issued+3600 {
				t.Fatalf("token: got %s, want refresh fields 3600 %d", r.body, issued+3600)
			}
			if tok.ExpiresIn != 1800 || tok.ExpiresAt != issued+1800 {
				t.Errorf("access: got %d %d, want 1800 %d", tok.ExpiresIn, tok.ExpiresAt, issued+1800)
			}

			// The code is single use.
			again := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(tt.app, append([]string{"authCode", code}, tt.extra...)...))
			wantError(t, again, http.StatusUnauthorized, 9300, "Invalid authorization code")

			// Refresh: a new pair; the old refresh token is spent.
			h.clock.Advance(10 * time.Minute)
			first := *tok.RefreshToken
			r = h.do(http.MethodPost, pathRefresh, stdHeaders(), credentials(tt.app, "refreshToken", first))
			if r.status != http.StatusOK {
				t.Fatalf("refresh: got %d %s, want 200", r.status, r.body)
			}
			next := r.token(t)
			refreshed := h.clock.Now().Unix()
			if next.AccessToken == tok.AccessToken || next.RefreshToken == nil || *next.RefreshToken == first {
				t.Errorf("refresh: got %s, want a new pair", r.body)
			}
			if next.ExpiresAt != refreshed+1800 || *next.RefreshExpiresAt != refreshed+3600 {
				t.Errorf("refresh expiries: got %d %d, want %d %d", next.ExpiresAt, *next.RefreshExpiresAt, refreshed+1800, refreshed+3600)
			}
			if got, want := r.header.Get("resourceOwnerId"), sandbox.ResourceOwnerID(""); got != want {
				t.Errorf("resourceOwnerId header: got %q, want the default user's %q", got, want)
			}
			reused := h.do(http.MethodPost, pathRefresh, stdHeaders(), credentials(tt.app, "refreshToken", first))
			wantError(t, reused, http.StatusUnauthorized, 9300, "Invalid/expired temporary token")
			r = h.do(http.MethodPost, pathRefresh, stdHeaders(), credentials(tt.app, "refreshToken", *next.RefreshToken))
			if r.status != http.StatusOK {
				t.Errorf("refresh with the rotated token: got %d %s, want 200", r.status, r.body)
			}
		})
	}
}

func TestConsentEndpoint(t *testing.T) {
	h := newHarness(t)
	cb := h.callback(demoWeb)
	hdr := map[string]string{"Content-Type": "application/json"}

	r := h.do(http.MethodPost, pathConsent, hdr, jsonBody("callbackUrl", cb, "state", "st"))
	wantError(t, r, http.StatusBadRequest, 1101, "Missing required parameters") // a web app needs a codeChallenge

	r = h.do(http.MethodPost, pathConsent, hdr, jsonBody("callbackUrl", cb, "state", "st", "codeChallenge", "ch"))
	if r.status != http.StatusOK {
		t.Fatalf("consent: got %d %s, want 200", r.status, r.body)
	}
	var cr consentAnswer
	if code, _, _ := r.envelope(t); code != 1000 {
		t.Errorf("code: got %d, want 1000", code)
	}
	if err := json.Unmarshal(r.body, &cr); err != nil || cr.Data.AuthCode == "" || cr.Data.State != "st" {
		t.Errorf("consent body: got %s, want an authCode and state st", r.body)
	}

	// The callbackUrl is spent.
	r = h.do(http.MethodPost, pathConsent, hdr, jsonBody("callbackUrl", cb, "codeChallenge", "ch"))
	wantError(t, r, http.StatusNotFound, 1104, "Requested entity record does not exist")

	tests := []struct {
		name   string
		header map[string]string
		body   string
		status int
		code   int
	}{
		{"unknown callbackUrl", hdr, jsonBody("callbackUrl", "scbeasysim://login/nope"), 404, 1104},
		{"missing callbackUrl", hdr, `{"state":"x"}`, 400, 1101},
		{"empty callbackUrl", hdr, `{"callbackUrl":""}`, 400, 1103},
		{"unknown field", hdr, `{"callbackUrl":"x","code":"y"}`, 400, 1105},
		{"wrong type", hdr, `{"callbackUrl":1}`, 400, 1102},
		{"invalid JSON", hdr, `{"callbackUrl":`, 400, 1102},
		{"wrong content type", map[string]string{"Content-Type": "text/plain"}, `{}`, 415, 9900},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.do(http.MethodPost, pathConsent, tt.header, tt.body)
			if code, _, _ := r.envelope(t); r.status != tt.status || code != tt.code {
				t.Errorf("got %d %d, want %d %d (%s)", r.status, code, tt.status, tt.code, r.body)
			}
		})
	}
	r = h.do(http.MethodGet, pathConsent, nil, "")
	wantError(t, r, http.StatusMethodNotAllowed, 9900, "Wrong http method requested on endpoint")
}

func TestConsentExpires(t *testing.T) {
	h := newHarness(t, sandbox.WithLifetimes(sandbox.Lifetimes{Consent: time.Minute}))
	cb := h.callback(demoAuthCode)
	h.clock.Advance(time.Minute)
	if _, err := h.srv.Consent(cb, sandbox.Consent{}); err != sandbox.ErrUnknownCallback {
		t.Errorf("Consent after its window: got %v, want ErrUnknownCallback", err)
	}
	cb = h.callback(demoAuthCode)
	h.clock.Advance(time.Minute - time.Second)
	if _, err := h.srv.Consent(cb, sandbox.Consent{}); err != nil {
		t.Errorf("Consent within its window: got %v, want nil", err)
	}
	cb = h.callback(demoWeb)
	if _, err := h.srv.Consent(cb, sandbox.Consent{State: "s"}); err != sandbox.ErrCodeChallengeRequired {
		t.Errorf("web Consent without a challenge: got %v, want ErrCodeChallengeRequired", err)
	}
	if _, err := h.srv.Consent(cb, sandbox.Consent{CodeChallenge: "c"}); err != nil {
		t.Errorf("web Consent retried with a challenge: got %v, want nil", err)
	}
}

func TestAuthorizationCodeErrors(t *testing.T) {
	codeFor := func(a sandbox.Application, c sandbox.Consent) func(h *harness) string {
		return func(h *harness) string { return h.authCode(a, c) }
	}
	tests := []struct {
		name   string
		app    sandbox.Application
		code   func(h *harness) string
		before func(h *harness, code string)
		extra  []string
		status int
		bcode  int
		desc   string
	}{
		{name: "plain application", app: demoPlain, code: func(*harness) string { return "any" },
			status: 403, bcode: 9503, desc: "Invalid authorization method for current credentials"},
		{name: "unknown code", app: demoAuthCode, code: func(*harness) string { return "nope" },
			status: 401, bcode: 9300, desc: "Invalid authorization code"},
		{name: "code of another application", app: demoAuthCode, code: codeFor(demoWeb, sandbox.Consent{CodeChallenge: "c"}),
			status: 401, bcode: 9300, desc: "Invalid authorization code"},
		{name: "expired code", app: demoAuthCode, code: codeFor(demoAuthCode, sandbox.Consent{}),
			before: func(h *harness, _ string) { h.clock.Advance(time.Minute) },
			status: 401, bcode: 9300, desc: "Invalid authorization code"},
		{name: "used code", app: demoAuthCode, code: codeFor(demoAuthCode, sandbox.Consent{}),
			before: func(h *harness, code string) {
				r := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoAuthCode, "authCode", code))
				if r.status != 200 {
					h.t.Fatalf("first use: got %d %s", r.status, r.body)
				}
			},
			status: 401, bcode: 9300, desc: "Invalid authorization code"},
		{name: "web without codeChallenge", app: demoWeb, code: codeFor(demoWeb, sandbox.Consent{CodeChallenge: "c"}),
			status: 401, bcode: 9300, desc: "This application requires codeChallenge verification"},
		{name: "web with a wrong codeChallenge", app: demoWeb, code: codeFor(demoWeb, sandbox.Consent{CodeChallenge: "c"}),
			extra: []string{"codeChallenge", "d"}, status: 401, bcode: 9300, desc: "This application requires codeChallenge verification"},
		{name: "web without codeChallenge, unknown code", app: demoWeb, code: func(*harness) string { return "nope" },
			status: 401, bcode: 9300, desc: "This application requires codeChallenge verification"},
		{name: "web with a wrong state", app: demoWeb, code: codeFor(demoWeb, sandbox.Consent{State: "s", CodeChallenge: "c"}),
			extra: []string{"codeChallenge", "c", "state", "t"}, status: 401, bcode: 9300, desc: "Invalid authorization code"},
		{name: "web without the state", app: demoWeb, code: codeFor(demoWeb, sandbox.Consent{State: "s", CodeChallenge: "c"}),
			extra: []string{"codeChallenge", "c"}, status: 401, bcode: 9300, desc: "Invalid authorization code"},
		{name: "wrong secret", app: sandbox.Application{Key: demoAuthCode.Key, Secret: "wrong"}, code: codeFor(demoAuthCode, sandbox.Consent{}),
			status: 401, bcode: 9500, desc: "Invalid authorization credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			code := tt.code(h)
			if tt.before != nil {
				tt.before(h, code)
			}
			r := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(tt.app, append([]string{"authCode", code}, tt.extra...)...))
			wantError(t, r, tt.status, tt.bcode, tt.desc)
		})
	}
}

func TestAuthCodeLivesSixtySeconds(t *testing.T) {
	h := newHarness(t)
	code := h.authCode(demoAuthCode, sandbox.Consent{})
	h.clock.Advance(59 * time.Second)
	r := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoAuthCode, "authCode", code))
	if r.status != http.StatusOK {
		t.Errorf("at 59 s: got %d %s, want 200", r.status, r.body)
	}
	code = h.authCode(demoAuthCode, sandbox.Consent{})
	h.clock.Advance(60 * time.Second)
	r = h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoAuthCode, "authCode", code))
	wantError(t, r, http.StatusUnauthorized, 9300, "Invalid authorization code")
}

func TestFailedChallengeKeepsTheCode(t *testing.T) {
	h := newHarness(t)
	code := h.authCode(demoWeb, sandbox.Consent{CodeChallenge: "c"})
	r := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoWeb, "authCode", code, "codeChallenge", "wrong"))
	wantError(t, r, http.StatusUnauthorized, 9300, "This application requires codeChallenge verification")
	r = h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoWeb, "authCode", code, "codeChallenge", "c"))
	if r.status != http.StatusOK {
		t.Errorf("with the right challenge: got %d %s, want 200", r.status, r.body)
	}
}

func TestRefreshErrors(t *testing.T) {
	tests := []struct {
		name   string
		app    sandbox.Application
		token  func(h *harness, rt string) string
		before func(h *harness)
		status int
		code   int
		desc   string
	}{
		{name: "unknown", app: demoAuthCode, token: func(*harness, string) string { return "nope" },
			status: 401, code: 9300, desc: "Invalid/expired temporary token"},
		{name: "expired", app: demoAuthCode, before: func(h *harness) { h.clock.Advance(time.Hour) },
			status: 401, code: 9300, desc: "Invalid/expired temporary token"},
		{name: "of another application", app: demoWeb,
			status: 401, code: 9300, desc: "Invalid/expired temporary token"},
		{name: "plain application", app: demoPlain,
			status: 403, code: 9503, desc: "Invalid authorization method for current credentials"},
		{name: "wrong secret", app: sandbox.Application{Key: demoAuthCode.Key, Secret: demoWeb.Secret},
			status: 401, code: 9500, desc: "Invalid authorization credentials"},
		{name: "unknown key", app: sandbox.Application{Key: "l7nope", Secret: demoAuthCode.Secret},
			status: 401, code: 9500, desc: "Invalid authorization credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			code := h.authCode(demoAuthCode, sandbox.Consent{})
			r := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoAuthCode, "authCode", code))
			rt := *r.token(t).RefreshToken
			if tt.token != nil {
				rt = tt.token(h, rt)
			}
			if tt.before != nil {
				tt.before(h)
			}
			r = h.do(http.MethodPost, pathRefresh, stdHeaders(), credentials(tt.app, "refreshToken", rt))
			wantError(t, r, tt.status, tt.code, tt.desc)
		})
	}
	t.Run("just before expiry", func(t *testing.T) {
		h := newHarness(t)
		code := h.authCode(demoAuthCode, sandbox.Consent{})
		r := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoAuthCode, "authCode", code))
		h.clock.Advance(time.Hour - time.Second)
		r = h.do(http.MethodPost, pathRefresh, stdHeaders(), credentials(demoAuthCode, "refreshToken", *r.token(t).RefreshToken))
		if r.status != http.StatusOK {
			t.Errorf("got %d %s, want 200", r.status, r.body)
		}
	})
}

func TestWrongCredentials(t *testing.T) {
	tests := []struct {
		name   string
		method string
		path   string
		header map[string]string
		body   string
		status int
		code   int
		desc   string
	}{
		{"token, wrong secret", "POST", pathToken, stdHeaders(), jsonBody("applicationKey", demoPlain.Key, "applicationSecret", "nope"),
			401, 9500, "Invalid authorization credentials"},
		{"token, unknown key", "POST", pathToken, stdHeaders(), jsonBody("applicationKey", "l7nope", "applicationSecret", demoPlain.Secret),
			401, 9500, "Invalid authorization credentials"},
		{"token, another application's secret", "POST", pathToken, stdHeaders(), jsonBody("applicationKey", demoPlain.Key, "applicationSecret", demoWeb.Secret),
			401, 9500, "Invalid authorization credentials"},
		{"token, secret with a suffix", "POST", pathToken, stdHeaders(), jsonBody("applicationKey", demoPlain.Key, "applicationSecret", demoPlain.Secret+"x"),
			401, 9500, "Invalid authorization credentials"},
		{"refresh, wrong secret", "POST", pathRefresh, stdHeaders(), jsonBody("applicationKey", demoAuthCode.Key, "applicationSecret", "nope", "refreshToken", "r"),
			401, 9500, "Invalid authorization credentials"},
		{"authorize, unknown key", "GET", pathAuthorize, authorizeHeaders(sandbox.Application{Key: "l7nope", Secret: "x"}), "",
			401, 9500, "Invalid apikey provided"},
		{"authorize, wrong secret", "GET", pathAuthorize, authorizeHeaders(sandbox.Application{Key: demoAuthCode.Key, Secret: "x"}), "",
			401, 9500, "Invalid authorization credentials"},
		{"authorize, missing apikey", "GET", pathAuthorize, authorizeHeaders(demoAuthCode, "-apikey", ""), "",
			401, 9100, "Authorization credentials required"},
		{"authorize, missing apisecret", "GET", pathAuthorize, authorizeHeaders(demoAuthCode, "-apisecret", ""), "",
			401, 9100, "Authorization credentials required"},
		{"authorize, plain application", "GET", pathAuthorize, authorizeHeaders(demoPlain), "",
			403, 9503, "Invalid authorization method for current credentials"},
	}
	h := newHarness(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, h.do(tt.method, tt.path, tt.header, tt.body), tt.status, tt.code, tt.desc)
		})
	}
}

func TestAuthorizeAnswersCallback(t *testing.T) {
	h := newHarness(t)
	r := h.do(http.MethodGet, pathAuthorize+"?orderId=42", authorizeHeaders(demoWeb, "response-channel", "mobile_mma", "endState", "mobile_web", "accept-language", "th"), "")
	if r.status != http.StatusOK {
		t.Fatalf("got %d %s, want 200", r.status, r.body)
	}
	if !bytes.Contains(r.body, []byte(`"callbackUrl":"scbeasysim://login/tok-1"`)) {
		t.Errorf("body: got %s, want the callbackUrl scbeasysim://login/tok-1", r.body)
	}
}

// A consent's state is the one string a client has the emulator store: it is bounded (item 12 of
// issue 9: 8,000 consents with a 65,000-character state took 871 MB).
func TestConsentStateIsBounded(t *testing.T) {
	h := newHarness(t)
	longest := strings.Repeat("s", sandbox.MaxStateBytes)
	if _, err := h.srv.Consent(h.callback(demoAuthCode), sandbox.Consent{State: longest}); err != nil {
		t.Errorf("a state of MaxStateBytes: got %v, want a code", err)
	}
	cb := h.callback(demoAuthCode)
	if _, err := h.srv.Consent(cb, sandbox.Consent{State: longest + "s"}); !errors.Is(err, sandbox.ErrStateTooLong) {
		t.Errorf("a state one byte longer: got %v, want ErrStateTooLong", err)
	}
	if _, err := h.srv.Consent(cb, sandbox.Consent{State: "s"}); err != nil {
		t.Errorf("the refused consent spent the callbackUrl: %v", err)
	}
	for _, state := range []string{longest + "s", strings.Repeat("é", sandbox.MaxStateBytes/2+1), strings.Repeat("s", 65_000)} {
		r := h.do(http.MethodPost, pathConsent, map[string]string{"Content-Type": "application/json"},
			jsonBody("callbackUrl", h.callback(demoAuthCode), "state", state))
		wantError(t, r, http.StatusBadRequest, 1102, "Invalid parameters entered")
	}
	if consents, codes, _ := h.srv.StoreLen(); codes != 2 || consents != 3 {
		t.Errorf("got %d codes and %d pending consents, want 2 and 3 (the refused consents keep their callbackUrl)", codes, consents)
	}
}
