package contract_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/scboauth/scboauth/contract"
	"github.com/scboauth/scboauth/sandbox"
)

// echoSecrets is the emulator with answers that quote secrets: every description names the
// plain application's secret and the latest access token (so the cases that check descriptions
// quote them in findings), and every success carries a field named after its access token.
func echoSecrets(em http.Handler, secret string) http.Handler {
	var last string
	return mutate(em, func(c *captured) {
		c.data(func(d map[string]any) {
			if tok, ok := d["accessToken"].(string); ok {
				last = tok
				d[tok] = true
			}
		})
		c.json(func(m map[string]any) {
			if st, ok := m["status"].(map[string]any); ok {
				st["description"] = fmt.Sprintf("secret %s, token %s", secret, last)
			}
		})
	})
}

// reports runs the catalogue with cfg, streaming the table with its title, and returns the
// report and the three formats of it.
func reports(t *testing.T, cfg contract.Config) (rep *contract.Report, out map[string]string) {
	t.Helper()
	var table bytes.Buffer
	tw := contract.NewTableWriter(&table)
	mode := "live"
	if cfg.Emulator != nil {
		mode = "emulator"
	}
	tw.Begin(cfg.BaseURL, mode)
	streamed := 0
	rep, err := contract.Run(t.Context(), cfg, func(c contract.CaseResult) {
		streamed++
		tw.Case(c)
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	tw.End(rep)
	if streamed != len(contract.Catalogue()) {
		t.Errorf("got %d streamed cases, want %d", streamed, len(contract.Catalogue()))
	}
	var js, junit bytes.Buffer
	if err := contract.WriteJSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	if err := contract.WriteJUnit(&junit, rep); err != nil {
		t.Fatal(err)
	}
	return rep, map[string]string{"table": table.String(), "json": js.String(), "junit": junit.String()}
}

// TestReportsNeverLeakSecrets checks the table, JSON and JUnit reports of a run against a
// server that echoes the application secret and tokens in its answers.
func TestReportsNeverLeakSecrets(t *testing.T) {
	em := newEmulator(t)
	plain := demo(sandbox.KindPlain)
	_, out := reports(t, contract.Config{BaseURL: serve(t, echoSecrets(em, plain.Secret)), Emulator: em})
	// The emulator's tokens and codes all read fake-token-N.
	canaries := []string{plain.Secret, demo(sandbox.KindAuthorizationCode).Secret, demo(sandbox.KindWeb).Secret, "fake-token-"}
	for name, text := range out {
		if !strings.Contains(text, "[redacted]") {
			t.Errorf("%s: got no [redacted] marker, want the echoed secrets redacted", name)
		}
		for _, c := range canaries {
			if strings.Contains(text, c) {
				t.Errorf("%s: got %q in the report, want it redacted", name, c)
			}
		}
	}
}

// quoted finds the text between @@ markers, as a report shows it.
var quoted = regexp.MustCompile(`@@(.*?)@@`)

// acceptSecret serves h, an emulator that knows the plain demo application, to a client that
// sends that application's key with secret: the emulator need not accept secrets of every kind
// (it refuses control characters) for a test of what reports do with them.
func acceptSecret(h http.Handler, secret string) http.Handler {
	demoSecret := demo(sandbox.KindPlain).Secret
	quote := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		body = bytes.ReplaceAll(body, []byte(quote(secret)), []byte(quote(demoSecret)))
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		if r.Header.Get("apisecret") == secret {
			r.Header.Set("apisecret", demoSecret)
		}
		h.ServeHTTP(w, r)
	})
}

// TestReportsRedactEverySecret runs live mode with application secrets of every awkward class
// (one to three characters, quotes and backslashes, CR/LF, a secret inside the redaction marker)
// against a server that quotes the secret between @@ markers in its descriptions and in a field
// name: in every report, each quote must read [redacted], however the format escapes it.
func TestReportsRedactEverySecret(t *testing.T) {
	for _, secret := range []string{"e", "Q", "x1", "Ab3", `a"b`, `a\b`, `"`, `\`, "a\r\nb", "\n", "red", "dact]", "[redacted]", "<&>"} {
		t.Run(strconv.Quote(secret), func(t *testing.T) {
			em := newEmulator(t)
			h := mutate(acceptSecret(em, secret), func(c *captured) {
				c.data(func(d map[string]any) { d["@@"+secret+"@@"] = true })
				c.json(func(m map[string]any) {
					if st, ok := m["status"].(map[string]any); ok {
						st["description"] = "@@" + secret + "@@"
					}
				})
			})
			_, out := reports(t, contract.Config{BaseURL: serve(t, h), Application: contract.Credentials{Key: demo(sandbox.KindPlain).Key, Secret: secret}})
			for name, text := range out {
				matches := quoted.FindAllStringSubmatch(text, -1)
				if len(matches) == 0 {
					t.Fatalf("%s: got no @@ quote in the report, want the echoed secret (the test proves nothing)", name)
				}
				for _, m := range matches {
					if m[1] != "[redacted]" {
						t.Errorf("%s: got @@%s@@, want @@[redacted]@@", name, m[1])
					}
				}
			}
		})
	}
}

func TestCredentialsNeverPrintTheSecret(t *testing.T) {
	c := contract.Credentials{Key: "l7key", Secret: "s3cr3t-canary"}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("creds", "app", c)
	js, _ := json.Marshal(c)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s %q %x", c, c, c, c, c, c), string(js), logged.String(), fmt.Sprintf("%v", []contract.Credentials{c})} {
		if strings.Contains(s, "s3cr3t") {
			t.Errorf("got %q, want the secret redacted", s)
		}
		if !strings.Contains(s, "l7key") && !strings.Contains(s, "6c376b6579") {
			t.Errorf("got %q, want the key shown", s)
		}
	}
}

// formatsRun is one live run with a failure, a warning and a skip: the emulator answering 422
// to a wrong secret and adding an undeclared field to every token. It returns the report, the
// target and the three formats.
func formatsRun(t *testing.T) (rep *contract.Report, target string, out map[string]string) {
	t.Helper()
	em := newEmulator(t)
	h := mutate(em, func(c *captured) {
		if c.isTokenSuccess() {
			c.data(func(d map[string]any) { d["scope"] = "oob" })
		}
		if c.status == 401 && c.code() == 9500 && c.req.URL.Path == "/v1/oauth/token" {
			c.status = 422
		}
	})
	target = serve(t, h)
	rep, out = reports(t, contract.Config{BaseURL: target, Application: demo(sandbox.KindPlain)})
	if s := rep.Summary(); s.Failed != 2 || s.Skipped == 0 || s.Warnings == 0 || s.Passed == 0 {
		t.Fatalf("got %+v, want 2 failures (wrong-secret, unknown-key), skips and warnings", s)
	}
	return rep, target, out
}

// TestFormatTable checks the streamed table, and that WriteTable writes the same.
func TestFormatTable(t *testing.T) {
	rep, target, outs := formatsRun(t)
	out := outs["table"]
	s := rep.Summary()
	idWidth := 0 // the CASE column is as wide as the longest case ID, generated ones too, up to 56
	cases, _ := contract.Cases(contract.Config{Generated: &contract.Generation{Seed: 1}})
	for _, c := range cases {
		idWidth = max(idWidth, min(len(c.ID), 56))
	}
	for _, want := range []string{
		"scboauth contract: " + target + " (live)\n",
		fmt.Sprintf("%-*s HTTP  CODE  VERDICT   LATENCY\n", idWidth, "CASE"),
		fmt.Sprintf("\n%-*s  422  9500  FAIL ", idWidth, "wrong-secret"),
		"    error   HTTP status: HTTP 422 is not documented for createToken (documented: 200, 400, 401, 403, 405, 415, 429, 500, 502, 503, 504) (status)\n",
		"    warning $.data.scope: field \"scope\" is not declared in openapi.yaml (drift)\n",
		"    skipped: needs an authorization code: set SCB_AUTH_CODE",
		fmt.Sprintf("CONTRACT VIOLATION: %d cases, %d passed, 2 failed, %d skipped, %d warnings (strict off)", len(rep.Cases), s.Passed, s.Skipped, s.Warnings),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("got table\n%s\nwant it to contain %q", out, want)
		}
	}
	var whole bytes.Buffer
	if err := contract.WriteTable(&whole, rep); err != nil {
		t.Fatal(err)
	}
	if whole.String() != out {
		t.Errorf("WriteTable and the streamed table differ:\n%s\n---\n%s", whole.String(), out)
	}
}

// TestFormatJSON checks the JSON report of the same run.
func TestFormatJSON(t *testing.T) {
	rep, _, out := formatsRun(t)
	warnings := rep.Summary().Warnings
	var doc struct {
		Target   string `json:"target"`
		Mode     string `json:"mode"`
		Conforms bool   `json:"conforms"`
		Summary  struct{ Cases, Passed, Failed, Skipped, Warnings int }
		Cases    []struct {
			ID, Verdict, Reason, Expect, Source string
			Status, Code                        int
			Findings                            []struct{ Severity, Rule, Path, Message, Request string }
		}
	}
	if err := json.Unmarshal([]byte(out["json"]), &doc); err != nil {
		t.Fatalf("got invalid JSON: %v", err)
	}
	if doc.Conforms || doc.Mode != "live" || doc.Summary.Failed != 2 || doc.Summary.Cases != len(rep.Cases) || doc.Summary.Warnings != warnings {
		t.Errorf("got %+v, want a non-conforming live report with 2 failures", doc.Summary)
	}
	var found bool
	for _, c := range doc.Cases {
		if c.ID == "wrong-secret" {
			found = c.Verdict == "fail" && c.Status == 422 && c.Code == 9500 && len(c.Findings) > 0 &&
				c.Findings[0].Path == "HTTP status" && c.Findings[0].Rule == "status" && c.Findings[0].Request == "POST /v1/oauth/token" && c.Source != ""
		}
	}
	if !found {
		t.Errorf("got %+v, want case wrong-secret failing with its status finding", doc.Cases)
	}
}

// TestFormatJUnit checks the JUnit report of the same run.
func TestFormatJUnit(t *testing.T) {
	rep, _, out := formatsRun(t)
	skipped := rep.Summary().Skipped
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
				Skipped *struct {
					Message string `xml:"message,attr"`
				} `xml:"skipped"`
				SystemOut string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out["junit"]), &doc); err != nil {
		t.Fatalf("got invalid XML: %v", err)
	}
	// A testcase per case, and one for the coverage.
	if doc.Tests != len(rep.Cases)+1 || doc.Failures != 2 || doc.Skipped != skipped || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != len(rep.Cases)+1 {
		t.Fatalf("got tests %d failures %d skipped %d, want %d, 2, %d", doc.Tests, doc.Failures, doc.Skipped, len(rep.Cases)+1, skipped)
	}
	if last := doc.Suites[0].Cases[len(rep.Cases)]; last.Name != "coverage" || last.Failure != nil || !strings.Contains(last.SystemOut, "operations: ") {
		t.Errorf("got %+v, want the coverage testcase, passing, with its figures", last)
	}
	for _, c := range doc.Suites[0].Cases {
		switch {
		case c.Name == "wrong-secret" && (c.Failure == nil || !strings.Contains(c.Failure.Message, "HTTP 422 is not documented") || !strings.Contains(c.Failure.Text, "expected: 401")):
			t.Errorf("got %+v, want a failure naming the undocumented 422", c)
		case c.Name == "authorization-code" && (c.Skipped == nil || !strings.Contains(c.Skipped.Message, "SCB_AUTH_CODE")):
			t.Errorf("got %+v, want skipped with the reason", c)
		case c.Name == "client-credentials" && (c.Failure != nil || !strings.Contains(c.SystemOut, `warning: POST /v1/oauth/token $.data.scope: field "scope" is not declared`)):
			t.Errorf("got %+v, want the drift warning in system-out and no failure", c)
		}
	}
}

// TestTableHasNoTerminalControls checks that a target's text reaches the table quoted: escape
// sequences, CR and bidirectional controls in descriptions and field names never reach a
// terminal raw, in either mode.
func TestTableHasNoTerminalControls(t *testing.T) {
	const hostile = "\x1b[2J\x1b]0;pwned\x07\r\u202etxt.exe"
	for _, emulated := range []bool{true, false} {
		t.Run(fmt.Sprintf("emulator=%v", emulated), func(t *testing.T) {
			em := newEmulator(t)
			h := mutate(em, func(c *captured) {
				c.data(func(d map[string]any) { d[hostile] = hostile })
				c.json(func(m map[string]any) {
					if st, ok := m["status"].(map[string]any); ok {
						st["description"] = hostile
					}
				})
			})
			cfg := contract.Config{BaseURL: serve(t, h), Application: demo(sandbox.KindPlain)}
			if emulated {
				cfg = contract.Config{BaseURL: cfg.BaseURL, Emulator: em}
			}
			_, out := reports(t, cfg)
			table := out["table"]
			if !strings.Contains(table, `\x1b[2J`) {
				t.Fatalf("got no quoted escape sequence in the table, want the hostile text shown quoted (the test proves nothing)\n%s", table)
			}
			for i, r := range table {
				if (r < 0x20 && r != '\n') || r == 0x7f || r == '\u202e' {
					t.Fatalf("got control %U at byte %d of the table, want none:\n%q", r, i, table[max(0, i-80):min(len(table), i+80)])
				}
			}
		})
	}
}
