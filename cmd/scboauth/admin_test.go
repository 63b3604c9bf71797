package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

const testAdminToken = "cmd-test-admin-token-0123"

// adminGet calls an admin path with the token (when set) and decodes the answer.
func adminGet(t *testing.T, url, token string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// TestSandboxAdminStrictQuiet: --admin serves the admin API beside SCB's paths, --strict
// refuses what SCB accepts but does not document, --log-level off silences the request log.
func TestSandboxAdminStrictQuiet(t *testing.T) {
	rs := startSandbox(t, map[string]string{"SCB_SANDBOX_LOG_LEVEL": "off"}, "--admin", "--strict")
	if !strings.Contains(rs.banner, "admin API: "+rs.base+"/sandbox/v1/") || !strings.Contains(rs.banner, "strict mode") {
		t.Errorf("banner:\n%s\nwant the admin API and strict mode", rs.banner)
	}
	code, health := adminGet(t, rs.base+"/sandbox/v1/health", "")
	if code != http.StatusOK || health["service"] != "scboauth-sandbox" || health["strict"] != true {
		t.Errorf("health: got %d %v", code, health)
	}
	status, m := sandboxPost(t, rs.base+"/v1/oauth/token", `{"applicationKey":"l700000000000000000000000000000001","applicationSecret":"demo-plain-secret"}`, "requestUId", "12345")
	if status != http.StatusBadRequest {
		t.Errorf("a short requestUId in strict mode: got %d %v, want 400", status, m)
	}
	if rs.stop(t) != exitOK || rs.stderr.String() != "" {
		t.Errorf("--log-level off: stderr %q, want nothing", rs.stderr.String())
	}
}

// TestSandboxAdminAddr: --admin-addr serves the admin API on an address of its own, behind the
// token of SCB_SANDBOX_ADMIN_TOKEN; SCB's address answers SCB's 404 on admin paths; the
// token is never shown.
func TestSandboxAdminAddr(t *testing.T) {
	rs := startSandbox(t, map[string]string{"SCB_SANDBOX_ADMIN_TOKEN": testAdminToken}, "--admin-addr", "127.0.0.1:0", "--log-level", "debug")
	_, after, ok := strings.Cut(rs.banner, "admin API: ")
	adminBase, _, _ := strings.Cut(after, "/sandbox/v1/")
	if !ok || adminBase == rs.base {
		t.Fatalf("banner:\n%s\nwant the admin API's own address", rs.banner)
	}
	if code, _ := adminGet(t, adminBase+"/sandbox/v1/health", ""); code != http.StatusUnauthorized {
		t.Errorf("without the token: got %d, want 401", code)
	}
	if code, m := adminGet(t, adminBase+"/sandbox/v1/requests", testAdminToken); code != http.StatusOK || m["requests"] == nil {
		t.Errorf("with the token: got %d %v", code, m)
	}
	if code, m := adminGet(t, rs.base+"/sandbox/v1/health", testAdminToken); code != http.StatusNotFound {
		t.Errorf("the admin path on SCB's address: got %d %v, want 404", code, m)
	}
	code, out, errOut := runCmd(t, map[string]string{"SCB_SANDBOX_ADMIN_TOKEN": testAdminToken}, "contract", "--base-url", rs.base, "--admin-url", adminBase, "--format", "json", "--catalogue-only")
	if code != exitOK || !strings.Contains(out, `"skipped": 0`) {
		t.Errorf("contract against the emulator's admin address: got exit %d\n%s\n%s", code, out, errOut)
	}
	if rs.stop(t) != exitOK {
		t.Error("the command did not exit 0")
	}
	if all := rs.banner + rs.stderr.String() + out + errOut; strings.Contains(all, testAdminToken) {
		t.Errorf("the output shows the admin token")
	}
	if !strings.Contains(rs.stderr.String(), "msg=admin") {
		t.Errorf("--log-level debug: stderr has no admin call:\n%s", rs.stderr.String())
	}
}

// TestContractRecognisesEmulator: scboauth contract --base-url pointed at scboauth sandbox
// --admin recognises the emulator and drives it fully: no credentials, no case skipped, zero
// findings even with --strict.
func TestContractRecognisesEmulator(t *testing.T) {
	rs := startSandbox(t, nil, "--admin", "--log-level", "off")
	code, out, errOut := runCmd(t, nil, "contract", "--base-url", rs.base, "--strict", "--catalogue-only")
	if code != exitOK || !strings.Contains(out, "scboauth emulator, driven by its admin API") || !strings.Contains(out, "63 passed, 0 failed, 0 skipped, 0 warnings (strict on)") {
		t.Errorf("got exit %d\n%s\n%s", code, out, errOut)
	}
	if _, m := adminGet(t, rs.base+"/sandbox/v1/applications", ""); len(m["applications"].([]any)) != 3 {
		t.Errorf("after the run: got applications %v, want the run's removed", m["applications"])
	}
	rs.stop(t)
}

func TestSandboxAdminUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		environ map[string]string
		want    string
	}{
		{[]string{"--log-level", "verbose"}, nil, "--log-level"},
		{[]string{"--admin-addr", "nowhere"}, nil, "--admin-addr"},
		{nil, map[string]string{"SCB_SANDBOX_ADMIN_TOKEN": "SHORT-TOKEN"}, "SCB_SANDBOX_ADMIN_TOKEN"},
		{nil, map[string]string{"SCB_SANDBOX_ADMIN_TOKEN": "SPACED TOKEN 0123456789"}, "SCB_SANDBOX_ADMIN_TOKEN"},
		{[]string{"--request-log", "-1"}, nil, "--request-log"},
	} {
		code, stdout, stderr := runStopped(t, tt.environ, append([]string{"sandbox", "--addr", "127.0.0.1:0"}, tt.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) || strings.Contains(stdout+stderr, "TOKEN") && !strings.Contains(tt.want, "TOKEN") {
			t.Errorf("%v %v: got exit %d, stderr %q; want 2 naming %s", tt.args, tt.environ, code, stderr, tt.want)
		}
		if strings.Contains(stdout+stderr, "SHORT-TOKEN") || strings.Contains(stdout+stderr, "SPACED TOKEN") {
			t.Errorf("the output shows the token: %s", stderr)
		}
	}
}
