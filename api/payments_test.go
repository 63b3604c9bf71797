package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scboauth/scboauth/generated"
)

// The payment calls of strictSCB (client_test.go): the client's payment requests must bind in
// the generated server; each records what it bound.

var strictPayments struct {
	sync.Mutex
	qr       *generated.QRCodeRequest
	slip     generated.VerifySlipRequestObject
	inquiry  generated.InquireBillPaymentParams
	deeplink generated.CreateDeeplinkRequestObject
	id       string
}

func (s *strictSCB) CreateQRCode(_ context.Context, r generated.CreateQRCodeRequestObject) (generated.CreateQRCodeResponseObject, error) {
	strictPayments.Lock()
	defer strictPayments.Unlock()
	strictPayments.qr = r.Body
	return generated.CreateQRCode200JSONResponse{Status: generated.Status{Code: 1000, Description: "Success"},
		Data: generated.QRCode{QrRawData: "000201", QrImage: "R0lGODdh"}}, nil
}

func (s *strictSCB) VerifySlip(_ context.Context, r generated.VerifySlipRequestObject) (generated.VerifySlipResponseObject, error) {
	strictPayments.Lock()
	defer strictPayments.Unlock()
	strictPayments.slip = r
	return generated.VerifySlip200JSONResponse{Status: generated.Status{Code: 1000, Description: "Success"}, Data: generated.Slip{
		TransRef: r.TransRef, SendingBank: "014", ReceivingBank: "014", TransDate: "20260401", TransTime: "10:31:05", Amount: "100"}}, nil
}

func (s *strictSCB) InquireBillPayment(_ context.Context, r generated.InquireBillPaymentRequestObject) (generated.InquireBillPaymentResponseObject, error) {
	strictPayments.Lock()
	defer strictPayments.Unlock()
	strictPayments.inquiry = r.Params
	return generated.InquireBillPayment200JSONResponse{Status: generated.Status{Code: 1000, Description: "Success"}, Data: []generated.BillPayment{}}, nil
}

func (s *strictSCB) CreateDeeplink(_ context.Context, r generated.CreateDeeplinkRequestObject) (generated.CreateDeeplinkResponseObject, error) {
	strictPayments.Lock()
	defer strictPayments.Unlock()
	strictPayments.deeplink = r
	return generated.CreateDeeplink201JSONResponse{Status: generated.Status{Code: 1000, Description: "Deeplink successfully created"},
		Data: generated.Deeplink{TransactionId: "t-1", DeeplinkUrl: "scbeasysim://purchase/t-1"}}, nil
}

func (s *strictSCB) GetTransaction(_ context.Context, r generated.GetTransactionRequestObject) (generated.GetTransactionResponseObject, error) {
	strictPayments.Lock()
	defer strictPayments.Unlock()
	strictPayments.id = r.TransactionId
	return generated.GetTransaction200JSONResponse{Status: generated.Status{Code: 1000, Description: "Success"},
		Data: generated.Transaction{TransactionId: r.TransactionId, TransactionType: "PURCHASE", TransactionSubType: []string{"BP"}}}, nil
}

// TestPaymentsAgainstGeneratedStrictServer: every payment request of the client binds in the
// generated server, with the values given, and carries the Bearer token.
func TestPaymentsAgainstGeneratedStrictServer(t *testing.T) {
	h := generated.HandlerWithOptions(generated.NewStrictHandler(&strictSCB{}, nil), generated.StdHTTPServerOptions{BaseURL: "/partners/sandbox"})
	var bearerless atomic.Int64
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.Path, "/oauth/") && r.Header.Get("Authorization") != "Bearer access-strict" {
			bearerless.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	ctx := context.Background()
	day := time.Date(2026, 4, 1, 23, 30, 0, 0, time.UTC) // 06:30 the next day in Bangkok

	if _, err := c.CreateQR(ctx, QRRequest{Amount: Baht(100) + 5, BillerID: "012345678901234", Ref1: "INV001", Ref3: "SCB"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.VerifySlip(ctx, "20260401X7fK2mQp9RtLw3Z", BankSCB); err != nil {
		t.Fatal(err)
	}
	if _, err := c.InquireBillPayment(ctx, BillPaymentQuery{Date: day, BillerID: "012345678901234", Ref1: "INV001", Amount: Baht(100)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateDeeplink(ctx, DeeplinkRequest{BillPayment: &DeeplinkBillPayment{Amount: Satang(312000), BillerID: "012345678901234", Ref1: "A"}, ValidFor: 15 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Transaction(ctx, "t-1"); err != nil {
		t.Fatal(err)
	}
	strictPayments.Lock()
	defer strictPayments.Unlock()
	qr, _ := strictPayments.qr.Amount.MarshalJSON()
	if p := strictPayments.qr; p.QrType != generated.QRTypePromptPay || string(qr) != `"100.05"` || *p.PpType != "BILLERID" || *p.Ref3 != "SCB" || p.Ref2 != nil || p.MerchantId != nil {
		t.Errorf("QR body: got %+v amount %s", p, qr)
	}
	if s := strictPayments.slip; s.TransRef != "20260401X7fK2mQp9RtLw3Z" || s.Params.SendingBank != "014" || s.Params.ResourceOwnerId != testKey {
		t.Errorf("slip: got %+v", s)
	}
	if q := strictPayments.inquiry; q.EventCode != "00300100" || q.TransactionDate != "2026-04-02" || *q.Amount != "100.00" || q.Reference2 != nil {
		t.Errorf("inquiry: got %+v, want the Bangkok date 2026-04-02", q)
	}
	if d := strictPayments.deeplink; d.Params.Channel != "scbeasy" || string(d.Body.BillPayment.PaymentAmount) != "3120.00" ||
		*d.Body.SessionValidityPeriod != 900 || len(d.Body.TransactionSubType) != 1 || d.Body.TransactionSubType[0] != "BP" {
		t.Errorf("deeplink: got %+v", d)
	}
	if strictPayments.id != "t-1" {
		t.Errorf("transaction: got id %q", strictPayments.id)
	}
	if n := bearerless.Load(); n != 0 {
		t.Errorf("%d payment requests without the Bearer token", n)
	}
}

// invalidRequest is a request the client must refuse, naming field.
type invalidRequest struct {
	name  string
	call  func(c *Client) error
	field string
}

// checkInvalidRequests makes each call and checks that it fails with an *InvalidRequestError on
// its field, without sending anything.
func checkInvalidRequests(t *testing.T, tests []invalidRequest) {
	t.Helper()
	var sent atomic.Int64
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { sent.Add(1) }))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(c)
			var ie *InvalidRequestError
			if !errors.As(err, &ie) || !errors.Is(err, ErrInvalidRequest) || ie.Field != tt.field {
				t.Fatalf("got %v, want an *InvalidRequestError on %s", err, tt.field)
			}
			if !strings.HasPrefix(err.Error(), "api: ") {
				t.Errorf("got %q, want it to start with the package name", err)
			}
		})
	}
	if n := sent.Load(); n != 0 {
		t.Errorf("%d requests were sent, want none", n)
	}
}

// TestQRRequestValidation: the client refuses the QRs SCB would, before sending anything, and
// names the field.
func TestQRRequestValidation(t *testing.T) {
	pp := QRRequest{Amount: Baht(100), BillerID: "012345678901234", Ref1: "INV001", Ref3: "SCB"}
	cs := QRRequest{Type: QRCard, Amount: Baht(1), MerchantID: "M1", TerminalID: "T1", Invoice: "INV1"}
	qr := func(base QRRequest, f func(*QRRequest)) func(*Client) error {
		q := base
		f(&q)
		return func(c *Client) error { _, err := c.CreateQR(context.Background(), q); return err }
	}
	checkInvalidRequests(t, []invalidRequest{
		{"lower-case ref1", qr(pp, func(q *QRRequest) { q.Ref1 = "inv001" }), "Ref1"},
		{"ref1 of 21 characters", qr(pp, func(q *QRRequest) { q.Ref1 = strings.Repeat("A", 21) }), "Ref1"},
		{"CR LF in ref2", qr(pp, func(q *QRRequest) { q.Ref2 = "A\r\nB" }), "Ref2"},
		{"no ref3", qr(pp, func(q *QRRequest) { q.Ref3 = "" }), "Ref3"},
		{"biller id of 14 digits", qr(pp, func(q *QRRequest) { q.BillerID = "01234567890123" }), "BillerID"},
		{"zero amount", qr(pp, func(q *QRRequest) { q.Amount = 0 }), "Amount"},
		{"negative amount", qr(pp, func(q *QRRequest) { q.Amount = -1 }), "Amount"},
		{"huge amount", qr(pp, func(q *QRRequest) { q.Amount = MaxAmount + 1 }), "Amount"},
		{"int64 max amount", qr(pp, func(q *QRRequest) { q.Amount = 1<<63 - 1 }), "Amount"},
		{"int64 max baht", qr(pp, func(q *QRRequest) { q.Amount = Baht(1<<63 - 1) }), "Amount"},
		{"baht whose satang wrap to 1.00", qr(pp, func(q *QRRequest) { q.Amount = Baht(1<<62 + 1) }), "Amount"},
		{"int64 min baht", qr(pp, func(q *QRRequest) { q.Amount = Baht(-1 << 63) }), "Amount"},
		{"unknown type", qr(pp, func(q *QRRequest) { q.Type = "QR" }), "Type"},
		{"a card field on a PromptPay QR", qr(pp, func(q *QRRequest) { q.Invoice = "X" }), "MerchantID"},
		{"expiry on a PromptPay QR", qr(pp, func(q *QRRequest) { q.ExpiresIn = time.Minute }), "ExpiresIn"},
		{"card QR without invoice", qr(cs, func(q *QRRequest) { q.Invoice = "" }), "Invoice"},
		{"card QR with a lower-case invoice", qr(cs, func(q *QRRequest) { q.Invoice = "inv" }), "Invoice"},
		{"card QR with an expiry of 90 s", qr(cs, func(q *QRRequest) { q.ExpiresIn = 90 * time.Second }), "ExpiresIn"},
		{"card QR with an expiry of 10000 min", qr(cs, func(q *QRRequest) { q.ExpiresIn = 10000 * time.Minute }), "ExpiresIn"},
		{"card QR with a bidi override in its note", qr(cs, func(q *QRRequest) { q.Note = "a\u202eb" }), "Note"},
		{"card QR with a space in its merchant id", qr(cs, func(q *QRRequest) { q.MerchantID = "M 1" }), "MerchantID"},
		{"card QR with a biller id", qr(cs, func(q *QRRequest) { q.BillerID = "012345678901234" }), "BillerID"},
	})
}

// TestPaymentRequestValidation: the same of the other payment calls.
func TestPaymentRequestValidation(t *testing.T) {
	ctx := context.Background()
	dl := func(f func(*DeeplinkRequest)) func(*Client) error {
		d := DeeplinkRequest{BillPayment: &DeeplinkBillPayment{Amount: Baht(1), BillerID: "012345678901234", Ref1: "A"}}
		f(&d)
		return func(c *Client) error { _, err := c.CreateDeeplink(ctx, d); return err }
	}
	inquiry := func(q BillPaymentQuery) func(*Client) error {
		return func(c *Client) error { _, err := c.InquireBillPayment(ctx, q); return err }
	}
	slip := func(ref, bank string) func(*Client) error {
		return func(c *Client) error { _, err := c.VerifySlip(ctx, ref, bank); return err }
	}
	checkInvalidRequests(t, []invalidRequest{
		{"slip without transRef", slip("", BankSCB), "transRef"},
		{"slip with a slash", slip("a/b", BankSCB), "transRef"},
		{"slip of bank 14", slip("X1", "14"), "sendingBank"},
		{"inquiry without a date", inquiry(BillPaymentQuery{BillerID: "012345678901234", Ref1: "A"}), "Date"},
		{"inquiry without ref1", inquiry(BillPaymentQuery{Date: time.Now(), BillerID: "012345678901234"}), "Ref1"},
		{"inquiry mixing both kinds", inquiry(BillPaymentQuery{Date: time.Now(), PartnerTransactionID: "P1", Ref1: "A"}), "BillerID"},
		{"deeplink without a payment", dl(func(d *DeeplinkRequest) { d.BillPayment = nil }), "BillPayment"},
		{"deeplink of zero baht", dl(func(d *DeeplinkRequest) { d.BillPayment.Amount = 0 }), "BillPayment.Amount"},
		{"deeplink with a lower-case ref1", dl(func(d *DeeplinkRequest) { d.BillPayment.Ref1 = "a" }), "BillPayment.Ref1"},
		{"deeplink valid 30 s", dl(func(d *DeeplinkRequest) { d.ValidFor = 30 * time.Second }), "ValidFor"},
		{"deeplink valid 31 min", dl(func(d *DeeplinkRequest) { d.ValidFor = 31 * time.Minute }), "ValidFor"},
		{"deeplink with a javascript callback", dl(func(d *DeeplinkRequest) { d.Merchant = &DeeplinkMerchant{CallbackURL: "javascript:alert(1)"} }), "Merchant.CallbackURL"},
		{"deeplink with a LF in a line", dl(func(d *DeeplinkRequest) { d.Merchant = &DeeplinkMerchant{Lines: []PaymentLine{{Title: "a\nb"}}} }), "Merchant.Lines[0].Title"},
		{"instalment of 0 months", dl(func(d *DeeplinkRequest) {
			d.BillPayment, d.Installment = nil, &DeeplinkInstallment{Amount: 1, MerchantID: "M", OrderReference: "O", ProductCode: "P", Type: InstallmentCustomerAbsorbs}
		}), "Installment.Months"},
		{"instalment of another type", dl(func(d *DeeplinkRequest) {
			d.BillPayment, d.Installment = nil, &DeeplinkInstallment{Amount: 1, MerchantID: "M", OrderReference: "O", ProductCode: "P", Months: 3, Type: "4"}
		}), "Installment.Type"},
		{"transaction with a space", func(c *Client) error { _, err := c.Transaction(ctx, "a b"); return err }, "id"},
	})
}

// paymentSCB answers the token call and then every payment call with answer.
func paymentSCB(t testing.TB, answer func(w http.ResponseWriter, r *http.Request)) (*Client, *atomic.Int64, *atomic.Int64) {
	var tokens, calls atomic.Int64
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/v1/oauth/token") {
			n := tokens.Add(1)
			writeJSON(w, 200, tokenAnswer(fmt.Sprintf("access-%d", n), 30*time.Minute, ""))
			return
		}
		calls.Add(1)
		answer(w, r)
	}))
	return c, &tokens, &calls
}

// TestPaymentRetries: reads are retried on every retryable failure; a create only when SCB
// cannot have processed it (408, 429, 503 and refused connections).
func TestPaymentRetries(t *testing.T) {
	tests := []struct {
		name   string
		status int
		create bool
		calls  int64
	}{
		{"create QR, 500", 500, true, 1},
		{"create QR, 502", 502, true, 1},
		{"create QR, 504", 504, true, 1},
		{"create QR, 503", 503, true, 3},
		{"create QR, 429", 429, true, 3},
		{"verify slip, 502", 502, false, 3},
		{"verify slip, 400", 400, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, calls := paymentSCB(t, func(w http.ResponseWriter, _ *http.Request) { writeSCBError(w, tt.status, 9900, "x") })
			c.retry.BaseDelay, c.retry.MaxDelay = time.Microsecond, time.Microsecond
			var err error
			if tt.create {
				_, err = c.CreateQR(context.Background(), QRRequest{Amount: 1, BillerID: "012345678901234", Ref1: "A", Ref3: "B"})
			} else {
				_, err = c.VerifySlip(context.Background(), "X1", BankSCB)
			}
			var e *Error
			if !errors.As(err, &e) || e.HTTPStatus != tt.status {
				t.Fatalf("got %v, want an *Error with HTTP %d", err, tt.status)
			}
			if got := calls.Load(); got != tt.calls {
				t.Errorf("got %d attempts, want %d", got, tt.calls)
			}
		})
	}
}

// TestPaymentTokenRejected: a 401 renews the token and tries once more; a second 401 is
// ErrTokenRejected, without the token in the error.
func TestPaymentTokenRejected(t *testing.T) {
	for _, rejections := range []int64{1, 2} {
		t.Run(fmt.Sprint(rejections), func(t *testing.T) {
			var seen []string
			var mu sync.Mutex
			c, tokens, calls := paymentSCB(t, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				seen = append(seen, r.Header.Get("Authorization"))
				mu.Unlock()
				if int64(len(seen)) <= rejections {
					writeSCBError(w, 401, 9300, "Invalid/expired temporary token "+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
					return
				}
				writeJSON(w, 201, map[string]any{"status": map[string]any{"code": 1000, "description": "Deeplink successfully created"},
					"data": map[string]any{"transactionId": "t-1", "deeplinkUrl": "scbeasysim://purchase/t-1"}})
			})
			dl, err := c.CreateDeeplink(context.Background(), DeeplinkRequest{BillPayment: &DeeplinkBillPayment{Amount: 1, BillerID: "012345678901234", Ref1: "A"}})
			if tokens.Load() != 2 || calls.Load() != 2 || seen[0] == seen[1] {
				t.Errorf("got %d token requests, %d calls with %q, want 2 and 2 with two tokens", tokens.Load(), calls.Load(), seen)
			}
			if rejections == 1 {
				if err != nil || dl.TransactionID != "t-1" {
					t.Fatalf("got %v, %v, want the deeplink after one renewal", dl, err)
				}
				return
			}
			if !errors.Is(err, ErrTokenRejected) || strings.Contains(err.Error(), "access-") {
				t.Errorf("got %v, want ErrTokenRejected without the token", err)
			}
		})
	}
}

// okAnswer is a success envelope around data.
func okAnswer(data string) string {
	return `{"status":{"code":1000,"description":"Success"},"data":` + data + `}`
}

// TestPaymentOddAnswers: answers that are not what the contract says become
// ErrMalformedResponse, naming the field and quoting no value.
func TestPaymentOddAnswers(t *testing.T) {
	c := newTestClient(t, http.NotFoundHandler())
	k := &call{op: "test"}
	decoders := map[string]func(body string) error{
		"qr":   func(b string) error { _, err := c.decodeQR(k, &answer{status: 200, body: []byte(b)}); return err },
		"slip": func(b string) error { _, err := c.decodeSlip(k, &answer{status: 200, body: []byte(b)}); return err },
		"inquiry": func(b string) error {
			_, err := c.decodeBillPayments(k, &answer{status: 200, body: []byte(b)})
			return err
		},
		"deeplink": func(b string) error { _, err := c.decodeDeeplink(k, &answer{status: 201, body: []byte(b)}); return err },
		"transaction": func(b string) error {
			_, err := c.decodeTransaction(k, &answer{status: 200, body: []byte(b)})
			return err
		},
	}
	slip := `{"transRef":"X","transDate":"20260401","transTime":"10:31:05","amount":"100"}`
	tests := []struct {
		decoder, name, body, want string
	}{
		{"qr", "no raw data", okAnswer(`{"qrImage":"R0lGODdh"}`), "data.qrRawData missing"},
		{"qr", "image not base64", okAnswer(`{"qrRawData":"0002","qrImage":"not base64!"}`), "data.qrImage is not base64"},
		{"qr", "control character", okAnswer(`{"qrRawData":"00\u001b[2J","qrImage":"R0lGODdh"}`), "data.qrRawData has control"},
		{"qr", "card QR with a bad expiry", okAnswer(`{"qrRawData":"0","qrImage":"R0lGODdh","qrcodeId":"1","csExtExpiryTime":"tomorrow"}`), "data.csExtExpiryTime is not a time"},
		{"qr", "another business code", `{"status":{"code":1102,"description":"x"},"data":{}}`, "success answer with business code 1102"},
		{"qr", "data an array", `{"status":{"code":1000,"description":"Success"},"data":[]}`, "wrong shape"},
		{"qr", "HTML", `<html>`, "not SCB's envelope"},
		{"slip", "amount with three decimals", okAnswer(strings.Replace(slip, `"100"`, `"100.005"`, 1)), "data.amount is not an amount"},
		{"slip", "huge amount", okAnswer(strings.Replace(slip, `"100"`, `"99999999999999999999"`, 1)), "data.amount is not an amount"},
		{"slip", "negative amount", okAnswer(strings.Replace(slip, `"100"`, `-1`, 1)), "data.amount is not an amount"},
		{"slip", "no amount", okAnswer(strings.Replace(slip, `,"amount":"100"`, ``, 1)), "data.amount missing"},
		{"slip", "bad date", okAnswer(strings.Replace(slip, `20260401`, `2026-04-01`, 1)), "is not a time"},
		{"slip", "CR LF in a name", okAnswer(strings.Replace(slip, `}`, `,"sender":{"name":"a\r\nb"}}`, 1)), "data.sender.name has control"},
		{"slip", "long reference", okAnswer(strings.Replace(slip, `}`, `,"ref1":"`+strings.Repeat("A", maxText+1)+`"}`, 1)), "data.ref1 longer than"},
		{"inquiry", "data an object", okAnswer(slip), "wrong shape"},
		{"inquiry", "data null", okAnswer(`null`), "data missing or null"},
		{"inquiry", "no time", okAnswer(`[{"transactionId":"X","amount":"1"}]`), "data[0].transactionDateandTime missing"},
		{"inquiry", "bad time", okAnswer(`[{"transactionId":"X","amount":"1","transactionDateandTime":"yesterday"}]`), "is not a time"},
		{"deeplink", "javascript URL", okAnswer(`{"transactionId":"t","deeplinkUrl":"javascript:alert(1)"}`), "data.deeplinkUrl"},
		{"deeplink", "id with a slash", okAnswer(`{"transactionId":"../t","deeplinkUrl":"scbeasysim://purchase/t"}`), "data.transactionId"},
		{"transaction", "negative status", okAnswer(`{"transactionId":"t","transactionType":"PURCHASE","statusCode":-1}`), "data.statusCode is negative"},
		{"transaction", "status of 2^70", okAnswer(`{"transactionId":"t","transactionType":"PURCHASE","statusCode":1180591620717411303424}`), "wrong shape"},
		{"transaction", "ten-year session", okAnswer(`{"transactionId":"t","transactionType":"PURCHASE","sessionValidityPeriod":315360000}`), "data.sessionValidityPeriod out of range"},
		{"transaction", "no type", okAnswer(`{"transactionId":"t"}`), "data.transactionType missing"},
	}
	for _, tt := range tests {
		t.Run(tt.decoder+" "+tt.name, func(t *testing.T) {
			err := decoders[tt.decoder](tt.body)
			if !errors.Is(err, ErrMalformedResponse) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want ErrMalformedResponse saying %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\x1b") || strings.Contains(err.Error(), "\r") {
				t.Errorf("the error quotes a control character: %q", err)
			}
		})
	}
}

// TestPaymentAnswersLenient: what SCB is seen to send in several forms is read in each.
func TestPaymentAnswersLenient(t *testing.T) {
	c := newTestClient(t, http.NotFoundHandler())
	k := &call{op: "test"}
	qr, err := c.decodeQR(k, &answer{body: []byte(okAnswer(`{"qrRawData":"0","qrImage":"R0lGODdh","qrCodeId":"42","amount":"100.00",` +
		`"csExtExpiryTime":"2026-04-01 10:45:00","channels":[{"seqNo":1,"channelName":"VISA","channelCode":"VSA"}]}`))})
	if err != nil || qr.Card == nil || qr.Card.ID != "42" || qr.Card.Channels[0].Seq != "1" || qr.Card.Channels[0].Code != "VSA" ||
		!qr.Card.ExpiresAt.Equal(time.Date(2026, 4, 1, 3, 45, 0, 0, time.UTC)) || qr.Card.Amount != Baht(100) {
		t.Errorf("qrCodeId, a numeric seqNo, VSA: got %+v, %v", qr, err)
	}
	found, err := c.decodeBillPayments(k, &answer{body: []byte(okAnswer(`[{"transactionId":"X","amount":100.5,"transactionDateandTime":"2026-04-01T03:31:05Z","reverseFlag":"R"}]`))})
	if err != nil || len(found) != 1 || found[0].Amount != Satang(10050) || !found[0].Reversed || found[0].PaidAt.Location() != Bangkok || found[0].PaidAt.Hour() != 10 {
		t.Errorf("a number amount and a UTC time: got %+v, %v", found, err)
	}
	tr, err := c.decodeTransaction(k, &answer{body: []byte(okAnswer(`{"transactionId":"t","transactionType":"PURCHASE","transactionMethod":null,"statusCode":9,"paidAmount":0}`))})
	if err != nil || tr.Status.String() != "status 9" || tr.Method != "" {
		t.Errorf("an unknown status and a null method: got %+v, %v", tr, err)
	}
}
