package api_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// payEnv is the emulator with a fake clock and a client of its plain demo application whose
// token requests are counted.
type payEnv struct {
	srv    *sandbox.Server
	clock  *sandboxtest.Clock
	client *api.Client
	tokens atomic.Int64
}

func newPayEnv(t *testing.T) *payEnv {
	t.Helper()
	e := &payEnv{clock: sandboxtest.NewClock(time.Date(2026, 4, 1, 17, 30, 0, 0, time.UTC))} // 00:30 the next day in Bangkok
	srv, hs := sandboxtest.NewServer(t, sandbox.WithClock(e.clock.Now))
	e.srv = srv
	counting := &http.Client{Transport: countingTransport{next: hs.Client().Transport, tokens: &e.tokens}}
	e.client = clientFor(t, hs.URL, sandboxtest.Demo(sandbox.KindPlain), counting)
	return e
}

type countingTransport struct {
	next   http.RoundTripper
	tokens *atomic.Int64
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == "/v1/oauth/token" {
		c.tokens.Add(1)
	}
	return c.next.RoundTrip(r)
}

// TestSandboxPaymentsQR: a QR 30 and a QR CS through the client and the emulator: the slip and
// the inquiry show the payment with the Bangkok date, and unknown slips match ErrNotFound.
func TestSandboxPaymentsQR(t *testing.T) {
	e := newPayEnv(t)
	ctx := context.Background()
	qr, err := e.client.CreateQR(ctx, api.QRRequest{Amount: api.Baht(42), BillerID: "012345678901234", Ref1: "INV9", Ref2: "CUST1", Ref3: "SCB"})
	if err != nil {
		t.Fatal(err)
	}
	paid, err := e.srv.SimulatePayment(qr.RawData, sandbox.Payer{Name: "Malee", BankCode: "004"})
	if err != nil {
		t.Fatal(err)
	}
	slip, err := e.client.VerifySlip(ctx, paid.TransRef, "004")
	if err != nil {
		t.Fatal(err)
	}
	if !slip.PaidAt.Equal(e.clock.Now()) || slip.PaidAt.Location() != api.Bangkok || slip.Amount != api.Baht(42) || slip.Ref2 != "CUST1" ||
		slip.Sender.Name != "Malee" || slip.SendingBank != "004" || slip.Receiver.Proxy != (api.Identifier{Type: "BILLERID", Value: "012345678901234"}) {
		t.Errorf("got %+v", slip)
	}
	if _, err := e.client.VerifySlip(ctx, paid.TransRef, api.BankSCB); !errors.Is(err, api.ErrNotFound) {
		t.Errorf("the slip at another bank: got %v, want ErrNotFound", err)
	}

	q := api.BillPaymentQuery{Date: e.clock.Now(), BillerID: "012345678901234", Ref1: "INV9"}
	found, err := e.client.InquireBillPayment(ctx, q)
	if err != nil || len(found) != 1 || found[0].TransactionID != paid.TransRef || found[0].Amount != api.Baht(42) || !found[0].PaidAt.Equal(e.clock.Now()) {
		t.Fatalf("inquiry on the Bangkok date: got %+v, %v", found, err)
	}
	q.Date = q.Date.Add(-time.Hour) // 23:30 the day before in Bangkok
	if found, err := e.client.InquireBillPayment(ctx, q); err != nil || len(found) != 0 || found == nil {
		t.Errorf("inquiry on the day before: got %#v, %v, want an empty slice", found, err)
	}

	card, err := e.client.CreateQR(ctx, api.QRRequest{Type: api.QRCard, Amount: 99, MerchantID: "M1", TerminalID: "T1", Invoice: "INV10", ExpiresIn: 20 * time.Minute})
	if err != nil || card.Card == nil || card.Card.Amount != 99 || !card.Card.ExpiresAt.Equal(e.clock.Now().Add(20*time.Minute)) || card.Card.Channels[0].Code != "VISA" {
		t.Fatalf("QR CS: got %+v, %v", card, err)
	}
}

// TestSandboxPaymentsDeeplink: a deeplink is pending, then paid, then an unknown one is
// ErrNotFound.
func TestSandboxPaymentsDeeplink(t *testing.T) {
	e := newPayEnv(t)
	ctx := context.Background()
	dl, err := e.client.CreateDeeplink(ctx, api.DeeplinkRequest{
		BillPayment: &api.DeeplinkBillPayment{Amount: api.Satang(12345), BillerID: "012345678901234", Ref1: "A1", AccountFrom: "123451234567890"},
		ValidFor:    time.Minute,
		Merchant:    &api.DeeplinkMerchant{Name: "Shop", CallbackURL: "https://shop.example/back", Lines: []api.PaymentLine{{Title: "Order", Description: "1"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := e.client.Transaction(ctx, dl.TransactionID)
	if err != nil || tr.Status != api.StatusPending || tr.ValidFor != time.Minute || tr.BillPayment.Amount != 12345 || tr.BillPayment.AccountFrom != "123451234567890" ||
		!tr.CreatedAt.Equal(e.clock.Now()) {
		t.Fatalf("pending: got %+v, %v", tr, err)
	}
	e.clock.Advance(30 * time.Second)
	if _, err := e.srv.SimulatePayment(dl.TransactionID, sandbox.Payer{}); err != nil {
		t.Fatal(err)
	}
	tr, err = e.client.Transaction(ctx, dl.TransactionID)
	if err != nil || tr.Status != api.StatusPaid || tr.Method != "BP" || tr.PaidAmount != 12345 || tr.BillPayment.Sender.Name != "Sandbox Customer" ||
		!tr.UpdatedAt.Equal(e.clock.Now()) {
		t.Fatalf("paid: got %+v, %v", tr, err)
	}
	if _, err := e.client.Transaction(ctx, "unknown-id"); !errors.Is(err, api.ErrNotFound) {
		t.Errorf("unknown: got %v, want ErrNotFound", err)
	}
}

// TestSandboxPaymentsExpiredToken: when the emulator no longer takes the client's cached token
// (its clock passed the token's 30 minutes), the call renews the token once and succeeds.
func TestSandboxPaymentsExpiredToken(t *testing.T) {
	e := newPayEnv(t)
	ctx := context.Background()
	if _, err := e.client.Transaction(ctx, "t-unknown"); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("got %v", err)
	}
	e.clock.Advance(31 * time.Minute)
	if _, err := e.client.Transaction(ctx, "t-unknown"); !errors.Is(err, api.ErrNotFound) {
		t.Fatalf("after the emulator expired the token: got %v, want the call to go through with a new one", err)
	}
	if n := e.tokens.Load(); n != 2 {
		t.Errorf("got %d token requests, want 2", n)
	}
}
