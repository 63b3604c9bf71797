package contract

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The payment cases: SCB's payment calls, each positive and negative. They need an access
// token, which each run obtains once per application with the token call (checked like any
// other), so they run after the OAuth cases. They are registered in init below, so that the
// OAuth part of the catalogue (catalogue.go, requests.go) is as it was.

// The payment operations a case can start from; the slip and transaction paths take an id.
const (
	pathQRCode      = "/v1/payment/qrcode/create"
	pathSlip        = "/v1/payment/billpayment/transactions/"
	pathInquiry     = "/v1/payment/billpayment/inquiry"
	pathDeeplink    = "/v3/deeplink/transactions"
	pathTransaction = "/v2/transactions/"
)

// PaymentEmulator is an Emulator that can also pay what a payment call created, as the
// customer would in a banking app; *sandbox.Server satisfies it. With it, Run checks slip
// verification, the inquiry and a paid transaction against a payment it made.
type PaymentEmulator interface {
	// CompletePayment pays the QR whose qrRawData, or the deeplink whose transactionId or
	// deeplinkUrl, target is, and returns the bill payment's transRef ("" for a card payment).
	CompletePayment(ctx context.Context, target string) (transRef string, err error)
}

// Payments is what the payment cases need of a live application; the emulator needs none.
// A case that needs a value not set is skipped, saying which.
type Payments struct {
	// BillerID is a PromptPay biller id of the application's merchant profile (15 digits):
	// the QR 30 and deeplink cases.
	BillerID string
	// MerchantID and TerminalID are a QR CS merchant of the application: the QR CS cases.
	MerchantID, TerminalID string
}

// The emulator's values for the payment cases: it accepts any well-formed biller and merchant
// [decision].
const (
	emulatorBillerID   = "012345678901234"
	emulatorMerchantID = "123456789012345"
	unknownTransRef    = "20200101AAAAAAAAAAAAAAA"
	unknownToken       = "Bearer 00000000-0000-4000-8000-000000000000"
)

// emulatorPayments are the payment values of a run on the emulator, and of a request no run
// sends (--list, a reproducer's placeholder).
var emulatorPayments = Payments{BillerID: emulatorBillerID, MerchantID: emulatorMerchantID, TerminalID: emulatorMerchantID}

// paymentWellFormed is the well-formed request of each payment operation (see wellFormed).
var paymentWellFormed = map[string]func(Credentials) (request, map[string]any){
	pathQRCode: func(app Credentials) (request, map[string]any) {
		return request{method: http.MethodPost, path: pathQRCode, header: tokenHeaders(app.Key)}, map[string]any{
			"qrType": "PP", "amount": "100.50", "ppType": "BILLERID", "ppId": emulatorBillerID, "ref1": "INV001", "ref3": "SCB"}
	},
	pathSlip: func(app Credentials) (request, map[string]any) {
		return request{method: http.MethodGet, path: pathSlip + unknownTransRef + "?sendingBank=014", header: getHeaders(app.Key)}, nil
	},
	pathInquiry: func(app Credentials) (request, map[string]any) {
		q := url.Values{"eventCode": {"00300100"}, "transactionDate": {"2020-01-01"}, "billerId": {emulatorBillerID}, "reference1": {"INV001"}}
		return request{method: http.MethodGet, path: pathInquiry + "?" + q.Encode(), header: getHeaders(app.Key)}, nil
	},
	pathDeeplink: func(app Credentials) (request, map[string]any) {
		h := tokenHeaders(app.Key)
		h.Set("channel", "scbeasy")
		return request{method: http.MethodPost, path: pathDeeplink, header: h}, map[string]any{
			"transactionType": "PURCHASE", "transactionSubType": []string{"BP"}, "sessionValidityPeriod": 900,
			"billPayment": map[string]any{"paymentAmount": 100.5, "accountTo": emulatorBillerID, "ref1": "INV001", "ref3": "SCB"}}
	},
	pathTransaction: func(app Credentials) (request, map[string]any) {
		return request{method: http.MethodGet, path: pathTransaction + uuid.NewString(), header: getHeaders(app.Key)}, nil
	},
}

// getHeaders are the standard headers of a payment GET.
func getHeaders(key string) http.Header {
	h := tokenHeaders(key)
	h.Del("Content-Type")
	return h
}

// isPayment reports whether op is one of the payment operations.
func isPayment(op string) bool { return paymentWellFormed[op] != nil }

// paymentState is what the payment cases carry from case to case: a token per application.
type paymentState struct {
	tokens map[role]string
}

// preparePayment completes a payment call's well-formed request for this run, before the
// case's edits: the Bearer token of the role's application, and the run's biller id.
func (c *caseRun) preparePayment(rq *request, fields map[string]any, ro role) {
	if tok := c.accessToken(ro); tok != "" {
		rq.header.Set("Authorization", "Bearer "+tok)
	}
	// A live target without Config.Payments.BillerID still gets a well-formed one, for the cases
	// that do not need a biller of the application (the others are skipped).
	biller := cmp.Or(c.r.payments().BillerID, emulatorBillerID)
	if _, ok := fields["ppId"]; ok {
		fields["ppId"] = biller
	}
	if bp, ok := fields["billPayment"].(map[string]any); ok {
		bp["accountTo"] = biller
	}
}

// paymentValue is a value of the run's Payments, set by a case's edit.
type paymentValue int

const (
	configBillerID paymentValue = iota + 1
	configMerchantID
	configTerminalID
)

// resolve returns the run's value of v.
func (v paymentValue) resolve(p Payments) string {
	switch v {
	case configBillerID:
		return p.BillerID
	case configMerchantID:
		return p.MerchantID
	}
	return p.TerminalID
}

// payments returns the payment values of this run: the emulator's, or the configuration's.
func (r *runner) payments() Payments {
	if r.emulator() {
		return emulatorPayments
	}
	return r.cfg.Payments
}

// accessToken returns a client-credentials token of the role's application, obtained with the
// token call once per run (an interaction of the case that first needs it); "" after recording
// why there is none.
func (c *caseRun) accessToken(ro role) string {
	if tok := c.r.payment.tokens[ro]; tok != "" {
		return tok
	}
	in := c.send(c.build(call{op: pathToken, role: ro}))
	c.expect(in, ok1000)
	if in == nil || in.Status != http.StatusOK {
		return ""
	}
	tok, _ := dataOf(in)["accessToken"].(string)
	if tok == "" {
		return ""
	}
	if c.r.payment.tokens == nil {
		c.r.payment.tokens = map[role]string{}
	}
	c.r.payment.tokens[ro] = tok
	return tok
}

// dataOf returns the data object of an answer, or nil.
func dataOf(in *Interaction) map[string]any {
	if in == nil {
		return nil
	}
	obj, _ := in.value.(map[string]any)
	data, _ := obj["data"].(map[string]any)
	return data
}

// want records a finding unless the answer's data has value at field.
func (c *caseRun) want(in *Interaction, field string, value any) {
	data := dataOf(in)
	if data == nil {
		return // the schema reports it
	}
	if got := fmt.Sprint(data[field]); got != fmt.Sprint(value) {
		c.add(in, errorf(RuleExpect, "$.data."+field, "got %q, want %q", got, fmt.Sprint(value)))
	}
}

// pay asks the emulator to pay target; it returns the transRef, or "" after recording why not.
func (c *caseRun) pay(target string) (string, bool) {
	pe, ok := c.r.cfg.Emulator.(PaymentEmulator)
	if !ok {
		c.add(nil, errorf(RuleTransport, pathStatus, "the emulator cannot simulate payments (no CompletePayment)"))
		return "", false
	}
	transRef, err := pe.CompletePayment(c.ctx, target)
	if c.ctx.Err() != nil {
		c.stopped("the emulator's payment")
		return "", false
	}
	if err != nil {
		c.add(nil, errorf(RuleTransport, pathStatus, "the emulator's payment failed: %v", err))
		return "", false
	}
	return transRef, true
}

// paidQR creates a well-formed QR 30 of reference ref1, has the emulator pay it, and returns the
// payment's transRef; false after recording why there is none.
func (c *caseRun) paidQR(ref1 string) (string, bool) {
	in := c.send(c.build(call{op: pathQRCode, role: rolePlain, field: []edit{set("ref1", ref1)}}))
	c.expect(in, ok1000)
	raw, _ := dataOf(in)["qrRawData"].(string)
	if raw == "" {
		if in != nil && in.Status == http.StatusOK {
			c.add(in, errorf(RuleExpect, "$.data.qrRawData", "no qrRawData to pay"))
		}
		return "", false
	}
	return c.pay(raw)
}

// runSlip creates a QR, has the emulator pay it, and verifies the slip: the amount and
// references of the QR.
func runSlip(c *caseRun, cs Case) {
	transRef, ok := c.paidQR("INV001")
	if !ok {
		return
	}
	k := cs.call
	k.path = pathSlip + url.PathEscape(transRef) + "?sendingBank=014"
	in := c.send(c.build(k))
	c.expectCase(in, cs)
	if in != nil && in.Status == http.StatusOK {
		c.want(in, "transRef", transRef)
		c.want(in, "amount", "100.50")
		c.want(in, "ref1", "INV001")
		c.want(in, "ref3", "SCB")
	}
}

// runInquiryPaid creates and pays a QR of a reference of its own, then looks it up on the day
// it was paid: the inquiry finds that one payment.
func runInquiryPaid(c *caseRun, cs Case) {
	ref1 := freshReference()
	transRef, ok := c.paidQR(ref1)
	if !ok {
		return
	}
	k := cs.call
	k.path = inquiryPath(ref1, paidOn(transRef, c.r.now()))
	in := c.send(c.build(k))
	c.expectCase(in, cs)
	if in == nil || in.Status != http.StatusOK {
		return
	}
	obj, _ := in.value.(map[string]any)
	list, _ := obj["data"].([]any)
	first, _ := func() (map[string]any, bool) {
		if len(list) != 1 {
			return nil, false
		}
		m, ok := list[0].(map[string]any)
		return m, ok
	}()
	if first == nil || first["transactionId"] != transRef {
		c.add(in, errorf(RuleExpect, "$.data", "got %d transactions, want the one paid, %s", len(list), transRef))
	}
}

// inquiryPath is the inquiry of the QR 30 payments of ref1 on date (yyyy-MM-dd).
func inquiryPath(ref1, date string) string {
	q := url.Values{"eventCode": {"00300100"}, "transactionDate": {date}, "billerId": {emulatorBillerID}, "reference1": {ref1}}
	return pathInquiry + "?" + q.Encode()
}

// bangkok is the clock SCB dates payments with, GMT+7.
var bangkok = time.FixedZone("Asia/Bangkok", 7*60*60)

// paidOn returns the Bangkok date of the payment transRef names: the date it starts with, as
// SCB's do [seen], else now's, which is right unless midnight passed since.
func paidOn(transRef string, now time.Time) string {
	if len(transRef) >= 8 {
		if t, err := time.Parse("20060102", transRef[:8]); err == nil {
			return t.Format(time.DateOnly)
		}
	}
	return now.In(bangkok).Format(time.DateOnly)
}

// runTransaction creates a deeplink and reads its transaction: pending (statusCode 0), or, with
// paid, paid by the emulator first (statusCode 1, transactionMethod BP).
func runTransaction(paid bool) func(*caseRun, Case) {
	return func(c *caseRun, cs Case) {
		in := c.send(c.build(call{op: pathDeeplink, role: rolePlain}))
		c.expect(in, created1000, ok1000)
		id, _ := dataOf(in)["transactionId"].(string)
		if id == "" {
			return
		}
		if paid {
			if _, ok := c.pay(id); !ok {
				return
			}
		}
		k := cs.call
		k.path = pathTransaction + url.PathEscape(id)
		in = c.send(c.build(k))
		c.expectCase(in, cs)
		if in == nil || in.Status != http.StatusOK {
			return
		}
		c.want(in, "transactionId", id)
		if paid {
			c.want(in, "statusCode", 1)
			c.want(in, "transactionMethod", "BP")
		} else {
			c.want(in, "statusCode", 0)
		}
	}
}

// created1000 is a creation's success.
var created1000 = outcome{status: 201, code: 1000}

// paymentSkipReason says why the payment case c cannot run against this target, or "".
func (c Case) paymentSkipReason(r *runner) string {
	p := r.payments()
	_, canPay := r.cfg.Emulator.(PaymentEmulator)
	needBiller := c.needs == needsBiller || c.needs == needsBillerMerchant
	needMerchant := c.needs == needsMerchant || c.needs == needsBillerMerchant
	switch {
	case needBiller && p.BillerID == "":
		return "needs a biller id of the application: set Config.Payments.BillerID (15 digits)"
	case needMerchant && (p.MerchantID == "" || p.TerminalID == ""):
		return "needs a QR CS merchant of the application: set Config.Payments.MerchantID and TerminalID"
	case c.needs == needsPayer && !canPay:
		return "needs an emulator that simulates payments (contract.PaymentEmulator)"
	}
	return ""
}

// freshReference returns a bill reference no earlier run used: 20 of A-Z and 0-9.
func freshReference() string {
	return strings.ToUpper(strings.ReplaceAll(uuid.NewString(), "-", ""))[:20]
}
