package sandbox_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scboauth/scboauth/generated"
	"github.com/scboauth/scboauth/sandbox"
)

const (
	pathQRCode   = sandbox.PathQRCode
	pathInquiry  = sandbox.PathInquiry
	pathDeeplink = sandbox.PathDeeplink
	billerID     = "012345678901234"
)

// accessToken returns a client-credentials token of a.
func (h *harness) accessToken(a sandbox.Application) string {
	h.t.Helper()
	r := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(a))
	if r.status != http.StatusOK {
		h.t.Fatalf("token: got %d %s", r.status, r.body)
	}
	return r.token(h.t).AccessToken
}

// payHeaders are a payment call's headers with token, plus extra (see withExtra).
func payHeaders(token string, extra ...string) map[string]string {
	h := map[string]string{
		"authorization":   "Bearer " + token,
		"Content-Type":    "application/json",
		"resourceOwnerId": demoPlain.Key,
		"requestUId":      "2b8f3a4e-6c1d-4f0a-9b7e-5d2c1a0f3e4b",
		"channel":         "scbeasy",
	}
	return withExtra(h, extra)
}

const ppBody = `{"qrType":"PP","amount":"100.50","ppType":"BILLERID","ppId":"` + billerID + `","ref1":"INV001","ref3":"SCB"}`

// createQR creates a QR with body and returns its data.
func (h *harness) createQR(token, body string) generated.QRCode {
	h.t.Helper()
	r := h.do(http.MethodPost, pathQRCode, payHeaders(token), body)
	if r.status != http.StatusOK {
		h.t.Fatalf("create QR: got %d %s", r.status, r.body)
	}
	var qr generated.QRCodeResponse
	if err := json.Unmarshal(r.body, &qr); err != nil {
		h.t.Fatal(err)
	}
	return qr.Data
}

func (h *harness) slip(token, transRef, bank string) reply {
	h.t.Helper()
	return h.do(http.MethodGet, sandbox.PathSlipPrefix+transRef+"?sendingBank="+bank, payHeaders(token, "-Content-Type", ""), "")
}

func TestPaymentQR30Flow(t *testing.T) {
	h := newHarness(t)
	token := h.accessToken(demoPlain)
	qr := h.createQR(token, ppBody)
	if !strings.HasPrefix(qr.QrRawData, "000201") || !strings.Contains(qr.QrRawData, billerID) || qr.QrImage != "R0lGODdhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs=" {
		t.Fatalf("got %+v, want EMVCo raw data with the biller id and the GIF87a placeholder", qr)
	}
	if qr.QrcodeId != nil || qr.CsExtExpiryTime != nil {
		t.Errorf("a PP answer carries no card fields, got %+v", qr)
	}

	h.clock.Advance(90 * time.Second)
	pay, err := h.srv.SimulatePayment(qr.QrRawData, sandbox.Payer{Name: "Somchai"})
	if err != nil {
		t.Fatal(err)
	}
	if pay.Method != sandbox.MethodQR30 || pay.AmountSatang != 10050 || pay.Ref1 != "INV001" || len(pay.TransRef) != 23 || pay.Payer.BankCode != "014" {
		t.Fatalf("got %+v", pay)
	}
	if _, err := h.srv.SimulatePayment(qr.QrRawData, sandbox.Payer{}); !errors.Is(err, sandbox.ErrAlreadyPaid) {
		t.Errorf("paying twice: got %v, want ErrAlreadyPaid", err)
	}

	r := h.slip(token, pay.TransRef, "014")
	var slip generated.SlipResponse
	if r.status != http.StatusOK || json.Unmarshal(r.body, &slip) != nil {
		t.Fatalf("slip: got %d %s", r.status, r.body)
	}
	paidAt := start.Add(90 * time.Second).In(time.FixedZone("ICT", 7*3600))
	if d := slip.Data; d.Amount != "100.50" || d.TransDate != paidAt.Format("20060102") || d.TransTime != paidAt.Format("15:04:05") ||
		*d.Sender.Name != "Somchai" || *d.Receiver.Proxy.Value != billerID || *d.Ref1 != "INV001" {
		t.Errorf("slip: got %s", r.body)
	}
	wantError(t, h.slip(token, pay.TransRef, "004"), 404, 1104, "Requested entity record does not exist")
	wantError(t, h.slip(token, "20230101AAAAAAAAAAAAAAA", "014"), 404, 1104, "Requested entity record does not exist")
	wantError(t, h.slip(h.accessToken(demoAuthCode), pay.TransRef, "014"), 404, 1104, "Requested entity record does not exist")

	inquiry := func(query string) []generated.BillPayment {
		t.Helper()
		r := h.do(http.MethodGet, pathInquiry+"?"+query, payHeaders(token), "")
		var got generated.BillPaymentInquiryResponse
		if r.status != http.StatusOK || json.Unmarshal(r.body, &got) != nil {
			t.Fatalf("inquiry %s: got %d %s", query, r.status, r.body)
		}
		return got.Data
	}
	date := paidAt.Format(time.DateOnly)
	found := inquiry("eventCode=00300100&transactionDate=" + date + "&billerId=" + billerID + "&reference1=INV001&amount=100.5")
	if len(found) != 1 || found[0].TransactionId != pay.TransRef || *found[0].PayerName != "Somchai" {
		t.Errorf("inquiry: got %+v, want the payment", found)
	}
	for _, q := range []string{
		"eventCode=00300100&transactionDate=" + paidAt.AddDate(0, 0, 1).Format(time.DateOnly) + "&billerId=" + billerID + "&reference1=INV001",
		"eventCode=00300100&transactionDate=" + date + "&billerId=" + billerID + "&reference1=INV002",
		"eventCode=00300100&transactionDate=" + date + "&billerId=" + billerID + "&reference1=INV001&amount=100",
		"eventCode=00300100&transactionDate=" + date + "&billerId=" + billerID + "&reference1=INV001&reference2=X",
		"eventCode=00300104&transactionDate=" + date + "&partnerTransactionId=P1",
	} {
		if got := inquiry(q); len(got) != 0 {
			t.Errorf("inquiry %s: got %+v, want nothing", q, got)
		}
	}
}

func TestPaymentCardQR(t *testing.T) {
	h := newHarness(t)
	token := h.accessToken(demoPlain)
	qr := h.createQR(token, `{"qrType":"CS","amount":250,"merchantId":"123456789012345","terminalId":"1","invoice":"INV9","csExtExpiryTime":"20"}`)
	if qr.QrcodeId == nil || len(*qr.QrcodeId) != 23 || *qr.Amount != "250.00" || *qr.CsExtExpiryTime != start.Add(20*time.Minute).In(time.FixedZone("", 7*3600)).Format(time.DateTime) {
		t.Fatalf("got %+v, want a QR CS of 250.00 expiring in 20 minutes", qr)
	}
	if _, err := h.srv.SimulatePayment(qr.QrRawData, sandbox.Payer{Method: sandbox.MethodQR30}); !errors.Is(err, sandbox.ErrPaymentMethod) {
		t.Errorf("a QR CS paid by QR 30: got %v, want ErrPaymentMethod", err)
	}
	h.clock.Advance(20 * time.Minute)
	if _, err := h.srv.SimulatePayment(qr.QrRawData, sandbox.Payer{}); !errors.Is(err, sandbox.ErrPaymentExpired) {
		t.Errorf("after csExtExpiryTime: got %v, want ErrPaymentExpired", err)
	}

	both := h.createQR(token, `{"qrType":"PPCS","amount":"1","ppType":"BILLERID","ppId":"`+billerID+`","ref1":"A","ref3":"SCB","merchantId":"M","terminalId":"T","invoice":"I1"}`)
	pay, err := h.srv.SimulatePayment(both.QrRawData, sandbox.Payer{Method: sandbox.MethodCard})
	if err != nil || pay.Method != sandbox.MethodCard || pay.TransRef != "" || pay.QRCodeID != *both.QrcodeId {
		t.Fatalf("a PPCS paid by card: got %+v, %v", pay, err)
	}
}

func TestPaymentDeeplinkFlow(t *testing.T) {
	h := newHarness(t)
	token := h.accessToken(demoPlain)
	body := `{"transactionType":"PURCHASE","transactionSubType":["BP"],"sessionValidityPeriod":600,` +
		`"billPayment":{"paymentAmount":100.5,"accountTo":"` + billerID + `","ref1":"INV001","ref3":"SCB"}}`
	r := h.do(http.MethodPost, pathDeeplink, payHeaders(token), body)
	var dl generated.DeeplinkResponse
	if r.status != http.StatusCreated || json.Unmarshal(r.body, &dl) != nil {
		t.Fatalf("deeplink: got %d %s, want 201", r.status, r.body)
	}
	if dl.Status.Description != "Deeplink successfully created" || dl.Data.DeeplinkUrl != "scbeasysim://purchase/"+dl.Data.TransactionId {
		t.Errorf("got %s", r.body)
	}
	status := func() generated.Transaction {
		t.Helper()
		r := h.do(http.MethodGet, sandbox.PathTransactionPrefix+dl.Data.TransactionId, payHeaders(token), "")
		var tr generated.TransactionResponse
		if r.status != http.StatusOK || json.Unmarshal(r.body, &tr) != nil {
			t.Fatalf("transaction: got %d %s", r.status, r.body)
		}
		return tr.Data
	}
	if got := status(); *got.StatusCode != 0 || got.TransactionMethod != nil {
		t.Errorf("before payment: got %+v, want status 0 and no method", got)
	}
	pay, err := h.srv.SimulatePayment(dl.Data.DeeplinkUrl, sandbox.Payer{})
	if err != nil || pay.Method != sandbox.MethodBillPayment || pay.DeeplinkID != dl.Data.TransactionId || pay.TransRef == "" {
		t.Fatalf("got %+v, %v", pay, err)
	}
	if got := status(); *got.StatusCode != 1 || *got.TransactionMethod != "BP" || *got.BillPayment.SenderName != "Sandbox Customer" {
		t.Errorf("after payment: got %+v, want status 1 by BP", got)
	}
	if r := h.slip(token, pay.TransRef, "014"); r.status != http.StatusOK {
		t.Errorf("the bill payment's slip: got %d %s", r.status, r.body)
	}

	r = h.do(http.MethodPost, pathDeeplink, payHeaders(token), strings.Replace(body, "600", "60", 1))
	if err := json.Unmarshal(r.body, &dl); err != nil || r.status != http.StatusCreated {
		t.Fatalf("got %d %s", r.status, r.body)
	}
	h.clock.Advance(time.Minute)
	if got := status(); *got.StatusCode != 5 {
		t.Errorf("after its session: got %+v, want status 5", got)
	}
	if _, err := h.srv.SimulatePayment(dl.Data.TransactionId, sandbox.Payer{}); !errors.Is(err, sandbox.ErrPaymentExpired) {
		t.Errorf("got %v, want ErrPaymentExpired", err)
	}
	wantError(t, h.do(http.MethodGet, sandbox.PathTransactionPrefix+"no-such-id", payHeaders(token), ""), 404, 1104, "Requested entity record does not exist")
}

func TestPaymentBearerToken(t *testing.T) {
	h := newHarness(t)
	token := h.accessToken(demoPlain)
	tests := []struct {
		name, auth string
		advance    time.Duration
		code       int
		desc       string
	}{
		{"none", "", 0, 9100, "Missing required authorization credentials"},
		{"basic", "Basic " + token, 0, 9100, "Missing required authorization credentials"},
		{"empty bearer", "Bearer ", 0, 9100, "Missing required authorization credentials"},
		{"unknown", "Bearer 3f0e8a4e-0000-4000-8000-000000000000", 0, 9300, "Invalid/expired temporary token"},
		{"refresh token", "Bearer tok-2x", 0, 9300, "Invalid/expired temporary token"},
		{"expired", "Bearer " + token, 30 * time.Minute, 9300, "Invalid/expired temporary token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.clock.Advance(tt.advance)
			hd := payHeaders(token, "-authorization", "")
			if tt.auth != "" {
				hd["authorization"] = tt.auth
			}
			wantError(t, h.do(http.MethodPost, pathQRCode, hd, ppBody), 401, tt.code, tt.desc)
		})
	}
	// Any case of the scheme, as HTTP authentication schemes are case-insensitive.
	h.do(http.MethodPost, pathQRCode, payHeaders(h.accessToken(demoPlain), "authorization", "bearer "+h.accessToken(demoPlain)), ppBody)
}

func TestPaymentValidation(t *testing.T) {
	h := newHarness(t)
	token := h.accessToken(demoPlain)
	pp := func(old, new string) string { return strings.Replace(ppBody, old, new, 1) }
	dl := `{"transactionType":"PURCHASE","transactionSubType":["BP"],"billPayment":{"paymentAmount":1,"accountTo":"` + billerID + `","ref1":"A"}}`
	date := "transactionDate=2023-11-14"
	tests := []struct {
		name, method, path, body string
		extra                    []string
		status, code             int
	}{
		{"number amount", "POST", pathQRCode, pp(`"100.50"`, `100.5`), nil, 200, 1000},
		{"null optional field", "POST", pathQRCode, pp(`"ref3"`, `"ref2":null,"ref3"`), nil, 200, 1000},
		{"another type's field", "POST", pathQRCode, pp(`"ref3"`, `"merchantId":"M","ref3"`), nil, 200, 1000},
		{"lower-case ref1", "POST", pathQRCode, pp("INV001", "inv001"), nil, 400, 1102},
		{"ref1 of 21 characters", "POST", pathQRCode, pp("INV001", strings.Repeat("A", 21)), nil, 400, 1102},
		{"CR LF in ref1", "POST", pathQRCode, pp("INV001", `INV\r\n001`), nil, 400, 1102},
		{"PP without ref1", "POST", pathQRCode, pp(`"ref1":"INV001",`, ""), nil, 400, 1101},
		{"PP with a null ppId", "POST", pathQRCode, pp(`"`+billerID+`"`, "null"), nil, 400, 1102},
		{"CS without invoice", "POST", pathQRCode, `{"qrType":"CS","amount":"1","merchantId":"M","terminalId":"T"}`, nil, 400, 1101},
		{"unknown qrType", "POST", pathQRCode, pp(`"PP"`, `"QR"`), nil, 400, 1102},
		{"three decimals", "POST", pathQRCode, pp(`"100.50"`, `"100.505"`), nil, 400, 1102},
		{"three decimals as a number", "POST", pathQRCode, pp(`"100.50"`, `100.505`), nil, 400, 1102},
		{"exponent", "POST", pathQRCode, pp(`"100.50"`, `1e2`), nil, 400, 1102},
		{"zero amount", "POST", pathQRCode, pp(`"100.50"`, `"0.00"`), nil, 400, 1102},
		{"negative amount", "POST", pathQRCode, pp(`"100.50"`, `-1`), nil, 400, 1102},
		{"huge amount", "POST", pathQRCode, pp(`"100.50"`, `"99999999999"`), nil, 400, 1102},
		{"int64 max amount", "POST", pathQRCode, pp(`"100.50"`, `9223372036854775807`), nil, 400, 1102},
		{"empty ref3", "POST", pathQRCode, pp(`"SCB"`, `""`), nil, 400, 1103},
		{"unknown field", "POST", pathQRCode, pp(`"ref3"`, `"grantType":"x","ref3"`), nil, 400, 1105},
		{"not JSON", "POST", pathQRCode, `{"qrType":`, nil, 400, 1102},
		{"an array", "POST", pathQRCode, `[]`, nil, 400, 1102},
		{"no body", "POST", pathQRCode, ``, nil, 400, 1101},
		{"text/plain", "POST", pathQRCode, ppBody, []string{"Content-Type", "text/plain"}, 415, 9900},
		{"no requestUId", "POST", pathQRCode, ppBody, []string{"-requestUId", ""}, 400, 9100},
		{"wrong method", "GET", pathQRCode, "", nil, 405, 9900},
		{"deeplink", "POST", pathDeeplink, dl, nil, 201, 1000},
		{"deeplink without channel", "POST", pathDeeplink, dl, []string{"-channel", ""}, 400, 9100},
		{"deeplink to another channel", "POST", pathDeeplink, dl, []string{"channel", "line"}, 501, 4101},
		{"deeplink without billPayment", "POST", pathDeeplink, `{"transactionType":"PURCHASE","transactionSubType":["BP"]}`, nil, 400, 1101},
		{"deeplink with a session of 30 s", "POST", pathDeeplink, strings.Replace(dl, `"billPayment"`, `"sessionValidityPeriod":30,"billPayment"`, 1), nil, 400, 1102},
		{"deeplink amount as text", "POST", pathDeeplink, strings.Replace(dl, `"paymentAmount":1`, `"paymentAmount":"1"`, 1), nil, 400, 1102},
		{"deeplink sub type twice", "POST", pathDeeplink, strings.Replace(dl, `["BP"]`, `["BP","BP"]`, 1), nil, 400, 1102},
		{"inquiry without eventCode", "GET", pathInquiry + "?" + date, "", nil, 400, 1101},
		{"inquiry without billerId", "GET", pathInquiry + "?eventCode=00300100&reference1=A&" + date, "", nil, 400, 1101},
		{"inquiry with an unknown event", "GET", pathInquiry + "?eventCode=1&" + date, "", nil, 400, 1102},
		{"inquiry with a date of another form", "GET", pathInquiry + "?eventCode=00300100&billerId=1&reference1=A&transactionDate=14/11/2023", "", nil, 400, 1102},
		{"inquiry with an empty reference1", "GET", pathInquiry + "?eventCode=00300100&billerId=1&reference1=&" + date, "", nil, 400, 1103},
		{"slip without sendingBank", "GET", sandbox.PathSlipPrefix + "X1", "", nil, 400, 1101},
		{"slip with an empty sendingBank", "GET", sandbox.PathSlipPrefix + "X1?sendingBank=", "", nil, 400, 1103},
		{"slip with a transRef of another form", "GET", sandbox.PathSlipPrefix + "a.b?sendingBank=014", "", nil, 400, 1102},
		{"slip path with two segments", "GET", sandbox.PathSlipPrefix + "a/b?sendingBank=014", "", nil, 404, 1104},
		{"transaction path without id", "GET", sandbox.PathTransactionPrefix, "", nil, 404, 1104},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.do(tt.method, tt.path, payHeaders(token, tt.extra...), tt.body)
			code, _, _ := r.envelope(t)
			if r.status != tt.status || code != tt.code {
				t.Errorf("got %d %d (%s), want %d %d", r.status, code, r.body, tt.status, tt.code)
			}
		})
	}
	if n := h.checker.count.Load(); n < int64(len(tests)) {
		t.Errorf("the spec checked %d answers, want %d", n, len(tests))
	}
}

func TestSimulatePaymentErrors(t *testing.T) {
	h := newHarness(t)
	qr := h.createQR(h.accessToken(demoPlain), ppBody)
	tests := []struct {
		name, target string
		payer        sandbox.Payer
		want         error
	}{
		{"unknown target", "000201nothing", sandbox.Payer{}, sandbox.ErrUnknownPayment},
		{"empty target", "", sandbox.Payer{}, sandbox.ErrUnknownPayment},
		{"long payer name", qr.QrRawData, sandbox.Payer{Name: strings.Repeat("a", sandbox.MaxPayerField+1)}, sandbox.ErrInvalidPayer},
		{"CR LF in the payer's name", qr.QrRawData, sandbox.Payer{Name: "a\r\nb"}, sandbox.ErrInvalidPayer},
		{"bidi override in the payer's bank", qr.QrRawData, sandbox.Payer{BankCode: "\u202e014"}, sandbox.ErrInvalidPayer},
		{"a method of deeplinks", qr.QrRawData, sandbox.Payer{Method: sandbox.MethodCreditCard}, sandbox.ErrPaymentMethod},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := h.srv.SimulatePayment(tt.target, tt.payer); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	h.clock.Advance(sandbox.QRLifetime)
	if _, err := h.srv.SimulatePayment(qr.QrRawData, sandbox.Payer{}); !errors.Is(err, sandbox.ErrPaymentExpired) {
		t.Errorf("after QRLifetime: got %v, want ErrPaymentExpired", err)
	}
}

// TestPaymentStoresExpire checks that access tokens and payment records are swept once expired,
// like the OAuth stores.
func TestPaymentStoresExpire(t *testing.T) {
	h := newHarness(t)
	token := h.accessToken(demoPlain)
	qr := h.createQR(token, ppBody)
	if _, err := h.srv.SimulatePayment(qr.QrRawData, sandbox.Payer{}); err != nil {
		t.Fatal(err)
	}
	if tokens, qrs, _, slips := h.srv.PaymentStoreLen(); tokens != 1 || qrs != 1 || slips != 1 {
		t.Fatalf("got %d tokens, %d QRs, %d slips, want 1 each", tokens, qrs, slips)
	}
	h.clock.Advance(sandbox.PaymentRetention)
	h.accessToken(demoPlain) // a store sweeps the expired entries
	if tokens, qrs, _, slips := h.srv.PaymentStoreLen(); tokens != 1 || qrs != 0 || slips != 0 {
		t.Errorf("after PaymentRetention: got %d tokens, %d QRs, %d slips, want the new token only", tokens, qrs, slips)
	}
}

// TestPaymentDetail: a refused payment call names what was wrong in DetailHeader, quoting no
// value of the request.
func TestPaymentDetail(t *testing.T) {
	h := newHarness(t)
	token := h.accessToken(demoPlain)
	tests := []struct {
		name, method, path, body string
		extra                    []string
		want                     string
	}{
		{"pattern", "POST", pathQRCode, strings.Replace(ppBody, "INV001", "inv\u202e001", 1), nil, "body $.ref1: string doesn't match the regular expression"},
		{"unknown field", "POST", pathQRCode, strings.Replace(ppBody, `"ref3"`, `"x\u202e":1,"ref3"`, 1), nil, `is unsupported`},
		{"token", "POST", pathQRCode, ppBody, []string{"authorization", "Bearer nope"}, "header authorization:"},
		{"channel", "POST", pathDeeplink, "{}", []string{"channel", "line"}, "header channel: not scbeasy"},
		{"query", "GET", pathInquiry + "?eventCode=00300100&transactionDate=x", "", nil, "query parameter transactionDate: outside its schema"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.do(tt.method, tt.path, payHeaders(token, tt.extra...), tt.body)
			got := r.header.Get(sandbox.DetailHeader)
			if !strings.Contains(got, tt.want) || strings.ContainsRune(got, '\u202e') || strings.Contains(got, token) {
				t.Errorf("got %d %q, want a detail containing %q, escaped", r.status, got, tt.want)
			}
		})
	}
}

// TestPaymentStrictNulls: an optional payment field sent as JSON null, at the top or nested, is
// absent by default and refused 400 1102 in strict mode, with its path named, as in the OAuth
// calls (TestRealClientShapes).
func TestPaymentStrictNulls(t *testing.T) {
	dl := `{"transactionType":"PURCHASE","transactionSubType":["BP"],"billPayment":{"paymentAmount":1,"accountTo":"` + billerID + `","ref1":"A","ref2":null}}`
	tests := []struct {
		name, path, body string
		created          int
		wantDetail       string
	}{
		{"QR ref2 null", pathQRCode, strings.Replace(ppBody, `"ref3"`, `"ref2":null,"ref3"`, 1), 200, "body $.ref2: null (strict mode)"},
		{"deeplink billPayment.ref2 null", pathDeeplink, dl, 201, "body $.billPayment.ref2: null (strict mode)"},
	}
	for _, tt := range tests {
		for _, strict := range []bool{false, true} {
			var opts []sandbox.Option
			if strict {
				opts = append(opts, sandbox.WithStrict())
			}
			t.Run(fmt.Sprintf("%s/strict=%v", tt.name, strict), func(t *testing.T) {
				h := newHarness(t, opts...)
				r := h.do(http.MethodPost, tt.path, payHeaders(h.accessToken(demoPlain)), tt.body)
				if !strict {
					if r.status != tt.created {
						t.Fatalf("got %d %s (%s), want %d: a null optional field is absent", r.status, r.body, r.header.Get(sandbox.DetailHeader), tt.created)
					}
					return
				}
				wantError(t, r, http.StatusBadRequest, 1102, "Invalid parameters entered")
				if got := r.header.Get(sandbox.DetailHeader); got != tt.wantDetail {
					t.Errorf("%s: got %q, want %q", sandbox.DetailHeader, got, tt.wantDetail)
				}
			})
		}
	}
}
