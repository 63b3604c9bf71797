package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/scboauth/scboauth/api"
)

// BenchmarkPaymentConfirmations compares the receiver with a bare handler written by hand
// (read the body, decode the fields a shop needs, answer SCB's acknowledgement) on SCB's
// captured QR 30 confirmation, in the same run: a new transactionId each time (decode,
// validate, claim, call, record), and a re-send of a processed one (acknowledged without a
// call).
func BenchmarkPaymentConfirmations(b *testing.B) {
	body := func(i int) []byte {
		return []byte(strings.Replace(qr30Confirmation, "202307261Nlm85Q4mCrpihM", "T"+strconv.Itoa(i), 1))
	}
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		var c struct {
			TransactionID string      `json:"transactionId"`
			Amount        json.Number `json:"amount"`
			Time          string      `json:"transactionDateandTime"`
			Ref1          string      `json:"billPaymentRef1"`
		}
		if err != nil || json.Unmarshal(raw, &c) != nil || c.TransactionID == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		out, _ := json.Marshal(map[string]string{"resCode": "00", "resDesc": "success", "transactionId": c.TransactionID})
		_, _ = w.Write(out)
	})
	receiver, err := api.PaymentConfirmations(func(context.Context, *api.PaymentConfirmation) error { return nil })
	if err != nil {
		b.Fatal(err)
	}
	for _, bb := range []struct {
		name   string
		h      http.Handler
		resend bool
	}{
		{"bare", bare, false},
		{"receiver/new", receiver, false},
		{"receiver/resend", receiver, true},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				n := i
				if bb.resend {
					n = 0
				}
				req := httptest.NewRequest(http.MethodPost, "/scb/confirm", bytes.NewReader(body(n)))
				rec := httptest.NewRecorder()
				bb.h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("got %d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
