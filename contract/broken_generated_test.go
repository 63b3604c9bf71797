package contract_test

import (
	"context"
	"net/http"
	"strings"
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
