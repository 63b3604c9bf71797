// Package contract_test runs the contract catalogue (package contract) as a go test suite:
// against the embedded emulator always, and against a live target when SCB_BASE_URL,
// SCB_APPLICATION_KEY and SCB_APPLICATION_SECRET are set (SCB_AUTH_CODE optional).
package contract_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/contract"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// The emulator drives the contract check directly: the engine needs no import of it.
var _ contract.Emulator = (*sandbox.Server)(nil)

// report turns each case of rep into a subtest: a violation fails it, a skip skips it with the
// case's reason. With allowWarnings false a warning fails it too.
func report(t *testing.T, rep *contract.Report, allowWarnings bool) {
	t.Helper()
	for _, c := range rep.Cases {
		t.Run(c.ID, func(t *testing.T) {
			if c.Verdict == contract.VerdictSkip {
				t.Skipf("%s: %s", c.ID, c.Reason)
			}
			for _, f := range c.Findings {
				if f.Severity == contract.SeverityError || !allowWarnings {
					t.Errorf("%s %s", f.Request, f)
				}
			}
			if c.Verdict != contract.VerdictPass {
				t.Errorf("got verdict %s, want pass (expected: %s)", c.Verdict, c.Expect)
			}
		})
	}
}

// TestEmulator runs the whole catalogue and the cases generated from the spec, with several
// seeds, against the embedded emulator, which must pass every case with zero findings,
// warnings included.
func TestEmulator(t *testing.T) {
	spec, err := contract.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			em, hs := sandboxtest.NewServer(t)
			gen := contract.Generation{Seed: seed}
			rep, err := contract.Run(context.Background(), contract.Config{BaseURL: hs.URL, Emulator: em, Strict: true, Generated: &gen}, nil)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if got, want := len(rep.Cases), len(contract.Catalogue())+len(spec.Generate(gen)); got != want || rep.Seed != seed {
				t.Errorf("got %d cases of seed %d, want %d of seed %d", got, rep.Seed, want, seed)
			}
			for _, c := range rep.Cases {
				if c.Verdict == contract.VerdictSkip {
					t.Errorf("case %s: skipped against the emulator (%s), want it run", c.ID, c.Reason)
				}
			}
			report(t, rep, false)
		})
	}
}

// TestEmulatorStrict runs the catalogue against an emulator in strict mode: it refuses the
// shapes SCB accepts (the catalogue expects that of it), and passes every other case as the
// default emulator does.
func TestEmulatorStrict(t *testing.T) {
	em, hs := sandboxtest.NewServer(t, sandbox.WithStrict())
	rep, err := contract.Run(context.Background(), contract.Config{BaseURL: hs.URL, Emulator: em, Strict: true, Generated: &contract.Generation{Seed: 1}}, nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, c := range rep.Cases {
		if (c.ID == "request-uid-short" || c.ID == "null-optional-fields") && (c.Status != 400 || c.Code != 1102) {
			t.Errorf("case %s: got %d %d, want the strict emulator's 400 1102", c.ID, c.Status, c.Code)
		}
	}
	report(t, rep, false)
}

// TestClientPassesStrictEmulator: the client sends the documented forms only (UUID requestUIds,
// no nulls), so an emulator in strict mode accepts every call it makes.
func TestClientPassesStrictEmulator(t *testing.T) {
	srv, hs := sandboxtest.NewServer(t, sandbox.WithStrict())
	for _, kind := range []sandbox.Kind{sandbox.KindPlain, sandbox.KindAuthorizationCode} {
		app := sandboxtest.Demo(kind)
		client, err := api.NewClient(api.Config{BaseURL: hs.URL, ApplicationKey: app.Key, ApplicationSecret: app.Secret})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.Token(t.Context()); err != nil {
			t.Errorf("%s: Token against a strict emulator: %v", kind, err)
		}
		if kind == sandbox.KindPlain {
			continue
		}
		code := authCode(t, srv, hs.URL, contract.Credentials{Key: app.Key, Secret: app.Secret})
		tok, err := client.Exchange(t.Context(), code)
		if err != nil {
			t.Fatalf("Exchange against a strict emulator: %v", err)
		}
		if tok.ResourceOwnerID != sandbox.ResourceOwnerID("") {
			t.Errorf("got ResourceOwnerID %q, want the consenting user's %q", tok.ResourceOwnerID, sandbox.ResourceOwnerID(""))
		}
		if _, err := client.Refresh(t.Context(), tok.RefreshToken()); err != nil {
			t.Errorf("Refresh against a strict emulator: %v", err)
		}
	}
}

// TestServedEmulator: a standalone emulator with its admin API is recognised and driven over
// HTTP (its own applications, its consent endpoint), so that no case is skipped and the run,
// in strict mode, finds nothing: with the admin API beside SCB's paths or on its own address,
// behind a token, in the emulator's default or strict mode.
func TestServedEmulator(t *testing.T) {
	const token = "contract-test-admin-token"
	tests := []struct {
		name     string
		opts     []sandbox.Option
		separate bool
	}{
		{"admin beside SCB's paths", []sandbox.Option{sandbox.WithAdmin()}, false},
		{"admin on its own address with a token", []sandbox.Option{sandbox.WithAdminToken(token)}, true},
		{"strict emulator", []sandbox.Option{sandbox.WithAdmin(), sandbox.WithStrict()}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, hs := sandboxtest.NewServer(t, tt.opts...)
			ecfg := contract.EmulatorConfig{AdminURL: hs.URL}
			if tt.separate {
				as := httptest.NewServer(srv.AdminHandler())
				t.Cleanup(as.Close)
				ecfg = contract.EmulatorConfig{AdminURL: as.URL, Token: token}
			}
			em, err := contract.DialEmulator(t.Context(), ecfg)
			if err != nil {
				t.Fatalf("DialEmulator: %v", err)
			}
			if n := len(srv.Applications()); n != 6 {
				t.Errorf("got %d applications, want the 3 demo ones and 3 of the run", n)
			}
			rep, err := contract.Run(t.Context(), contract.Config{BaseURL: hs.URL, Emulator: em, Strict: true, Generated: &contract.Generation{Seed: 1}}, nil)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			for _, c := range rep.Cases {
				if c.Verdict == contract.VerdictSkip { // the admin API pays too: nothing is skipped
					t.Errorf("case %s: skipped (%s), want it run", c.ID, c.Reason)
				}
			}
			report(t, rep, false)
			if err := em.Close(t.Context()); err != nil {
				t.Errorf("Close: %v", err)
			}
			if n := len(srv.Applications()); n != 3 {
				t.Errorf("after Close: got %d applications, want the 3 demo ones", n)
			}
		})
	}
}

// TestDialEmulatorRecognition: DialEmulator tells the emulator with its admin API from anything
// else, and says when the emulator's admin token is missing or wrong, without showing it.
func TestDialEmulatorRecognition(t *testing.T) {
	_, plain := sandboxtest.NewServer(t) // no admin API: SCB's 404 1104
	scbLike := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"service":"something-else","status":"ok"}`))
	}))
	t.Cleanup(scbLike.Close)
	for _, url := range []string{plain.URL, scbLike.URL, "http://127.0.0.1:1"} {
		if _, err := contract.DialEmulator(t.Context(), contract.EmulatorConfig{AdminURL: url}); !errors.Is(err, contract.ErrNotEmulator) {
			t.Errorf("%s: got %v, want ErrNotEmulator", url, err)
		}
	}
	_, guarded := sandboxtest.NewServer(t, sandbox.WithAdmin(), sandbox.WithAdminToken("the-right-token-0123"))
	for _, token := range []string{"", "the-wrong-token-0123"} {
		_, err := contract.DialEmulator(t.Context(), contract.EmulatorConfig{AdminURL: guarded.URL, Token: token})
		if err == nil || errors.Is(err, contract.ErrNotEmulator) || !strings.Contains(err.Error(), "SCB_SANDBOX_ADMIN_TOKEN") || (token != "" && strings.Contains(err.Error(), token)) {
			t.Errorf("token %q: got %v, want an error naming SCB_SANDBOX_ADMIN_TOKEN", token, err)
		}
	}
}

// liveConfig reads a live target from the environment; missing names what is not set.
func liveConfig() (cfg contract.Config, missing []string) {
	for _, k := range []string{"SCB_BASE_URL", "SCB_APPLICATION_KEY", "SCB_APPLICATION_SECRET"} {
		if os.Getenv(k) == "" {
			missing = append(missing, k)
		}
	}
	return contract.Config{
		BaseURL:     os.Getenv("SCB_BASE_URL"),
		Application: contract.Credentials{Key: os.Getenv("SCB_APPLICATION_KEY"), Secret: os.Getenv("SCB_APPLICATION_SECRET")},
		AuthCode:    os.Getenv("SCB_AUTH_CODE"),
	}, missing
}

// TestLive runs the catalogue against SCB_BASE_URL. It skips, naming what is missing, when the
// environment does not describe a target.
func TestLive(t *testing.T) {
	cfg, missing := liveConfig()
	if len(missing) > 0 {
		t.Skipf("live contract check skipped: set %s (and optionally SCB_AUTH_CODE) to check a live target such as https://api-sandbox.partners.scb/partners/sandbox", strings.Join(missing, ", "))
	}
	rep, err := contract.Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	report(t, rep, true)
}

// TestLiveConfig checks that TestLive reads its target from the environment: an emulator on a
// loopback port stands in for SCB's sandbox, which this machine cannot reach.
func TestLiveConfig(t *testing.T) {
	t.Setenv("SCB_BASE_URL", "")
	t.Setenv("SCB_APPLICATION_KEY", "")
	t.Setenv("SCB_APPLICATION_SECRET", "")
	if _, missing := liveConfig(); len(missing) != 3 {
		t.Errorf("got missing %v, want all three variables", missing)
	}
	srv, hs := sandboxtest.NewServer(t)
	app := sandboxtest.Demo(sandbox.KindAuthorizationCode)
	t.Setenv("SCB_BASE_URL", hs.URL)
	t.Setenv("SCB_APPLICATION_KEY", app.Key)
	t.Setenv("SCB_APPLICATION_SECRET", app.Secret)
	t.Setenv("SCB_AUTH_CODE", authCode(t, srv, hs.URL, contract.Credentials{Key: app.Key, Secret: app.Secret}))
	cfg, missing := liveConfig()
	if len(missing) > 0 {
		t.Fatalf("got missing %v, want none", missing)
	}
	cfg.Generated = &contract.Generation{Seed: 1}
	rep, err := contract.Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !rep.Conforms() {
		t.Errorf("got a violation against the emulator in live mode: %+v", rep.Cases)
	}
	for _, c := range rep.Cases {
		if c.ID == "authorization-code" && c.Verdict != contract.VerdictPass {
			t.Errorf("case authorization-code: got %s (%s), want pass with SCB_AUTH_CODE", c.Verdict, c.Reason)
		}
	}
}

// authCode mints an authorization code for app the way a partner would: the authorize call
// with the client, then the user's consent.
func authCode(t *testing.T, srv *sandbox.Server, baseURL string, app contract.Credentials) string {
	t.Helper()
	client, err := api.NewClient(api.Config{BaseURL: baseURL, ApplicationKey: app.Key, ApplicationSecret: app.Secret})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	callback, err := client.AuthorizeURL(t.Context())
	if err != nil {
		t.Fatalf("AuthorizeURL: %v", err)
	}
	code, err := srv.Consent(callback, sandbox.Consent{})
	if err != nil {
		t.Fatalf("Consent: %v", err)
	}
	return code
}

// TestLiveModeAgainstEmulator exercises live mode (credentials and an optional code from the
// caller, lenient expectations) against the emulator on a loopback port.
func TestLiveModeAgainstEmulator(t *testing.T) {
	for _, withCode := range []bool{false, true} {
		t.Run(fmt.Sprintf("authCode=%v", withCode), func(t *testing.T) {
			srv, hs := sandboxtest.NewServer(t)
			app := sandboxtest.Demo(sandbox.KindAuthorizationCode)
			cfg := contract.Config{BaseURL: hs.URL, Application: contract.Credentials{Key: app.Key, Secret: app.Secret}}
			if withCode {
				cfg.AuthCode = authCode(t, srv, hs.URL, cfg.Application)
				// The emulator takes any well-formed biller and merchant.
				cfg.Payments = contract.Payments{BillerID: "012345678901234", MerchantID: "M1", TerminalID: "T1"}
			}
			rep, err := contract.Run(context.Background(), cfg, nil)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if rep.Mode != "live" {
				t.Errorf("got mode %q, want live", rep.Mode)
			}
			wantSkip := map[string]string{
				"web-authorization-code":            "needs the scboauth emulator",
				"web-without-code-challenge":        "needs the scboauth emulator",
				"client-credentials-app-sends-code": "needs the scboauth emulator",
				"authorize-client-credentials-app":  "needs the scboauth emulator",
				"refresh-client-credentials-app":    "needs the scboauth emulator",
			}
			for _, id := range []string{"slip", "inquiry-paid", "transaction-paid"} {
				wantSkip[id] = "needs the scboauth emulator"
			}
			if !withCode {
				for _, id := range []string{"qr-create-pp", "qr-create-number-amount", "qr-create-ppcs", "deeplink", "transaction-pending"} {
					wantSkip[id] = "needs a biller id of the application: set Config.Payments.BillerID"
				}
				wantSkip["qr-create-cs"] = "needs a QR CS merchant of the application: set Config.Payments.MerchantID and TerminalID"
			}
			if !withCode {
				wantSkip["authorization-code"] = "set SCB_AUTH_CODE"
				wantSkip["refresh"] = "needs the refresh token of case authorization-code"
				wantSkip["refresh-reuse"] = "needs a refresh token already redeemed"
			}
			for _, c := range rep.Cases {
				reason, skip := wantSkip[c.ID]
				switch {
				case skip && (c.Verdict != contract.VerdictSkip || !strings.Contains(c.Reason, reason)):
					t.Errorf("case %s: got %s (%q), want skip with a reason containing %q", c.ID, c.Verdict, c.Reason, reason)
				case !skip && c.Verdict != contract.VerdictPass:
					t.Errorf("case %s: got %s %v, want pass", c.ID, c.Verdict, c.Findings)
				}
			}
		})
	}
}

// TestEmulatorFaults checks the checker on the emulator's own faults: answers the spec
// documents (503 9900) break only the case's expectation, answers it does not (an HTML page, a
// truncated body) are schema violations.
func TestEmulatorFaults(t *testing.T) {
	tests := []struct {
		fault    string
		wantRule contract.Rule
		wantPath string
		wantMsg  string
	}{
		{"503", contract.RuleExpect, "HTTP status", "got HTTP 503 code 9900, want 200 1000"},
		{"500", contract.RuleExpect, "HTTP status", "got HTTP 500 code 9700, want 200 1000"},
		{"502", contract.RuleExpect, "HTTP status", "got HTTP 502 code 9900, want 200 1000"},
		{"504", contract.RuleExpect, "HTTP status", "got HTTP 504 code 9900, want 200 1000"},
		{"html", contract.RuleSchema, "header Content-Type", `"text/html`},
		{"truncate", contract.RuleSchema, "$", "body is not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			em := sandboxtest.New(t)
			faulty := &sandboxtest.Transport{Handler: em, Header: http.Header{sandbox.FaultHeader: {tt.fault}}}
			rep, err := contract.Run(context.Background(), contract.Config{BaseURL: "http://127.0.0.1:1", Emulator: em, Transport: faulty, Timeout: 5 * time.Second}, nil)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			c := rep.Cases[0]
			if c.ID != "client-credentials" || c.Verdict != contract.VerdictFail {
				t.Fatalf("case %s: got %s, want client-credentials to fail", c.ID, c.Verdict)
			}
			var schemaErrors int
			found := false
			for _, f := range c.Findings {
				if f.Rule == contract.RuleSchema || f.Rule == contract.RuleStatus {
					schemaErrors++
				}
				if f.Rule == tt.wantRule && f.Path == tt.wantPath && strings.Contains(f.Message, tt.wantMsg) {
					found = true
				}
			}
			if !found {
				t.Errorf("got findings %v, want %s at %s containing %q", c.Findings, tt.wantRule, tt.wantPath, tt.wantMsg)
			}
			if tt.wantRule == contract.RuleExpect && schemaErrors > 0 {
				t.Errorf("got %d schema findings for a documented fault, want none: %v", schemaErrors, c.Findings)
			}
		})
	}
}

// BenchmarkRunEmulator measures a full check of the catalogue against the embedded emulator on
// a loopback port; BenchmarkRunEmulatorUnchecked is the baseline in the same run: the same
// server, the catalogue's number of bare token calls with encoding/json and no validation.
func BenchmarkRunEmulator(b *testing.B) {
	em, hs := sandboxtest.NewServer(b)
	cfg := contract.Config{BaseURL: hs.URL, Emulator: em}
	if _, err := contract.LoadSpec(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		rep, err := contract.Run(context.Background(), cfg, nil)
		if err != nil || !rep.Conforms() {
			b.Fatalf("Run: %v, conforms %v", err, rep != nil && rep.Conforms())
		}
	}
}

func BenchmarkRunEmulatorUnchecked(b *testing.B) {
	_, hs := sandboxtest.NewServer(b)
	plain := sandboxtest.Demo(sandbox.KindPlain)
	n := len(contract.Catalogue()) + 3 // authorize calls of the code cases
	body := fmt.Sprintf(`{"applicationKey":%q,"applicationSecret":%q}`, plain.Key, plain.Secret)
	b.ReportAllocs()
	for b.Loop() {
		for range n {
			req, _ := http.NewRequest(http.MethodPost, hs.URL+"/v1/oauth/token", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("resourceOwnerId", plain.Key)
			req.Header.Set("requestUId", "0123456789abcdef0123456789ABCDEF")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var v map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&v)
			resp.Body.Close()
		}
	}
}

// TestEmulatorCoverage: the embedded emulator run with the generated cases reaches every
// operation and every documented status but those it cannot produce, which the report lists
// with a reason; a threshold above a figure fails the run, naming it.
func TestEmulatorCoverage(t *testing.T) {
	em, hs := sandboxtest.NewServer(t)
	rep, err := contract.Run(context.Background(), contract.Config{BaseURL: hs.URL, Emulator: em, Generated: &contract.Generation{Seed: 1},
		MinCoverage: map[string]float64{"operations": 100, "codes": 100}}, nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	c := rep.Coverage
	if c.Operations.Percent != 100 {
		t.Errorf("operations: got %+v, want every one", c.Operations)
	}
	var cannot []string
	for _, g := range c.NotProducible {
		if g.Reason == "" {
			t.Errorf("%s: not producible, without a reason", g.Item)
		}
		cannot = append(cannot, g.Item)
	}
	if !slices.Equal(c.Statuses.Missing, cannot) || len(cannot) == 0 {
		t.Errorf("statuses not reached: got %q, want exactly those the emulator cannot produce, %q", c.Statuses.Missing, cannot)
	}
	if c.Statuses.Covered+len(cannot) != c.Statuses.Total {
		t.Errorf("statuses: got %d of %d covered with %d not producible", c.Statuses.Covered, c.Statuses.Total, len(cannot))
	}
	for _, f := range []contract.CoverageFigure{c.Codes, c.RequestProperties, c.ResponseProperties} {
		if f.Covered == 0 || f.Covered > f.Total || f.Percent <= 0 || f.Percent > 100 {
			t.Errorf("got figure %+v, want a share of its total", f)
		}
	}
	if rep.Conforms() || len(rep.CoverageShortfalls) != 1 || !strings.Contains(rep.CoverageShortfalls[0], "codes coverage") {
		t.Errorf("got shortfalls %q (conforms %v), want the codes figure below 100%%", rep.CoverageShortfalls, rep.Conforms())
	}
}
