package contract_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/scboauth/scboauth/contract"
)

// leakyFake is the fake with answers that echo secrets: every description is replaced by the
// plain application's secret and the latest token (so the cases that check descriptions quote
// them in findings), and every success carries a field named after its access token.
func leakyFake(f *fakeSCB) *fakeSCBLeaks {
	return &fakeSCBLeaks{f: f}
}

type fakeSCBLeaks struct {
	f    *fakeSCB
	last string
}

func (l *fakeSCBLeaks) handler() func(c *captured) {
	return func(c *captured) {
		c.data(func(d map[string]any) {
			if tok, ok := d["accessToken"].(string); ok {
				l.last = tok
				d[tok] = true
			}
		})
		c.json(func(m map[string]any) {
			if st, ok := m["status"].(map[string]any); ok {
				st["description"] = fmt.Sprintf("secret %s, token %s", fakeApps.Plain.Secret, l.last)
			}
		})
	}
}

// TestReportsNeverLeakSecrets checks the table, JSON and JUnit reports of a run against a
// server that echoes the application secret and tokens in its answers.
func TestReportsNeverLeakSecrets(t *testing.T) {
	f := newFakeSCB()
	leaks := leakyFake(f)
	var streamed bytes.Buffer
	tw := contract.NewTableWriter(&streamed)
	rep, err := contract.Run(t.Context(), contract.Config{BaseURL: serve(t, mutate(f, leaks.handler())), Emulator: f.emulator()}, func(c contract.CaseResult) { tw.Case(c) })
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	tw.End(rep)
	if f.seq == 0 {
		t.Fatal("the fake issued no token; the test proves nothing")
	}
	var js, junit bytes.Buffer
	if err := contract.WriteJSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	if err := contract.WriteJUnit(&junit, rep); err != nil {
		t.Fatal(err)
	}
	// The fake's tokens and codes all read fake-token-NNNNNNNN.
	canaries := []string{fakeApps.Plain.Secret, fakeApps.AuthorizationCode.Secret, fakeApps.Web.Secret, "fake-token-"}
	for name, out := range map[string]string{"table": streamed.String(), "json": js.String(), "junit": junit.String()} {
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("%s: got no [redacted] marker, want the echoed secrets redacted", name)
		}
		for _, c := range canaries {
			if strings.Contains(out, c) {
				t.Errorf("%s: got %q in the report, want it redacted", name, c)
			}
		}
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

// TestFormats checks the three report formats on one run with a failure, a warning and a skip.
func TestFormats(t *testing.T) {
	f := newFakeSCB()
	f.extra = map[string]any{"scope": "oob"}
	h := mutate(f, func(c *captured) {
		if c.status == 401 && code(c) == 9500 && c.req.URL.Path == "/v1/oauth/token" {
			c.status = 422
		}
	})
	target := serve(t, h)
	var streamed bytes.Buffer
	tw := contract.NewTableWriter(&streamed)
	tw.Begin(target, "live")
	var order []string
	rep, err := contract.Run(t.Context(), contract.Config{BaseURL: target, Application: fakeApps.Plain}, func(c contract.CaseResult) {
		order = append(order, c.ID)
		tw.Case(c)
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	tw.End(rep)
	if len(order) != len(contract.Catalogue()) {
		t.Errorf("got %d streamed cases, want %d", len(order), len(contract.Catalogue()))
	}
	passed, failed, skipped, warnings := rep.Counts()
	if failed != 2 || skipped == 0 || warnings == 0 || passed == 0 {
		t.Fatalf("got passed %d failed %d skipped %d warnings %d, want 2 failures (wrong-secret, unknown-key), skips and warnings", passed, failed, skipped, warnings)
	}

	idWidth := 0 // the CASE column is as wide as the longest case ID
	for _, c := range contract.Catalogue() {
		idWidth = max(idWidth, len(c.ID))
	}
	t.Run("table", func(t *testing.T) {
		out := streamed.String()
		for _, want := range []string{
			"scboauth contract: " + target + " (live)\n",
			fmt.Sprintf("%-*s HTTP  CODE  VERDICT   LATENCY\n", idWidth, "CASE"),
			fmt.Sprintf("\n%-*s  422  9500  FAIL ", idWidth, "wrong-secret"),
			"    error   HTTP status: HTTP 422 is not documented for createToken (documented: 200, 400, 401, 403, 405, 415, 429, 500, 502, 503, 504) (status)\n",
			"    warning $.data.scope: field \"scope\" is not declared in openapi.yaml (drift)\n",
			"    skipped: needs an authorization code: set SCB_AUTH_CODE",
			fmt.Sprintf("CONTRACT VIOLATION: %d cases, %d passed, 2 failed, %d skipped, %d warnings (strict off)", len(rep.Cases), passed, skipped, warnings),
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
			t.Errorf("WriteTable and the streamed table differ:\n%s\n---\n%s", whole.String(), streamed.String())
		}
	})

	t.Run("json", func(t *testing.T) {
		var buf bytes.Buffer
		if err := contract.WriteJSON(&buf, rep); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Target   string `json:"target"`
			Mode     string `json:"mode"`
			Conforms bool   `json:"conforms"`
			Summary  struct{ Cases, Passed, Failed, Skipped, Warnings int }
			Cases    []struct {
				ID, Verdict, Reason, Expect, Source string
				Status, Code                        int
				Findings                            []struct{ Severity, Rule, Path, Message, Exchange string }
			}
		}
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatalf("got invalid JSON: %v", err)
		}
		if doc.Conforms || doc.Mode != "live" || doc.Summary.Failed != 2 || doc.Summary.Cases != len(rep.Cases) || doc.Summary.Warnings != warnings {
			t.Errorf("got %+v, want a non-conforming live report with 2 failures", doc.Summary)
		}
		var found bool
		for _, c := range doc.Cases {
			if c.ID == "wrong-secret" {
				found = c.Verdict == "fail" && c.Status == 422 && c.Code == 9500 && len(c.Findings) > 0 &&
					c.Findings[0].Path == "HTTP status" && c.Findings[0].Rule == "status" && c.Findings[0].Exchange == "POST /v1/oauth/token" && c.Source != ""
			}
		}
		if !found {
			t.Errorf("got %+v, want case wrong-secret failing with its status finding", doc.Cases)
		}
	})

	t.Run("junit", func(t *testing.T) {
		var buf bytes.Buffer
		if err := contract.WriteJUnit(&buf, rep); err != nil {
			t.Fatal(err)
		}
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
		if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatalf("got invalid XML: %v", err)
		}
		if doc.Tests != len(rep.Cases) || doc.Failures != 2 || doc.Skipped != skipped || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != len(rep.Cases) {
			t.Fatalf("got tests %d failures %d skipped %d, want %d, 2, %d", doc.Tests, doc.Failures, doc.Skipped, len(rep.Cases), skipped)
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
	})
}
