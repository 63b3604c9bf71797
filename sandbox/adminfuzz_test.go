package sandbox_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/scboauth/scboauth/sandbox"
)

// adminFuzzServer is the emulator FuzzAdmin sends every input to: the admin API on, behind a
// token, with a small request log.
var adminFuzzServer = sync.OnceValue(func() *sandbox.Server {
	srv, err := sandbox.New(sandbox.WithAdmin(), sandbox.WithAdminToken(adminToken), sandbox.WithRequestLogSize(16))
	if err != nil {
		panic(err)
	}
	return srv
})

// FuzzAdmin sends the admin API any method, path under /sandbox/v1/, query, content type and
// body, with or without the token: it never panics or answers 5xx, every answer is as
// admin.yaml says, and no answer shows the admin token.
func FuzzAdmin(f *testing.F) {
	for _, s := range []struct{ method, path, query, ct, body string }{
		{"GET", "health", "", "", ""},
		{"GET", "requests", "status=200&limit=5&kind=scb&path=/v1/oauth/token", "", ""},
		{"GET", "requests", "status=abc&limit=-1", "", ""},
		{"DELETE", "state", "", "", ""},
		{"POST", "applications", "", "application/json", `{"name":"n","key":"k","secret":"s","kind":"web"}`},
		{"POST", "applications", "", "application/json", `{"name":"n","key":"k","secret":"s","kind":"web","x":[1]}`},
		{"DELETE", "applications/n", "", "", ""},
		{"DELETE", "applications/%2e%2e", "", "", ""},
		{"POST", "faults", "", "application/json", `{"fault":"503","path":"/v1/oauth/token","count":1,"probability":0.5}`},
		{"POST", "faults", "", "application/json", `{"fault":"timeout","application":"demo-plain"}`},
		{"GET", "faults", "", "", ""},
		{"POST", "clock", "", "application/json", `{"advance":"31m"}`},
		{"POST", "clock", "", "application/json", `{"seconds":1e400}`},
		{"POST", "tokens/introspect", "", "application/json", `{"token":"x"}`},
		{"POST", "consent", "", "application/json", `{"callbackUrl":"scbeasysim://login/x","user":null}`},
		{"PATCH", "clock", "", "", ""},
		{"GET", "openapi.yaml", "", "", ""},
		{"POST", "faults", "", "text/plain", "{"},
		{"POST", "payments", "", "application/json", `{"target":"000201x","method":"QR30","payer":{"name":"n"},"delivery":{"duplicate":true,"delay":"5s"}}`},
		{"POST", "payments", "", "application/json", `{"target":"","delivery":{"delay":"-1s"}}`},
		{"GET", "deliveries", "application=demo-plain&transactionId=x", "", ""},
		{"GET", "deliveries/d1", "wait=1ms", "", ""},
		{"POST", "deliveries/d1/replay", "", "", ""},
		{"PUT", "applications/demo-plain/callback-url", "", "application/json", `{"callbackUrl":null}`},
		{"PUT", "applications/demo-plain/callback-url", "", "application/json", `{"callbackUrl":"javascript:x"}`},
	} {
		f.Add(s.method, s.path, s.query, s.ct, s.body, true)
		f.Add(s.method, s.path, s.query, s.ct, s.body, false)
	}
	f.Fuzz(func(t *testing.T, method, path, query, contentType, body string, withToken bool) {
		req, err := http.NewRequest(method, "http://emulator/sandbox/v1/"+path+"?"+query, strings.NewReader(body))
		if err != nil || !strings.HasPrefix(req.URL.Path, "/sandbox/v1/") {
			return // not a request net/http would deliver under /sandbox/v1/
		}
		if contentType != "" {
			req.Header["Content-Type"] = []string{contentType}
		}
		if withToken {
			req.Header.Set("Authorization", "Bearer "+adminToken)
		}
		rec := httptest.NewRecorder()
		adminFuzzServer().ServeHTTP(rec, req)
		res := rec.Result()
		got, _ := io.ReadAll(res.Body)
		if res.StatusCode >= 500 && !strings.HasPrefix(req.URL.Path, "/sandbox/v1/consent") {
			t.Fatalf("%s %s: got %d %s", method, req.URL, res.StatusCode, got)
		}
		if strings.Contains(string(got), adminToken) || strings.Contains(res.Header.Get("X-Sandbox-Detail"), adminToken) {
			t.Fatalf("%s %s: the answer shows the admin token: %s", method, req.URL, got)
		}
		if req.URL.Path == "/sandbox/v1/consent" && method != http.MethodPost {
			return // SCB's 405 of the consent path, held to openapi.yaml by FuzzHandler
		}
		if err := validateAdmin(t, req, res.StatusCode, res.Header, got); err != nil {
			t.Fatalf("%s %s answered %d %s: not as admin.yaml says: %v", method, req.URL, res.StatusCode, got, err)
		}
	})
}
