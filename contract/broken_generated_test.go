package contract_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scboauth/scboauth/contract"
)

// The servers below break the contract only where no catalogue case looks: the catalogue alone
// passes each, and the cases generated from the spec catch each, naming the case and the rule.
var generatedOnly = []struct {
	name     string
	edit     func(c *captured)
	wantCase string
	want     want
}{
	{
		name: "accepts a requestUId over its maxLength (128)",
		edit: func(c *captured) {
			if len(c.req.Header.Get("requestUId")) > 128 && c.req.URL.Path == "/v1/oauth/token" {
				c.status = http.StatusOK
				c.body = []byte(`{"status":{"code":1000,"description":"Success"},"data":{"accessToken":"mutant-access-token","tokenType":"Bearer","expiresIn":1800,"expiresAt":` + expiresAt() + `}}`)
				c.header.Set("resourceOwnerId", c.req.Header.Get("resourceOwnerId"))
			}
		},
		wantCase: "createToken/header.requestUId/maxLength+1",
		want:     want{"HTTP status", "HTTP 200 to a request openapi.yaml refuses (header requestUId: maximum string length is 128)"},
	},
	{
		name: "answers 200 to a refresh body with an extra field",
		edit: func(c *captured) {
			if c.req.URL.Path == "/v1/oauth/token/refresh" && c.code() == 1105 {
				c.status = http.StatusOK
				c.body = []byte(`{"status":{"code":1000,"description":"Success"},"data":{"accessToken":"mutant-access-token","tokenType":"Bearer","expiresIn":1800,"expiresAt":` + expiresAt() + `,"refreshToken":"mutant-refresh-token","refreshExpiresIn":3600,"refreshExpiresAt":` + expiresAt() + `}}`)
			}
		},
		wantCase: "refreshToken/body/additionalProperties",
		want:     want{"HTTP status", `HTTP 200 to a request openapi.yaml refuses ($: property "unexpectedField" is unsupported)`},
	},
	{
		name: "answers 500 to an accept-language outside its enum",
		edit: func(c *captured) {
			if l := strings.ToUpper(c.req.Header.Get("accept-language")); l != "" && l != "EN" && l != "TH" {
				c.status = http.StatusInternalServerError
				c.body = []byte(`{"status":{"code":9700,"description":"Generic server side error"},"data":null}`)
			}
		},
		wantCase: "createToken/header.accept-language/not-in-enum",
		want:     want{"HTTP status", "HTTP 500 to a request openapi.yaml refuses (header accept-language: value is not one of the allowed values"},
	},
}

// expiresAt is now plus 1800 seconds, as the emulator's expiresAt would be.
func expiresAt() string { return itoa(time.Now().Unix() + 1800) }

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

func TestGeneratedCasesCatchWhatTheCatalogueMisses(t *testing.T) {
	for _, tt := range generatedOnly {
		t.Run(tt.name, func(t *testing.T) {
			em := newEmulator(t)
			h := mutate(em, tt.edit)
			if rep := checkAgainst(t, em, h, false); !rep.Conforms() {
				for _, c := range rep.Cases {
					if c.Verdict == contract.VerdictFail {
						t.Errorf("the catalogue alone: case %s fails:\n%s", c.ID, listFindings(c))
					}
				}
			}
			rep, err := contract.Run(context.Background(), contract.Config{BaseURL: serve(t, h), Emulator: em, Timeout: 5 * time.Second,
				Generated: &contract.Generation{Seed: 1}}, nil)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			c := findCase(t, rep, tt.wantCase)
			if c.Verdict != contract.VerdictFail || !hasError(c, tt.want) {
				t.Errorf("case %s: got %s with\n%s want a failure at %s saying %q", c.ID, c.Verdict, listFindings(c), tt.want.path, tt.want.msg)
			}
		})
	}
}

// TestReproducerResendsTheRequest: the reproducer of a finding, run with curl and the
// application's key and secret in their variables, sends the server the very request of the
// run (the same requestUId, headers and body), and the report never shows the secret.
func TestReproducerResendsTheRequest(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed: the reproducer cannot be run")
	}
	em := newEmulator(t)
	var mu sync.Mutex
	seen := map[string][]string{} // requestUId -> method, headers and body of each request with it
	broken := mutate(em, brokenVariants[0].edit)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		mu.Lock()
		seen[r.Header.Get("requestUId")] = append(seen[r.Header.Get("requestUId")], fmt.Sprint(r.Method, r.URL, r.Header.Get("Content-Type"), r.Header.Get("resourceOwnerId"), string(body)))
		mu.Unlock()
		broken.ServeHTTP(w, r)
	})
	rep := checkAgainst(t, em, h, false)
	c := findCase(t, rep, "client-credentials")
	if c.Verdict != contract.VerdictFail || len(c.Interactions) != 1 || c.Interactions[0].Reproduce == "" {
		t.Fatalf("got %+v, want a failure with a reproducer", c)
	}
	cmd := c.Interactions[0].Reproduce
	app := demo("plain")
	if strings.Contains(cmd, app.Secret) || !strings.Contains(cmd, `"$SCB_APPLICATION_SECRET"`) || !strings.Contains(cmd, `"$SCB_APPLICATION_KEY"`) {
		t.Fatalf("reproducer %s: want the key and secret as variables, never the secret", cmd)
	}
	run := exec.Command("bash", "-c", strings.Replace(cmd, "curl ", curl+" ", 1))
	run.Env = []string{"SCB_APPLICATION_KEY=" + app.Key, "SCB_APPLICATION_SECRET=" + app.Secret}
	if out, err := run.CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "HTTP/1.1 200") {
		t.Fatalf("running the reproducer: %v\n%s", err, out)
	}
	mu.Lock()
	defer mu.Unlock()
	for uid, reqs := range seen {
		if strings.Contains(cmd, uid) && uid != "" {
			if len(reqs) != 2 || reqs[0] != reqs[1] {
				t.Errorf("requestUId %s: got the requests %q, want the run's sent again", uid, reqs)
			}
			return
		}
	}
	t.Errorf("the reproducer's requestUId reached the server only once, or not at all")
}
