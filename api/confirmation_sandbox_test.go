package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// requestCtxKey carries the context of the HTTP request into the function (whose own context
// outlives it): the function can wait until the emulator has given up on that delivery.
type requestCtxKey struct{}

func withRequestCtx(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestCtxKey{}, r.Context())))
	})
}

// TestPaymentConfirmationEndToEnd: the client creates a QR on the emulator, the emulator
// simulates the payment and delivers its confirmation, twice at once (an injected duplicate),
// to an httptest server running the receiver; the function is slow on the first delivery, so
// the emulator times out and re-sends both. The function runs exactly once, confirms the
// payment through slip verification as the docs advise, and both deliveries end acknowledged.
func TestPaymentConfirmationEndToEnd(t *testing.T) {
	srv, hs := sandboxtest.NewServer(t, sandbox.WithDeliveryPolicy(sandbox.DeliveryPolicy{
		Attempts: 10, Interval: 50 * time.Millisecond, Timeout: 250 * time.Millisecond})) // SCB's: 4, 12s, 10s
	client := clientFor(t, hs.URL, sandboxtest.Demo(sandbox.KindPlain), hs.Client())
	ctx := context.Background()

	var mu sync.Mutex
	var got []*api.PaymentConfirmation
	receiver := newReceiver(t, func(ctx context.Context, c *api.PaymentConfirmation) error {
		mu.Lock()
		got = append(got, c)
		first := len(got) == 1
		mu.Unlock()
		if first {
			<-ctx.Value(requestCtxKey{}).(context.Context).Done() // slow: the emulator gives up on this delivery first
		}
		slip, err := client.VerifySlip(ctx, c.TransactionID, c.Payer.BankCode) // SCB signs nothing: check
		if err != nil || slip.Amount != c.Amount {
			return fmt.Errorf("the payment is not confirmed by its slip: %v", err)
		}
		return nil
	}, api.WithSecretParam("token", "shop-url-secret"))
	shop := httptest.NewServer(withRequestCtx(receiver))
	t.Cleanup(shop.Close)
	if err := srv.SetCallbackURL("demo-plain", shop.URL+"/scb/confirm?token=shop-url-secret"); err != nil {
		t.Fatal(err)
	}

	qr, err := client.CreateQR(ctx, api.QRRequest{Amount: api.Satang(10050), BillerID: "012345678901234", Ref1: "ORDER42", Ref3: "SCB"})
	if err != nil {
		t.Fatal(err)
	}
	pay, err := srv.SimulatePaymentWith(qr.RawData, sandbox.Payer{Name: "Somchai"}, sandbox.DeliveryFaults{Duplicate: true})
	if err != nil || len(pay.Deliveries) != 2 {
		t.Fatalf("got %+v, %v; want two deliveries", pay, err)
	}
	var attempts []string
	for _, id := range pay.Deliveries {
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		d, err := srv.WaitDelivery(wctx, id)
		cancel()
		if err != nil || d.State != sandbox.DeliveryAcknowledged {
			t.Fatalf("delivery %s: got %v %+v, %v; want acknowledged", id, d.State, d.Attempts, err)
		}
		attempts = append(attempts, strings.Join(outcomesOf(d), ","))
	}

	if len(got) != 1 {
		t.Fatalf("the function ran %d times, want once", len(got))
	}
	c := got[0]
	if c.TransactionID != pay.TransRef || c.Amount != api.Satang(10050) || c.Ref1 != "ORDER42" || c.Payer.Name != "Somchai" || !c.PaidAt.Equal(pay.PaidAt.Truncate(time.Second)) {
		t.Errorf("the function got %+v, want the payment %+v", c, pay)
	}
	all := strings.Join(attempts, " ")
	if s := receiver.Stats(); s.Processed != 1 || s.Duplicates != 2 || s.Busy == 0 || !strings.Contains(all, "timeout") {
		t.Errorf("receiver %+v, attempts %q: want one processed, two re-sends acknowledged as duplicates, busy answers while processing and a timeout", s, attempts)
	}
}

func outcomesOf(d sandbox.Delivery) []string {
	var out []string
	for _, a := range d.Attempts {
		out = append(out, a.Outcome)
	}
	return out
}
