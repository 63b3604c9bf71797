package api_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// Receive SCB's payment confirmations: the emulator posts them as SCB does, here to an httptest
// server running the receiver, twice (a duplicate), and the shop's function sees the payment
// once.
func ExamplePaymentConfirmations() {
	srv, err := sandbox.New(sandbox.WithDeliveryPolicy(sandbox.DeliveryPolicy{Interval: 10 * time.Millisecond}))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	app := sandboxtest.Demo(sandbox.KindPlain)
	client, err := api.NewClient(api.Config{BaseURL: hs.URL, ApplicationKey: app.Key, ApplicationSecret: app.Secret})
	if err != nil {
		log.Fatal(err)
	}

	receiver, err := api.PaymentConfirmations(func(ctx context.Context, c *api.PaymentConfirmation) error {
		// SCB signs nothing: check the payment before handing anything over.
		slip, err := client.VerifySlip(ctx, c.TransactionID, c.Payer.BankCode)
		if err != nil {
			return err // SCB sends the confirmation again
		}
		fmt.Println("paid:", c.Ref1, c.Amount, "baht; the slip says", slip.Amount)
		return nil // the payment is booked: acknowledge it
	}, api.WithSecretParam("token", "a-long-random-secret"))
	if err != nil {
		log.Fatal(err)
	}
	shop := httptest.NewServer(receiver)
	defer shop.Close()
	// The URL registered with SCB for the application (here, with the emulator).
	if err := srv.SetCallbackURL(app.Name, shop.URL+"/scb/confirm?token=a-long-random-secret"); err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	qr, err := client.CreateQR(ctx, api.QRRequest{Amount: api.Satang(10050), BillerID: "012345678901234", Ref1: "ORDER42", Ref3: "SCB"})
	if err != nil {
		log.Fatal(err)
	}
	paid, err := srv.SimulatePaymentWith(qr.RawData, sandbox.Payer{}, sandbox.DeliveryFaults{Duplicate: true})
	if err != nil {
		log.Fatal(err)
	}
	for _, id := range paid.Deliveries {
		d, err := srv.WaitDelivery(ctx, id)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(d.Fault != "", d.State)
	}
	s := receiver.Stats()
	fmt.Println("processed", s.Processed, "time(s); re-sends acknowledged:", s.Duplicates)
	// Output:
	// paid: ORDER42 100.50 baht; the slip says 100.50
	// false acknowledged
	// true acknowledged
	// processed 1 time(s); re-sends acknowledged: 1
}
