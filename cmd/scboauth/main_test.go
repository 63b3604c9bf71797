package main

import (
	"bytes"
	"context"

	"strings"
	"testing"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/sandbox"
)

// runCmd runs "scboauth args..." in process with environ as its whole environment.
func runCmd(t *testing.T, environ map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runCmdContext(context.Background(), environ, args...)
}

// runStopped runs "scboauth args..." with a context already done, so that a command that
// starts by mistake (a sandbox that should have refused its flags) stops at once.
func runStopped(t *testing.T, environ map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return runCmdContext(ctx, environ, args...)
}

func runCmdContext(ctx context.Context, environ map[string]string, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(k string) string { return environ[k] }}
	code = run(ctx, args, e)
	return code, out.String(), errOut.String()
}

// consentCode returns an authorization code of app from the emulator srv served at base, as
// the user's consent would give it.
func consentCode(t *testing.T, srv *sandbox.Server, base string, app sandbox.Application, c sandbox.Consent) string {
	t.Helper()
	client, err := api.NewClient(api.Config{BaseURL: base, ApplicationKey: app.Key, ApplicationSecret: app.Secret})
	if err != nil {
		t.Fatal(err)
	}
	callback, err := client.AuthorizeURL(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	code, err := srv.Consent(callback, c)
	if err != nil {
		t.Fatal(err)
	}
	return code
}
