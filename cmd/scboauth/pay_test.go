package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/scboauth/scboauth/api"
	adminapi "github.com/scboauth/scboauth/generated/admin"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// shopReceiver is the merchant's receiver of payment confirmations (the client library's),
// failing its first call so that the emulator re-sends once.
func shopReceiver(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	rc, err := api.PaymentConfirmations(func(context.Context, *api.PaymentConfirmation) error {
		if calls.Add(1) == 1 {
			return errors.New("the shop's database is restarting")
		}
		return nil
	}, api.WithSecretParam("token", "shop-url-secret"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return srv, &calls
}

// qrOn creates a QR 30 of 100.50 baht on the emulator at base, for the application key/secret.
func qrOn(t *testing.T, base, key, secret, ref1 string) string {
	t.Helper()
	client, err := api.NewClient(api.Config{BaseURL: base, ApplicationKey: key, ApplicationSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	qr, err := client.CreateQR(t.Context(), api.QRRequest{Amount: api.Satang(10050), BillerID: "012345678901234", Ref1: ref1, Ref3: "SCB"})
	if err != nil {
		t.Fatal(err)
	}
	return qr.RawData
}

// TestPay: scboauth pay pays a QR on a running emulator and shows the delivery of its
// confirmation to the application's callback URL, a re-send included, never the URL's secret;
// a second payment of the same QR is refused (exit 1).
func TestPay(t *testing.T) {
	rcv, calls := shopReceiver(t)
	rs := startSandbox(t, map[string]string{"SCB_SANDBOX_LOG_LEVEL": "off"}, "--admin", "--delivery-interval", "10ms",
		"--app", "shop:l7shop:shop-secret:plain:"+rcv.URL+"/scb?token=shop-url-secret")
	raw := qrOn(t, rs.base, "l7shop", "shop-secret", "INV001")

	code, out, errOut := runCmd(t, map[string]string{"SCB_SANDBOX_ADMIN_URL": rs.base}, "pay", "--target", raw, "--payer-name", "Somchai")
	if code != exitOK || !strings.Contains(out, "paid: 100.50 baht by shop (QR30)") || !strings.Contains(out, ": acknowledged\n") ||
		!strings.Contains(out, "attempt 1 at ") || !strings.Contains(out, "HTTP 500, not acknowledged (") ||
		!strings.Contains(out, "attempt 2 at ") || !strings.Contains(out, "/scb?token=REDACTED") {
		t.Errorf("got exit %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, "shop-url-secret") || calls.Load() != 2 {
		t.Errorf("the output shows the URL's secret, or the receiver ran %d times (want 2)", calls.Load())
	}

	code, _, errOut = runCmd(t, nil, "pay", "--admin-url", rs.base, "--target", raw)
	if code != exitFail || !strings.Contains(errOut, "paid already") {
		t.Errorf("paying again: got exit %d, %s; want 1", code, errOut)
	}
	code, _, errOut = runCmd(t, nil, "pay", "--admin-url", rs.base, "--target", "000201nothing")
	if code != exitFail || !strings.Contains(errOut, "no QR or deeplink") {
		t.Errorf("an unknown target: got exit %d, %s; want 1", code, errOut)
	}
}

// TestPayJSONFromStdin: the target read from standard input, a duplicate delivery, the JSON
// output; a demo application without a callback URL pays without a delivery.
func TestPayJSONFromStdin(t *testing.T) {
	rcv, _ := shopReceiver(t)
	rs := startSandbox(t, map[string]string{"SCB_SANDBOX_LOG_LEVEL": "off"}, "--admin", "--delivery-interval", "10ms",
		"--app", "shop:l7shop:shop-secret:plain:"+rcv.URL+"/scb?token=shop-url-secret")
	raw := qrOn(t, rs.base, "l7shop", "shop-secret", "INV002")
	var stdout, stderr strings.Builder
	e := &env{stdin: strings.NewReader(raw + "\n"), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	code := run(context.Background(), []string{"pay", "--admin-url", rs.base, "--target", "-", "--format", "json", "--duplicate"}, e)
	var pay struct {
		TransactionID string `json:"transactionId"`
		Deliveries    []struct {
			State string `json:"state"`
			Fault string `json:"fault"`
		} `json:"deliveries"`
	}
	if err := json.Unmarshal([]byte(stdout.String()), &pay); err != nil || code != exitOK || len(pay.Deliveries) != 2 ||
		pay.Deliveries[0].State != "acknowledged" || pay.Deliveries[1].State != "acknowledged" || !strings.HasPrefix(pay.Deliveries[1].Fault, "duplicate of") {
		t.Errorf("got exit %d, %v\n%s\n%s", code, err, stdout.String(), stderr.String())
	}

	demo := qrOn(t, rs.base, "l700000000000000000000000000000001", "demo-plain-secret", "INV003")
	code, out, errOut := runCmd(t, nil, "pay", "--admin-url", rs.base, "--target", demo)
	if code != exitOK || !strings.Contains(out, "no payment confirmation sent") {
		t.Errorf("an application without a callback URL: got exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestPayUsage: bad flags, and no emulator's admin API at --admin-url, exit 2 naming the
// problem.
func TestPayUsage(t *testing.T) {
	plain := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(plain.Close)
	noAdmin := startSandbox(t, map[string]string{"SCB_SANDBOX_LOG_LEVEL": "off"})
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"pay"}, "--target"},
		{[]string{"pay", "--target", strings.Repeat("0", 4097)}, "longer than 4096"},
		{[]string{"pay", "--target", "x", "--method", "CASH"}, "--method"},
		{[]string{"pay", "--target", "x", "--wait", "10m"}, "--wait"},
		{[]string{"pay", "--target", "x", "--delay", "-1s"}, "--delay"},
		{[]string{"pay", "--target", "x", "--payer-name", "a\nb"}, "--payer-name"},
		{[]string{"pay", "--target", "x", "--admin-url", "ftp://x"}, "--admin-url"},
		{[]string{"pay", "--target", "-"}, "standard input"},
		{[]string{"pay", "--target", "x", "--admin-url", "http://127.0.0.1:1"}, "no answer"},
		{[]string{"pay", "--target", "x", "--admin-url", plain.URL}, "not the scboauth emulator's admin API"},
		{[]string{"pay", "--target", "x", "--admin-url", noAdmin.base}, "not the scboauth emulator's admin API"},
		{[]string{"pay", "stray"}, "unexpected argument"},
	} {
		code, _, errOut := runCmd(t, nil, tt.args...)
		if code != exitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("%q: got exit %d, %q; want 2 naming %s", tt.args, code, errOut, tt.want)
		}
	}
	code, out, _ := runCmd(t, nil, "pay", "--help")
	if code != exitOK || !strings.Contains(out, "--target") || !strings.Contains(out, "SCB_SANDBOX_ADMIN_TOKEN") || !strings.Contains(out, "Exit status:") {
		t.Errorf("--help: got exit %d\n%s", code, out)
	}
}

// TestPayOutputEscapes: what a running emulator answers reaches the terminal escaped in both
// formats: a bidirectional override, a zero-width space, an escape sequence and CR/LF in its
// values are written as escapes, and JSON output still decodes to the same values.
func TestPayOutputEscapes(t *testing.T) {
	hostile := "\u202eevil\u200b\x1b[2J\r\nInjected: x"
	pay := &adminapi.SimulatedPayment{Amount: "1.00", Application: hostile, TransactionId: hostile, Method: adminapi.QR30}
	for _, format := range []string{"text", "json"} {
		var out strings.Builder
		f := &flags{e: &env{stdout: &out}}
		if err := (&payFlags{format: format}).print(f, pay); err != nil {
			t.Fatal(err)
		}
		if r, ok := sandboxtest.UnsafeRune(out.String()); ok {
			t.Errorf("%s: the output has %U: %q", format, r, out.String())
		}
		if strings.Contains(out.String(), "\nInjected") {
			t.Errorf("%s: an injected line: %q", format, out.String())
		}
		var back adminapi.SimulatedPayment
		if format == "json" && (json.Unmarshal([]byte(out.String()), &back) != nil || back.Application != hostile) {
			t.Errorf("json: %q does not decode to the emulator's values", out.String())
		}
	}
}
