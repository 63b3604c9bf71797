package contract_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scboauth/scboauth/contract"
)

// brokenVariant is the emulator changed in one way, the case that must fail, and the errors it
// must report, by path and message.
type brokenVariant struct {
	name     string
	edit     func(c *captured)
	wantCase string
	want     []want
}

var brokenVariants = []brokenVariant{
	{
		name: "field of the wrong type",
		edit: func(c *captured) {
			if c.isTokenSuccess() {
				c.data(func(d map[string]any) { d["expiresIn"] = "1800" })
			}
		},
		wantCase: "client-credentials", want: []want{{"$.data.expiresIn", "value must be an integer"}},
	},
	{
		name: "missing required field",
		edit: func(c *captured) {
			if c.isTokenSuccess() {
				c.data(func(d map[string]any) { delete(d, "accessToken") })
			}
		},
		wantCase: "client-credentials", want: []want{{"$.data.accessToken", `property "accessToken" is missing`}},
	},
	{
		name: "tokenType bearer",
		edit: func(c *captured) {
			if c.isTokenSuccess() {
				c.data(func(d map[string]any) { d["tokenType"] = "bearer" })
			}
		},
		wantCase: "client-credentials", want: []want{{"$.data.tokenType", `tokenType is "bearer"; the authorization header needs exactly "Bearer"`}},
	},
	{
		name: "undocumented 4xx status (Prism passes it with a warning)",
		edit: func(c *captured) {
			if c.status == 401 && c.code() == 9500 {
				c.status = 422
			}
		},
		wantCase: "wrong-secret", want: []want{{"HTTP status", "HTTP 422 is not documented for createToken"}},
	},
	{
		name: "undocumented 5xx status (Prism passes it with a warning)",
		edit: func(c *captured) {
			if c.status == 400 && c.code() == 1101 {
				c.status = 501
				c.json(func(m map[string]any) {
					m["status"] = map[string]any{"code": 4101, "description": "Current channel is not supported"}
				})
			}
		},
		wantCase: "missing-body-field", want: []want{{"HTTP status", "HTTP 501 is not documented for createToken"}},
	},
	{
		name: "401 carrying code 1000",
		edit: func(c *captured) {
			if c.status == 401 && c.code() == 9500 {
				c.json(func(m map[string]any) { m["status"] = map[string]any{"code": 1000, "description": "Success"} })
			}
		},
		wantCase: "wrong-secret", want: []want{{"$.status.code", "value is not one of the allowed values [9100,9300,9500]"}},
	},
	{
		name: "text/plain body",
		edit: func(c *captured) {
			if c.isTokenSuccess() {
				c.header.Set("Content-Type", "text/plain; charset=utf-8")
			}
		},
		wantCase: "client-credentials", want: []want{{"header Content-Type", `"text/plain; charset=utf-8" is not documented for HTTP 200 of createToken`}},
	},
	{
		name: "expiresAt in milliseconds",
		edit: func(c *captured) {
			if c.isTokenSuccess() {
				c.data(func(d map[string]any) { d["expiresAt"] = d["expiresAt"].(float64) * 1000 })
			}
		},
		wantCase: "client-credentials", want: []want{{"$.data.expiresAt", "expiresAt is in milliseconds"}, {"$.data.expiresAt", "number must be at most 9999999999"}},
	},
	{
		name: "expiresAt not issue time plus expiresIn",
		edit: func(c *captured) {
			if c.isTokenSuccess() {
				c.data(func(d map[string]any) { d["expiresAt"] = d["expiresAt"].(float64) + 3600 })
			}
		},
		wantCase: "client-credentials", want: []want{{"$.data.expiresAt", "want issue time + expiresIn"}},
	},
	{
		name: "refresh fields on a client-credentials grant",
		edit: func(c *captured) {
			if c.isTokenSuccess() && c.req.URL.Path == "/v1/oauth/token" {
				c.data(func(d map[string]any) {
					if _, ok := d["refreshToken"]; !ok {
						d["refreshToken"], d["refreshExpiresIn"], d["refreshExpiresAt"] = "injected-refresh-token", 3600, d["expiresAt"].(float64)+1800
					}
				})
			}
		},
		wantCase: "client-credentials", want: []want{{"$.data.refreshToken", "refreshToken on a client-credentials grant"}},
	},
	{
		name: "refresh fields missing on a refresh",
		edit: func(c *captured) {
			if c.isTokenSuccess() && c.req.URL.Path == "/v1/oauth/token/refresh" {
				c.data(func(d map[string]any) { delete(d, "refreshExpiresAt") })
			}
		},
		wantCase: "refresh", want: []want{{"$.data.refreshExpiresAt", "refreshExpiresAt is missing on a refresh"}},
	},
	{
		name: "HTML 502 from a gateway",
		edit: func(c *captured) {
			if c.isTokenSuccess() {
				c.status, c.body = 502, []byte("<html><body><h1>502 Bad Gateway</h1></body></html>")
				c.header.Set("Content-Type", "text/html")
			}
		},
		wantCase: "client-credentials", want: []want{{"header Content-Type", `"text/html" is not documented for HTTP 502 of createToken`}, {"HTTP status", "got HTTP 502 without a business code, want 200 1000"}},
	},
	{
		name: "truncated body",
		edit: func(c *captured) {
			if c.isTokenSuccess() {
				c.header.Set("Content-Length", strconv.Itoa(len(c.body)))
				c.body = c.body[:len(c.body)/2]
			}
		},
		wantCase: "client-credentials", want: []want{{"$", "body is not valid JSON: it ends after"}, {"$", "the connection broke while reading the body"}},
	},
	{
		name: "data missing on success",
		edit: func(c *captured) {
			if c.isTokenSuccess() {
				c.json(func(m map[string]any) { delete(m, "data") })
			}
		},
		wantCase: "client-credentials", want: []want{{"$.data", `property "data" is missing`}},
	},
	{
		name: "status object missing on error",
		edit: func(c *captured) {
			if c.status == 401 {
				c.json(func(m map[string]any) { delete(m, "status") })
			}
		},
		wantCase: "wrong-secret", want: []want{{"$.status", `property "status" is missing`}},
	},
	{
		name: "description missing on error",
		edit: func(c *captured) {
			if c.status == 401 {
				c.json(func(m map[string]any) { delete(m["status"].(map[string]any), "description") })
			}
		},
		wantCase: "wrong-secret", want: []want{{"$.status.description", `property "description" is missing`}},
	},
	{
		name: "business code as a string",
		edit: func(c *captured) {
			if c.status == 401 {
				c.json(func(m map[string]any) { m["status"].(map[string]any)["code"] = "9500" })
			}
		},
		wantCase: "wrong-secret", want: []want{{"$.status.code", "value must be an integer"}},
	},
	{
		name: "wrong error body to an invalid request (Prism does not check it)",
		edit: func(c *captured) {
			if c.status == 400 && c.code() == 9100 {
				c.body = []byte(`{"error":"missing header"}`)
			}
		},
		wantCase: "missing-header-token-requestUId", want: []want{{"$.status", `property "status" is missing`}},
	},
	{
		name: "valid but wrong business code for an invalid request",
		edit: func(c *captured) {
			if c.status == 400 && c.code() == 9100 {
				c.json(func(m map[string]any) {
					m["status"] = map[string]any{"code": 1101, "description": "Missing required parameters"}
				})
			}
		},
		wantCase: "missing-header-token-requestUId", want: []want{{"$.status.code", "got HTTP 400 code 1101, want 400 9100"}},
	},
	{
		name: "wrong secret answered as an invalid code",
		edit: func(c *captured) {
			if c.status == 401 && c.code() == 9500 {
				c.json(func(m map[string]any) {
					m["status"] = map[string]any{"code": 9300, "description": "Invalid authorization code"}
				})
			}
		},
		wantCase: "wrong-secret", want: []want{{"$.status.code", "got HTTP 401 code 9300, want 401 9500"}},
	},
	{
		name: "missing resourceOwnerId response header",
		edit: func(c *captured) {
			if c.isTokenSuccess() {
				c.header.Del("resourceOwnerId")
			}
		},
		wantCase: "client-credentials", want: []want{{"header resourceOwnerId", "required header is missing"}},
	},
	{
		name: "wrong method answered 404",
		edit: func(c *captured) {
			if c.status == 405 {
				c.status = 404
				c.json(func(m map[string]any) {
					m["status"] = map[string]any{"code": 1104, "description": "Requested entity record does not exist"}
				})
			}
		},
		wantCase: "wrong-method", want: []want{{"HTTP status", "HTTP 404 is not documented for wrong method on /v1/oauth/token"}},
	},
	{
		name: "unknown path answered with a redirect",
		edit: func(c *captured) {
			if c.status == 404 {
				c.status, c.body = 301, nil
				c.header.Set("Location", "/")
			}
		},
		wantCase: "unknown-path", want: []want{{"HTTP status", "HTTP 301 is not documented for unknown path"}},
	},
	{
		name: "negative expiresIn",
		edit: func(c *captured) {
			if c.isTokenSuccess() {
				c.data(func(d map[string]any) { d["expiresIn"] = -1 })
			}
		},
		wantCase: "client-credentials", want: []want{{"$.data.expiresIn", "number must be at least 1"}},
	},
	{
		name: "empty body on success",
		edit: func(c *captured) {
			if c.isTokenSuccess() {
				c.body = nil
			}
		},
		wantCase: "client-credentials", want: []want{{"$", "body is not valid JSON: the body is empty"}},
	},
	{
		name: "resourceOwnerId header not the request's",
		edit: func(c *captured) {
			if c.isTokenSuccess() {
				c.header.Set("resourceOwnerId", "someone-else")
			}
		},
		wantCase: "client-credentials", want: []want{{"header resourceOwnerId", `got "someone-else", want the request's resourceOwnerId`}},
	},
}

// TestBrokenVariants runs the catalogue against the emulator changed in one way each, and
// checks that the change is reported as a violation naming the problem at its path.
func TestBrokenVariants(t *testing.T) {
	for _, tt := range brokenVariants {
		t.Run(tt.name, func(t *testing.T) {
			em := newEmulator(t)
			rep := checkAgainst(t, em, mutate(em, tt.edit), false)
			if rep.Conforms() {
				t.Fatalf("got a conforming report, want a violation")
			}
			c := findCase(t, rep, tt.wantCase)
			if c.Verdict != contract.VerdictFail {
				t.Fatalf("case %s: got verdict %s, want fail; findings: %v", c.ID, c.Verdict, c.Findings)
			}
			for _, w := range tt.want {
				if !hasError(c, w) {
					t.Errorf("case %s: got findings\n%s\nwant an error at %s containing %q", c.ID, listFindings(c), w.path, w.msg)
				}
			}
		})
	}
}

// TestDrift checks that a field the spec does not declare is a warning by default and a
// violation with Strict.
func TestDrift(t *testing.T) {
	for _, strict := range []bool{false, true} {
		t.Run("strict="+strconv.FormatBool(strict), func(t *testing.T) {
			em := newEmulator(t)
			scope := mutate(em, func(c *captured) {
				if c.isTokenSuccess() {
					c.data(func(d map[string]any) { d["scope"] = "oob" })
				}
			})
			rep := checkAgainst(t, em, scope, strict)
			c := findCase(t, rep, "client-credentials")
			wantSeverity, wantVerdict := contract.SeverityWarning, contract.VerdictPass
			if strict {
				wantSeverity, wantVerdict = contract.SeverityError, contract.VerdictFail
			}
			if c.Verdict != wantVerdict {
				t.Errorf("got verdict %s, want %s", c.Verdict, wantVerdict)
			}
			if rep.Conforms() == strict {
				t.Errorf("got Conforms() %v, want %v", rep.Conforms(), !strict)
			}
			if len(c.Findings) != 1 {
				t.Fatalf("got findings\n%s\nwant exactly one", listFindings(c))
			}
			got := c.Findings[0]
			if got.Severity != wantSeverity || got.Rule != contract.RuleDrift || got.Path != "$.data.scope" || got.Message != `field "scope" is not declared in openapi.yaml` {
				t.Errorf("got %v, want %s $.data.scope: field \"scope\" is not declared in openapi.yaml (drift)", got, wantSeverity)
			}
		})
	}
}

// TestPermissiveServer checks the catalogue against an inline server that answers every
// request with the same valid token, as a naive mock does: every case that expects an error
// must fail, and the answers to an unknown path and a wrong method are undocumented statuses.
func TestPermissiveServer(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("resourceOwnerId", r.Header.Get("resourceOwnerId"))
		w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
		fmt.Fprintf(w, `{"status":{"code":1000,"description":"Success"},"data":{"accessToken":"same-token-for-everyone","tokenType":"Bearer","expiresIn":1800,"expiresAt":%d}}`, now.Unix()+1800)
	})
	rep := checkAgainst(t, newEmulator(t), h, false)
	for _, c := range rep.Cases {
		wantVerdict := contract.VerdictPass
		switch {
		case c.ID == "refresh" || c.ID == "refresh-reuse":
			wantVerdict = contract.VerdictSkip // no refresh token was obtained
		case c.ID == "authorization-code" || c.ID == "web-authorization-code" || c.ID == "authorize":
			wantVerdict = contract.VerdictFail // the authorize step answers a token, not a callbackUrl
		case isPaymentCase(c):
			wantVerdict = contract.VerdictFail // a token is no payment call's answer
		case !strings.HasPrefix(c.Expect, "200 "):
			wantVerdict = contract.VerdictFail
		}
		if c.Verdict != wantVerdict {
			t.Errorf("case %s (expects %s): got %s, want %s\n%s", c.ID, c.Expect, c.Verdict, wantVerdict, listFindings(c))
		}
	}
	for id, w := range map[string]want{
		"unknown-path":               {"HTTP status", "HTTP 200 is not documented for unknown path (documented: 404)"},
		"wrong-method":               {"HTTP status", "HTTP 200 is not documented for wrong method on /v1/oauth/token (documented: 405)"},
		"wrong-secret":               {"HTTP status", "got HTTP 200 code 1000, want 401 9500"},
		"missing-body-field":         {"HTTP status", "got HTTP 200 code 1000, want 400 1101"},
		"invalid-json":               {"HTTP status", "got HTTP 200 code 1000, want 400 1102"},
		"authorization-code":         {"$.data.callbackUrl", `property "callbackUrl" is missing`},
		"web-without-code-challenge": {"$.data.callbackUrl", `property "callbackUrl" is missing`},
	} {
		if c := findCase(t, rep, id); !hasError(c, w) {
			t.Errorf("case %s: got findings\n%s\nwant an error at %s containing %q", id, listFindings(c), w.path, w.msg)
		}
	}
}
