package api_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// FuzzPaymentConfirmations sends the receiver any body, method and secret: it never panics,
// every answer is one openapi.yaml allows (the acknowledgement with 200, the refusal
// otherwise), it acknowledges only a body the spec accepts, echoing its transactionId, and a
// re-send of an acknowledged body is acknowledged without a second call of the function.
func FuzzPaymentConfirmations(f *testing.F) {
	f.Add(uint8(0), []byte(qr30Confirmation))
	f.Add(uint8(0), []byte(confirmation("T1", `"amount":100`)))
	f.Add(uint8(0), []byte(`{"transactionId":"T1","amount":750.45,"transactionDateandTime":"2026-04-01T03:31:05","paymentMethod":"QRCS"}`))
	f.Add(uint8(0), []byte(confirmation("ERROR")))
	f.Add(uint8(0), []byte(confirmation("PANIC")))
	f.Add(uint8(0), []byte(confirmation("T1", `"payerName":"\u202e"`)))
	f.Add(uint8(0), []byte(confirmation("T1", `"payerName":null`, `"tepaCode":""`)))
	f.Add(uint8(1), []byte(confirmation("T1")))
	f.Add(uint8(2), []byte(confirmation("T1")))
	f.Add(uint8(0), []byte(`{"transactionId":"T1","amount":"1","transactionDateandTime":"2026-02-30T10:31:05+07:00"}`))
	f.Add(uint8(0), []byte(`[1,2,3]`))
	f.Add(uint8(0), []byte("{\"transactionId\":\"T1\",\"amount\":\"1\",\"transactionDateandTime\":\"2026-04-01T10:31:05+99:00\"}"))
	f.Add(uint8(0), []byte(strings.Repeat(`{"a":`, 2000)))
	f.Fuzz(func(t *testing.T, mode uint8, body []byte) {
		var n calls
		rc := newReceiver(t, func(_ context.Context, c *api.PaymentConfirmation) error {
			n.record(c.TransactionID)
			switch {
			case strings.HasPrefix(c.TransactionID, "ERROR"):
				return errors.New("fails")
			case strings.HasPrefix(c.TransactionID, "PANIC"):
				panic("fuzz")
			}
			return nil
		}, api.WithSecretParam("token", "fuzz-secret"), api.WithBodyLimit(4096))
		edit := func(r *http.Request) {
			switch mode % 3 {
			case 0:
				r.URL.RawQuery = "token=fuzz-secret"
			case 1:
				r.URL.RawQuery = "token=wrong"
			case 2:
				r.Method, r.URL.RawQuery = http.MethodPut, "token=fuzz-secret"
			}
		}
		first := deliverBytes(t, rc, body, edit)
		if t.Failed() || first.status != http.StatusOK {
			return
		}
		if err := sandboxtest.CheckConfirmation(body); err != nil {
			t.Fatalf("acknowledged a body the spec refuses: %v\n%q", err, body)
		}
		c, err := api.ParsePaymentConfirmation(body)
		if err != nil || first.body["transactionId"] != c.TransactionID {
			t.Fatalf("acknowledged %v for a body parsed as %v, %v", first.body, c, err)
		}
		again := deliverBytes(t, rc, body, edit)
		if again.status != http.StatusOK || n.of(c.TransactionID) != 1 {
			t.Fatalf("re-send: got %d after %d calls, want the acknowledgement without a second call", again.status, n.of(c.TransactionID))
		}
	})
}
