package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
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

func TestMainUsage(t *testing.T) {
	tests := []struct {
		args     []string
		wantCode int
		onStdout bool
	}{
		{nil, exitUsage, false},
		{[]string{"--help"}, exitOK, true},
		{[]string{"-h"}, exitOK, true},
		{[]string{"help"}, exitOK, true},
		{[]string{"serve"}, exitUsage, false},
		{[]string{"--port"}, exitUsage, false},
		{[]string{"tok\u202een"}, exitUsage, false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCmd(t, nil, tt.args...)
			out := stderr
			if tt.onStdout {
				out = stdout
			}
			if code != tt.wantCode {
				t.Errorf("got exit %d, want %d", code, tt.wantCode)
			}
			for _, c := range commands {
				if !strings.Contains(out, "\n  "+c.name+" ") {
					t.Errorf("the command list does not show %s:\n%s", c.name, out)
				}
			}
			if r, ok := sandboxtest.UnsafeRune(stdout + stderr); ok {
				t.Errorf("the output has %U: %q", r, stderr)
			}
		})
	}
}

// Every command's --help (and "scboauth help CMD") names each flag with its variable, says what
// each exit status means, and warns about secrets on the command line.
func TestEveryCommandHelp(t *testing.T) {
	flagLine := regexp.MustCompile(`(?m)^  --([a-z-]+)`)
	for _, c := range commands {
		for _, args := range [][]string{{c.name, "--help"}, {"help", c.name}} {
			code, stdout, stderr := runCmd(t, nil, args...)
			if code != exitOK || stderr != "" {
				t.Errorf("%q: got exit %d, stderr %q; want 0 and nothing", args, code, stderr)
			}
			for _, want := range []string{"Usage: scboauth " + c.name, "Exit status:\n  0  ", "\n  2  bad flags"} {
				if !strings.Contains(stdout, want) {
					t.Errorf("%q: the help does not say %q:\n%s", args, want, stdout)
				}
			}
			flags := flagLine.FindAllStringSubmatch(stdout, -1)
			if got := strings.Count(stdout, "\n        env SCB_"); got != len(flags) {
				t.Errorf("%q: %d flags, %d with their variable:\n%s", args, len(flags), got, stdout)
			}
		}
	}
	secretFlags := map[string][]string{
		"sandbox": {"app"}, "contract": {"application-secret", "auth-code"},
		"token": {"application-secret", "auth-code", "code-challenge"},
	}
	for cmd, names := range secretFlags {
		_, stdout, _ := runCmd(t, nil, cmd, "--help")
		for _, name := range names {
			_, entry, _ := strings.Cut(stdout, "\n  --"+name+" ")
			entry, _, _ = strings.Cut(entry, "\n  --")
			if !strings.Contains(entry, "shows in process lists") || !strings.Contains(entry, "prefer SCB_") {
				t.Errorf("%s --%s: the help does not warn about process lists:\n%s", cmd, name, entry)
			}
		}
	}
}

// Bad flags and arguments exit 2 in every command, with a pointer to --help.
func TestEveryCommandUsageErrors(t *testing.T) {
	for _, c := range commands {
		for _, args := range [][]string{{"--nope"}, {"stray"}, {"-", "x"}} {
			code, stdout, stderr := runStopped(t, nil, append([]string{c.name}, args...)...)
			if code != exitUsage || stdout != "" || !strings.Contains(stderr, "scboauth "+c.name+" --help") {
				t.Errorf("%s %q: got exit %d, stdout %q, stderr %q; want 2 and a pointer to --help", c.name, args, code, stdout, stderr)
			}
		}
	}
}

// hostileSlots are, per command, where a hostile value goes: flags and variables of each kind
// (duration is a number flag for sandbox).
var hostileSlots = map[string]struct{ enum, duration, durationEnv, boolEnv, str, url string }{
	"sandbox":  {"log-format", "max-body", "SCB_SANDBOX_LATENCY", "SCB_SANDBOX_NO_DEMO", "addr", "apps"},
	"contract": {"format", "timeout", "SCB_CONTRACT_TIMEOUT", "SCB_CONTRACT_STRICT", "client-cert", "base-url"},
	"token":    {"language", "timeout", "SCB_TOKEN_TIMEOUT", "SCB_TOKEN_ACCESS_TOKEN_ONLY", "state", "base-url"},
}

// No command shows a character that hides or reorders text (item 9 of issue 9), nor a huge
// value in full, whatever a flag, a flag's name, an argument or a variable holds: each
// hostile text in each place of each command.
func TestHostileInputsShowNoUnsafeCharacters(t *testing.T) {
	hostile := map[string]string{
		"bidi override":  "\u202eevil",
		"escape":         "\x1b[2J\x1b]0;title\x07",
		"CR LF":          "x\r\nInjected: yes",
		"invalid UTF-8":  "\xff\xfe",
		"zero width":     "a\u200bb",
		"line separator": "a\u2028b",
		"NUL":            "a\x00b",
		"huge":           strings.Repeat("9", 1<<20) + "\u202e",
	}
	for cmd, s := range hostileSlots {
		for name, v := range hostile {
			places := map[string]struct {
				args    []string
				environ map[string]string
			}{
				"enum flag":        {args: []string{"--" + s.enum, "json" + v}},
				"duration flag":    {args: []string{"--" + s.duration, v}},
				"duration var":     {environ: map[string]string{s.durationEnv: v}},
				"boolean var":      {environ: map[string]string{s.boolEnv: v}},
				"string and error": {args: []string{"--" + s.str, v, "--" + s.duration, "soon"}},
				"URL or file":      {args: []string{"--" + s.url, "http://h/" + v}},
				"flag name":        {args: []string{"--" + v}},
				"argument":         {args: []string{v}},
			}
			for place, in := range places {
				t.Run(cmd+"/"+name+"/"+place, func(t *testing.T) {
					code, stdout, stderr := runStopped(t, in.environ, append([]string{cmd}, in.args...)...)
					if code == exitOK || stderr == "" {
						t.Fatalf("got exit %d, stderr %q; want an error", code, stderr)
					}
					if r, ok := sandboxtest.UnsafeRune(stdout + stderr); ok {
						t.Errorf("the output has %U: %q", r, stderr)
					}
					if len(stderr) > 2000 {
						t.Errorf("stderr is %d bytes long, want a short message", len(stderr))
					}
				})
			}
		}
	}
}

// No error of any command shows a secret given to it: a secret flag or variable next to a
// bad value, a URL's password, an application written in the wrong order, a secret the
// client refuses (item 9 of issue 9).
func TestErrorsShowNoSecret(t *testing.T) {
	const secret = "MY-SECRET"
	creds := map[string]string{"SCB_APPLICATION_KEY": "l7key", "SCB_APPLICATION_SECRET": secret}
	tests := map[string][]struct {
		args    []string
		environ map[string]string
	}{
		"sandbox": {
			{args: []string{"--app", "shop:l7key:web:" + secret}},
			{environ: map[string]string{"SCB_SANDBOX_APP": "shop:l7key:web:" + secret}},
			{args: []string{"--app", "shop:l7key:" + secret + ":web", "--latency", "soon"}},
			{args: []string{"--app", "shop:l7key:" + secret + "\u202e:web"}},
			{args: []string{"--app", "a:l7key:" + secret + ":web", "--app", "b:l7key:other:web"}},
		},
		"contract": {
			{args: []string{"--base-url", "http://user:" + secret + "@host:port"}, environ: creds},
			{environ: map[string]string{"SCB_BASE_URL": "http://user:" + secret + "@host:port"}},
			{args: []string{"--base-url", "ftp://user:" + secret + "@host"}, environ: creds},
			{args: []string{"--application-secret", secret, "--timeout", "soon"}},
			{args: []string{"--auth-code", secret, "--format", "yaml"}},
			{args: []string{"--base-url", "https://x", "--client-cert", "c.pem"}, environ: creds},
			{args: []string{"--base-url", "https://x", "--client-cert", "/nonexistent", "--client-key", "/nonexistent"}, environ: creds},
		},
		"token": {
			{args: []string{"--base-url", "http://user:" + secret + "@host:port"}, environ: creds},
			{args: []string{"--base-url", "https://user:" + secret + "@host"}, environ: creds},
			{args: []string{"--application-secret", secret, "--timeout", "soon"}},
			{args: []string{"--secret", secret + "\r\n", "--key", "l7key"}},
			{args: []string{"--base-url", "http://api.partners.scb/partners"}, environ: creds},
			{args: []string{"--code-challenge", secret}, environ: creds},
			{args: []string{"--auth-code", secret, "--language", "FR"}, environ: creds},
			{args: []string{"--client-cert", "/nonexistent", "--client-key", "/nonexistent"}, environ: creds},
		},
	}
	for cmd, cases := range tests {
		for _, tt := range cases {
			t.Run(cmd+" "+strings.Join(tt.args, " "), func(t *testing.T) {
				code, stdout, stderr := runStopped(t, tt.environ, append([]string{cmd}, tt.args...)...)
				if code != exitUsage || stderr == "" {
					t.Errorf("got exit %d, stderr %q; want 2 and an error", code, stderr)
				}
				if strings.Contains(stdout+stderr, secret) {
					t.Errorf("the output shows the secret: %q", stdout+stderr)
				}
				if r, ok := sandboxtest.UnsafeRune(stderr); ok {
					t.Errorf("stderr has %U: %q", r, stderr)
				}
			})
		}
	}
}
