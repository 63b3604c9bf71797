package sandbox_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

const adminToken = "0123456789abcdef-admin"

// TestAdminOffByDefault: without WithAdmin, the admin paths are SCB's unknown paths, and the
// consent endpoint still answers.
func TestAdminOffByDefault(t *testing.T) {
	h := newHarness(t)
	for _, path := range []string{"/sandbox/v1/health", "/sandbox/v1/requests", "/sandbox/v1/state", "/sandbox/v1/openapi.yaml"} {
		wantError(t, h.do(http.MethodGet, path, nil, ""), http.StatusNotFound, 1104, "Requested entity record does not exist")
	}
	if code := h.authCode(demoAuthCode, sandbox.Consent{}); code == "" {
		t.Error("the consent endpoint gave no code without the admin API")
	}
}

func TestAdminHealthAndSpec(t *testing.T) {
	for _, strict := range []bool{false, true} {
		var opts []sandbox.Option
		if strict {
			opts = append(opts, sandbox.WithStrict())
		}
		h := newAdminHarness(t, opts...)
		var health struct {
			Service string
			Strict  bool
			Now     time.Time
		}
		h.admin(http.MethodGet, "/sandbox/v1/health", "").decode(t, &health)
		if health.Service != "scboauth-sandbox" || health.Strict != strict || !health.Now.Equal(start) {
			t.Errorf("got %+v, want the service, strict %v and the clock's %v", health, strict, start)
		}
	}
	h := newAdminHarness(t)
	r := h.admin(http.MethodGet, "/sandbox/v1/openapi.yaml", "")
	if r.status != http.StatusOK || string(r.body) != string(sandbox.AdminOpenAPI()) || r.header.Get("Content-Type") != "application/yaml" {
		t.Errorf("got %d %s, want admin.yaml", r.status, r.header.Get("Content-Type"))
	}
	wantAdminError(t, h.admin(http.MethodGet, "/sandbox/v1/nope", ""), http.StatusNotFound, "")
	r = h.admin(http.MethodPut, "/sandbox/v1/clock", "")
	wantAdminError(t, r, http.StatusMethodNotAllowed, "")
	if got := r.header.Get("Allow"); got != "GET, POST" {
		t.Errorf("Allow: got %q, want GET, POST", got)
	}
}

// TestAdminToken: with a token, every admin call but the consent needs it; the token never
// shows in an answer or the log.
func TestAdminToken(t *testing.T) {
	var logs sandboxtest.Buffer
	h := newAdminHarness(t, sandbox.WithAdminToken(adminToken), sandbox.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	for _, auth := range []string{"", "Bearer wrong-token-0123456789", "Bearer " + adminToken + "x", adminToken, "bearer " + adminToken} {
		req, _ := http.NewRequest(http.MethodGet, h.url+"/sandbox/v1/health", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		r := h.send(req)
		wantAdminError(t, r, http.StatusUnauthorized, "Authorization")
		if r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("401 without WWW-Authenticate")
		}
	}
	h.token = adminToken
	if r := h.admin(http.MethodGet, "/sandbox/v1/health", ""); r.status != http.StatusOK {
		t.Errorf("with the token: got %d %s", r.status, r.body)
	}
	h.token = ""
	if code := h.authCode(demoAuthCode, sandbox.Consent{}); code == "" {
		t.Error("the consent needs no admin token")
	}
	if strings.Contains(logs.String(), adminToken) {
		t.Errorf("the log shows the admin token:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `msg=admin method=GET path=/sandbox/v1/health status=401`) {
		t.Errorf("admin calls are not logged at debug level:\n%s", logs.String())
	}
	for _, bad := range []string{"short", strings.Repeat("x", 257), "with a space 0123456789", "tab\t0123456789abcdef", "é0123456789abcdef"} {
		if _, err := sandbox.New(sandbox.WithAdminToken(bad)); err == nil || strings.Contains(err.Error(), bad) {
			t.Errorf("token %q: got %v, want an error that does not show it", bad, err)
		}
	}
}

// TestAdminRequestLog: SCB traffic and consents are logged, admin calls never; the filters
// select; the ring drops its oldest entries.
func TestAdminRequestLog(t *testing.T) {
	h := newAdminHarness(t)
	h.do(http.MethodPost, pathToken, stdHeaders("requestUId", "uid-1"), credentials(demoPlain))
	h.do(http.MethodPost, pathToken, stdHeaders("requestUId", "uid-2"), credentials(demoPlain, "applicationSecret", "wrong"))
	h.do(http.MethodPost, pathToken, stdHeaders("requestUId", strings.Repeat("z", 129)), credentials(demoPlain))
	h.authCode(demoAuthCode, sandbox.Consent{})
	h.admin(http.MethodGet, "/sandbox/v1/health", "")
	var log struct {
		Requests []struct {
			Seq                                    int64
			Kind, Method, Path, RequestUId, Detail string
			Application                            string
			Status, Code                           int
			Time                                   time.Time
		}
		Dropped int64
	}
	h.admin(http.MethodGet, "/sandbox/v1/requests", "").decode(t, &log)
	if len(log.Requests) != 5 {
		t.Fatalf("got %d entries, want 5 (3 token calls, authorize, consent; no admin call): %+v", len(log.Requests), log.Requests)
	}
	first, long, consent := log.Requests[0], log.Requests[2], log.Requests[4]
	if first.Seq != 1 || first.Kind != "scb" || first.RequestUId != "uid-1" || first.Status != 200 || first.Code != 1000 || first.Application != "demo-plain" || !first.Time.Equal(start) {
		t.Errorf("first entry: got %+v", first)
	}
	if long.Detail != "header requestUId: longer than 128 bytes" || len(long.RequestUId) != 128+len("...") {
		t.Errorf("refused entry: got %+v, want the detail and the requestUId cut", long)
	}
	if consent.Kind != "consent" || consent.Path != pathConsent {
		t.Errorf("consent entry: got %+v", consent)
	}
	for _, tt := range []struct {
		query string
		want  int
	}{
		{"?requestUId=uid-2", 1}, {"?status=401", 1}, {"?status=200&path=" + pathToken, 1}, {"?application=demo-plain", 1},
		{"?kind=consent", 1}, {"?kind=scb", 4}, {"?limit=2", 2}, {"?path=/nope", 0},
	} {
		h.admin(http.MethodGet, "/sandbox/v1/requests"+tt.query, "").decode(t, &log)
		if len(log.Requests) != tt.want {
			t.Errorf("%s: got %d entries, want %d", tt.query, len(log.Requests), tt.want)
		}
	}
	for _, tt := range []struct{ query, field string }{
		{"?status=abc", "status"}, {"?status=42", "status"}, {"?limit=0", "limit"}, {"?limit=100001", "limit"},
		{"?kind=admin", "kind"}, {"?path=" + strings.Repeat("p", 257), "path"},
	} {
		wantAdminError(t, h.admin(http.MethodGet, "/sandbox/v1/requests"+tt.query, ""), http.StatusBadRequest, tt.field)
	}

	small := newAdminHarness(t, sandbox.WithRequestLogSize(2))
	for range 5 {
		small.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoPlain))
	}
	small.admin(http.MethodGet, "/sandbox/v1/requests", "").decode(t, &log)
	if len(log.Requests) != 2 || log.Dropped != 3 || log.Requests[0].Seq != 4 {
		t.Errorf("a ring of 2 after 5 requests: got %d entries from seq %v, %d dropped", len(log.Requests), log.Requests, log.Dropped)
	}
	off := newAdminHarness(t, sandbox.WithRequestLogSize(0))
	off.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoPlain))
	off.admin(http.MethodGet, "/sandbox/v1/requests", "").decode(t, &log)
	if len(log.Requests) != 0 {
		t.Errorf("a log of size 0 kept %d entries", len(log.Requests))
	}
}

// TestAdminApplications: register at runtime (the secret write-only), use, refuse duplicates and
// bad fields, remove.
func TestAdminApplications(t *testing.T) {
	h := newAdminHarness(t)
	const secret = "shop-secret-4c6f2a0e9b8d7c6e"
	r := h.admin(http.MethodPost, "/sandbox/v1/applications", `{"name":"shop","key":"l7shop","secret":"`+secret+`","kind":"plain"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("register: got %d %s", r.status, r.body)
	}
	list := h.admin(http.MethodGet, "/sandbox/v1/applications", "")
	for _, b := range [][]byte{r.body, list.body} {
		if strings.Contains(string(b), secret) {
			t.Errorf("an answer shows the secret: %s", b)
		}
	}
	var apps struct{ Applications []sandbox.Application }
	list.decode(t, &apps)
	if n := len(apps.Applications); n != 4 || apps.Applications[3].Name != "shop" {
		t.Errorf("got %v, want the demo applications then shop", apps.Applications)
	}
	shop := sandbox.Application{Name: "shop", Key: "l7shop", Secret: secret, Kind: sandbox.KindPlain}
	if ok := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(shop)); ok.status != http.StatusOK {
		t.Errorf("token for the new application: got %d %s", ok.status, ok.body)
	}
	for _, tt := range []struct {
		body   string
		status int
		field  string
	}{
		{`{"name":"shop","key":"other","secret":"s","kind":"plain"}`, 409, ""},
		{`{"name":"other","key":"l7shop","secret":"s","kind":"plain"}`, 409, ""},
		{`{"name":"x","key":"k","kind":"plain"}`, 400, "secret"},
		{`{"name":"x","key":"k","secret":"s","kind":"admin"}`, 400, "kind"},
		{`{"name":"x\u202e","key":"k","secret":"s","kind":"web"}`, 400, "name"},
		{`{"name":"x","key":"` + strings.Repeat("k", 257) + `","secret":"s","kind":"web"}`, 400, "key"},
		{`{"name":"x","key":"k","secret":"s","kind":"web","extra":1}`, 400, "extra"},
		{`{"name":1,"key":"k","secret":"s","kind":"web"}`, 400, "name"},
		{`[]`, 400, ""},
		{`{"name":"x"}{}`, 400, ""},
	} {
		r := h.admin(http.MethodPost, "/sandbox/v1/applications", tt.body)
		wantAdminError(t, r, tt.status, tt.field)
		if strings.Contains(string(r.body), `"s"`) {
			t.Errorf("%s: the error quotes a value: %s", tt.body, r.body)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, h.url+"/sandbox/v1/applications", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "text/plain")
	wantAdminError(t, h.send(req), http.StatusUnsupportedMediaType, "Content-Type")

	if r := h.admin(http.MethodDelete, "/sandbox/v1/applications/shop", ""); r.status != http.StatusNoContent {
		t.Errorf("delete: got %d %s", r.status, r.body)
	}
	wantError(t, h.do(http.MethodPost, pathToken, stdHeaders(), credentials(shop)), http.StatusUnauthorized, 9500, "Invalid authorization credentials")
	wantAdminError(t, h.admin(http.MethodDelete, "/sandbox/v1/applications/shop", ""), http.StatusNotFound, "name")
}

func TestRegisterApplicationBounds(t *testing.T) {
	srv := sandboxtest.New(t, sandbox.WithApplications())
	for i := range sandbox.MaxApplications {
		if err := srv.RegisterApplication(sandbox.Application{Name: fmt.Sprint("a", i), Key: fmt.Sprint("k", i), Secret: "s", Kind: sandbox.KindPlain}); err != nil {
			t.Fatalf("application %d: %v", i, err)
		}
	}
	if err := srv.RegisterApplication(sandbox.Application{Name: "one-more", Key: "k", Secret: "s", Kind: sandbox.KindPlain}); !errors.Is(err, sandbox.ErrTooManyApplications) {
		t.Errorf("got %v, want ErrTooManyApplications", err)
	}
	var invalid *sandbox.ApplicationError
	if err := srv.RegisterApplication(sandbox.Application{Name: "n", Key: "k", Secret: "top\nsecret", Kind: sandbox.KindPlain}); !errors.As(err, &invalid) || invalid.Field != "secret" || strings.Contains(err.Error(), "top") {
		t.Errorf("got %v, want an ApplicationError on the secret that does not show it", err)
	}
}

// TestAdminFaultRules: "the next N requests to this path", "this application's requests", a
// probability; rules are listed with what they fired, spent rules go, and clearing removes all.
func TestAdminFaultRules(t *testing.T) {
	h := newAdminHarness(t)
	r := h.admin(http.MethodPost, "/sandbox/v1/faults", `{"fault":"503","path":"`+pathToken+`","count":2}`)
	if r.status != http.StatusCreated {
		t.Fatalf("add: got %d %s", r.status, r.body)
	}
	for i := range 2 {
		got := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoPlain))
		wantError(t, got, http.StatusServiceUnavailable, 9900, "Server is currently unavailable because traffic overload or it is down for maintenance")
		if got.header.Get("Retry-After") != "1" {
			t.Errorf("call %d: no Retry-After", i)
		}
	}
	if got := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoPlain)); got.status != http.StatusOK {
		t.Errorf("after the rule was spent: got %d", got.status)
	}
	var rules struct{ Rules []sandbox.FaultRule }
	h.admin(http.MethodGet, "/sandbox/v1/faults", "").decode(t, &rules)
	if len(rules.Rules) != 0 {
		t.Errorf("a spent rule is still listed: %+v", rules.Rules)
	}

	h.admin(http.MethodPost, "/sandbox/v1/faults", `{"fault":"500","application":"demo-authcode"}`)
	h.admin(http.MethodPost, "/sandbox/v1/faults", `{"fault":"504","path":"`+pathAuthorize+`","probability":1}`)
	wantError(t, h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoAuthCode)), http.StatusInternalServerError, 9700, "Generic server side error")
	if got := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoPlain)); got.status != http.StatusOK {
		t.Errorf("another application: got %d", got.status)
	}
	wantError(t, h.do(http.MethodGet, pathAuthorize, authorizeHeaders(demoWeb), ""), http.StatusGatewayTimeout, 9900, "API Request Timeout")
	h.admin(http.MethodGet, "/sandbox/v1/faults", "").decode(t, &rules)
	if len(rules.Rules) != 2 || rules.Rules[0].Fired != 1 || rules.Rules[1].Fired != 1 {
		t.Errorf("got %+v, want both rules, each fired once", rules.Rules)
	}
	var log struct {
		Requests []struct{ Fault, Application string }
	}
	h.admin(http.MethodGet, "/sandbox/v1/requests?status=500", "").decode(t, &log)
	if len(log.Requests) != 1 || !strings.HasPrefix(log.Requests[0].Fault, "rule f2: 500") || log.Requests[0].Application != "demo-authcode" {
		t.Errorf("the log: got %+v, want the rule's fault and the application", log.Requests)
	}
	var cleared struct{ Cleared int }
	h.admin(http.MethodDelete, "/sandbox/v1/faults", "").decode(t, &cleared)
	if cleared.Cleared != 2 {
		t.Errorf("cleared %d, want 2", cleared.Cleared)
	}
	for _, tt := range []struct{ body, field string }{
		{`{"fault":"418"}`, "fault"}, {`{}`, "fault"}, {`{"fault":"503","path":"/sandbox/v1/consent"}`, "path"},
		{`{"fault":"503","count":0}`, "count"}, {`{"fault":"503","count":1000001}`, "count"},
		{`{"fault":"503","probability":0}`, "probability"}, {`{"fault":"503","probability":1.5}`, "probability"},
		{`{"fault":"503","application":""}`, "application"}, {`{"fault":"503","application":"a\u0007"}`, "application"},
	} {
		wantAdminError(t, h.admin(http.MethodPost, "/sandbox/v1/faults", tt.body), http.StatusBadRequest, tt.field)
	}
}

// TestAdminFaultRuleBounds: the admin API states each bound of a fault rule as the admin API
// takes it (absent, not zero, means no limit), the same for a value under or over it, and a
// path outside SCB's is refused with SCB's OAuth and payment paths named; a payment path works.
func TestAdminFaultRuleBounds(t *testing.T) {
	h := newAdminHarness(t)
	for _, tt := range []struct{ body, want string }{
		{`{"fault":"503","count":0}`, "count must be between 1 and 1000000 (absent: no limit)"},
		{`{"fault":"503","count":9223372036854775807}`, "count must be between 1 and 1000000 (absent: no limit)"},
		{`{"fault":"503","probability":0}`, "probability must be above 0 and at most 1 (absent: every request)"},
		{`{"fault":"503","probability":1.5}`, "probability must be above 0 and at most 1 (absent: every request)"},
		{`{"fault":"503","path":"/v1/oauth/token\r\n"}`, pathQRCode},
	} {
		r := h.admin(http.MethodPost, "/sandbox/v1/faults", tt.body)
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), tt.want) {
			t.Errorf("%s: got %d %s, want 400 saying %q", tt.body, r.status, r.body, tt.want)
		}
	}
	token := h.accessToken(demoPlain)
	h.admin(http.MethodPost, "/sandbox/v1/faults", `{"fault":"503","path":"`+pathQRCode+`","count":1}`)
	wantError(t, h.do(http.MethodPost, pathQRCode, payHeaders(token), ppBody), http.StatusServiceUnavailable, 9900,
		"Server is currently unavailable because traffic overload or it is down for maintenance")
	if r := h.do(http.MethodPost, pathQRCode, payHeaders(token), ppBody); r.status != http.StatusOK {
		t.Errorf("after the rule's one firing: got %d %s, want 200", r.status, r.body)
	}
}

func TestFaultRuleProbability(t *testing.T) {
	srv := sandboxtest.New(t)
	if _, err := srv.AddFaultRule(sandbox.FaultRule{Fault: "503", Probability: 0.5}); err != nil {
		t.Fatal(err)
	}
	failed := 0
	for range 400 {
		if serve(t, srv, http.MethodPost, pathToken, stdHeaders(), credentials(demoPlain)).status == http.StatusServiceUnavailable {
			failed++
		}
	}
	if failed < 120 || failed > 280 { // 200 ± 8 standard deviations
		t.Errorf("a rule of probability 0.5 failed %d requests of 400", failed)
	}
	for i := range sandbox.MaxFaultRules - 1 {
		if _, err := srv.AddFaultRule(sandbox.FaultRule{Fault: "500", Path: pathRefresh}); err != nil {
			t.Fatalf("rule %d: %v", i, err)
		}
	}
	var fe *sandbox.FaultRuleError
	if _, err := srv.AddFaultRule(sandbox.FaultRule{Fault: "500"}); !errors.As(err, &fe) {
		t.Errorf("rule %d: got %v, want a FaultRuleError", sandbox.MaxFaultRules+1, err)
	}
}

// TestAdminClock: advancing the clock expires what the lifetimes say, as a client sees it.
func TestAdminClock(t *testing.T) {
	h := newAdminHarness(t)
	tok := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoPlain)).token(t)
	code := h.authCode(demoAuthCode, sandbox.Consent{})
	pair := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoAuthCode, "authCode", h.authCode(demoAuthCode, sandbox.Consent{}))).token(t)
	introspect := func(token string) (out struct {
		Active      bool
		Kind        string
		Application string
		ExpiresAt   int64
	}) {
		b, _ := json.Marshal(map[string]string{"token": token})
		h.admin(http.MethodPost, "/sandbox/v1/tokens/introspect", string(b)).decode(t, &out)
		return out
	}
	if got := introspect(tok.AccessToken); !got.Active || got.Kind != "access" || got.Application != "demo-plain" || got.ExpiresAt != tok.ExpiresAt {
		t.Errorf("a fresh token: got %+v", got)
	}
	var clock struct {
		Now           time.Time
		OffsetSeconds int64
	}
	h.admin(http.MethodPost, "/sandbox/v1/clock", `{"advance":"31m"}`).decode(t, &clock)
	if !clock.Now.Equal(start.Add(31*time.Minute)) || clock.OffsetSeconds != 31*60 {
		t.Errorf("got %+v, want 31 minutes on", clock)
	}
	if got := introspect(tok.AccessToken); got.Active {
		t.Errorf("31 minutes on: got %+v, want the access token expired", got)
	}
	if got := introspect(*pair.RefreshToken); !got.Active || got.Kind != "refresh" {
		t.Errorf("31 minutes on: got %+v, want the refresh token active (60 minutes)", got)
	}
	wantError(t, h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoAuthCode, "authCode", code)), http.StatusUnauthorized, 9300, "Invalid authorization code")
	if next := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoPlain)).token(t); next.ExpiresAt != start.Add(61*time.Minute).Unix() {
		t.Errorf("a token issued now expires at %d, want the moved clock's %d", next.ExpiresAt, start.Add(61*time.Minute).Unix())
	}
	h.admin(http.MethodPost, "/sandbox/v1/clock", `{"seconds":1800}`).decode(t, &clock)
	wantError(t, h.do(http.MethodPost, pathRefresh, stdHeaders(), credentials(demoAuthCode, "refreshToken", *pair.RefreshToken)), http.StatusUnauthorized, 9300, "Invalid/expired temporary token")
	if got := introspect("never-issued"); got.Active {
		t.Errorf("an unknown token: got %+v", got)
	}
	for _, tt := range []struct{ body, field string }{
		{`{}`, "advance"}, {`{"advance":"1m","seconds":60}`, "advance"}, {`{"advance":"-1m"}`, "advance"},
		{`{"advance":"0s"}`, "advance"}, {`{"advance":"soon"}`, "advance"}, {`{"advance":"87601h"}`, "advance"},
		{`{"seconds":0}`, "seconds"}, {`{"seconds":315360001}`, "seconds"}, {`{"seconds":9223372036854775807}`, "seconds"},
		{`{"seconds":"60"}`, "seconds"},
	} {
		wantAdminError(t, h.admin(http.MethodPost, "/sandbox/v1/clock", tt.body), http.StatusBadRequest, tt.field)
	}
	wantAdminError(t, h.admin(http.MethodPost, "/sandbox/v1/tokens/introspect", `{"token":""}`), http.StatusBadRequest, "token")
	h.admin(http.MethodGet, "/sandbox/v1/clock", "").decode(t, &clock)
	if clock.OffsetSeconds != 61*60 {
		t.Errorf("refused moves moved the clock: %+v", clock)
	}
}

func TestAdvanceClockBounds(t *testing.T) {
	srv := sandboxtest.New(t)
	for _, d := range []time.Duration{0, -time.Second, sandbox.MaxLifetime + 1} {
		if _, err := srv.AdvanceClock(d); !errors.Is(err, sandbox.ErrClockAdvance) {
			t.Errorf("%v: got %v, want ErrClockAdvance", d, err)
		}
	}
	for range 10 {
		if _, err := srv.AdvanceClock(sandbox.MaxLifetime); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.AdvanceClock(time.Nanosecond); !errors.Is(err, sandbox.ErrClockAdvance) || srv.ClockOffset() != sandbox.MaxClockOffset {
		t.Errorf("past MaxClockOffset: got %v, offset %v", err, srv.ClockOffset())
	}
	if got := serve(t, srv, http.MethodPost, pathToken, stdHeaders(), credentials(demoPlain)); got.status != http.StatusOK {
		t.Errorf("a token a hundred years on: got %d %s", got.status, got.body)
	}
}

// TestAdminReset: a reset forgets tokens, codes, consents, rules and the log, and keeps the
// applications and the clock.
func TestAdminReset(t *testing.T) {
	h := newAdminHarness(t, sandbox.WithFaults(sandbox.Faults{RateLimit: 1}))
	h.admin(http.MethodPost, "/sandbox/v1/applications", `{"name":"shop","key":"l7shop","secret":"s","kind":"plain"}`)
	code := h.authCode(demoAuthCode, sandbox.Consent{})
	h.admin(http.MethodPost, "/sandbox/v1/clock", `{"seconds":2}`) // the rate budget of demo-authcode refills
	pair := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoAuthCode, "authCode", code)).token(t)
	h.callback(demoWeb)
	h.admin(http.MethodPost, "/sandbox/v1/faults", `{"fault":"500","path":"`+pathRefresh+`"}`)
	wantError(t, h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoAuthCode)), http.StatusTooManyRequests, 9900, "Too many requests")
	var counts map[string]int
	h.admin(http.MethodDelete, "/sandbox/v1/state", "").decode(t, &counts)
	want := map[string]int{"accessTokens": 1, "refreshTokens": 1, "codes": 0, "consents": 1, "faultRules": 1, "requests": 5}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("%s: got %d, want %d (%v)", k, counts[k], v, counts)
		}
	}
	if c, _, r := h.srv.StoreLen(); c != 0 || r != 0 {
		t.Errorf("after a reset: %d consents, %d refresh tokens", c, r)
	}
	if r := h.do(http.MethodPost, pathRefresh, stdHeaders(), credentials(demoAuthCode, "refreshToken", *pair.RefreshToken)); r.status != http.StatusUnauthorized {
		t.Errorf("a refresh token after a reset: got %d, want 401 9300", r.status)
	}
	if r := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(sandbox.Application{Key: "l7shop", Secret: "s"})); r.status != http.StatusOK {
		t.Errorf("the registered application after a reset (and a fresh rate budget): got %d %s", r.status, r.body)
	}
	if !h.srv.Now().Equal(start.Add(2 * time.Second)) {
		t.Errorf("the clock after a reset: got %v, want it kept", h.srv.Now())
	}
	var log struct{ Requests []any }
	h.admin(http.MethodGet, "/sandbox/v1/requests", "").decode(t, &log)
	if len(log.Requests) != 2 {
		t.Errorf("the log after a reset holds %d entries, want the 2 since", len(log.Requests))
	}
}

// TestAdminHandlerAlone: AdminHandler serves the admin API on its own address: admin calls,
// the consent, and an admin 404 for SCB's paths; every answer as admin.yaml says.
func TestAdminHandlerAlone(t *testing.T) {
	h := newHarness(t, sandbox.WithAdminToken(adminToken))
	admin := &adminHarness{harness: &harness{t: t, srv: h.srv, clock: h.clock, url: adminServerURL(t, h.srv), client: h.client, checker: h.checker}, token: adminToken}
	if r := admin.admin(http.MethodGet, "/sandbox/v1/health", ""); r.status != http.StatusOK {
		t.Errorf("health: got %d %s", r.status, r.body)
	}
	wantAdminError(t, admin.admin(http.MethodPost, pathToken, `{}`), http.StatusNotFound, "")
	wantError(t, h.do(http.MethodGet, "/sandbox/v1/health", nil, ""), http.StatusNotFound, 1104, "Requested entity record does not exist")
	cb := h.callback(demoAuthCode)
	admin.token = ""
	r := admin.admin(http.MethodPost, pathConsent, `{"callbackUrl":"`+cb+`","user":"alice"}`)
	var ca consentAnswer
	r.decode(t, &ca)
	if r.status != http.StatusOK || ca.Data.AuthCode == "" {
		t.Fatalf("consent on the admin address: got %d %s", r.status, r.body)
	}
	tok := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoAuthCode, "authCode", ca.Data.AuthCode))
	if got := tok.header.Get("resourceOwnerId"); got != sandbox.ResourceOwnerID("alice") {
		t.Errorf("resourceOwnerId: got %q, want alice's", got)
	}
	wantError(t, admin.admin(http.MethodPost, pathConsent, `{"callbackUrl":"`+cb+`"}`), http.StatusNotFound, 1104, "Requested entity record does not exist")
	admin.token = adminToken
	var log struct{ Requests []struct{ Kind string } }
	admin.admin(http.MethodGet, "/sandbox/v1/requests?kind=consent", "").decode(t, &log)
	if len(log.Requests) != 2 {
		t.Errorf("consents on the admin address: got %d log entries, want 2", len(log.Requests))
	}
}
