package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/scboauth/scboauth/generated"
)

// The payment operations of the generated strict server interface. The middleware has checked
// the token, the parameters and the body's schema (payments_check.go); what is left is what a
// schema cannot say, and the state.

// QR types, as qrType spells them.
const (
	qrPromptPay = "PP"
	qrCard      = "CS"
	qrBoth      = "PPCS"
)

// deeplinkPrefix starts a deeplinkUrl in the sandbox [seen].
const deeplinkPrefix = "scbeasysim://purchase/"

// defaultCardQRMinutes is a QR CS's lifetime when csExtExpiryTime is absent [seen].
const defaultCardQRMinutes = 15

// maxQRAmountDigits and maxDeeplinkAmountDigits bound the baht digits of an amount: 13
// characters with the point and two decimals [seen], Decimal(14,2) [seen].
const (
	maxQRAmountDigits       = 10
	maxDeeplinkAmountDigits = 12
)

// CreateQRCode creates a QR 30, a QR CS or both, kept payable until it expires.
func (o operations) CreateQRCode(ctx context.Context, req generated.CreateQRCodeRequestObject) (generated.CreateQRCodeResponseObject, error) {
	s, b, a := o.s, req.Body, appOf(ctx)
	raw, _ := b.Amount.MarshalJSON()
	amount, ok := parseAmount(strings.Trim(string(raw), `"`), maxQRAmountDigits)
	if !ok {
		return forApp{errInvalidParams, a.Name}, nil
	}
	now := s.now()
	p := &payment{app: a, created: now, payBy: now.Add(QRLifetime), qrType: string(b.QrType), amount: amount}
	if p.qrType != qrCard {
		p.billerID, p.ref1, p.ref2, p.ref3 = deref(b.PpId), deref(b.Ref1), deref(b.Ref2), deref(b.Ref3)
	}
	if p.qrType != qrPromptPay {
		minutes := defaultCardQRMinutes
		if b.CsExtExpiryTime != nil {
			raw, _ := b.CsExtExpiryTime.MarshalJSON()
			minutes, _ = strconv.Atoi(strings.Trim(string(raw), `"`)) // 1 to 9999: the schema said so
		}
		p.payBy = now.Add(time.Duration(minutes) * time.Minute)
		p.merchantID, p.terminalID, p.invoice = deref(b.MerchantId), deref(b.TerminalId), deref(b.Invoice)
		p.note, p.userDefined = deref(b.CsNote), deref(b.CsUserDefined)
		p.qrID = now.In(bangkok).Format("20060102150405") + fmt.Sprintf("%09d", s.qrSeq.Add(1)%1e9)
	}
	p.qrRaw = emvQR(qrFields{billerID: p.billerID, ref1: p.ref1, ref2: p.ref2, ref3: p.ref3,
		merchantID: p.merchantID, terminalID: p.terminalID, qrID: p.qrID, amount: amount})
	s.mu.Lock()
	s.store(&s.qrs, p.qrRaw, grant{app: a, expires: p.payBy, pay: p}, now)
	s.mu.Unlock()
	return paymentAnswer{app: a.Name, data: qrCodeData(p)}, nil
}

// VerifySlip answers the bill payment whose slip id is transRef, if the application's and
// paid from sendingBank.
func (o operations) VerifySlip(ctx context.Context, req generated.VerifySlipRequestObject) (generated.VerifySlipResponseObject, error) {
	s, a := o.s, appOf(ctx)
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.slips.m[req.TransRef]
	if !ok || g.app != a || !now.Before(g.expires) || g.pay.paid.Payer.BankCode != req.Params.SendingBank {
		return forApp{errPaymentNotFound, a.Name}, nil
	}
	return paymentAnswer{app: a.Name, data: slipData(g.pay)}, nil
}

// InquireBillPayment answers the application's paid bill payments to billerId with reference1
// on transactionDate (Bangkok), and reference2 and amount when given; none for My Prompt QR,
// which the emulator does not simulate.
func (o operations) InquireBillPayment(ctx context.Context, req generated.InquireBillPaymentRequestObject) (generated.InquireBillPaymentResponseObject, error) {
	s, a, q := o.s, appOf(ctx), req.Params
	found := []billPaymentData{}
	switch q.EventCode {
	case generated.EventCodeMyPromptQR:
		if q.PartnerTransactionId == nil {
			return forApp{errMissingParams, a.Name}, nil
		}
	case generated.EventCodeQR30:
		if q.BillerId == nil || q.Reference1 == nil {
			return forApp{errMissingParams, a.Name}, nil
		}
		var amount int64
		if q.Amount != nil {
			amount, _ = parseAmount(*q.Amount, 13) // the parameter's pattern held
		}
		found = s.findBillPayments(a, q, amount)
	default:
		return forApp{errInvalidParams, a.Name}, nil
	}
	return paymentAnswer{app: a.Name, data: found}, nil
}

// findBillPayments returns the application's paid bill payments that q (an inquiry of event
// code 00300100) matches, in the order they were paid.
func (s *Server) findBillPayments(a *app, q generated.InquireBillPaymentParams, amount int64) []billPaymentData {
	now := s.now()
	var pays []*payment
	s.mu.Lock()
	for _, g := range s.slips.m {
		p := g.pay
		switch {
		case g.app != a || !now.Before(g.expires) || p.billerID != *q.BillerId || p.ref1 != *q.Reference1,
			p.paid.PaidAt.In(bangkok).Format(time.DateOnly) != q.TransactionDate,
			q.Reference2 != nil && p.ref2 != *q.Reference2,
			amount != 0 && p.amount != amount:
			continue
		}
		pays = append(pays, p)
	}
	s.mu.Unlock()
	slices.SortFunc(pays, func(x, y *payment) int { return x.paid.PaidAt.Compare(y.paid.PaidAt) })
	found := make([]billPaymentData, len(pays))
	for i, p := range pays {
		found[i] = billPaymentOf(p)
	}
	return found
}

// CreateDeeplink records a transaction the SCB app can pay, and answers 201 with its deeplink.
func (o operations) CreateDeeplink(ctx context.Context, req generated.CreateDeeplinkRequestObject) (generated.CreateDeeplinkResponseObject, error) {
	s, b, a := o.s, req.Body, appOf(ctx)
	now := s.now()
	p, e := newDeeplink(b, a, now)
	if e != nil {
		return forApp{e, a.Name}, nil
	}
	id := uuid.NewSHA1(uuid.NameSpaceURL, []byte(s.next())).String()
	p.deeplinkID = id
	owner := sha256.Sum256([]byte(req.Params.ResourceOwnerId))
	p.userRefID = "l7" + hex.EncodeToString(owner[:16])
	s.mu.Lock()
	s.store(&s.deeplinks, id, grant{app: a, expires: now.Add(PaymentRetention), pay: p}, now)
	s.mu.Unlock()
	return paymentAnswer{app: a.Name, created: true, data: deeplinkData{TransactionID: id, DeeplinkURL: deeplinkPrefix + id, UserRefID: p.userRefID}}, nil
}

// newDeeplink checks what the schema cannot (each sub type's object, amounts, the session limit)
// and returns the pending transaction.
func newDeeplink(b *generated.DeeplinkRequest, a *app, now time.Time) (*payment, *apiError) {
	p := &payment{app: a, created: now, payBy: now.Add(DeeplinkLifetime)}
	for _, t := range b.TransactionSubType {
		p.subTypes = append(p.subTypes, string(t))
		var amount generated.DeeplinkAmount
		switch t {
		case generated.TransactionSubTypeBillPayment:
			if b.BillPayment == nil {
				return nil, errMissingParams
			}
			bp := b.BillPayment
			amount, p.billerID, p.ref1, p.ref2, p.ref3, p.accountFrom = bp.PaymentAmount, bp.AccountTo, bp.Ref1, deref(bp.Ref2), deref(bp.Ref3), deref(bp.AccountFrom)
		case generated.TransactionSubTypeCreditCard:
			if b.CreditCardFullAmount == nil {
				return nil, errMissingParams
			}
			amount, p.merchantID, p.invoice = b.CreditCardFullAmount.PaymentAmount, b.CreditCardFullAmount.MerchantId, b.CreditCardFullAmount.OrderReference
		case generated.TransactionSubTypeInstallment:
			if b.InstallmentPaymentPlan == nil {
				return nil, errMissingParams
			}
			amount, p.merchantID, p.invoice = b.InstallmentPaymentPlan.PaymentAmount, b.InstallmentPaymentPlan.MerchantId, b.InstallmentPaymentPlan.OrderReference
		}
		v, ok := parseAmount(string(amount), maxDeeplinkAmountDigits)
		if !ok || p.amount != 0 && p.amount != v {
			return nil, errInvalidParams // [decision] one amount per transaction
		}
		p.amount = v
	}
	switch v := b.SessionValidityPeriod; {
	case v != nil && *v > 0 && *v < 60:
		return nil, errInvalidParams
	case v != nil && *v > 0:
		p.validity = int64(*v)
		p.payBy = now.Add(time.Duration(*v) * time.Second)
	case b.SessionValidUntil != nil:
		// [decision] "considered as GMT+7": the Bangkok wall clock written as if it were UTC.
		until := time.Unix(*b.SessionValidUntil-7*60*60, 0)
		if d := until.Sub(now); d < time.Minute || d > 30*time.Minute {
			return nil, errInvalidParams
		}
		p.payBy = until
	}
	return p, nil
}

// GetTransaction answers a deeplink's transaction of the application: pending (0), paid (1) or
// expired (5).
func (o operations) GetTransaction(ctx context.Context, req generated.GetTransactionRequestObject) (generated.GetTransactionResponseObject, error) {
	s, a := o.s, appOf(ctx)
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.deeplinks.m[req.TransactionId]
	if !ok || g.app != a || !now.Before(g.expires) {
		return forApp{errPaymentNotFound, a.Name}, nil
	}
	return paymentAnswer{app: a.Name, data: transactionOf(g.pay, now)}, nil
}

// paymentAnswer is the success of a payment call: SCB's envelope around data, 200, or 201 for a
// creation.
type paymentAnswer struct {
	app     string
	created bool
	data    any
}

func (p paymentAnswer) write(w http.ResponseWriter) error {
	status, desc := http.StatusOK, "Success"
	if p.created {
		status, desc = http.StatusCreated, "Deeplink successfully created"
	}
	body, err := json.Marshal(struct {
		Status generated.Status `json:"status"`
		Data   any              `json:"data"`
	}{generated.Status{Code: 1000, Description: desc}, p.data})
	if err != nil {
		return err
	}
	if x, ok := w.(*respWriter); ok {
		x.code, x.app = 1000, p.app
	}
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	_, err = w.Write(append(body, '\n'))
	return err
}
