package sandbox

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// The payment paths the emulator serves (openapi.yaml, tag Payments). The slip and transaction
// paths end with an id.
const (
	pathQRCode            = "/v1/payment/qrcode/create"
	pathSlipPrefix        = "/v1/payment/billpayment/transactions/"
	pathInquiry           = "/v1/payment/billpayment/inquiry"
	pathDeeplink          = "/v3/deeplink/transactions"
	pathTransactionPrefix = "/v2/transactions/"
)

// The payment operations, after the OAuth ones.
const (
	opQRCode operation = opConsent + 1 + iota
	opSlip
	opInquiry
	opDeeplink
	opTransaction
)

var (
	routeQRCode      = &route{opQRCode, http.MethodPost, true}
	routeSlip        = &route{opSlip, http.MethodGet, true}
	routeInquiry     = &route{opInquiry, http.MethodGet, true}
	routeDeeplink    = &route{opDeeplink, http.MethodPost, true}
	routeTransaction = &route{opTransaction, http.MethodGet, true}
)

// lookupPaymentRoute returns the route of a payment path, or nil. An id is one non-empty path
// segment, as the generated router's {transRef} and {transactionId} match it.
func lookupPaymentRoute(path string) *route {
	switch path {
	case pathQRCode:
		return routeQRCode
	case pathInquiry:
		return routeInquiry
	case pathDeeplink:
		return routeDeeplink
	}
	if id, ok := strings.CutPrefix(path, pathSlipPrefix); ok && id != "" && !strings.Contains(id, "/") {
		return routeSlip
	}
	if id, ok := strings.CutPrefix(path, pathTransactionPrefix); ok && id != "" && !strings.Contains(id, "/") {
		return routeTransaction
	}
	return nil
}

// How long the emulator keeps payment records [decision: SCB does not say]. Each store is bounded
// like the OAuth ones (entries and bytes), so a flood of QRs is forgotten rather than kept.
const (
	// QRLifetime is how long a created QR 30 (qrType PP) stays payable; a QR CS (CS, PPCS) stays
	// payable until its csExtExpiryTime.
	QRLifetime = 24 * time.Hour
	// DeeplinkLifetime is how long a deeplink without a session limit stays payable.
	DeeplinkLifetime = 24 * time.Hour
	// PaymentRetention is how long a deeplink transaction and a paid bill payment stay visible
	// to GET /v2/transactions, slip verification and the inquiry, from their creation.
	PaymentRetention = 7 * 24 * time.Hour
)

// PaymentMethod is how a simulated payment was paid.
type PaymentMethod string

// The ways a customer pays.
const (
	MethodQR30        PaymentMethod = "QR30"  // PromptPay bill payment of a QR 30 (qrType PP, or PPCS)
	MethodCard        PaymentMethod = "QRCS"  // a card payment of a QR CS (qrType CS, or PPCS)
	MethodBillPayment PaymentMethod = "BP"    // a deeplink's bill payment in the SCB app
	MethodCreditCard  PaymentMethod = "CCFA"  // a deeplink's credit card full amount
	MethodInstallment PaymentMethod = "CCIPP" // a deeplink's instalment plan
)

// Payer is the customer of a simulated payment. Zero fields take the sandbox customer's values.
type Payer struct {
	Name          string // "Sandbox Customer"
	BankCode      string // the sending bank, "014" (SCB)
	ProxyType     string // "MSISDN"
	ProxyValue    string // "0812345678"
	AccountNumber string // "1234567890"
	// Method chooses how to pay: for a PPCS QR, MethodQR30 (the default) or MethodCard; for a
	// deeplink, one of its transactionSubType (default the first).
	Method PaymentMethod
}

// withDefaults returns p with the sandbox customer's values for its zero fields.
func (p Payer) withDefaults() Payer {
	p.Name = cmp.Or(p.Name, "Sandbox Customer")
	p.BankCode = cmp.Or(p.BankCode, "014")
	p.ProxyType = cmp.Or(p.ProxyType, "MSISDN")
	p.ProxyValue = cmp.Or(p.ProxyValue, "0812345678")
	p.AccountNumber = cmp.Or(p.AccountNumber, "1234567890")
	return p
}

// Payment is a payment the emulator simulated: what its answers report of it (and what a
// payment confirmation would carry).
type Payment struct {
	// Application is the name of the application whose QR or deeplink was paid.
	Application string
	// Method is how it was paid.
	Method PaymentMethod
	// TransRef is the id of the bill payment (methods QR30 and BP): the slip's transRef for
	// GET /v1/payment/billpayment/transactions/{transRef}. Empty for card payments.
	TransRef string
	// TransactionID is the payment confirmation's transactionId: the TransRef of a bill
	// payment, an id of the same form for a card payment.
	TransactionID string
	// Deliveries are the ids of the deliveries of its payment confirmation (see Delivery):
	// none when the application has no callback URL, two with the duplicate fault.
	Deliveries []string
	// QRCodeID is the qrcodeId of a QR CS (QR payments of type CS or PPCS).
	QRCodeID string
	// DeeplinkID is the deeplink's transactionId (deeplink payments).
	DeeplinkID string
	// AmountSatang is the amount paid, in satang (hundredths of a baht).
	AmountSatang int64
	// PaidAt is when it was paid, by the emulator's clock.
	PaidAt time.Time
	// The bill's references (QR 30 and bill payments).
	BillerID, Ref1, Ref2, Ref3 string
	// The card payment's references (QR CS).
	MerchantID, TerminalID, Invoice string
	// The payee: the application's name and the sandbox's account [seen: "0987654321"].
	PayeeName, PayeeAccount string
	// Payer is who paid, with the defaults filled in.
	Payer Payer
}

// Errors of SimulatePayment.
var (
	// ErrUnknownPayment: no QR or deeplink was created with this target, or it was forgotten
	// (see QRLifetime).
	ErrUnknownPayment = errors.New("sandbox: no QR or deeplink with this qrRawData, transactionId or deeplinkUrl")
	// ErrPaymentExpired: the QR or deeplink is past its expiry.
	ErrPaymentExpired = errors.New("sandbox: the QR or deeplink has expired")
	// ErrAlreadyPaid: the QR or deeplink was paid already; each is payable once [decision].
	ErrAlreadyPaid = errors.New("sandbox: the QR or deeplink was paid already")
	// ErrPaymentMethod: Payer.Method is not a way to pay this QR or deeplink.
	ErrPaymentMethod = errors.New("sandbox: the payment method does not apply to this QR or deeplink")
	// ErrInvalidPayer: a field of the Payer is longer than MaxPayerField bytes or has a control
	// or format character; the emulator's answers show them.
	ErrInvalidPayer = errors.New("sandbox: a payer field is too long or not printable")
)

// MaxPayerField bounds each field of a Payer, in bytes.
const MaxPayerField = 64

// problem reports whether a field of p is too long or not printable.
func (p Payer) problem() bool {
	for _, f := range [...]string{p.Name, p.BankCode, p.ProxyType, p.ProxyValue, p.AccountNumber, string(p.Method)} {
		if len(f) > MaxPayerField || !printable(f) {
			return true
		}
	}
	return false
}

// payeeAccount is the account the sandbox pays bills into [seen: the sandbox's answers].
const payeeAccount = "0987654321"

// payment is a created QR or deeplink, and once paid, its payment. It lives in a store's grant,
// behind s.mu.
type payment struct {
	app     *app
	created time.Time
	payBy   time.Time // it cannot be paid from then on
	paid    *Payment  // nil while pending

	// A QR: its type and what its raw data encodes.
	qrType, qrRaw, qrID string
	// A deeplink: its id, sub types and session limit (seconds).
	deeplinkID, userRefID string
	subTypes              []string
	validity              int64

	amount                                             int64 // satang
	billerID, ref1, ref2, ref3, accountFrom            string
	merchantID, terminalID, invoice, note, userDefined string
}

// size approximates the bytes a payment holds, for the stores' byte bound, the room for its
// payment included: it must not change once the payment is stored.
func (p *payment) size() int {
	if p == nil {
		return 0
	}
	n := 768 + len(p.qrRaw) + len(p.qrID) + len(p.deeplinkID) + len(p.userRefID) + len(p.billerID) +
		len(p.ref1) + len(p.ref2) + len(p.ref3) + len(p.accountFrom) + len(p.merchantID) + len(p.terminalID) +
		len(p.invoice) + len(p.note) + len(p.userDefined)
	for _, t := range p.subTypes {
		n += 16 + len(t)
	}
	return n
}

// SimulatePayment pays the QR or deeplink target names, as the customer would in a banking app:
// target is the qrRawData of a created QR (what a phone scans), or the transactionId or
// deeplinkUrl of a created deeplink. A QR 30 or a deeplink's bill payment becomes a bill payment
// that slip verification and the inquiry then find, under the returned TransRef; a deeplink's
// transaction reads as paid (statusCode 1). Each QR and deeplink is payable once, until it
// expires; the errors are ErrUnknownPayment, ErrPaymentExpired, ErrAlreadyPaid,
// ErrPaymentMethod and ErrInvalidPayer.
//
// When the application has a callback URL, the payment confirmation is then posted there, as
// SCB posts it (see DeliveryPolicy); SimulatePaymentWith adds faults to that delivery.
func (s *Server) SimulatePayment(target string, payer Payer) (Payment, error) {
	return s.SimulatePaymentWith(target, payer, DeliveryFaults{})
}

// SimulatePaymentWith is SimulatePayment with faults of the delivery of its payment
// confirmation. Its errors are SimulatePayment's, and ErrDeliveryFaults for faults out of
// their bounds.
func (s *Server) SimulatePaymentWith(target string, payer Payer, faults DeliveryFaults) (Payment, error) {
	if err := faults.check(); err != nil {
		return Payment{}, err
	}
	pay, a, err := s.pay(target, payer)
	if err != nil {
		return Payment{}, err
	}
	pay.Deliveries = s.delivery.schedule(s, &pay, a, faults)
	return pay, nil
}

// pay pays target as payer: the payment and its application.
func (s *Server) pay(target string, payer Payer) (Payment, *app, error) {
	if payer.problem() {
		return Payment{}, nil, ErrInvalidPayer
	}
	now := s.now()
	ref := s.next() // outside the lock: the generator is the caller's code
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.pending(target, now)
	if err != nil {
		return Payment{}, nil, err
	}
	pay, err := p.settle(payer.withDefaults(), now, ref)
	if err != nil {
		return Payment{}, nil, err
	}
	p.paid = &pay
	if pay.TransRef != "" {
		s.store(&s.slips, pay.TransRef, grant{app: p.app, expires: p.created.Add(PaymentRetention), pay: p}, now)
	}
	return pay, p.app, nil
}

// pending returns the payable QR or deeplink target names. s.mu is held.
func (s *Server) pending(target string, now time.Time) (*payment, error) {
	g, ok := s.qrs.m[target]
	if !ok {
		g, ok = s.deeplinks.m[strings.TrimPrefix(target, deeplinkPrefix)]
	}
	switch {
	case !ok || g.pay == nil:
		return nil, ErrUnknownPayment
	case g.pay.paid != nil:
		return nil, ErrAlreadyPaid
	case !now.Before(g.pay.payBy):
		return nil, ErrPaymentExpired
	}
	return g.pay, nil
}

// settle returns the payment of p by payer at now; ref seeds its transRef.
func (p *payment) settle(payer Payer, now time.Time, ref string) (Payment, error) {
	method, err := p.method(payer.Method)
	if err != nil {
		return Payment{}, err
	}
	payer.Method = method
	pay := Payment{
		Application: p.app.Name, Method: method, QRCodeID: p.qrID, DeeplinkID: p.deeplinkID,
		AmountSatang: p.amount, PaidAt: now, BillerID: p.billerID, Ref1: p.ref1, Ref2: p.ref2, Ref3: p.ref3,
		MerchantID: p.merchantID, TerminalID: p.terminalID, Invoice: p.invoice,
		PayeeName: p.app.Name, PayeeAccount: payeeAccount, Payer: payer,
	}
	pay.TransactionID = transRef(now, ref)
	if method == MethodQR30 || method == MethodBillPayment {
		pay.TransRef = pay.TransactionID
	}
	return pay, nil
}

// method resolves the payer's choice of method for p.
func (p *payment) method(want PaymentMethod) (PaymentMethod, error) {
	var allowed []PaymentMethod
	switch p.qrType {
	case qrPromptPay:
		allowed = []PaymentMethod{MethodQR30}
	case qrCard:
		allowed = []PaymentMethod{MethodCard}
	case qrBoth:
		allowed = []PaymentMethod{MethodQR30, MethodCard}
	default:
		for _, t := range p.subTypes {
			allowed = append(allowed, PaymentMethod(t))
		}
	}
	if want == "" {
		return allowed[0], nil
	}
	for _, m := range allowed {
		if m == want {
			return m, nil
		}
	}
	return "", ErrPaymentMethod
}

// transRef returns a slip id as SCB's look [seen: "202005184XOpuqz4T8KoRWt"]: the Bangkok date,
// then 15 letters and digits derived from seed.
func transRef(now time.Time, seed string) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	h := sha256.Sum256([]byte(seed))
	b := make([]byte, 0, 23)
	b = now.In(bangkok).AppendFormat(b, "20060102")
	for _, c := range h[:15] {
		b = append(b, alphabet[int(c)%len(alphabet)])
	}
	return string(b)
}

// bangkok is Thailand's time, GMT+7 all year (no daylight saving), in which SCB writes most
// times.
var bangkok = time.FixedZone("Asia/Bangkok", 7*60*60)

// payments is the state of the payment calls: the payment records, each store bounded and
// swept like the OAuth ones, behind Server.mu. (The access tokens the Bearer check looks up are
// Server.tokens.)
type payments struct {
	qrs       store         // created QRs by qrRawData
	deeplinks store         // deeplink transactions by transactionId
	slips     store         // paid bill payments by transRef
	qrSeq     atomic.Uint64 // the sequence in QR CS ids
}

// sweepPayments sweeps the payment stores of the entries expired at now. s.mu is held.
func (s *Server) sweepPayments(now time.Time) {
	s.qrs.sweep(now)
	s.deeplinks.sweep(now)
	s.slips.sweep(now)
}

// resetPayments forgets every payment record. s.mu is held.
func (s *Server) resetPayments() {
	s.qrs, s.deeplinks, s.slips = store{}, store{}, store{}
}

// CompletePayment is SimulatePayment by the sandbox customer for tools that drive the emulator
// (contract.PaymentEmulator): it pays target and returns the bill payment's transRef ("" for a
// card payment).
func (s *Server) CompletePayment(_ context.Context, target string) (transRef string, err error) {
	p, err := s.SimulatePayment(target, Payer{})
	return p.TransRef, err
}
