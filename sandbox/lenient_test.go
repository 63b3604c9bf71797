package sandbox_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// realShapes are request shapes that public SCB clients send and SCB accepts, though they are
// not the documented forms: the emulator accepts each by default and refuses each with
// WithStrict, naming what it refused.
var realShapes = []struct {
	name       string
	header     map[string]string
	body       func(h *harness) string // nil: credentials(demoPlain)
	wantDetail string                  // in strict mode
}{
	{name: "requestUId a short number", header: stdHeaders("requestUId", "12345"), wantDetail: "header requestUId: not a UUID or 32 alphanumerics (strict mode)"},
	{name: "requestUId a word", header: stdHeaders("requestUId", "test"), wantDetail: "header requestUId: not a UUID"},
	{name: "requestUId one character", header: stdHeaders("requestUId", "1"), wantDetail: "header requestUId: not a UUID"},
	{name: "requestUId a mustache placeholder", header: stdHeaders("requestUId", "{{requestUId}}"), wantDetail: "header requestUId: not a UUID"},
	{name: "requestUId a placeholder with spaces", header: stdHeaders("requestUId", "{{ $guid }}"), wantDetail: "header requestUId: not a UUID"},
	{name: "requestUId a shell placeholder", header: stdHeaders("requestUId", "${REQUEST_UID}"), wantDetail: "header requestUId: not a UUID"},
	{name: "requestUId of 128 bytes", header: stdHeaders("requestUId", strings.Repeat("x", sandbox.MaxRequestUIDBytes)), wantDetail: "header requestUId: not a UUID"},
	{name: "requestUId of 31 alphanumerics", header: stdHeaders("requestUId", strings.Repeat("a", 31)), wantDetail: "header requestUId: not a UUID"},
	{name: "requestUId a UUID without hyphens and a suffix", header: stdHeaders("requestUId", "2b8f3a4e6c1d4f0a9b7e5d2c1a0f3e4b-1"), wantDetail: "header requestUId: not a UUID"},
	{
		name: "every optional field null", header: stdHeaders(),
		body: func(*harness) string {
			return `{"applicationKey":"` + demoPlain.Key + `","applicationSecret":"` + demoPlain.Secret + `","authCode":null,"state":null,"codeChallenge":null}`
		},
		wantDetail: "body: authCode: null (strict mode)",
	},
	{
		name: "state null", header: stdHeaders(),
		body: func(*harness) string {
			return `{"state":null,"applicationKey":"` + demoPlain.Key + `","applicationSecret":"` + demoPlain.Secret + `"}`
		},
		wantDetail: "body: state: null (strict mode)",
	},
	{
		name: "codeChallenge null with an authorization code", header: stdHeaders(),
		body: func(h *harness) string {
			code := h.authCode(demoAuthCode, sandbox.Consent{})
			return `{"applicationKey":"` + demoAuthCode.Key + `","applicationSecret":"` + demoAuthCode.Secret + `","authCode":"` + code + `","codeChallenge":null}`
		},
		wantDetail: "body: codeChallenge: null (strict mode)",
	},
}

func TestRealClientShapes(t *testing.T) {
	for _, tt := range realShapes {
		for _, strict := range []bool{false, true} {
			name := tt.name + "/default"
			var opts []sandbox.Option
			if strict {
				name, opts = tt.name+"/strict", []sandbox.Option{sandbox.WithStrict()}
			}
			t.Run(name, func(t *testing.T) {
				h := newHarness(t, opts...)
				body := credentials(demoPlain)
				if tt.body != nil {
					body = tt.body(h)
				}
				r := h.do(http.MethodPost, pathToken, tt.header, body)
				if !strict {
					if r.status != http.StatusOK {
						t.Fatalf("got %d %s (%s), want 200: SCB accepts this shape", r.status, r.body, r.header.Get(sandbox.DetailHeader))
					}
					return
				}
				wantError(t, r, http.StatusBadRequest, 1102, "Invalid parameters entered")
				if got := r.header.Get(sandbox.DetailHeader); !strings.HasPrefix(got, tt.wantDetail) {
					t.Errorf("%s: got %q, want %q", sandbox.DetailHeader, got, tt.wantDetail)
				}
			})
		}
	}
}

// TestStrictAcceptsDocumentedForms: strict mode still accepts what SCB documents.
func TestStrictAcceptsDocumentedForms(t *testing.T) {
	h := newHarness(t, sandbox.WithStrict())
	for _, uid := range []string{"2b8f3a4e-6c1d-4f0a-9b7e-5d2c1a0f3e4b", "2B8F3A4E-6C1D-4F0A-9B7E-5D2C1A0F3E4B", "0123456789abcdefABCDEF0123456789"} {
		if r := h.do(http.MethodPost, pathToken, stdHeaders("requestUId", uid), credentials(demoPlain)); r.status != http.StatusOK {
			t.Errorf("requestUId %q: got %d %s, want 200", uid, r.status, r.body)
		}
	}
	for _, uid := range []string{"0123456789abcdef0123456789abcde-", "2b8f3a4e-6c1d-4f0a-9b7e-5d2c1a0f3e4g", "2b8f3a4e6c1d-4f0a-9b7e-5d2c1a0f3e4b0"} {
		r := h.do(http.MethodPost, pathToken, stdHeaders("requestUId", uid), credentials(demoPlain))
		wantError(t, r, http.StatusBadRequest, 1102, "Invalid parameters entered")
	}
	// A required field sent as null is refused in either mode.
	for _, opts := range [][]sandbox.Option{nil, {sandbox.WithStrict()}} {
		h := newHarness(t, opts...)
		r := h.do(http.MethodPost, pathToken, stdHeaders(), `{"applicationKey":"k","applicationSecret":null}`)
		wantError(t, r, http.StatusBadRequest, 1102, "Invalid parameters entered")
		if got := r.header.Get(sandbox.DetailHeader); got != "body: applicationSecret: not a string" {
			t.Errorf("%s: got %q, want the field named", sandbox.DetailHeader, got)
		}
	}
}

// TestResourceOwnerID: the authorization-code grant and its refreshes answer the consenting
// user's identifier, the same for every application and refresh, another for another user; the
// client-credentials grant echoes the request's.
func TestResourceOwnerID(t *testing.T) {
	h := newHarness(t)
	if got := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoPlain)).header.Get("resourceOwnerId"); got != "owner-1" {
		t.Errorf("client-credentials: got %q, want the request's owner-1", got)
	}
	owners := map[string]string{}
	for _, user := range []string{"", sandbox.DefaultUser, "alice", "bob", "ผู้ใช้"} {
		want := sandbox.ResourceOwnerID(user)
		if len(want) != 32 || strings.Trim(want, "0123456789abcdef") != "" {
			t.Fatalf("ResourceOwnerID(%q) = %q, want 32 hex characters", user, want)
		}
		if other, ok := owners[want]; ok && !(user == "" && other == sandbox.DefaultUser || other == "" && user == sandbox.DefaultUser) {
			t.Errorf("users %q and %q share %q", user, other, want)
		}
		owners[want] = user
		for _, app := range []sandbox.Application{demoAuthCode, demoWeb} {
			code, err := h.srv.Consent(h.callback(app), sandbox.Consent{User: user, CodeChallenge: "ch"})
			if err != nil {
				t.Fatal(err)
			}
			extra := []string{"authCode", code}
			if app.Kind == sandbox.KindWeb {
				extra = append(extra, "codeChallenge", "ch")
			}
			r := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(app, extra...))
			if got := r.header.Get("resourceOwnerId"); got != want {
				t.Errorf("%s, user %q: got %q, want %q", app.Name, user, got, want)
			}
			refreshed := h.do(http.MethodPost, pathRefresh, stdHeaders("resourceOwnerId", "someone-else"), credentials(app, "refreshToken", *r.token(t).RefreshToken))
			if got := refreshed.header.Get("resourceOwnerId"); got != want {
				t.Errorf("%s refresh, user %q: got %q, want %q", app.Name, user, got, want)
			}
		}
	}
	for _, user := range []string{strings.Repeat("u", sandbox.MaxUserBytes+1), "a\nb", "a\u202eb"} {
		if _, err := h.srv.Consent(h.callback(demoAuthCode), sandbox.Consent{User: user}); err != sandbox.ErrInvalidUser {
			t.Errorf("user %q: got %v, want ErrInvalidUser", user, err)
		}
	}
}

// TestDetail: a refused request names what was wrong in DetailHeader and in the request log,
// escaped, while SCB's envelope stays exact.
func TestDetail(t *testing.T) {
	tests := []struct {
		name   string
		method string
		path   string
		header map[string]string
		body   string
		want   string
	}{
		{"missing headers", "POST", pathToken, stdHeaders("-requestUId", "", "-resourceOwnerId", ""), credentials(demoPlain), "missing header requestUId, resourceOwnerId"},
		{"long requestUId", "POST", pathToken, stdHeaders("requestUId", strings.Repeat("a", 200)), credentials(demoPlain), "header requestUId: longer than 128 bytes"},
		{"accept-language", "POST", pathToken, stdHeaders("accept-language", "fr"), credentials(demoPlain), "header accept-language: not EN or TH"},
		{"empty header", "POST", pathToken, stdHeaders("resourceOwnerId", ""), credentials(demoPlain), "header resourceOwnerId: empty"},
		{"wrong type", "POST", pathToken, stdHeaders(), `{"applicationKey":1}`, "body: applicationKey: not a string"},
		{"missing field", "POST", pathRefresh, stdHeaders(), credentials(demoAuthCode), "body: refreshToken: missing"},
		{"empty field", "POST", pathToken, stdHeaders(), credentials(demoAuthCode, "authCode", ""), "body: authCode: empty"},
		{"unknown field", "POST", pathToken, stdHeaders(), credentials(demoPlain, "grant\u202eType", "x"), `body: unknown field "grant\u202eType"`},
		{"not JSON", "POST", pathToken, stdHeaders(), `{`, "body: not valid JSON"},
		{"content type", "POST", pathToken, stdHeaders("Content-Type", "text/plain"), credentials(demoPlain), "header Content-Type: not application/json"},
		{"fault", "POST", pathToken, stdHeaders(sandbox.FaultHeader, "5O3"), credentials(demoPlain), "header X-Sandbox-Fault: not one of 429, 500, 502, 503, 504, timeout, truncate, html"},
		{"web consent", "POST", pathConsent, map[string]string{"Content-Type": "application/json"}, "", "body: codeChallenge: missing; a web application's consent needs one"},
		{"response-channel", "GET", pathAuthorize, authorizeHeaders(demoWeb, "response-channel", "sms"), "", "header response-channel: not mobile or mobile_mma"},
	}
	var logs sandboxtest.Buffer
	h := newHarness(t, sandbox.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			if tt.path == pathConsent {
				body = jsonBody("callbackUrl", h.callback(demoWeb))
			}
			r := h.do(tt.method, tt.path, tt.header, body)
			got := r.header.Get(sandbox.DetailHeader)
			if r.status < 400 || got != strings.ReplaceAll(strings.ReplaceAll(tt.want, "\u202e", `\u202e`), `"`, `\"`) && got != tt.want {
				t.Errorf("got %d, %s %q, want %q", r.status, sandbox.DetailHeader, got, tt.want)
			}
			if _, bad := sandboxtest.UnsafeRune(got); bad {
				t.Errorf("%s %q has a character that hides text", sandbox.DetailHeader, got)
			}
		})
	}
	if !strings.Contains(logs.String(), `detail="missing header requestUId, resourceOwnerId"`) {
		t.Errorf("the request log does not name the missing headers:\n%s", logs.String())
	}
	if r, bad := sandboxtest.UnsafeRune(logs.String()); bad {
		t.Errorf("the request log shows %q", r)
	}
	if ok := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoPlain)); ok.header.Get(sandbox.DetailHeader) != "" {
		t.Errorf("a success carries %s %q", sandbox.DetailHeader, ok.header.Get(sandbox.DetailHeader))
	}
}
