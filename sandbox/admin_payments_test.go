package sandbox_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	adminapi "github.com/scboauth/scboauth/generated/admin"
	"github.com/scboauth/scboauth/sandbox"
)

// TestAdminPayments drives a payment and its confirmation through the admin API alone, as a
// test in another language would: an application with a callback URL, a QR paid with a
// payer, the delivery waited for, listed, replayed and seen in the request log, every answer
// as admin.yaml says.
func TestAdminPayments(t *testing.T) {
	h := newAdminHarness(t, fastDelivery)
	m := newMerchant(t, acking)
	r := h.admin(http.MethodPost, "/sandbox/v1/applications",
		`{"name":"shop","key":"l7shop","secret":"shop-secret","kind":"plain","callbackUrl":"`+m.URL+`/confirm?token=url-secret-value"}`)
	var app adminapi.Application
	r.decode(t, &app)
	if r.status != http.StatusCreated || app.CallbackUrl == nil || *app.CallbackUrl != m.URL+"/confirm?token=REDACTED" {
		t.Fatalf("register: got %d %s", r.status, r.body)
	}
	shop := sandbox.Application{Name: "shop", Key: "l7shop", Secret: "shop-secret", Kind: sandbox.KindPlain}
	qr := h.createQR(h.accessToken(shop), ppBody)

	r = h.admin(http.MethodPost, "/sandbox/v1/payments", `{"target":"`+qr.QrRawData+`","payer":{"name":"Somchai"},"method":"QR30"}`)
	var pay adminapi.SimulatedPayment
	r.decode(t, &pay)
	if r.status != http.StatusCreated || pay.Application != "shop" || pay.Amount != "100.50" || pay.TransRef == nil || len(pay.Deliveries) != 1 {
		t.Fatalf("pay: got %d %s", r.status, r.body)
	}
	id := pay.Deliveries[0].Id
	var d adminapi.Delivery
	r = h.admin(http.MethodGet, "/sandbox/v1/deliveries/"+id+"?wait=10s", "")
	r.decode(t, &d)
	if d.State != adminapi.Acknowledged || len(d.Attempts) != 1 || d.Attempts[0].Status != 200 || !strings.Contains(string(d.Body), `"payerName":"Somchai"`) {
		t.Fatalf("delivery: got %s", r.body)
	}
	r = h.admin(http.MethodPost, "/sandbox/v1/deliveries/"+id+"/replay", "")
	r.decode(t, &d)
	if r.status != http.StatusCreated || d.Fault == nil || *d.Fault != "replay of "+id {
		t.Fatalf("replay: got %d %s", r.status, r.body)
	}
	h.admin(http.MethodGet, "/sandbox/v1/deliveries/"+d.Id+"?wait=10s", "")
	var list adminapi.DeliveryList
	h.admin(http.MethodGet, "/sandbox/v1/deliveries?application=shop&transactionId="+pay.TransactionId, "").decode(t, &list)
	if len(list.Deliveries) != 2 || len(m.received()) != 2 {
		t.Errorf("list: got %d deliveries, %d received; want 2", len(list.Deliveries), len(m.received()))
	}
	var log adminapi.RequestLog
	r = h.admin(http.MethodGet, "/sandbox/v1/requests?kind=delivery", "")
	r.decode(t, &log)
	if len(log.Requests) != 2 || log.Requests[0].Delivery == nil || *log.Requests[0].Delivery != id || strings.Contains(string(r.body), "url-secret-value") {
		t.Errorf("request log: got %s", r.body)
	}

	r = h.admin(http.MethodPut, "/sandbox/v1/applications/shop/callback-url", `{"callbackUrl":null}`)
	var cleared adminapi.Application
	r.decode(t, &cleared)
	if r.status != http.StatusOK || cleared.Name != "shop" || cleared.CallbackUrl != nil {
		t.Errorf("clear the callback URL: got %d %s", r.status, r.body)
	}
	wantAdminError(t, h.admin(http.MethodPost, "/sandbox/v1/deliveries/"+id+"/replay", ""), http.StatusConflict, "")
	var reset adminapi.Reset
	h.admin(http.MethodDelete, "/sandbox/v1/state", "").decode(t, &reset)
	if reset.Deliveries != 2 {
		t.Errorf("reset: got %+v, want 2 deliveries", reset)
	}
}

// TestAdminPaymentErrors: each refusal of the payment endpoints names its field.
func TestAdminPaymentErrors(t *testing.T) {
	h := newAdminHarness(t, fastDelivery)
	token := h.accessToken(demoPlain)
	qr := h.createQR(token, ppBody)
	paid := h.createQR(token, strings.Replace(ppBody, "INV001", "INV002", 1))
	h.admin(http.MethodPost, "/sandbox/v1/payments", `{"target":"`+paid.QrRawData+`"}`)
	tests := []struct {
		name, method, path, body string
		status                   int
		field                    string
	}{
		{"unknown target", "POST", "/sandbox/v1/payments", `{"target":"000201nothing"}`, 404, "target"},
		{"paid already", "POST", "/sandbox/v1/payments", `{"target":"` + paid.QrRawData + `"}`, 409, "target"},
		{"a deeplink's method", "POST", "/sandbox/v1/payments", `{"target":"` + qr.QrRawData + `","method":"CCFA"}`, 400, "method"},
		{"an unknown method", "POST", "/sandbox/v1/payments", `{"target":"` + qr.QrRawData + `","method":"CASH"}`, 400, "method"},
		{"a payer name with CR LF", "POST", "/sandbox/v1/payments", `{"target":"` + qr.QrRawData + `","payer":{"name":"a\r\nb"}}`, 400, "payer"},
		{"a delay of ten hours", "POST", "/sandbox/v1/payments", `{"target":"` + qr.QrRawData + `","delivery":{"delay":"10h"}}`, 400, "delivery.delay"},
		{"a delay that is no duration", "POST", "/sandbox/v1/payments", `{"target":"` + qr.QrRawData + `","delivery":{"delay":"soon"}}`, 400, "delivery.delay"},
		{"an unknown field", "POST", "/sandbox/v1/payments", `{"target":"x","tip":1}`, 400, "tip"},
		{"unknown delivery", "GET", "/sandbox/v1/deliveries/d999", "", 404, "id"},
		{"a wait of ten minutes", "GET", "/sandbox/v1/deliveries/d1?wait=10m", "", 400, "wait"},
		{"replay of an unknown delivery", "POST", "/sandbox/v1/deliveries/d999/replay", "", 404, "id"},
		{"callback URL of an unknown application", "PUT", "/sandbox/v1/applications/nobody/callback-url", `{"callbackUrl":"http://127.0.0.1:1/"}`, 404, "name"},
		{"a callback URL that is not http", "PUT", "/sandbox/v1/applications/demo-plain/callback-url", `{"callbackUrl":"ftp://shop.example/"}`, 400, "callbackUrl"},
		{"no callbackUrl", "PUT", "/sandbox/v1/applications/demo-plain/callback-url", `{}`, 400, "callbackUrl"},
		{"a registered application's bad callback URL", "POST", "/sandbox/v1/applications",
			`{"name":"x","key":"k","secret":"s","kind":"plain","callbackUrl":"javascript:alert(1)"}`, 400, "callbackUrl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantAdminError(t, h.admin(tt.method, tt.path, tt.body), tt.status, tt.field)
		})
	}
	h.clock.Advance(sandbox.QRLifetime)
	wantAdminError(t, h.admin(http.MethodPost, "/sandbox/v1/payments", `{"target":"`+qr.QrRawData+`"}`), http.StatusGone, "target")
}

// TestAdminDeliveryWait: the wait parameter returns as soon as the delivery is finished, and
// with the delivery as it stands when the wait runs out.
func TestAdminDeliveryWait(t *testing.T) {
	h := newAdminHarness(t, sandbox.WithDeliveryPolicy(sandbox.DeliveryPolicy{Timeout: time.Hour}))
	m := newMerchant(t, hang)
	_ = h.srv.SetCallbackURL(demoPlain.Name, m.URL)
	pay := h.paidQR(sandbox.DeliveryFaults{})
	var d adminapi.Delivery
	h.admin(http.MethodGet, "/sandbox/v1/deliveries/"+pay.Deliveries[0]+"?wait=20ms", "").decode(t, &d)
	if d.State != adminapi.Pending || len(d.Attempts) != 0 {
		t.Errorf("while the receiver hangs: got %+v, want pending", d)
	}
}
