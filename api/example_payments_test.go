package api_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// A QR payment end to end against the emulator: create a QR 30, let the customer pay it (the
// emulator simulates the banking app), then verify the slip the customer shows.
func ExampleClient_CreateQR() {
	srv, hs := startSandbox(nil)
	defer hs.Close()
	app := sandboxtest.Demo(sandbox.KindPlain)
	client, err := api.NewClient(api.Config{BaseURL: hs.URL, ApplicationKey: app.Key, ApplicationSecret: app.Secret})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	qr, err := client.CreateQR(ctx, api.QRRequest{
		Type:     api.QRPromptPay,
		Amount:   api.Baht(100) + api.Satang(50), // 100.50 baht
		BillerID: "012345678901234",
		Ref1:     "INV001",
		Ref3:     "SCB",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(qr.RawData[:6], len(qr.Image) > 0, qr.Card == nil)

	// The customer scans qr.RawData and pays: in a test, the emulator does it.
	paid, err := srv.SimulatePayment(qr.RawData, sandbox.Payer{Name: "Somchai"})
	if err != nil {
		log.Fatal(err)
	}

	// The customer shows the slip; check it with SCB before handing over the goods.
	slip, err := client.VerifySlip(ctx, paid.TransRef, api.BankSCB)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(slip.Amount, slip.Ref1, slip.Sender.Name, slip.PaidAt.Location())
	// Output:
	// 000201 true true
	// 100.50 INV001 Somchai Asia/Bangkok
}

// A deeplink payment: create it, open its URL on the customer's phone, and poll the
// transaction until the customer paid in the SCB app.
func ExampleClient_CreateDeeplink() {
	srv, hs := startSandbox(nil)
	defer hs.Close()
	app := sandboxtest.Demo(sandbox.KindPlain)
	client, err := api.NewClient(api.Config{BaseURL: hs.URL, ApplicationKey: app.Key, ApplicationSecret: app.Secret})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	dl, err := client.CreateDeeplink(ctx, api.DeeplinkRequest{
		BillPayment: &api.DeeplinkBillPayment{Amount: api.Baht(250), BillerID: "012345678901234", Ref1: "ORDER42", Ref3: "SCB"},
		ValidFor:    15 * time.Minute,
	})
	if err != nil {
		log.Fatal(err)
	}
	before, err := client.Transaction(ctx, dl.TransactionID)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := srv.SimulatePayment(dl.URL, sandbox.Payer{}); err != nil { // the customer pays
		log.Fatal(err)
	}
	after, err := client.Transaction(ctx, dl.TransactionID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(before.Status, after.Status, after.Method, after.PaidAmount)
	// Output:
	// pending paid BP 250.00
}
