package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"go.yaml.in/yaml/v4"

	"github.com/scboauth/scboauth/contract"
)

// TestContractList: --list prints every case, the catalogue's and the generated ones with the
// seed, without sending anything, the same for the same seed; as JSON with --format json.
func TestContractList(t *testing.T) {
	var hits atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(hs.Close)
	code, out, errOut := runContractCmd(t, nil, "--list", "--seed", "11", "--base-url", hs.URL)
	_, again, _ := runContractCmd(t, nil, "--list", "--seed", "11", "--base-url", hs.URL)
	if code != exitOK || errOut != "" || out != again || hits.Load() != 0 {
		t.Fatalf("got exit %d, stderr %q, %d requests, the same output twice %v", code, errOut, hits.Load(), out == again)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if n := casesOfSeed(t, 11); len(lines) != n+2 || lines[len(lines)-1] != "" && !strings.Contains(lines[len(lines)-1], "cases (seed 11)") {
		t.Errorf("got %d lines ending %q, want %d cases and the seed", len(lines), lines[len(lines)-1], n)
	}
	for _, want := range []string{"wrong-secret ", " catalogue ", " invalid ", " valid ", " fixed ", " sequence ", "createToken/header.requestUId/maxLength+1"} {
		if !strings.Contains(out, want) {
			t.Errorf("the list has no %q", want)
		}
	}
	code, out, _ = runContractCmd(t, nil, "--list", "--format", "json", "--catalogue-only")
	var doc struct {
		Seed  uint64
		Cases []struct{ ID, Kind, Title, Expect string }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != exitOK || doc.Seed != 0 || len(doc.Cases) != len(contract.Catalogue()) || doc.Cases[0].Kind != "catalogue" {
		t.Errorf("got exit %d, %v, %+v", code, err, doc)
	}
}

// TestContractProgress: a terminal on stderr gets the progress line, erased at the end, and
// stdout only the report; stderr that is not a terminal gets nothing.
func TestContractProgress(t *testing.T) {
	for _, terminal := range []bool{true, false} {
		var out, errOut bytes.Buffer
		e := &env{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" },
			isTerminal: func(w io.Writer) bool { return terminal && w == io.Writer(&errOut) }}
		if code := run(context.Background(), []string{"contract", "--seed", "2", "--max-cases", "50"}, e); code != exitOK {
			t.Fatalf("terminal %v: got exit %d\n%s", terminal, code, errOut.String())
		}
		progress := strings.Contains(errOut.String(), "\r\x1b[Kcontract: ") && strings.Contains(errOut.String(), "/113 cases, 0 findings, about ") &&
			strings.HasSuffix(errOut.String(), "\r\x1b[K")
		if terminal != progress || (!terminal && errOut.Len() > 0) || strings.ContainsAny(out.String(), "\r\x1b") {
			t.Errorf("terminal %v: got stderr %q and stdout with control characters %v", terminal, errOut.String(), strings.ContainsAny(out.String(), "\r\x1b"))
		}
	}
}

// TestContractRecordReplay: --record saves the run, --replay checks it offline (exit 0), and
// against a --spec changed to break it exits 1, naming the field.
func TestContractRecordReplay(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rec")
	if code, _, errOut := runContractCmd(t, nil, "--record", dir, "--seed", "4", "--max-cases", "40"); code != exitOK {
		t.Fatalf("record: got exit %d\n%s", code, errOut)
	}
	code, out, errOut := runContractCmd(t, nil, "--replay", dir)
	if code != exitOK || !strings.Contains(out, "conforms: ") || !strings.Contains(out, "seed 4") {
		t.Fatalf("replay: got exit %d\n%s\n%s", code, out, errOut)
	}
	spec, err := os.ReadFile("../../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	changed := filepath.Join(t.TempDir(), "openapi.yaml")
	broken := strings.Replace(string(spec), "        tokenType:\n          $ref: '#/components/schemas/TokenType'", "        tokenType:\n          type: integer", 1)
	if err := os.WriteFile(changed, []byte(broken), 0o644); err != nil || broken == string(spec) {
		t.Fatal("cannot write the changed spec")
	}
	code, out, _ = runContractCmd(t, map[string]string{"SCB_CONTRACT_SPEC": changed}, "--replay", dir)
	if code != exitFail || !strings.Contains(out, "$.data.tokenType: value must be an integer") {
		t.Errorf("replay against a changed spec: got exit %d\n%s", code, out)
	}
	if code, _, errOut := runContractCmd(t, nil, "--replay", t.TempDir()); code != exitUsage || !strings.Contains(errOut, "run.json") {
		t.Errorf("replay of no recording: got exit %d, %q", code, errOut)
	}
}

// TestContractPaymentFlags: --biller-id, --merchant-id and --terminal-id (and their variables)
// give a live application's payment cases what they need; a biller id that is not 15 digits is
// a usage error naming the flag.
func TestContractPaymentFlags(t *testing.T) {
	url, app, _ := liveEmulator(t, nil)
	environ := map[string]string{"SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": app.Secret, "SCB_BILLER_ID": "012345678901234"}
	code, out, errOut := runContractCmd(t, environ, "--base-url", url, "--catalogue-only", "--merchant-id", "123456789012345", "--terminal-id", "T1", "--format", "json")
	var doc struct {
		Cases []struct{ ID, Verdict, Reason string }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != exitOK {
		t.Fatalf("got exit %d, %v\n%s", code, err, errOut)
	}
	for _, c := range doc.Cases {
		if strings.HasPrefix(c.ID, "qr-create-") && c.Verdict != "pass" {
			t.Errorf("case %s: got %s (%s), want it run with the biller and merchant", c.ID, c.Verdict, c.Reason)
		}
	}
	for _, bad := range [][]string{{"--biller-id", "12345"}, {"--merchant-id", strings.Repeat("m", 65)}, {"--min-coverage", "statuses=abc"}, {"--min-coverage", "lines=10"}, {"--seed", "-1"}} {
		if code, _, errOut := runContractCmd(t, nil, bad...); code != exitUsage || !strings.Contains(errOut, bad[0]) {
			t.Errorf("%v: got exit %d, %q; want 2 naming the flag", bad, code, errOut)
		}
	}
}

// TestContractMinCoverage: a threshold the run reaches passes; one it misses exits 1, naming
// the figure, in every format.
func TestContractMinCoverage(t *testing.T) {
	if code, _, errOut := runContractCmd(t, nil, "--seed", "1", "--min-coverage", "operations=100", "--min-coverage", "20"); code != exitOK {
		t.Errorf("reachable thresholds: got exit %d, %s", code, errOut)
	}
	code, out, errOut := runContractCmd(t, map[string]string{"SCB_CONTRACT_MIN_COVERAGE": "codes=99 statuses=10"}, "--seed", "1", "--format", "junit")
	if code != exitFail || !strings.Contains(errOut, "codes coverage") || !strings.Contains(out, `<testcase name="coverage"`) || !strings.Contains(out, "is below 99%") {
		t.Errorf("got exit %d, stderr %q\n%s", code, errOut, out)
	}
}

// TestContractExamples: the workflows in examples/ use only flags and variables that scboauth
// contract binds, and the nightly one fails on exit 1 only, not on exit 2.
func TestContractExamples(t *testing.T) {
	f, c := newFlags(&env{getenv: func(string) string { return "" }}, "contract", contractHelp), &contractFlags{}
	c.bind(f)
	names, vars := map[string]bool{}, map[string]bool{}
	for _, b := range f.list {
		names["--"+b.name], vars[b.env] = true, true
	}
	files, _ := filepath.Glob("../../examples/*.yml")
	if len(files) != 2 {
		t.Fatalf("got workflows %v, want the nightly and the replay", files)
	}
	flagRE, varRE := regexp.MustCompile(`(?m)scboauth contract( [^\n]*)`), regexp.MustCompile(`\bSCB_[A-Z_]+\b`)
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range flagRE.FindAllStringSubmatch(string(data), -1) {
			for _, word := range strings.Fields(m[1]) {
				if strings.HasPrefix(word, "--") && !names[word] {
					t.Errorf("%s: scboauth contract has no flag %s", file, word)
				}
			}
		}
		for _, v := range varRE.FindAllString(string(data), -1) {
			if !vars[v] {
				t.Errorf("%s: scboauth contract reads no variable %s", file, v)
			}
		}
	}
	nightly, _ := os.ReadFile("../../examples/contract-nightly.yml")
	if !strings.Contains(string(nightly), "if: steps.check.outputs.exit != '0' && steps.check.outputs.exit != '2'") {
		t.Errorf("the nightly workflow does not fail on exit 1 alone")
	}
	checkNightlyStep(t, nightly)
}

// checkNightlyStep runs the nightly workflow's check step with a stand-in go that exits 0, 1
// and 2: the step itself always succeeds and passes the exit status on, for the next step.
func checkNightlyStep(t *testing.T, workflow []byte) {
	var doc struct {
		Jobs map[string]struct {
			Steps []struct{ ID, Run string }
		}
	}
	if err := yaml.Unmarshal(workflow, &doc); err != nil {
		t.Fatalf("the nightly workflow is not YAML: %v", err)
	}
	script := ""
	for _, st := range doc.Jobs["contract"].Steps {
		if st.ID == "check" {
			script = st.Run
		}
	}
	bash, err := exec.LookPath("bash")
	if script == "" || err != nil {
		t.Fatalf("no check step (%q) or no bash (%v)", script, err)
	}
	for _, code := range []string{"0", "1", "2"} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "go"), []byte("#!/bin/sh\nexit "+code+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bash, "-e", "-c", script)
		cmd.Dir, cmd.Env = dir, []string{"PATH=" + dir + ":/usr/bin:/bin", "GITHUB_OUTPUT=" + filepath.Join(dir, "out")}
		out, err := cmd.CombinedOutput()
		got, _ := os.ReadFile(filepath.Join(dir, "out"))
		if err != nil || string(got) != "exit="+code+"\n" {
			t.Errorf("go exiting %s: the step failed (%v) or wrote %q\n%s", code, err, got, out)
		}
	}
}
