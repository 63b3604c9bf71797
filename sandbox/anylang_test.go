package sandbox_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// TestAnyLanguage runs scripts/sandbox-any-language.py, which drives an emulator over HTTP with
// Python's standard library only (reset, a fault rule, a retrying client in the request log, the
// clock, token introspection): the emulator is usable from any language. Without python3 it
// skips, saying so, except under CI (CI set), where it fails: .ci/run must install python3.
func TestAnyLanguage(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("python3 is not installed; CI must install it for this test: %v", err)
		}
		t.Skipf("python3 is not installed: the any-language test needs it (%v)", err)
	}
	_, ts := sandboxtest.NewServer(t, sandbox.WithAdmin())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "../scripts/sandbox-any-language.py", ts.URL).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Errorf("sandbox-any-language.py: %v\n%s", err, out)
	}
}
