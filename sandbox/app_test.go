package sandbox_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

func TestApplicationRedactsSecret(t *testing.T) {
	a := sandbox.Application{Name: "shop", Key: "l7key", Secret: "TOP-SECRET", Kind: sandbox.KindWeb}
	outputs := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10v", "%-v"} {
		outputs["value "+verb] = fmt.Sprintf(verb, a)
		outputs["pointer "+verb] = fmt.Sprintf(verb, &a)
	}
	outputs["slice %v"] = fmt.Sprintf("%v", []sandbox.Application{a})
	outputs["slice %#v"] = fmt.Sprintf("%#v", []sandbox.Application{a})
	outputs["map %+v"] = fmt.Sprintf("%+v", map[string]sandbox.Application{"a": a})
	outputs["exported field %+v"] = fmt.Sprintf("%+v", struct{ App sandbox.Application }{a})
	outputs["String"] = a.String()
	outputs["GoString"] = a.GoString()
	outputs["Sprint"] = fmt.Sprint(a, &a)
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	outputs["json"] = string(b)
	b, _ = json.Marshal([]*sandbox.Application{&a})
	outputs["json pointer"] = string(b)
	var logged bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logged, nil))
	logger.Info("app", "app", a, "ptr", &a)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("app", "app", a)
	outputs["slog"] = logged.String()

	for name, out := range outputs {
		if strings.Contains(out, "TOP-SECRET") {
			t.Errorf("%s: got %s, which contains the secret", name, out)
		}
		if !strings.Contains(out, "shop") {
			t.Errorf("%s: got %s, which does not name the application", name, out)
		}
	}
	if got := a.String(); got != "{Name:shop Key:l7key Secret:REDACTED Kind:web}" {
		t.Errorf("String: got %s", got)
	}
	if got := fmt.Sprintf("%#v", a); got != `sandbox.Application{Name:"shop", Key:"l7key", Secret:"REDACTED", Kind:"web"}` {
		t.Errorf("GoString: got %s", got)
	}
}

func TestParseApplication(t *testing.T) {
	tests := []struct {
		in      string
		want    sandbox.Application
		wantErr string
	}{
		{in: "shop:l7key:s3cret:web", want: sandbox.Application{"shop", "l7key", "s3cret", sandbox.KindWeb, ""}},
		{in: "shop:l7key:s3:cr:et:authorization-code", want: sandbox.Application{"shop", "l7key", "s3:cr:et", sandbox.KindAuthorizationCode, ""}},
		{in: "shop:l7key:s:plain", want: sandbox.Application{"shop", "l7key", "s", sandbox.KindPlain, ""}},
		{in: "shop:l7key:s3cret", wantErr: "kind"},
		{in: "shop:l7key:s3cret:mobile", wantErr: "a kind that is not plain, authorization-code or web"},
		{in: "shop:l7key::web", wantErr: "no secret"},
		{in: ":l7key:s:web", wantErr: "no name"},
		{in: "shop::s:web", wantErr: "no key"},
		{in: "shop:l7key:s3cret\x00:web", wantErr: "a secret with a control or format character"},
		{in: "sh\u202eop:l7key:s3cret:web", wantErr: "a name with a control or format character"},
		{in: "shop:" + strings.Repeat("k", 257) + ":s3cret:web", wantErr: "a key longer than 256 bytes"},
		{in: "shop", wantErr: "name:key:secret:kind"},
		{in: "shop:key", wantErr: "name:key:secret:kind"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := sandbox.ParseApplication(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("the error %q contains the secret", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %v %v, want %v", got, err, tt.want)
			}
		})
	}
}

// No error of ParseApplication shows a secret, wherever a mistake put it (item 9 of issue 9:
// --app 'shop:l7key:web:MY-SECRET' printed the secret), nor a character that hides or reorders
// text on a terminal.
func TestParseApplicationErrorsShowNoSecret(t *testing.T) {
	fields := []string{"shop", "l7key", "MY-SECRET", "web"}
	var inputs []string
	for _, p := range permutations(len(fields)) {
		var f []string
		for _, i := range p {
			f = append(f, fields[i])
		}
		inputs = append(inputs, strings.Join(f, ":"), strings.Join(f[:3], ":"), strings.Join(f, "::"), strings.Join(f, ":")+":")
		inputs = append(inputs, strings.Join(f, ":\u202e"), strings.Join(f, "\x1b[2K:"), strings.Join(f, ":\xff"))
	}
	for _, in := range inputs {
		_, err := sandbox.ParseApplication(in)
		if err == nil {
			continue
		}
		if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("ParseApplication(%q): the error %q shows the secret", in, err)
		}
		if r, ok := sandboxtest.UnsafeRune(err.Error()); ok {
			t.Errorf("ParseApplication(%q): the error %q has %U", in, err, r)
		}
	}
}

// permutations returns every order of 0..n-1.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

func TestLoadApplications(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		content string
		want    []sandbox.Application
		wantErr string
	}{
		{name: "yaml", file: "apps.yaml", content: `
applications:
  - name: shop
    key: l7shop
    secret: SHOP-SECRET
    kind: web
  - {name: batch, key: l7batch, secret: "BATCH:SECRET", kind: plain}
`, want: []sandbox.Application{{"shop", "l7shop", "SHOP-SECRET", sandbox.KindWeb, ""}, {"batch", "l7batch", "BATCH:SECRET", sandbox.KindPlain, ""}}},
		{name: "json", file: "apps.json", content: `{"applications": [
	{"name": "shop", "key": "l7shop", "secret": "SHOP-SECRET", "kind": "authorization-code"}
]}`, want: []sandbox.Application{{"shop", "l7shop", "SHOP-SECRET", sandbox.KindAuthorizationCode, ""}}},
		{name: "yaml, unknown field", file: "a.yaml", content: "applications:\n  - name: a\n    key: k\n    secret: SHOP-SECRET\n    kind: web\n    scope: x\n", wantErr: "line 6"},
		{name: "yaml, secret of the wrong type", file: "a.yaml", content: "applications:\n  - name: a\n    key: k\n    secret: [SHOP-SECRET]\n    kind: web\n", wantErr: "line 4"},
		{name: "yaml, broken", file: "a.yaml", content: "applications:\n  - name: a\n   secret: SHOP-SECRET\n  x", wantErr: "invalid YAML"},
		{name: "json, unknown field", file: "a.json", content: `{"applications":[{"name":"a","key":"k","secret":"SHOP-SECRET","kind":"web","scope":"x"}]}`, wantErr: "expected layout"},
		{name: "json, broken", file: "a.json", content: `{"applications":[{"name":"a","secret":"SHOP-SECRET"`, wantErr: "invalid JSON"},
		{name: "json, secret a number", file: "a.json", content: `{"applications":[{"name":"a","key":"k","secret":12345,"kind":"web"}]}`, wantErr: "expected layout"},
		{name: "missing secret", file: "a.yaml", content: "applications:\n  - {name: a, key: k, kind: web}\n", wantErr: `application "a" has no secret`},
		{name: "unknown kind", file: "a.yaml", content: "applications:\n  - {name: a, key: k, secret: SHOP-SECRET, kind: mobile}\n", wantErr: `application "a" has a kind that is not`},
		{name: "the secret as the kind", file: "a.yaml", content: "applications:\n  - {name: a, key: k, secret: web, kind: SHOP-SECRET}\n", wantErr: "a kind that is not"},
		{name: "no name", file: "a.yaml", content: "applications:\n  - {key: k, secret: SHOP-SECRET, kind: web}\n", wantErr: "application 1 has no name"},
		{name: "a bidi override in the name", file: "a.yaml", content: "applications:\n  - {name: \"a\\u202eb\", key: k, secret: SHOP-SECRET, kind: web}\n", wantErr: `application "a\u202eb" has a name with a control or format character`},
		{name: "a control character in the secret", file: "a.json", content: `{"applications":[{"name":"a","key":"k","secret":"SHOP-SECRET\u0007","kind":"web"}]}`, wantErr: "a secret with a control or format character"},
		{name: "a bidi override in the file name", file: "a\u202e.yaml", content: "applications: [", wantErr: `a\u202e.yaml`},
		{name: "duplicate key", file: "a.yaml", content: "applications:\n  - {name: a, key: k, secret: SHOP-SECRET, kind: web}\n  - {name: b, key: k, secret: s, kind: web}\n", wantErr: "same key"},
		{name: "duplicate name", file: "a.yaml", content: "applications:\n  - {name: a, key: k, secret: SHOP-SECRET, kind: web}\n  - {name: a, key: k2, secret: s, kind: web}\n", wantErr: "two applications are named"},
		{name: "empty", file: "a.yaml", content: "applications: []\n", wantErr: "no applications"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := sandbox.LoadApplications(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "SHOP-SECRET") || !strings.HasPrefix(err.Error(), "sandbox: ") {
					t.Errorf("error %q: want it to start with sandbox: and not contain the secret", err)
				}
				if r, ok := sandboxtest.UnsafeRune(err.Error()); ok {
					t.Errorf("error %q has %U", err, r)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) || len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("application %d: secrets differ", i)
				}
			}
		})
	}
	missing := filepath.Join(t.TempDir(), "missing\u202e.yaml")
	if _, err := sandbox.LoadApplications(missing); err == nil || !strings.HasPrefix(err.Error(), "sandbox: read applications") || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: got %v", err)
	} else if r, ok := sandboxtest.UnsafeRune(err.Error()); ok {
		t.Errorf("missing file: the error %q has %U", err, r)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    []sandbox.Option
		wantErr string
	}{
		{"no applications' secret", []sandbox.Option{sandbox.WithApplications(sandbox.Application{Name: "a", Key: "k", Kind: sandbox.KindWeb})}, "no secret"},
		{"a line break in a key", []sandbox.Option{sandbox.WithApplications(sandbox.Application{Name: "a", Key: "k\r\nX: y", Secret: "s", Kind: sandbox.KindWeb})}, "a key with a control or format character"},
		{"duplicate keys", []sandbox.Option{sandbox.WithApplications(sandbox.Application{"a", "k", "s", sandbox.KindWeb, ""}, sandbox.Application{"b", "k", "t", sandbox.KindWeb, ""})}, "same key"},
		{"sub-second lifetime", []sandbox.Option{sandbox.WithLifetimes(sandbox.Lifetimes{AccessToken: time.Millisecond})}, "access token lifetime"},
		{"negative lifetime", []sandbox.Option{sandbox.WithLifetimes(sandbox.Lifetimes{AuthCode: -time.Second})}, "authorization code lifetime"},
		{"negative latency", []sandbox.Option{sandbox.WithFaults(sandbox.Faults{Latency: -1})}, "latency"},
		{"failure rate above 1", []sandbox.Option{sandbox.WithFaults(sandbox.Faults{FailureRate: 1.5})}, "failure rate"},
		{"failure rate NaN", []sandbox.Option{sandbox.WithFaults(sandbox.Faults{FailureRate: math.NaN()})}, "failure rate"},
		{"negative rate limit", []sandbox.Option{sandbox.WithFaults(sandbox.Faults{RateLimit: -1})}, "rate limit"},
		{"zero body limit", []sandbox.Option{sandbox.WithMaxBodyBytes(0)}, "body limit"},
		{"nil clock", []sandbox.Option{sandbox.WithClock(nil)}, "clock"},
		// The class of item 13 of issue 9: a value at the end of its type's range.
		{"body limit int64 max", []sandbox.Option{sandbox.WithMaxBodyBytes(math.MaxInt64)}, "body limit"},
		{"body limit above the bound", []sandbox.Option{sandbox.WithMaxBodyBytes(sandbox.MaxBodyBytes + 1)}, "body limit"},
		{"lifetime int64 max", []sandbox.Option{sandbox.WithLifetimes(sandbox.Lifetimes{RefreshToken: math.MaxInt64})}, "refresh token lifetime"},
		{"lifetime above the bound", []sandbox.Option{sandbox.WithLifetimes(sandbox.Lifetimes{Consent: sandbox.MaxLifetime + time.Second})}, "consent lifetime"},
		{"latency int64 max", []sandbox.Option{sandbox.WithFaults(sandbox.Faults{Latency: math.MaxInt64})}, "latency"},
		{"timeout hold int64 max", []sandbox.Option{sandbox.WithFaults(sandbox.Faults{TimeoutHold: math.MaxInt64})}, "timeout hold"},
		{"negative timeout hold", []sandbox.Option{sandbox.WithFaults(sandbox.Faults{TimeoutHold: -time.Second})}, "timeout hold"},
		{"rate limit infinite", []sandbox.Option{sandbox.WithFaults(sandbox.Faults{RateLimit: math.Inf(1)})}, "rate limit"},
		{"rate limit huge", []sandbox.Option{sandbox.WithFaults(sandbox.Faults{RateLimit: math.MaxFloat64})}, "rate limit"},
		{"rate limit NaN", []sandbox.Option{sandbox.WithFaults(sandbox.Faults{RateLimit: math.NaN()})}, "rate limit"},
		{"failure rate negative", []sandbox.Option{sandbox.WithFaults(sandbox.Faults{FailureRate: -0.1})}, "failure rate"},
		{"negative delivery attempts", []sandbox.Option{sandbox.WithDeliveryPolicy(sandbox.DeliveryPolicy{Attempts: -1})}, "delivery attempts"},
		{"delivery attempts above the bound", []sandbox.Option{sandbox.WithDeliveryPolicy(sandbox.DeliveryPolicy{Attempts: sandbox.MaxDeliveryAttempts + 1})}, "delivery attempts"},
		{"delivery interval int64 max", []sandbox.Option{sandbox.WithDeliveryPolicy(sandbox.DeliveryPolicy{Interval: math.MaxInt64})}, "delivery interval"},
		{"negative delivery timeout", []sandbox.Option{sandbox.WithDeliveryPolicy(sandbox.DeliveryPolicy{Timeout: -time.Second})}, "delivery interval and timeout"},
		{"delivery timeout above the bound", []sandbox.Option{sandbox.WithDeliveryPolicy(sandbox.DeliveryPolicy{Timeout: sandbox.MaxWait + time.Second})}, "delivery interval and timeout"},
		{"deliveries in flight above the bound", []sandbox.Option{sandbox.WithDeliveryPolicy(sandbox.DeliveryPolicy{MaxInFlight: sandbox.MaxDeliveriesInFlight + 1})}, "deliveries in flight"},
		{"negative request log size", []sandbox.Option{sandbox.WithRequestLogSize(-1)}, "request log size"},
		{"request log size above the bound", []sandbox.Option{sandbox.WithRequestLogSize(sandbox.MaxRequestLogSize + 1)}, "request log size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sandbox.New(tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "sandbox: ") {
				t.Errorf("got %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

// Each bound is accepted, and a request with a body is answered at the largest body limit.
func TestNewAcceptsTheBounds(t *testing.T) {
	srv := sandboxtest.New(t,
		sandbox.WithMaxBodyBytes(sandbox.MaxBodyBytes),
		sandbox.WithLifetimes(sandbox.Lifetimes{AccessToken: time.Second, RefreshToken: sandbox.MaxLifetime, AuthCode: time.Second, Consent: sandbox.MaxLifetime}),
		sandbox.WithFaults(sandbox.Faults{Latency: 0, TimeoutHold: sandbox.MaxWait, FailureRate: 1, RateLimit: sandbox.MaxRateLimit}))
	r := serve(t, srv, "POST", pathToken, stdHeaders(sandbox.FaultHeader, "503"), credentials(demoPlain))
	wantError(t, r, 503, 9900, "Server is currently unavailable because traffic overload or it is down for maintenance")
	srv = sandboxtest.New(t, sandbox.WithMaxBodyBytes(sandbox.MaxBodyBytes), sandbox.WithLifetimes(sandbox.Lifetimes{AccessToken: sandbox.MaxLifetime}))
	r = serve(t, srv, "POST", pathToken, stdHeaders(), credentials(demoPlain))
	if r.status != 200 || r.token(t).ExpiresIn != int(sandbox.MaxLifetime/time.Second) {
		t.Errorf("the longest lifetime: got %d %s", r.status, r.body)
	}
}

func TestWithApplicationsReplacesDemo(t *testing.T) {
	h := newHarness(t, sandbox.WithApplications(sandbox.Application{"shop", "l7shop", "shop-secret", sandbox.KindPlain, ""}))
	if r := h.do("POST", pathToken, stdHeaders(), credentials(demoPlain)); r.status != 401 {
		t.Errorf("demo application: got %d, want 401", r.status)
	}
	if r := h.do("POST", pathToken, stdHeaders(), jsonBody("applicationKey", "l7shop", "applicationSecret", "shop-secret")); r.status != 200 {
		t.Errorf("registered application: got %d %s, want 200", r.status, r.body)
	}
}

func TestDemoApplications(t *testing.T) {
	a, b := sandbox.DemoApplications(), sandbox.DemoApplications()
	a[0].Secret = "changed"
	if b[0].Secret == "changed" {
		t.Error("DemoApplications shares its slice between calls")
	}
	kinds := map[sandbox.Kind]bool{}
	for _, app := range b {
		kinds[app.Kind] = true
		if len(app.Key) != 34 || !strings.HasPrefix(app.Key, "l7") {
			t.Errorf("%s: key %q is not l7 and 32 hex characters", app.Name, app.Key)
		}
	}
	if len(kinds) != 3 {
		t.Errorf("got kinds %v, want one application per kind", kinds)
	}
}
