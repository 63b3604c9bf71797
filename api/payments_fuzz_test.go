package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzPaymentAnswers feeds each payment call any answer (status and body): it never panics, and
// returns either values that are clean (no control or invisible character in any text, no
// negative amount) or an *Error whose message has no invisible character and no token.
func FuzzPaymentAnswers(f *testing.F) {
	ok := func(data string) []byte { return []byte(okAnswer(data)) }
	f.Add(uint8(0), 200, ok(`{"qrRawData":"000201","qrImage":"R0lGODdh","qrcodeId":"1","amount":"1.00","csExtExpiryTime":"2026-04-01 10:45:00","channels":[{"seqNo":"1"}]}`))
	f.Add(uint8(0), 200, ok(`{"qrRawData":"000201\u202e","qrImage":"R0lGODdh"}`))
	f.Add(uint8(1), 200, ok(`{"transRef":"X","transDate":"20260401","transTime":"10:31:05","amount":"100","sender":{"proxy":{"type":"MSISDN"}}}`))
	f.Add(uint8(1), 200, ok(`{"transRef":"X","transDate":"20261341","transTime":"25:61:61","amount":1e400}`))
	f.Add(uint8(2), 200, ok(`[{"transactionId":"X","amount":"1","transactionDateandTime":"2026-04-01T10:31:05.000+07:00"}]`))
	f.Add(uint8(2), 200, ok(`[{"transactionId":"X","amount":"1","transactionDateandTime":"2026-04-01T10:31:05.000+99:00"}]`))
	f.Add(uint8(3), 201, ok(`{"transactionId":"t","deeplinkUrl":"scbeasysim://purchase/t"}`))
	f.Add(uint8(4), 200, ok(`{"transactionId":"t","transactionType":"PURCHASE","transactionSubType":["BP"],"statusCode":1,"paidAmount":1.5,"createdTimestamp":"2026-04-01T10:30:00+07:00","billPayment":{"paymentAmount":"2"}}`))
	f.Add(uint8(4), 401, []byte(`{"status":{"code":9300,"description":"access-1 expired"}}`))
	f.Add(uint8(2), 502, []byte(`<html>bad gateway</html>`))
	f.Fuzz(func(t *testing.T, which uint8, status int, body []byte) {
		if status < 100 || status > 999 {
			status = 200 + (status%800+800)%800
		}
		c := newTestClientConfig(t, Config{Retry: RetryPolicy{MaxAttempts: 1}, HTTPClient: &http.Client{Transport: rtFunc(func(r *http.Request) (*http.Response, error) {
			h := http.Header{"Content-Type": {"application/json"}}
			if strings.HasSuffix(r.URL.Path, "/v1/oauth/token") {
				return &http.Response{StatusCode: 200, Header: h, Request: r,
					Body: io.NopCloser(strings.NewReader(`{"status":{"code":1000,"description":"Success"},"data":{"accessToken":"access-1","tokenType":"Bearer","expiresIn":1800,"expiresAt":1}}`))}, nil
			}
			return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(string(body))), Request: r}, nil
		})}})
		got, err := callPayment(c, which%5)
		if err == nil {
			checkClean(t, reflect.ValueOf(got), "result")
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("got %T %v, want an *Error", err, err)
		}
		if msg := err.Error(); strings.ContainsFunc(msg, invisible) || strings.Contains(msg, "access-1") {
			t.Fatalf("got %q, which has an invisible character or the token", msg)
		}
	})
}

// callPayment makes payment call n (0 to 4) with a valid request.
func callPayment(c *Client, n uint8) (any, error) {
	ctx := context.Background()
	switch n {
	case 0:
		return c.CreateQR(ctx, QRRequest{Amount: 1, BillerID: "012345678901234", Ref1: "A", Ref3: "B"})
	case 1:
		return c.VerifySlip(ctx, "X1", BankSCB)
	case 2:
		return c.InquireBillPayment(ctx, BillPaymentQuery{Date: time.Now(), BillerID: "012345678901234", Ref1: "A"})
	case 3:
		return c.CreateDeeplink(ctx, DeeplinkRequest{BillPayment: &DeeplinkBillPayment{Amount: 1, BillerID: "012345678901234", Ref1: "A"}})
	}
	return c.Transaction(ctx, "t")
}

// checkClean fails t if a text of v has a control or invisible character, or an amount is
// negative.
func checkClean(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			checkClean(t, v.Elem(), path)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				checkClean(t, v.Field(i), path+"."+v.Type().Field(i).Name)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // the QR's picture
		}
		for i := range v.Len() {
			checkClean(t, v.Index(i), path)
		}
	case reflect.String:
		if strings.ContainsFunc(v.String(), invisible) {
			t.Fatalf("%s = %q has an invisible character", path, v.String())
		}
	case reflect.Int64:
		if v.Type() == reflect.TypeFor[Amount]() && v.Int() < 0 {
			t.Fatalf("%s = %d is negative", path, v.Int())
		}
	}
}
