package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/scboauth/scboauth/contract"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// runContractCmd runs "scboauth contract args..." in process with the given environment.
func runContractCmd(t *testing.T, environ map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runCmd(t, environ, append([]string{"contract"}, args...)...)
}

// casesOfSeed is the number of cases a run with the seed runs: the catalogue's and the
// generated ones.
func casesOfSeed(t *testing.T, seed uint64) int {
	t.Helper()
	cs, err := contract.Cases(contract.Config{Generated: &contract.Generation{Seed: seed}})
	if err != nil {
		t.Fatal(err)
	}
	return len(cs)
}

// TestContractEmbeddedEmulator is the README's first command: no flags, the embedded emulator,
// exit 0.
func TestContractEmbeddedEmulator(t *testing.T) {
	code, out, errOut := runContractCmd(t, nil)
	if code != exitOK {
		t.Fatalf("got exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"(embedded emulator)", "client-credentials ", "unknown-path ", "createToken/header.requestUId/maxLength+1 ",
		"sequence/authorize>consent>createToken>refreshToken>refreshToken ", " passed, 0 failed, 0 skipped, 0 warnings (strict off, seed ",
		"coverage: operations 8/8 (100.0%)", "statuses the emulator cannot produce"} {
		if !strings.Contains(out, want) {
			t.Errorf("got stdout\n%s\nwant it to contain %q", out, want)
		}
	}
	if errOut != "" {
		t.Errorf("got stderr %q, want nothing", errOut)
	}
}

func TestContractFormats(t *testing.T) {
	t.Run("json", func(t *testing.T) {
		code, out, _ := runContractCmd(t, nil, "--format", "json", "--seed", "9")
		var doc struct {
			Mode     string `json:"mode"`
			Conforms bool   `json:"conforms"`
			Summary  struct{ Cases, Passed int }
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("got invalid JSON %v:\n%s", err, out)
		}
		if code != exitOK || !doc.Conforms || doc.Mode != "emulator" || doc.Summary.Cases != casesOfSeed(t, 9) || doc.Summary.Passed != casesOfSeed(t, 9) {
			t.Errorf("got exit %d and %+v, want 0 and a conforming emulator report of %d cases", code, doc, casesOfSeed(t, 9))
		}
	})
	t.Run("junit from the environment", func(t *testing.T) {
		code, out, _ := runContractCmd(t, map[string]string{"SCB_CONTRACT_FORMAT": "junit", "SCB_CONTRACT_CATALOGUE_ONLY": "true"})
		var doc struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
		}
		if err := xml.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("got invalid XML %v:\n%s", err, out)
		}
		if code != exitOK || doc.Tests != len(contract.Catalogue())+1 || doc.Failures != 0 { // and the coverage
			t.Errorf("got exit %d, tests %d, failures %d; want 0, %d, 0", code, doc.Tests, doc.Failures, len(contract.Catalogue())+1)
		}
	})
}

func TestContractUsageErrors(t *testing.T) {
	tests := []struct {
		name    string
		environ map[string]string
		args    []string
		wantErr string
	}{
		{"unknown format", nil, []string{"--format", "yaml"}, `--format "yaml": want table, json or junit (any case)`},
		{"bad strict variable", map[string]string{"SCB_CONTRACT_STRICT": "maybe"}, nil, `SCB_CONTRACT_STRICT="maybe" (--strict): not a boolean`},
		{"bad timeout variable", map[string]string{"SCB_CONTRACT_TIMEOUT": "soon"}, nil, `SCB_CONTRACT_TIMEOUT="soon" (--timeout): not a duration`},
		{"zero timeout", nil, []string{"--timeout", "0s"}, `--timeout "0s": must be between 1ms and 24h`},
		{"zero deadline", nil, []string{"--deadline", "0s"}, `--deadline "0s": must be between 1ms and 24h`},
		{"negative deadline", nil, []string{"--deadline=-1m"}, `--deadline "-1m": must be between 1ms and 24h`},
		{"bad deadline variable", map[string]string{"SCB_CONTRACT_DEADLINE": "later"}, nil, `SCB_CONTRACT_DEADLINE="later" (--deadline): not a duration`},
		{"unparseable URL with a password", map[string]string{"SCB_APPLICATION_KEY": "k", "SCB_APPLICATION_SECRET": "s"}, []string{"--base-url", "http://user:hunter2@host:port"}, "--base-url (SCB_BASE_URL): does not parse as a URL"},
		{"stray argument", nil, []string{"now"}, `unexpected argument "now"`},
		{"base URL without credentials", nil, []string{"--base-url", "https://api-sandbox.partners.scb/partners/sandbox"},
			"set --application-key (SCB_APPLICATION_KEY) and --application-secret (SCB_APPLICATION_SECRET)"},
		{"secret missing", map[string]string{"SCB_APPLICATION_KEY": "k", "SCB_BASE_URL": "https://example.invalid"}, nil, "set --application-secret (SCB_APPLICATION_SECRET)"},
		{"not a URL", map[string]string{"SCB_APPLICATION_KEY": "k", "SCB_APPLICATION_SECRET": "s"}, []string{"--base-url", "ftp://x"}, `--base-url (SCB_BASE_URL): "ftp://x" is not an http or https URL`},
		{"half a client certificate", map[string]string{"SCB_APPLICATION_KEY": "k", "SCB_APPLICATION_SECRET": "s", "SCB_CLIENT_CERT": "c.pem"}, []string{"--base-url", "https://x"},
			"needs both SCB_CLIENT_CERT (--client-cert) and --client-key (SCB_CLIENT_KEY)"},
		{"client certificate flags", map[string]string{"SCB_APPLICATION_KEY": "k", "SCB_APPLICATION_SECRET": "s"}, []string{"--base-url", "https://x", "--client-cert", "/nonexistent/c.pem", "--client-key", "/nonexistent/k.pem"},
			"--client-cert (SCB_CLIENT_CERT): load the client certificate: open /nonexistent/c.pem"},
		{"credentials as flags", nil, []string{"--base-url", "https://x", "--application-key", "k", "--application-secret", "s", "--client-cert", "c.pem"},
			"needs both --client-cert (SCB_CLIENT_CERT) and --client-key (SCB_CLIENT_KEY)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runContractCmd(t, tt.environ, tt.args...)
			if code != exitUsage || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("got exit %d, stderr %q; want 2 and %q", code, errOut, tt.wantErr)
			}
			if strings.Contains(errOut, "hunter2") {
				t.Errorf("got stderr %q, want the password kept out", errOut)
			}
			if out != "" {
				t.Errorf("got stdout %q, want nothing", out)
			}
		})
	}
}

// TestContractUnreachable checks exit 2 and a clear message for a target that does not answer.
func TestContractUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	code, out, errOut := runContractCmd(t, map[string]string{"SCB_APPLICATION_KEY": "k", "SCB_APPLICATION_SECRET": "s"}, "--base-url", "http://"+addr)
	if code != exitUsage {
		t.Errorf("got exit %d, want 2", code)
	}
	want := "scboauth contract: target unreachable: POST http://" + addr + "/v1/oauth/token: dial tcp " + addr
	if !strings.HasPrefix(errOut, want) || !strings.Contains(errOut, "nothing was checked") {
		t.Errorf("got stderr %q, want it to start with %q and say nothing was checked", errOut, want)
	}
	if out != "" {
		t.Errorf("got stdout %q, want nothing (no table for a run that did not start)", out)
	}
}

// liveEmulator serves an emulator on a loopback port as a stand-in for a live target, with
// canary credentials and tokens, and returns its URL and an authorization code for its
// authorization-code application.
func liveEmulator(t *testing.T, h func(http.Handler) http.Handler) (url string, app sandbox.Application, code string) {
	t.Helper()
	app = sandbox.Application{Name: "canary", Key: "l7canary0000000000000000000000000", Secret: "CANARY-SECRET-7f3a", Kind: sandbox.KindAuthorizationCode}
	srv := sandboxtest.New(t, sandbox.WithApplications(app), sandbox.WithTokenGenerator(sandboxtest.Tokens("CANARY-TOKEN")))
	var handler http.Handler = srv
	if h != nil {
		handler = h(srv)
	}
	hs := httptest.NewServer(handler)
	t.Cleanup(hs.Close)
	return hs.URL, app, consentCode(t, srv, hs.URL, app, sandbox.Consent{})
}

// rewrite returns a wrapper of a handler that replaces old with new, once, in its answers.
func rewrite(old, new string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(bytes.Replace(rec.Body.Bytes(), []byte(old), []byte(new), 1))
		})
	}
}

// TestContractLiveTarget runs live mode (credentials from the environment) against the
// emulator on a loopback port, in each format, and checks that no report shows the secret, a
// token or the authorization code.
func TestContractLiveTarget(t *testing.T) {
	for _, format := range []string{"table", "json", "junit", "flags"} {
		t.Run(format, func(t *testing.T) {
			url, app, code := liveEmulator(t, nil)
			environ := map[string]string{"SCB_BASE_URL": url, "SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": app.Secret, "SCB_AUTH_CODE": code}
			args := []string{"--format", format}
			if format == "flags" { // the same from flags, over a wrong environment
				environ = map[string]string{"SCB_APPLICATION_KEY": "wrong", "SCB_APPLICATION_SECRET": "wrong", "SCB_AUTH_CODE": "wrong"}
				args = []string{"--base-url", url, "--application-key", app.Key, "--application-secret", app.Secret, "--auth-code", code}
			}
			exit, out, errOut := runContractCmd(t, environ, args...)
			if exit != exitOK {
				t.Errorf("got exit %d, want 0\n%s\n%s", exit, out, errOut)
			}
			if !strings.Contains(out, "authorization-code") || !strings.Contains(out, "refresh-reuse") {
				t.Errorf("got\n%s\nwant the authorization-code and refresh cases", out)
			}
			for _, canary := range []string{"CANARY-SECRET", "CANARY-TOKEN", code} {
				if strings.Contains(out+errOut, canary) {
					t.Errorf("got %q in the %s report, want it kept out", canary, format)
				}
			}
		})
	}
}

// TestContractViolationExitCode checks exit 1 when the target breaks the contract, and that
// --strict turns drift into a violation.
func TestContractViolationExitCode(t *testing.T) {
	lowercase := rewrite(`"tokenType":"Bearer"`, `"tokenType":"bearer"`)
	drift := rewrite(`"tokenType":"Bearer"`, `"tokenType":"Bearer","scope":"oob"`)
	tests := []struct {
		name     string
		wrap     func(http.Handler) http.Handler
		args     []string
		strict   string // SCB_CONTRACT_STRICT
		wantExit int
		wantOut  string
	}{
		{"tokenType bearer", lowercase, nil, "", exitFail, `error   $.data.tokenType: tokenType is "bearer"`},
		{"drift is a warning", drift, nil, "", exitOK, `warning $.data.scope: field "scope" is not declared in openapi.yaml (drift)`},
		{"drift with --strict", drift, []string{"--strict"}, "", exitFail, `error   $.data.scope: field "scope" is not declared in openapi.yaml (drift)`},
		{"drift with SCB_CONTRACT_STRICT", drift, nil, "true", exitFail, `error   $.data.scope: field "scope" is not declared in openapi.yaml (drift)`},
		{"--strict=false overrides SCB_CONTRACT_STRICT", drift, []string{"--strict=false"}, "1", exitOK, `warning $.data.scope`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, app, _ := liveEmulator(t, tt.wrap)
			environ := map[string]string{"SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": app.Secret, "SCB_CONTRACT_STRICT": tt.strict}
			exit, out, errOut := runContractCmd(t, environ, append([]string{"--base-url", url}, tt.args...)...)
			if exit != tt.wantExit || !strings.Contains(out, tt.wantOut) {
				t.Errorf("got exit %d, stdout\n%s\nstderr %s\nwant exit %d and %q", exit, out, errOut, tt.wantExit, tt.wantOut)
			}
		})
	}
}

func TestContractHelp(t *testing.T) {
	code, out, _ := runContractCmd(t, nil, "--help")
	for _, want := range []string{"Usage: scboauth contract", "SCB_BASE_URL", "SCB_CONTRACT_FORMAT", "SCB_CONTRACT_STRICT", "SCB_CONTRACT_TIMEOUT", "--deadline", "SCB_CONTRACT_DEADLINE", "not run because the deadline passed",
		"--application-key", "SCB_APPLICATION_KEY", "--application-secret", "SCB_APPLICATION_SECRET", "--auth-code", "SCB_AUTH_CODE", "--client-cert", "SCB_CLIENT_CERT", "--client-key", "SCB_CLIENT_KEY"} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("got exit %d, help\n%s\nwant 0 and %q", code, out, want)
		}
	}
}

// hangAfterFirst answers liveEmulator's authorize call and the check's first request with h,
// and holds every later one until the client gives up: a target that answers once and then
// hangs. The command's probe of an emulator's admin API is answered, and not counted.
func hangAfterFirst(h http.Handler) http.Handler {
	var seen atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/sandbox/v1/") {
			h.ServeHTTP(w, r)
			return
		}
		if seen.Add(1) > 2 {
			// Read the body first: until then the server does not watch the connection, and
			// would not see the client hang up.
			io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
			return
		}
		h.ServeHTTP(w, r)
	})
}

// TestContractDeadline checks --deadline against a target that answers once and then hangs:
// the run ends at the deadline, not after a timeout per case; the report says what was not
// checked; the exit status is 2 (not checked), or 1 when a violation was found before.
func TestContractDeadline(t *testing.T) {
	bearer := rewrite(`"Bearer"`, `"bearer"`)
	tests := []struct {
		name     string
		wrap     func(http.Handler) http.Handler
		format   string
		wantExit int
		wantOut  string
	}{
		{"table", hangAfterFirst, "table", exitUsage, "\nINCOMPLETE: "},
		{"json", hangAfterFirst, "JSON", exitUsage, `"notRun": `},
		{"junit", hangAfterFirst, "junit", exitUsage, `type="not-run"`},
		{"a violation first", func(h http.Handler) http.Handler { return hangAfterFirst(bearer(h)) }, "table", exitFail, "\nCONTRACT VIOLATION: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, app, _ := liveEmulator(t, tt.wrap)
			environ := map[string]string{"SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": app.Secret, "SCB_CONTRACT_DEADLINE": "300ms"}
			exit, out, errOut := runContractCmd(t, environ, "--base-url", url, "--timeout", "1m", "--format", tt.format)
			if exit != tt.wantExit || !strings.Contains(out, tt.wantOut) {
				t.Errorf("got exit %d, stdout\n%s\nstderr %s\nwant exit %d and %q", exit, out, errOut, tt.wantExit, tt.wantOut)
			}
			if tt.wantExit == exitUsage && (!strings.Contains(errOut, "the run's deadline (300ms) passed; ") || !strings.Contains(errOut, "raise SCB_CONTRACT_DEADLINE (--deadline)?")) {
				t.Errorf("got stderr %q, want it to say the deadline passed and what was not checked", errOut)
			}
		})
	}
}
