package api_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoSpecParserLinked: a program importing only api links neither the embedded spec nor a
// parser of it (kin-openapi, a JSON-schema compiler, YAML), nor the emulator: they live apart
// (generated/embedded, sandbox), so a ten-line client stays small.
func TestNoSpecParserLinked(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list api's dependencies: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", "github.com/scboauth/scboauth/api").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 20 || !strings.Contains(string(out), "github.com/scboauth/scboauth/generated\n") {
		t.Fatalf("go list -deps gave %d packages, without generated: it checks nothing", len(deps))
	}
	for _, dep := range deps {
		for _, banned := range []string{"kin-openapi", "yaml", "jsonschema", "libopenapi", "scboauth/generated/embedded", "scboauth/sandbox", "scboauth/contract"} {
			if strings.Contains(dep, banned) {
				t.Errorf("api links %s", dep)
			}
		}
	}
}
