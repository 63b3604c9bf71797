package contract_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scboauth/scboauth/contract"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// The engine's tests check the emulator (package sandbox, which conforms) changed in one way
// at a time: mutate rewrites its answers on their way out.

// newEmulator returns an emulator whose tokens, codes and callback ids read fake-token-N, so
// that a test can look for them in a report.
func newEmulator(t testing.TB, opts ...sandbox.Option) *sandbox.Server {
	t.Helper()
	return sandboxtest.New(t, append([]sandbox.Option{sandbox.WithTokenGenerator(sandboxtest.Tokens("fake-token"))}, opts...)...)
}

// demo returns the emulator's demo application of kind as contract.Credentials.
func demo(kind sandbox.Kind) contract.Credentials {
	app := sandboxtest.Demo(kind)
	return contract.Credentials{Key: app.Key, Secret: app.Secret}
}

// captured is an answer a mutation may change before it goes on the wire.
type captured struct {
	req    *http.Request
	status int
	header http.Header
	body   []byte
}

// json edits the body as a JSON object; it does nothing to a body that is not one.
func (c *captured) json(edit func(m map[string]any)) {
	var m map[string]any
	if err := json.Unmarshal(c.body, &m); err != nil {
		return
	}
	edit(m)
	c.body, _ = json.Marshal(m)
}

func (c *captured) data(edit func(d map[string]any)) {
	c.json(func(m map[string]any) {
		if d, ok := m["data"].(map[string]any); ok {
			edit(d)
		}
	})
}

func (c *captured) isTokenSuccess() bool {
	return c.status == 200 && strings.HasPrefix(c.req.URL.Path, "/v1/oauth/token")
}

// code is the business code of the answer.
func (c *captured) code() int {
	var m struct {
		Status struct{ Code int } `json:"status"`
	}
	_ = json.Unmarshal(c.body, &m)
	return m.Status.Code
}

// mutate serves h, then lets edit change the answer before it is written.
func mutate(h http.Handler, edit func(c *captured)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		c := &captured{req: r, status: rec.Code, header: rec.Header().Clone(), body: rec.Body.Bytes()}
		edit(c)
		for k, v := range c.header {
			w.Header()[k] = v
		}
		if c.header.Get("Content-Length") == "" {
			w.Header().Set("Content-Length", strconv.Itoa(len(c.body)))
		}
		w.WriteHeader(c.status)
		_, _ = w.Write(c.body)
	})
}

// serve serves h on a loopback port until the test ends and returns its URL.
func serve(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// checkAgainst runs the catalogue against h served on a loopback port, as the emulator em.
func checkAgainst(t *testing.T, em contract.Emulator, h http.Handler, strict bool) *contract.Report {
	t.Helper()
	rep, err := contract.Run(context.Background(), contract.Config{BaseURL: serve(t, h), Emulator: em, Strict: strict, Timeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

// want is an error a test expects: its path and a part of its message.
type want struct{ path, msg string }

func hasError(c contract.CaseResult, w want) bool {
	for _, f := range c.Findings {
		if f.Severity == contract.SeverityError && f.Path == w.path && strings.Contains(f.Message, w.msg) {
			return true
		}
	}
	return false
}

func findCase(t *testing.T, rep *contract.Report, id string) contract.CaseResult {
	t.Helper()
	for _, c := range rep.Cases {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no case %q in the report", id)
	return contract.CaseResult{}
}

func listFindings(c contract.CaseResult) string {
	var b strings.Builder
	for _, f := range c.Findings {
		b.WriteString("  " + f.Request + " " + f.String() + "\n")
	}
	return b.String()
}
