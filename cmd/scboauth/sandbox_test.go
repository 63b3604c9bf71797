package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// runningSandbox is the sandbox command started in process on a free port.
type runningSandbox struct {
	base   string
	banner string
	stderr *sandboxtest.Buffer
	cancel context.CancelFunc
	exit   chan int
}

// startSandbox runs "scboauth sandbox --addr 127.0.0.1:0 args..." and waits for its banner.
func startSandbox(t *testing.T, environ map[string]string, args ...string) *runningSandbox {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	rs := &runningSandbox{stderr: &sandboxtest.Buffer{}, cancel: cancel, exit: make(chan int, 1)}
	e := &env{stdin: strings.NewReader(""), stdout: pw, stderr: rs.stderr, getenv: func(k string) string { return environ[k] }}
	go func() {
		code := run(ctx, append([]string{"sandbox", "--addr", "127.0.0.1:0"}, args...), e)
		pw.Close()
		rs.exit <- code
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-rs.exit:
		case <-time.After(20 * time.Second):
			t.Error("the sandbox command did not stop")
		}
	})
	sc := bufio.NewScanner(pr)
	var banner strings.Builder
	for sc.Scan() {
		line := sc.Text()
		banner.WriteString(line + "\n")
		if _, url, ok := strings.Cut(line, "serving SCB's OAuth API on "); ok {
			rs.base = url
		}
		if strings.HasPrefix(line, "faults:") {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if rs.base == "" {
		t.Fatalf("no address in the banner:\n%s\nstderr: %s", banner.String(), rs.stderr.String())
	}
	rs.banner = banner.String()
	return rs
}

// stop cancels the command's context and returns its exit code.
func (rs *runningSandbox) stop(t *testing.T) int {
	t.Helper()
	rs.cancel()
	select {
	case code := <-rs.exit:
		rs.exit <- code // for the cleanup
		return code
	case <-time.After(20 * time.Second):
		t.Fatal("the sandbox command did not stop 20 s after its context ended")
		return -1
	}
}

func sandboxPost(t *testing.T, url, body string, header ...string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("resourceOwnerId", "owner")
	req.Header.Set("requestUId", "0123456789abcdef0123456789abcdef")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("answer of %s: %v", url, err)
	}
	return resp.StatusCode, m
}

func TestSandboxCommand(t *testing.T) {
	const userSecret = "USER-SECRET-0123"
	rs := startSandbox(t, nil, "--app", "shop:l7shop:"+userSecret+":web", "--log-format", "json", "--access-ttl", "90s")
	demo := sandbox.DemoApplications()
	for _, a := range demo {
		if !strings.Contains(rs.banner, a.Key) || !strings.Contains(rs.banner, a.Secret) {
			t.Errorf("banner does not show the demo credentials of %s:\n%s", a.Name, rs.banner)
		}
	}
	if !strings.Contains(rs.banner, "l7shop") || strings.Contains(rs.banner, userSecret) {
		t.Errorf("banner: want the user's key and not its secret:\n%s", rs.banner)
	}

	status, body := sandboxPost(t, rs.base+"/v1/oauth/token", `{"applicationKey":"l7shop","applicationSecret":"`+userSecret+`"}`)
	data, _ := body["data"].(map[string]any)
	if status != http.StatusOK || data["expiresIn"] != 90.0 {
		t.Fatalf("token: got %d %v, want 200 with expiresIn 90", status, body)
	}
	token, _ := data["accessToken"].(string)
	status, body = sandboxPost(t, rs.base+"/v1/oauth/token", `{"applicationKey":"`+demo[0].Key+`","applicationSecret":"`+demo[0].Secret+`"}`)
	if status != http.StatusOK {
		t.Errorf("demo token: got %d %v, want 200", status, body)
	}
	status, _ = sandboxPost(t, rs.base+"/v1/oauth/token", `{"applicationKey":"l7shop","applicationSecret":"wrong"}`, "requestUId", "2b8f3a4e-6c1d-4f0a-9b7e-5d2c1a0f3e4b")
	if status != http.StatusUnauthorized {
		t.Errorf("wrong secret: got %d, want 401", status)
	}
	if code := rs.stop(t); code != exitOK {
		t.Errorf("exit code: got %d, want %d", code, exitOK)
	}

	logs := rs.stderr.String()
	for _, secret := range []string{userSecret, token, demo[0].Secret} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains the secret %q:\n%s", secret, logs)
		}
	}
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		if m["msg"] == "request" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 3 {
		t.Fatalf("got %d request log lines, want 3:\n%s", len(lines), logs)
	}
	last := lines[2]
	if last["requestUId"] != "2b8f3a4e-6c1d-4f0a-9b7e-5d2c1a0f3e4b" || last["status"] != 401.0 || last["code"] != 9500.0 || last["latency"] == nil {
		t.Errorf("log line: got %v, want requestUId, status 401, code 9500 and latency", last)
	}
}

func TestSandboxShutdownEndsHeldRequests(t *testing.T) {
	rs := startSandbox(t, nil, "--timeout-hold", "1h", "--shutdown-timeout", "15s")
	// The handler reads the body before it holds the request; with Expect: 100-continue that
	// read sends "100 Continue", which tells the test that the request is being held (net/http
	// drops a request it has not read yet at shutdown, unanswered).
	held := make(chan struct{})
	type result struct {
		status int
		err    error
	}
	done := make(chan result, 1)
	go func() {
		trace := &httptrace.ClientTrace{Got100Continue: func() { close(held) }}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace),
			http.MethodPost, rs.base+"/v1/oauth/token", strings.NewReader(`{}`))
		req.Header.Set(sandbox.FaultHeader, "timeout")
		req.Header.Set("Expect", "100-continue")
		client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Hour}}
		resp, err := client.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		resp.Body.Close()
		done <- result{status: resp.StatusCode}
	}()
	select {
	case <-held:
	case r := <-done:
		t.Fatalf("the request ended before it was held: %d %v", r.status, r.err)
	}
	slow := slowBody(t, rs.base)
	// The request is held for an hour unless the shutdown ends it: then it is answered 504
	// and the command stops well before its shutdown timeout.
	start := time.Now()
	if code := rs.stop(t); code != exitOK {
		t.Errorf("exit code: got %d, want %d", code, exitOK)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("shutdown took %v", took)
	}
	select {
	case r := <-done:
		if r.err != nil || r.status != http.StatusGatewayTimeout {
			t.Errorf("held request: got %d %v, want 504\n%s", r.status, r.err, rs.stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Error("the held request did not end")
	}
	select {
	case status := <-slow:
		if status != "HTTP/1.1 504 Gateway Timeout" {
			t.Errorf("request with a slow body: got %q, want 504 (item 11 of issue 9: it got 400)", status)
		}
	case <-time.After(20 * time.Second):
		t.Error("the request with a slow body did not end")
	}
}

// slowBody sends a token request that announces 100 bytes of body and sends 10, once the
// server reads its body (its 100 Continue), and returns the status line it gets.
func slowBody(t *testing.T, base string) <-chan string {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_, err = io.WriteString(conn, "POST /v1/oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
		"resourceOwnerId: o\r\nrequestUId: 0123456789abcdef0123456789abcdef\r\nExpect: 100-continue\r\nContent-Length: 100\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("got %q %v, want 100 Continue", line, err)
	}
	if _, err := r.ReadString('\n'); err != nil { // the blank line after 100 Continue
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, `{"applicat`); err != nil {
		t.Fatal(err)
	}
	status := make(chan string, 1)
	go func() {
		line, err := r.ReadString('\n')
		if err != nil {
			line = err.Error()
		}
		status <- strings.TrimSpace(line)
	}()
	return status
}

func TestSandboxEnvironment(t *testing.T) {
	rs := startSandbox(t, map[string]string{
		"SCB_SANDBOX_APP":        "a:l7a:SECRET-A:plain b:l7b:SECRET-B:web",
		"SCB_SANDBOX_NO_DEMO":    "true",
		"SCB_SANDBOX_ACCESS_TTL": "2m",
		"SCB_SANDBOX_LOG_FORMAT": "json",
	})
	if strings.Contains(rs.banner, "demo-") {
		t.Errorf("banner shows demo applications with SCB_SANDBOX_NO_DEMO:\n%s", rs.banner)
	}
	status, body := sandboxPost(t, rs.base+"/v1/oauth/token", `{"applicationKey":"l7b","applicationSecret":"SECRET-B"}`)
	if data, _ := body["data"].(map[string]any); status != http.StatusOK || data["expiresIn"] != 120.0 {
		t.Errorf("token: got %d %v, want 200 with expiresIn 120", status, body)
	}
	demo := sandbox.DemoApplications()[0]
	if status, _ := sandboxPost(t, rs.base+"/v1/oauth/token", `{"applicationKey":"`+demo.Key+`","applicationSecret":"`+demo.Secret+`"}`); status != http.StatusUnauthorized {
		t.Errorf("demo application: got %d, want 401", status)
	}
	if !strings.HasPrefix(strings.TrimSpace(rs.stderr.String()), "{") {
		t.Errorf("log is not JSON: %s", rs.stderr.String())
	}
}

func TestSandboxAppsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "apps.yaml")
	if err := os.WriteFile(path, []byte("applications:\n  - {name: shop, key: l7shop, secret: FILE-SECRET, kind: authorization-code}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rs := startSandbox(t, map[string]string{"SCB_SANDBOX_APPS": path})
	if strings.Contains(rs.banner, "FILE-SECRET") || !strings.Contains(rs.banner, "shop") {
		t.Errorf("banner: want shop without its secret:\n%s", rs.banner)
	}
	if status, body := sandboxPost(t, rs.base+"/v1/oauth/token", `{"applicationKey":"l7shop","applicationSecret":"FILE-SECRET"}`); status != http.StatusOK {
		t.Errorf("token: got %d %v, want 200", status, body)
	}
}

func TestSandboxUsageErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		environ map[string]string
		want    string
	}{
		{"failure rate above 1", []string{"--failure-rate", "2"}, nil, `--failure-rate "2": must be between 0 and 1`},
		{"bad --app", []string{"--app", "shop:l7:APP-SECRET:mobile"}, nil, "a kind that is not"},
		{"bad SCB_SANDBOX_APP", nil, map[string]string{"SCB_SANDBOX_APP": "shop:l7:APP-SECRET"}, "SCB_SANDBOX_APP"},
		{"bad SCB_SANDBOX_LATENCY", nil, map[string]string{"SCB_SANDBOX_LATENCY": "soon"}, `SCB_SANDBOX_LATENCY="soon" (--latency): not a duration`},
		{"out of range SCB_SANDBOX_FAILURE_RATE", nil, map[string]string{"SCB_SANDBOX_FAILURE_RATE": "2"}, `SCB_SANDBOX_FAILURE_RATE="2" (--failure-rate): must be between 0 and 1`},
		{"a flag replaces a bad variable", []string{"--no-demo"}, map[string]string{"SCB_SANDBOX_NO_DEMO": "maybe"}, "no applications"},
		{"log format in any case", []string{"--log-format", "JSON", "--no-demo"}, nil, "no applications"},
		{"bad SCB_SANDBOX_RATE_LIMIT", nil, map[string]string{"SCB_SANDBOX_RATE_LIMIT": "five"}, "SCB_SANDBOX_RATE_LIMIT"},
		{"bad log format", []string{"--log-format", "xml"}, nil, "text or json"},
		{"missing apps file", []string{"--apps", "/nonexistent/apps.yaml"}, nil, "read applications"},
		{"no applications", []string{"--no-demo"}, nil, "no applications"},
		{"key of a demo application", []string{"--app", "x:l700000000000000000000000000000001:APP-SECRET:web"}, nil, "same key"},
		{"sub-second lifetime", []string{"--code-ttl", "10ms"}, nil, `--code-ttl "10ms": must be between 1s and 87600h`},
		{"unexpected argument", []string{"serve"}, nil, "unexpected argument"},
		{"unknown flag", []string{"--port", "80"}, nil, "-port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runStopped(t, tt.environ, append([]string{"sandbox", "--addr", "127.0.0.1:0"}, tt.args...)...)
			if code != exitUsage {
				t.Errorf("exit code: got %d, want %d", code, exitUsage)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr: got %q, want it to contain %q", stderr, tt.want)
			}
			if strings.Contains(stderr+stdout, "APP-SECRET") {
				t.Errorf("the output shows the secret: %s", stderr)
			}
		})
	}
}

// Every numeric and duration flag is checked at start: zero where it is not allowed, negative,
// the largest int64, and garbage each give a clear message naming the flag and exit 2, never a
// panic on the first request (item 13 of issue 9: --max-body 9223372036854775807).
func TestSandboxFlagRanges(t *testing.T) {
	const maxInt64 = "9223372036854775807"
	const maxDuration = "2562047h47m16.854775807s"
	tests := []struct {
		flag   string
		values []string // each refused
	}{
		{"access-ttl", []string{"0", "-1s", "999ms", maxDuration, "soon"}},
		{"refresh-ttl", []string{"0", "-1s", maxDuration, "soon"}},
		{"code-ttl", []string{"0", "-1s", maxDuration, "soon"}},
		{"consent-ttl", []string{"0", "-1s", maxDuration, "soon"}},
		{"latency", []string{"-1s", maxDuration, "soon"}},
		{"timeout-hold", []string{"0", "-1s", maxDuration, "soon"}},
		{"shutdown-timeout", []string{"0", "-1s", maxDuration, "soon"}},
		{"failure-rate", []string{"-0.1", "1.5", "NaN", "Inf", maxInt64, "half"}},
		{"rate-limit", []string{"-1", "NaN", "Inf", maxInt64, "five"}},
		{"max-body", []string{"0", "-1", maxInt64, "1" + maxInt64, "64k"}},
		{"header-timeout", []string{"0", "-1s", maxDuration, "soon"}},
		{"read-timeout", []string{"0", "-1s", maxDuration, "soon"}},
		{"write-timeout", []string{"0", "-1s", maxDuration, "soon"}},
		{"idle-timeout", []string{"0", "-1s", maxDuration, "soon"}},
		{"max-header-bytes", []string{"0", "-1", maxInt64, "1MB"}},
		{"max-conns", []string{"0", "-1", maxInt64, "many"}},
	}
	for _, tt := range tests {
		for _, v := range tt.values {
			t.Run(tt.flag+"="+v, func(t *testing.T) {
				code, stdout, stderr := runStopped(t, nil, "sandbox", "--addr", "127.0.0.1:0", "--"+tt.flag, v)
				if code != exitUsage || !strings.Contains(stderr, "--"+tt.flag+" ") || stdout != "" {
					t.Errorf("got exit %d, stderr %q, stdout %q; want 2 and an error naming --%s", code, stderr, stdout, tt.flag)
				}
			})
			variable := "SCB_SANDBOX_" + strings.ToUpper(strings.ReplaceAll(tt.flag, "-", "_"))
			t.Run(variable+"="+v, func(t *testing.T) {
				code, stdout, stderr := runStopped(t, map[string]string{variable: v}, "sandbox", "--addr", "127.0.0.1:0")
				if code != exitUsage || !strings.Contains(stderr, variable+"=") || stdout != "" {
					t.Errorf("got exit %d, stderr %q, stdout %q; want 2 and an error naming %s", code, stderr, stdout, variable)
				}
			})
		}
	}
}

func TestSandboxListenError(t *testing.T) {
	if code, _, stderr := runStopped(t, nil, "sandbox", "--addr", "256.0.0.1:0"); code != exitFail {
		t.Errorf("exit code: got %d, want %d (%s)", code, exitFail, stderr)
	}
}

func TestSandboxHelp(t *testing.T) {
	code, stdout, _ := runCmd(t, nil, "sandbox", "--help")
	if code != exitOK {
		t.Fatalf("exit code: got %d, want 0", code)
	}
	for _, want := range []string{
		"-addr", "SCB_SANDBOX_ADDR", "-apps", "SCB_SANDBOX_APPS", "--app ", "SCB_SANDBOX_APP\n", "--no-demo", "SCB_SANDBOX_NO_DEMO",
		"-access-ttl", "SCB_SANDBOX_ACCESS_TTL", "-refresh-ttl", "SCB_SANDBOX_REFRESH_TTL", "-code-ttl", "SCB_SANDBOX_CODE_TTL",
		"-consent-ttl", "SCB_SANDBOX_CONSENT_TTL", "-latency", "SCB_SANDBOX_LATENCY", "-failure-rate", "SCB_SANDBOX_FAILURE_RATE",
		"-rate-limit", "SCB_SANDBOX_RATE_LIMIT", "-timeout-hold", "SCB_SANDBOX_TIMEOUT_HOLD", "-max-body", "SCB_SANDBOX_MAX_BODY",
		"-log-format", "SCB_SANDBOX_LOG_FORMAT", "-shutdown-timeout", "SCB_SANDBOX_SHUTDOWN_TIMEOUT", "X-Sandbox-Fault",
		"shows in process lists", "-header-timeout", "SCB_SANDBOX_HEADER_TIMEOUT", "-read-timeout", "SCB_SANDBOX_READ_TIMEOUT",
		"-write-timeout", "SCB_SANDBOX_WRITE_TIMEOUT", "-idle-timeout", "SCB_SANDBOX_IDLE_TIMEOUT",
		"-max-header-bytes", "SCB_SANDBOX_MAX_HEADER_BYTES", "-max-conns", "SCB_SANDBOX_MAX_CONNS",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("help does not mention %q", want)
		}
	}
}
