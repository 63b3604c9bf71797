package contract

import (
	"bytes"
	"net/http"
	"os/exec"
	"strings"
	"testing"
)

// shellArgs runs command in bash with curl replaced by a function that prints its arguments,
// and returns them: what curl would have been given.
func shellArgs(t *testing.T, command string, env ...string) []string {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed: the reproducer's quoting cannot be checked")
	}
	cmd := exec.Command(bash, "-c", `curl() { for a in "$@"; do printf '%s\0' "$a"; done; }; `+command)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, command)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
}

// TestReproducerQuoting: hostile values (quotes, $, backticks, command substitutions,
// backslashes, newlines, a tab) reach curl exactly as they were sent, and each secret is its
// variable's value, never written in the command.
func TestReproducerQuoting(t *testing.T) {
	const hostile = `it's "quoted" $HOME ` + "`id`" + ` $(id) \n \\ ; | & * ?` + "\t!"
	const token, secret = "tok-'$(rm -rf x)'-1", "s3cret'`$x"
	var named secrets
	named.addAs("SCB_ACCESS_TOKEN", token)
	named.addAs("SCB_APPLICATION_SECRET", secret)
	h := http.Header{}
	h.Set("Authorization", "Bearer "+token)
	h.Set("requestUId", hostile)
	h.Set("Content-Type", "application/json")
	body := jsonBody(map[string]any{"applicationSecret": secret, "note": hostile + "\nline two", "k": "it's"})
	rq := request{method: http.MethodPost, path: "/v1/oauth/token?q=" + "a'b", header: h, body: body}
	cmd := reproducer("http://127.0.0.1:1", rq, named.named.Redact)
	if strings.Contains(cmd, token) || strings.Contains(cmd, secret) || strings.Contains(cmd, "\x00") {
		t.Fatalf("the reproducer shows a secret or a marker: %s", cmd)
	}
	if !strings.Contains(cmd, `"$SCB_ACCESS_TOKEN"`) || !strings.Contains(cmd, `"$SCB_APPLICATION_SECRET"`) {
		t.Fatalf("the reproducer does not read the secrets from their variables: %s", cmd)
	}
	args := shellArgs(t, cmd, "SCB_ACCESS_TOKEN="+token, "SCB_APPLICATION_SECRET="+secret, "HOME=/nowhere")
	want := []string{"-g", "-sS", "-i", "-X", "POST", "http://127.0.0.1:1/v1/oauth/token?q=a'b",
		"-H", "Authorization: Bearer " + token, "-H", "Content-Type: application/json", "-H", "Requestuid: " + hostile, "--data-raw", string(body)}
	if strings.Join(args, "\x00") != strings.Join(want, "\x00") {
		t.Errorf("curl got\n%q\nwant\n%q", args, want)
	}
}

// TestReproducerWithoutContentType: a body sent without Content-Type keeps curl from adding
// its own; a request without a body sends none.
func TestReproducerWithoutContentType(t *testing.T) {
	var named secrets
	cmd := reproducer("http://h", request{method: "PUT", path: "/p", header: http.Header{}, body: []byte("x")}, named.named.Redact)
	if args := shellArgs(t, cmd); !bytes.Equal([]byte(strings.Join(args, " ")), []byte("-g -sS -i -X PUT http://h/p -H Content-Type: --data-raw x")) {
		t.Errorf("got %q", args)
	}
	cmd = reproducer("http://h", request{method: "GET", path: "/p", header: http.Header{}}, named.named.Redact)
	if args := shellArgs(t, cmd); strings.Join(args, " ") != "-g -sS -i -X GET http://h/p" {
		t.Errorf("got %q", args)
	}
}
