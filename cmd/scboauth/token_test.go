package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/sandbox"
)

// tokenEmulator serves the emulator on loopback for the token command's tests.
func tokenEmulator(t *testing.T) (*sandbox.Server, string) {
	t.Helper()
	srv, err := sandbox.New()
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return srv, hs.URL
}

func tokenDemoApp(t *testing.T, kind sandbox.Kind) sandbox.Application {
	t.Helper()
	for _, a := range sandbox.DemoApplications() {
		if a.Kind == kind {
			return a
		}
	}
	t.Fatalf("no demo application of kind %s", kind)
	return sandbox.Application{}
}

// runTokenCmd runs "scboauth token args..." in process with environ as the environment.
func runTokenCmd(environ map[string]string, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(k string) string { return environ[k] }}
	code = run(context.Background(), append([]string{"token"}, args...), e)
	return code, out.String(), errOut.String()
}

func TestTokenCommandClientCredentials(t *testing.T) {
	_, base := tokenEmulator(t)
	app := tokenDemoApp(t, sandbox.KindPlain)
	environ := map[string]string{"SCB_BASE_URL": base, "SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": app.Secret}

	before := time.Now()
	code, stdout, stderr := runTokenCmd(environ)
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

	code, stdout, stderr = runTokenCmd(environ, "--access-token-only")
	if code != exitOK || stderr != "" || strings.Count(stdout, "\n") != 1 || len(strings.TrimSpace(stdout)) < 8 || strings.ContainsAny(stdout, "{\" ") {
		t.Errorf("got exit %d, stdout %q, stderr %q; want the access token alone on one line", code, stdout, stderr)
	}

	// Flags win over the environment.
	code, _, stderr = runTokenCmd(map[string]string{"SCB_BASE_URL": base, "SCB_APPLICATION_KEY": "wrong", "SCB_APPLICATION_SECRET": "wrong"},
		"--key", app.Key, "--secret", app.Secret)
	if code != exitOK {
		t.Errorf("with flags got exit %d (%s), want 0", code, stderr)
	}
	code, _, stderr = runTokenCmd(map[string]string{"SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": app.Secret}, "--base-url", base)
	if code != exitOK {
		t.Errorf("with --base-url got exit %d (%s), want 0", code, stderr)
	}
}

func TestTokenCommandAuthorizationCode(t *testing.T) {
	srv, base := tokenEmulator(t)
	ctx := context.Background()
	consent := func(app sandbox.Application, c sandbox.Consent) string {
		t.Helper()
		client, err := api.NewClient(api.Config{BaseURL: base, ApplicationKey: app.Key, ApplicationSecret: app.Secret})
		if err != nil {
			t.Fatal(err)
		}
		callback, err := client.AuthorizeURL(ctx)
		if err != nil {
			t.Fatal(err)
		}
		code, err := srv.Consent(callback, c)
		if err != nil {
			t.Fatal(err)
		}
		return code
	}

	app := tokenDemoApp(t, sandbox.KindAuthorizationCode)
	code := consent(app, sandbox.Consent{})
	environ := map[string]string{"SCB_BASE_URL": base, "SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": app.Secret, "SCB_AUTH_CODE": code}
	exit, stdout, stderr := runTokenCmd(environ)
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
	exit, stdout, stderr = runTokenCmd(environ)
	if exit != exitFail || stdout != "" || !strings.Contains(stderr, "401 9300 invalid authorization code") || strings.Contains(stderr, code) {
		t.Errorf("reusing the code: got exit %d, stdout %q, stderr %q; want 1 and SCB's error without the code", exit, stdout, stderr)
	}

	web := tokenDemoApp(t, sandbox.KindWeb)
	code = consent(web, sandbox.Consent{State: "st", CodeChallenge: "the-challenge"})
	webEnv := map[string]string{"SCB_BASE_URL": base, "SCB_APPLICATION_KEY": web.Key, "SCB_APPLICATION_SECRET": web.Secret}
	exit, _, stderr = runTokenCmd(webEnv, "--auth-code", code, "--state", "st")
	if exit != exitFail || !strings.Contains(stderr, "codeChallenge") {
		t.Errorf("web application without the challenge: got exit %d, stderr %q; want 1 and the codeChallenge error", exit, stderr)
	}
	webEnv["SCB_CODE_CHALLENGE"] = "the-challenge"
	exit, stdout, stderr = runTokenCmd(webEnv, "--auth-code", code, "--state", "st", "--access-token-only")
	if exit != exitOK || strings.TrimSpace(stdout) == "" {
		t.Errorf("web application: got exit %d, stdout %q, stderr %q; want a token", exit, stdout, stderr)
	}
}

func TestTokenCommandErrors(t *testing.T) {
	_, base := tokenEmulator(t)
	app := tokenDemoApp(t, sandbox.KindPlain)
	const secret = "s3cret-that-must-not-show"

	tests := []struct {
		name       string
		environ    map[string]string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"no credentials", map[string]string{"SCB_BASE_URL": base}, nil, exitUsage,
			"missing an application key (SCB_APPLICATION_KEY or --key)\nscboauth token: missing an application secret (SCB_APPLICATION_SECRET or --secret)"},
		{"no secret", map[string]string{"SCB_BASE_URL": base, "SCB_APPLICATION_KEY": app.Key}, nil, exitUsage, "missing an application secret"},
		{"wrong secret", map[string]string{"SCB_BASE_URL": base, "SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": secret}, nil, exitFail,
			"scboauth token: api: token request: 401 9500 invalid authorization credentials (requestUId "},
		{"plain application exchanging a code", map[string]string{"SCB_BASE_URL": base, "SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": app.Secret, "SCB_AUTH_CODE": secret}, nil, exitFail,
			"403 9503"},
		// No answer (TLS spoken to a plain HTTP server: a failure that is not retried, so the
		// test does not wait out the backoff of a refused connection).
		{"no answer", map[string]string{"SCB_BASE_URL": strings.Replace(base, "http:", "https:", 1), "SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": secret}, nil, exitUsage,
			"server gave HTTP response to HTTPS client"},
		{"http to a remote host", map[string]string{"SCB_BASE_URL": "http://api.partners.scb/partners", "SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": secret}, nil, exitUsage,
			"https required"},
		{"production without a certificate", map[string]string{"SCB_BASE_URL": api.ProductionURL, "SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": secret}, nil, exitUsage,
			"requires a client certificate"},
		{"certificate without key", map[string]string{"SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": secret}, []string{"--cert", "c.pem"}, exitUsage,
			"CertFile and Config.KeyFile go together"},
		{"certificate files missing", map[string]string{"SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": secret}, []string{"--cert", "/nonexistent/c.pem", "--key-file", "/nonexistent/k.pem"}, exitUsage,
			"client certificate: open /nonexistent/c.pem"},
		{"state without a code", map[string]string{"SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": secret}, []string{"--state", "x"}, exitUsage,
			"go with an authorization code"},
		{"bad timeout variable", map[string]string{"SCB_TOKEN_TIMEOUT": "soon"}, nil, exitUsage, `SCB_TOKEN_TIMEOUT="soon" is not a duration`},
		{"bad language", map[string]string{"SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": secret}, []string{"--language", "FR"}, exitUsage, `Language "FR"`},
		{"unexpected argument", nil, []string{"extra"}, exitUsage, `unexpected argument "extra"`},
		{"unknown flag", nil, []string{"--nope"}, exitUsage, "flag provided but not defined: -nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runTokenCmd(tt.environ, tt.args...)
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
		})
	}
}

// TestTokenCommandHelp: the help says the output holds the secret, and never shows a secret
// from the environment as a flag default.
func TestTokenCommandHelp(t *testing.T) {
	environ := map[string]string{"SCB_APPLICATION_SECRET": "env-secret-x", "SCB_AUTH_CODE": "env-code-x", "SCB_CODE_CHALLENGE": "env-challenge-x"}
	code, stdout, stderr := runTokenCmd(environ, "--help")
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
