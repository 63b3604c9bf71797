package contract_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scboauth/scboauth/contract"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// record runs the catalogue and the generated cases against the emulator into a recording in
// a fresh directory, and returns it.
func record(t *testing.T) string {
	t.Helper()
	em, hs := sandboxtest.NewServer(t)
	rec := contract.NewRecorder()
	rep, err := contract.Run(context.Background(), contract.Config{BaseURL: hs.URL, Emulator: em, Generated: &contract.Generation{Seed: 3}, Recorder: rec}, nil)
	if err != nil || !rep.Conforms() {
		t.Fatalf("Run: %v (conforms %v)", err, rep != nil && rep.Conforms())
	}
	dir := filepath.Join(t.TempDir(), "recording")
	if err := rec.Save(dir); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if rec.Len() < len(rep.Cases) {
		t.Fatalf("recorded %d interactions for %d cases", rec.Len(), len(rep.Cases))
	}
	return dir
}

// TestRecordingHoldsNoSecret: the recording names every secret and token by its variable, the
// demo application's key too, and keeps the requestUIds.
func TestRecordingHoldsNoSecret(t *testing.T) {
	dir := record(t)
	tape, err := os.ReadFile(filepath.Join(dir, contract.CassetteFile))
	if err != nil {
		t.Fatal(err)
	}
	text := string(tape)
	for _, kind := range []string{"plain", "authorization-code", "web"} {
		app := sandboxtest.Demo(sandbox.Kind(kind))
		if strings.Contains(text, app.Secret) || strings.Contains(text, app.Key) {
			t.Errorf("the cassette shows application %s's key or secret", kind)
		}
	}
	for _, want := range []string{"$SCB_APPLICATION_SECRET", "$SCB_APPLICATION_KEY", "Bearer $SCB_ACCESS_TOKEN", "$SCB_REFRESH_TOKEN", "$SCB_AUTH_CODE", "version: 2", "Requestuid:"} {
		if !strings.Contains(text, want) {
			t.Errorf("the cassette has no %q", want)
		}
	}
}

// TestReplay: a recording the emulator made conforms to the spec it was made with; replayed
// against the spec changed to break it, it fails, naming the field.
func TestReplay(t *testing.T) {
	dir := record(t)
	rep, err := contract.Replay(contract.ReplayConfig{Dir: dir, Strict: true})
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if !rep.Conforms() || len(rep.Cases) < 600 || rep.Mode != "replay of emulator" || rep.Seed != 3 {
		t.Fatalf("got %d cases in mode %q, seed %d, conforms %v, want the recording's 600 and more, conforming", len(rep.Cases), rep.Mode, rep.Seed, rep.Conforms())
	}
	if rep.Coverage.Operations.Percent != 100 {
		t.Errorf("replay coverage: got %+v, want every operation", rep.Coverage.Operations)
	}
	original, err := os.ReadFile("../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, from, to, path, msg string }{
		{"expiresIn becomes text", "        expiresIn:\n          type: integer\n          minimum: 1\n          description: Seconds until the access token expires",
			"        expiresIn:\n          type: string\n          description: Seconds until the access token expires", "$.data.expiresIn", "value must be a string"},
		{"qrImage gets a prefix it does not have", "          pattern: '^[A-Za-z0-9+/]+={0,2}$'", "          pattern: '^data:'", "$.data.qrImage", "string doesn't match the regular expression"},
		{"a request field SCB took is refused", "        state:\n          type: string\n          minLength: 1", "        state:\n          type: string\n          minLength: 100", "HTTP status", "now refuses ($.state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changed := strings.Replace(string(original), tt.from, tt.to, 1)
			if changed == string(original) {
				t.Fatalf("%q is not in openapi.yaml", tt.from)
			}
			spec, err := contract.ParseSpec([]byte(changed))
			if err != nil {
				t.Fatalf("ParseSpec: %v", err)
			}
			rep, err := contract.Replay(contract.ReplayConfig{Dir: dir, Spec: spec})
			if err != nil {
				t.Fatalf("Replay: %v", err)
			}
			found := false
			for _, c := range rep.Cases {
				for _, f := range c.Findings {
					found = found || (f.Severity == contract.SeverityError && f.Path == tt.path && strings.Contains(f.Message, tt.msg))
				}
			}
			if rep.Conforms() || !found {
				t.Errorf("got conforms %v, want a violation at %s saying %q", rep.Conforms(), tt.path, tt.msg)
			}
		})
	}
}

// TestReplayErrors: a directory that is not a recording is an error, not a report.
func TestReplayErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := contract.Replay(contract.ReplayConfig{Dir: dir}); err == nil {
		t.Errorf("an empty directory: got no error")
	}
	if err := os.WriteFile(filepath.Join(dir, contract.RunFile), []byte(`{"format":99}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := contract.Replay(contract.ReplayConfig{Dir: dir}); err == nil || !strings.Contains(err.Error(), "format 99") {
		t.Errorf("format 99: got %v", err)
	}
	if err := contract.NewRecorder().Save(filepath.Join(dir, "x")); err == nil {
		t.Errorf("Save before a run: got no error")
	}
}
