package sandbox_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scboauth/scboauth/generated"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// TestCallbackURLs: an application's callback URL is an absolute http or https URL of visible
// ASCII, wherever it is given (--app, the applications file, RegisterApplication,
// SetCallbackURL); errors never quote it.
func TestCallbackURLs(t *testing.T) {
	bad := []string{
		"ftp://shop.example/confirm", "javascript:alert(1)", "/scb/confirm", "http:///no-host", "http://shop.example/a b",
		"http://shop.example/\r\nX-Injected: 1", "https://shop.example/\u202e", "mailto:shop@example.com",
		"https://shop.example/" + strings.Repeat("a", sandbox.MaxCallbackURLBytes),
	}
	srv := sandboxtest.New(t)
	for _, u := range bad {
		app := sandbox.Application{Name: "shop", Key: "l7shop", Secret: "s", Kind: sandbox.KindPlain, CallbackURL: u}
		var ae *sandbox.ApplicationError
		if err := srv.RegisterApplication(app); !errors.As(err, &ae) || ae.Field != "callbackUrl" || strings.Contains(err.Error(), u) {
			t.Errorf("RegisterApplication %q: got %v, want an error naming callbackUrl", u, err)
		}
		if err := srv.SetCallbackURL(demoPlain.Name, u); !errors.As(err, &ae) {
			t.Errorf("SetCallbackURL %q: got %v", u, err)
		}
		if _, err := sandbox.ParseApplication("shop:l7shop:s:plain:" + u); err == nil {
			t.Errorf("ParseApplication with %q: no error", u)
		}
	}
	if err := srv.SetCallbackURL("nobody", "https://shop.example/"); !errors.Is(err, sandbox.ErrUnknownApplication) {
		t.Errorf("SetCallbackURL of an unknown application: %v", err)
	}

	for in, want := range map[string]sandbox.Application{
		"shop:l7shop:s3:cr:et:web:https://shop.example:8443/scb?token=a:b": {Name: "shop", Key: "l7shop", Secret: "s3:cr:et", Kind: sandbox.KindWeb,
			CallbackURL: "https://shop.example:8443/scb?token=a:b"},
		"shop:l7shop:http://x:plain":                 {Name: "shop", Key: "l7shop", Secret: "http://x", Kind: sandbox.KindPlain},
		"shop:l7shop:s:plain:http://127.0.0.1:9000/": {Name: "shop", Key: "l7shop", Secret: "s", Kind: sandbox.KindPlain, CallbackURL: "http://127.0.0.1:9000/"},
	} {
		if got, err := sandbox.ParseApplication(in); err != nil || got != want {
			t.Errorf("ParseApplication(%q): got %+v, %v; want %+v", in, got, err, want)
		}
	}

	file := filepath.Join(t.TempDir(), "apps.yaml")
	_ = os.WriteFile(file, []byte("applications:\n  - {name: shop, key: l7shop, secret: s, kind: plain, callbackUrl: 'http://127.0.0.1:9000/scb'}\n"), 0o600)
	if apps, err := sandbox.LoadApplications(file); err != nil || apps[0].CallbackURL != "http://127.0.0.1:9000/scb" {
		t.Errorf("LoadApplications: got %+v, %v", apps, err)
	}
}

// TestCallbackURLShown: the URL is shown with its password and query values redacted in every
// form an Application prints in.
func TestCallbackURLShown(t *testing.T) {
	a := sandbox.Application{Name: "shop", Key: "l7shop", Secret: "app-secret-value", Kind: sandbox.KindPlain,
		CallbackURL: "https://user:pass-secret-value@shop.example/scb?token=query-secret-value&b=2#frag"}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("app", "app", a)
	js, _ := json.Marshal(a)
	for _, out := range []string{a.String(), a.GoString(), fmt.Sprintf("%v %+v %#v %s %q", a, a, a, a, a), string(js), logged.String()} {
		if strings.Contains(out, "secret-value") || !strings.Contains(out, "shop.example/scb?b=REDACTED") || !strings.Contains(out, "token=REDACTED") {
			t.Errorf("got %s", out)
		}
	}
}

// TestConfirmationBodies: the confirmation of each kind of payment validates against
// openapi.yaml and carries its kind's fields: a QR CS's time in GMT, a deeplink's bill payment
// as a QR 30's, a credit card as AUTH.
func TestConfirmationBodies(t *testing.T) {
	h := newHarness(t, fastDelivery)
	m := newMerchant(t, acking)
	_ = h.srv.SetCallbackURL(demoPlain.Name, m.URL)
	token := h.accessToken(demoPlain)
	card := h.createQR(token, `{"qrType":"CS","amount":250,"merchantId":"123456789012345","terminalId":"T1","invoice":"INV9","csNote":"Order 9"}`)
	deeplink := func(sub, object string) string {
		r := h.do(http.MethodPost, pathDeeplink, payHeaders(token), `{"transactionType":"PURCHASE","transactionSubType":["`+sub+`"],`+object+`}`)
		var dl generated.DeeplinkResponse
		if err := json.Unmarshal(r.body, &dl); err != nil || r.status != http.StatusCreated {
			t.Fatalf("deeplink: %d %s", r.status, r.body)
		}
		return dl.Data.TransactionId
	}
	bp := deeplink("BP", `"billPayment":{"paymentAmount":100.5,"accountTo":"`+billerID+`","ref1":"INV001"}`)
	ccfa := deeplink("CCFA", `"creditCardFullAmount":{"merchantId":"M1","orderReference":"ORDER1","paymentAmount":20}`)
	tests := []struct {
		target string
		want   map[string]any
	}{
		{card.QrRawData, map[string]any{"transactionType": "AUTH", "paymentMethod": "QRCS", "qrId": *card.QrcodeId, "amount": "250.00",
			"merchantId": "123456789012345", "invoice": "INV9", "transactionDateandTime": start.UTC().Format(time.RFC3339)}},
		{bp, map[string]any{"transactionType": "Domestic Transfer", "payeeProxyId": billerID, "billPaymentRef1": "INV001", "amount": "100.50",
			"transactionDateandTime": start.In(time.FixedZone("", 7*3600)).Format(time.RFC3339)}},
		{ccfa, map[string]any{"transactionType": "AUTH", "merchantId": "M1", "invoice": "ORDER1", "amount": "20.00", "paymentMethod": nil}},
	}
	for _, tt := range tests {
		pay, err := h.srv.SimulatePayment(tt.target, sandbox.Payer{})
		if err != nil {
			t.Fatal(err)
		}
		d := h.wait(pay.Deliveries[0])
		if err := sandboxtest.CheckConfirmation(d.Body); err != nil {
			t.Errorf("%s: %v\n%s", pay.Method, err, d.Body)
		}
		var c map[string]any
		_ = json.Unmarshal(d.Body, &c)
		for k, v := range tt.want {
			if c[k] != v {
				t.Errorf("%s: %s is %v, want %v", pay.Method, k, c[k], v)
			}
		}
		if c["transactionId"] != pay.TransactionID || d.State != sandbox.DeliveryAcknowledged {
			t.Errorf("%s: transactionId %v, want %s; %v", pay.Method, c["transactionId"], pay.TransactionID, d.State)
		}
	}
}
