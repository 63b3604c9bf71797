package main

import (
	"encoding/json"

	"strings"
	"testing"
	"time"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// runTokenCmd runs "scboauth token args..." in process with environ as the environment.
func runTokenCmd(t *testing.T, environ map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runCmd(t, environ, append([]string{"token"}, args...)...)
}

func TestTokenCommandClientCredentials(t *testing.T) {
	_, ts := sandboxtest.NewServer(t)
	base, app := ts.URL, sandboxtest.Demo(sandbox.KindPlain)
	environ := map[string]string{"SCB_BASE_URL": base, "SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": app.Secret}

	before := time.Now()
	code, stdout, stderr := runTokenCmd(t, environ)
	if code != exitOK || stderr != "" {
		t.Fatalf("got exit %d, stderr %q; want 0 and nothing", code, stderr)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("got %q, want JSON: %v", stdout, err)
	}
	if out["tokenType"] != "Bearer" || out["expiresIn"] != float64(1800) || out["accessToken"] == "" {
		t.Errorf("got %v, want a Bearer token of 1800 s", out)
	}
	if _, ok := out["refreshToken"]; ok {
		t.Errorf("got a refresh token on the client-credentials grant: %v", out)
	}
	exp, err := time.Parse(time.RFC3339, out["expiresAt"].(string))
	if err != nil || exp.Before(before.Add(29*time.Minute)) || exp.After(before.Add(31*time.Minute)) {
		t.Errorf("got expiresAt %v (%v), want 30 minutes from now", out["expiresAt"], err)
	}

	code, stdout, stderr = runTokenCmd(t, environ, "--access-token-only")
	if code != exitOK || stderr != "" || strings.Count(stdout, "\n") != 1 || len(strings.TrimSpace(stdout)) < 8 || strings.ContainsAny(stdout, "{\" ") {
		t.Errorf("got exit %d, stdout %q, stderr %q; want the access token alone on one line", code, stdout, stderr)
	}

	// Flags win over the environment, and the deprecated names still work, with a notice.
	wrong := map[string]string{"SCB_BASE_URL": base, "SCB_APPLICATION_KEY": "wrong", "SCB_APPLICATION_SECRET": "wrong"}
	code, _, stderr = runTokenCmd(t, wrong, "--application-key", app.Key, "--application-secret", app.Secret)
	if code != exitOK || stderr != "" {
		t.Errorf("with flags got exit %d (%s), want 0 and nothing on stderr", code, stderr)
	}
	code, _, stderr = runTokenCmd(t, wrong, "--key", app.Key, "--secret", app.Secret)
	if code != exitOK || !strings.Contains(stderr, "--key is deprecated: use --application-key") || !strings.Contains(stderr, "--secret is deprecated: use --application-secret") {
		t.Errorf("with deprecated flags got exit %d, stderr %q; want 0 and deprecation notices", code, stderr)
	}
	code, _, stderr = runTokenCmd(t, map[string]string{"SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": app.Secret}, "--base-url", base)
	if code != exitOK {
		t.Errorf("with --base-url got exit %d (%s), want 0", code, stderr)
	}
}

func TestTokenCommandAuthorizationCode(t *testing.T) {
	srv, ts := sandboxtest.NewServer(t)
	base := ts.URL
	consent := func(app sandbox.Application, c sandbox.Consent) string { return consentCode(t, srv, base, app, c) }

	app := sandboxtest.Demo(sandbox.KindAuthorizationCode)
	code := consent(app, sandbox.Consent{})
	environ := map[string]string{"SCB_BASE_URL": base, "SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": app.Secret, "SCB_AUTH_CODE": code}
	exit, stdout, stderr := runTokenCmd(t, environ)
	if exit != exitOK {
		t.Fatalf("got exit %d (%s), want 0", exit, stderr)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	if out["refreshToken"] == nil || out["refreshExpiresAt"] == nil {
		t.Errorf("got %v, want the refresh fields of a user's token", out)
	}
	// The code is spent: SCB answers 401 9300, exit 1, the code not printed.
	exit, stdout, stderr = runTokenCmd(t, environ)
	if exit != exitFail || stdout != "" || !strings.Contains(stderr, "401 9300 invalid authorization code") || strings.Contains(stderr, code) {
		t.Errorf("reusing the code: got exit %d, stdout %q, stderr %q; want 1 and SCB's error without the code", exit, stdout, stderr)
	}

	web := sandboxtest.Demo(sandbox.KindWeb)
	code = consent(web, sandbox.Consent{State: "st", CodeChallenge: "the-challenge"})
	webEnv := map[string]string{"SCB_BASE_URL": base, "SCB_APPLICATION_KEY": web.Key, "SCB_APPLICATION_SECRET": web.Secret}
	exit, _, stderr = runTokenCmd(t, webEnv, "--auth-code", code, "--state", "st")
	if exit != exitFail || !strings.Contains(stderr, "codeChallenge") {
		t.Errorf("web application without the challenge: got exit %d, stderr %q; want 1 and the codeChallenge error", exit, stderr)
	}
	webEnv["SCB_CODE_CHALLENGE"] = "the-challenge"
	exit, stdout, stderr = runTokenCmd(t, webEnv, "--auth-code", code, "--state", "st", "--access-token-only")
	if exit != exitOK || strings.TrimSpace(stdout) == "" {
		t.Errorf("web application: got exit %d, stdout %q, stderr %q; want a token", exit, stdout, stderr)
	}
}

func TestTokenCommandErrors(t *testing.T) {
	_, ts := sandboxtest.NewServer(t)
	base, app := ts.URL, sandboxtest.Demo(sandbox.KindPlain)
	const secret = "s3cret-that-must-not-show"

	tests := []struct {
		name       string
		environ    map[string]string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"no credentials", map[string]string{"SCB_BASE_URL": base}, nil, exitUsage,
			"missing the application's credentials: set --application-key (SCB_APPLICATION_KEY) and --application-secret (SCB_APPLICATION_SECRET)"},
		{"no secret", map[string]string{"SCB_BASE_URL": base, "SCB_APPLICATION_KEY": app.Key}, nil, exitUsage,
			"missing the application's credentials: set --application-secret (SCB_APPLICATION_SECRET)\n"},
		{"wrong secret", map[string]string{"SCB_BASE_URL": base, "SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": secret}, nil, exitFail,
			"scboauth token: api: token request: 401 9500 invalid authorization credentials (requestUId "},
		{"language in any case", map[string]string{"SCB_BASE_URL": base, "SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": secret}, []string{"--language", "th"}, exitFail,
			"401 9500"},
		{"plain application exchanging a code", map[string]string{"SCB_BASE_URL": base, "SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": app.Secret, "SCB_AUTH_CODE": secret}, nil, exitFail,
			")\nscboauth token: the authorization code came from SCB_AUTH_CODE; unset it for the client-credentials grant\n"},
		// No answer (TLS spoken to a plain HTTP server: a failure that is not retried, so the
		// test does not wait out the backoff of a refused connection).
		{"no answer", map[string]string{"SCB_BASE_URL": strings.Replace(base, "http:", "https:", 1), "SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": secret}, nil, exitUsage,
			"server gave HTTP response to HTTPS client"},
		{"http to a remote host", map[string]string{"SCB_BASE_URL": "http://api.partners.scb/partners", "SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": secret}, nil, exitUsage,
			"SCB_BASE_URL (--base-url): https required"},
		{"http to a remote host, flag", map[string]string{"SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": secret}, []string{"--base-url", "http://api.partners.scb/partners"}, exitUsage,
			"--base-url (SCB_BASE_URL): https required"},
		{"production without a certificate", map[string]string{"SCB_BASE_URL": api.ProductionURL, "SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": secret}, nil, exitUsage,
			"--client-cert (SCB_CLIENT_CERT): SCB's production requires a client certificate: set --client-cert and --client-key"},
		{"certificate without key", map[string]string{"SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": secret}, []string{"--client-cert", "c.pem"}, exitUsage,
			"a client certificate needs both --client-cert (SCB_CLIENT_CERT) and --client-key (SCB_CLIENT_KEY)"},
		{"certificate files missing", map[string]string{"SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": secret}, []string{"--client-cert", "/nonexistent/c.pem", "--client-key", "/nonexistent/k.pem"}, exitUsage,
			"--client-cert (SCB_CLIENT_CERT): client certificate: open /nonexistent/c.pem"},
		{"deprecated certificate flags", map[string]string{"SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": secret}, []string{"--cert", "/nonexistent/c.pem", "--key-file", "/nonexistent/k.pem"}, exitUsage,
			"--cert is deprecated: use --client-cert\nscboauth token: --key-file is deprecated: use --client-key\nscboauth token: --client-cert (SCB_CLIENT_CERT): client certificate: open /nonexistent/c.pem"},
		{"secret with a control character", map[string]string{"SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": secret + "\t"}, nil, exitUsage,
			"SCB_APPLICATION_SECRET (--application-secret): contains control or invisible characters"},
		{"state without a code", map[string]string{"SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": secret}, []string{"--state", "x"}, exitUsage,
			"--state and --code-challenge go with an authorization code: set --auth-code (SCB_AUTH_CODE)"},
		{"bad timeout variable", map[string]string{"SCB_TOKEN_TIMEOUT": "soon"}, nil, exitUsage, `SCB_TOKEN_TIMEOUT="soon" (--timeout): not a duration`},
		{"bad language", map[string]string{"SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": secret}, []string{"--language", "FR"}, exitUsage, `--language "FR": want EN or TH (any case)`},
		{"unexpected argument", nil, []string{"extra"}, exitUsage, `unexpected argument "extra"`},
		{"unknown flag", nil, []string{"--nope"}, exitUsage, "flag provided but not defined: -nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runTokenCmd(t, tt.environ, tt.args...)
			if code != tt.wantCode {
				t.Errorf("got exit %d, want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			if stdout != "" {
				t.Errorf("got stdout %q, want nothing", stdout)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("got stderr %q, want it to contain %q", stderr, tt.wantStderr)
			}
			if strings.Contains(stderr, secret) {
				t.Errorf("stderr shows a secret: %q", stderr)
			}
			if strings.Contains(stderr, "Config.") {
				t.Errorf("stderr names a Go field: %q", stderr)
			}
		})
	}
}

// TestTokenCommandHelp: the help says the output holds the secret, and never shows a secret
// from the environment as a flag default.
func TestTokenCommandHelp(t *testing.T) {
	environ := map[string]string{"SCB_APPLICATION_SECRET": "env-secret-x", "SCB_AUTH_CODE": "env-code-x", "SCB_CODE_CHALLENGE": "env-challenge-x"}
	code, stdout, stderr := runTokenCmd(t, environ, "--help")
	if code != exitOK || stderr != "" {
		t.Fatalf("got exit %d, stderr %q; want 0", code, stderr)
	}
	if !strings.Contains(stdout, "THE OUTPUT CONTAINS THE SECRET TOKEN") || !strings.Contains(stdout, "-access-token-only") {
		t.Errorf("got help %q, want the warning and the flags", stdout)
	}
	for _, s := range []string{"env-secret-x", "env-code-x", "env-challenge-x"} {
		if strings.Contains(stdout, s) {
			t.Errorf("the help shows %q", s)
		}
	}
}

// A token that cannot travel in a header (CR/LF, controls, spaces, bidirectional overrides,
// too long) is a malformed answer: the command fails with exit 1 and never prints it, so that
// curl -H "authorization: Bearer $(scboauth token --access-token-only)" cannot inject a header
// (item 5 of issue 9).
func TestTokenCommandRefusesUnsafeTokens(t *testing.T) {
	for name, token := range map[string]string{
		"CR LF":         "tok\r\nX-Injected: yes",
		"LF":            "tok\nX-Injected: yes",
		"NUL":           "tok\x00X-Injected",
		"space":         "tok X-Injected",
		"bidi override": "tok\u202eX-Injected",
		"too long":      "X-Injected" + strings.Repeat("a", 5000),
	} {
		_, ts := sandboxtest.NewServer(t, sandbox.WithTokenGenerator(func() string { return token }))
		app := sandboxtest.Demo(sandbox.KindPlain)
		environ := map[string]string{"SCB_BASE_URL": ts.URL, "SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": app.Secret}
		for _, args := range [][]string{{"--access-token-only"}, nil} {
			t.Run(name+" "+strings.Join(args, ""), func(t *testing.T) {
				code, stdout, stderr := runTokenCmd(t, environ, args...)
				if code != exitFail || stdout != "" {
					t.Errorf("got exit %d, stdout %q; want 1 and nothing", code, stdout)
				}
				if !strings.Contains(stderr, "api: token request: 200: wrong shape: data.accessToken ") || strings.Contains(stderr, "X-Injected") {
					t.Errorf("got stderr %q, want the accessToken refused, and not shown", stderr)
				}
				if r, ok := sandboxtest.UnsafeRune(stderr); ok {
					t.Errorf("stderr has %U: %q", r, stderr)
				}
			})
		}
	}
}
