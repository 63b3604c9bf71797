package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"
	"unicode/utf8"
)

// PaymentConfirmation is SCB's payment confirmation of one payment, as
// ParsePaymentConfirmation reads it and a ConfirmationReceiver hands it to your function
// (openapi.yaml, schema PaymentConfirmation: SCB's field names are in the comments). Texts SCB
// did not send are empty. Every text has been checked: at most 256 bytes of UTF-8 without
// control or invisible characters.
type PaymentConfirmation struct {
	// TransactionID identifies the payment (transactionId): the slip's transRef of a QR 30 or
	// bill payment. SCB may send a confirmation several times; process each TransactionID once.
	TransactionID string
	// Amount is the amount paid (amount, sent as text or a JSON number).
	Amount Amount
	// PaidAt is when the customer paid (transactionDateandTime), in Bangkok. SCB writes it on
	// Bangkok's clock, or in GMT for a QR CS; a time without an offset is read on that clock.
	PaidAt time.Time
	// CurrencyCode is "764", the baht (currencyCode).
	CurrencyCode string
	// TransactionType is "Domestic Transfer" for QR 30 and bill payments, "AUTH" for card and
	// wallet payments (transactionType).
	TransactionType string
	// ChannelCode is the channel paid through (channelCode): "PMH" for a QR 30, the card scheme
	// for a QR CS.
	ChannelCode string

	// BillerID is the biller paid (payeeProxyId), for a QR 30 or a deeplink's bill payment.
	BillerID string
	// Ref1, Ref2 and Ref3 are the bill's references (billPaymentRef1..3).
	Ref1, Ref2, Ref3 string
	// Payee is the merchant and Payer the customer of a bill payment.
	Payee, Payer ConfirmationParty

	// The card payment (QR CS, a deeplink's CCFA or CCIPP): qrId, merchantId, terminalId,
	// invoice, note, paymentMethod ("QRCS"), merchantPAN, consumerPAN (masked), traceNo,
	// authorizeCode.
	QRID, MerchantID, TerminalID, Invoice, Note, PaymentMethod string
	MerchantPAN, ConsumerPAN, TraceNo, AuthorizeCode           string
	// An instalment plan's tenor, ippType and productCode (CCIPP).
	Tenor, IPPType, ProductCode string

	// Fields seen in some confirmations: eventCode, reverseFlag ("R": refunded),
	// fastEasySlipNumber, equivalentAmount and its equivalentCurrencyCode, exchangeRate,
	// partnerTransactionId, tepaCode.
	EventCode, ReverseFlag, FastEasySlipNumber string
	EquivalentAmount                           Amount
	EquivalentCurrencyCode, ExchangeRate       string
	PartnerTransactionID, TepaCode             string

	// Body is the confirmation as SCB sent it, for your records (it has no secret of yours).
	Body []byte
}

// ConfirmationParty is the payee or the payer of a bill payment.
type ConfirmationParty struct {
	Name          string // payeeName, payerName
	ProxyID       string // payeeProxyId (the biller id), payerProxyId
	ProxyType     string // "BILLERID"; "ACCOUNT" or "MSISDN"
	AccountNumber string // payeeAccountNumber, payerAccountNumber
	BankCode      string // receivingBankCode, sendingBankCode ("014" is SCB)
}

// Bounds of a payment confirmation [decision; openapi.yaml].
const (
	maxConfirmationText = 256 // bytes of a text
	maxTransactionID    = 128 // bytes of a transactionId: visible ASCII
)

// ErrInvalidConfirmation is matched by the error of ParsePaymentConfirmation: the body is not
// a payment confirmation.
var ErrInvalidConfirmation = errors.New("api: invalid payment confirmation")

// confirmationError says what is wrong with a body, never quoting it.
type confirmationError struct{ problem string }

func (e *confirmationError) Error() string        { return ErrInvalidConfirmation.Error() + ": " + e.problem }
func (e *confirmationError) Is(target error) bool { return target == ErrInvalidConfirmation }

// timePattern is the form of transactionDateandTime (openapi.yaml): ISO 8601 to the second,
// fractional seconds and the offset optional.
var timePattern = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})?$`)

// ParsePaymentConfirmation reads a payment confirmation SCB posted: a JSON object with
// transactionId (1 to 128 visible ASCII characters), amount (text or a number, at most two
// decimals) and transactionDateandTime (ISO 8601), and texts in the other fields SCB sends;
// fields it does not know are ignored, as SCB may add some. Keys are matched exactly, as JSON
// is (encoding/json would also take "TRANSACTIONID"). Anything else is an error matching
// ErrInvalidConfirmation that names the field and never quotes the body.
//
// It does not tell whether SCB sent the body: SCB signs nothing. Confirm a payment through
// Client.VerifySlip or Client.InquireBillPayment before you hand anything over.
func ParsePaymentConfirmation(body []byte) (*PaymentConfirmation, error) {
	if !looksJSON(body) {
		return nil, &confirmationError{"not a JSON object"}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, &confirmationError{jsonProblem(err, len(body)).Error()}
	}
	c := &PaymentConfirmation{Body: bytes.Clone(body)}
	var r reader
	c.TransactionID = confirmationID(&r, fields["transactionId"])
	c.Amount = r.amount("amount", fields["amount"], true)
	for _, f := range c.texts() {
		if raw, ok := fields[f.key]; ok {
			*f.dst = confirmationText(&r, f.key, raw)
		}
	}
	if raw, ok := fields["equivalentAmount"]; ok {
		c.EquivalentAmount = r.amount("equivalentAmount", raw, true) // null is not an amount
	}
	c.PaidAt = confirmationTime(&r, fields["transactionDateandTime"], c.PaymentMethod == "QRCS")
	if r.problem != "" {
		return nil, &confirmationError{r.problem}
	}
	return c, nil
}

// textField is a text field of a confirmation: its key and where a PaymentConfirmation keeps it.
type textField struct {
	key string
	dst *string
}

// texts returns the text fields of a confirmation, in the order of openapi.yaml, so that the
// first problem of a body is always the same.
func (c *PaymentConfirmation) texts() []textField {
	return []textField{
		{"currencyCode", &c.CurrencyCode}, {"transactionType", &c.TransactionType},
		{"payeeProxyId", &c.BillerID}, {"payeeProxyType", &c.Payee.ProxyType}, {"payeeAccountNumber", &c.Payee.AccountNumber},
		{"payeeName", &c.Payee.Name}, {"payerProxyId", &c.Payer.ProxyID}, {"payerProxyType", &c.Payer.ProxyType},
		{"payerAccountNumber", &c.Payer.AccountNumber}, {"payerName", &c.Payer.Name}, {"sendingBankCode", &c.Payer.BankCode},
		{"receivingBankCode", &c.Payee.BankCode}, {"billPaymentRef1", &c.Ref1}, {"billPaymentRef2", &c.Ref2},
		{"billPaymentRef3", &c.Ref3}, {"channelCode", &c.ChannelCode}, {"eventCode", &c.EventCode},
		{"reverseFlag", &c.ReverseFlag}, {"fastEasySlipNumber", &c.FastEasySlipNumber},
		{"equivalentCurrencyCode", &c.EquivalentCurrencyCode}, {"exchangeRate", &c.ExchangeRate},
		{"partnerTransactionId", &c.PartnerTransactionID}, {"tepaCode", &c.TepaCode}, {"qrId", &c.QRID},
		{"merchantId", &c.MerchantID}, {"terminalId", &c.TerminalID}, {"merchantPAN", &c.MerchantPAN},
		{"consumerPAN", &c.ConsumerPAN}, {"traceNo", &c.TraceNo}, {"authorizeCode", &c.AuthorizeCode},
		{"paymentMethod", &c.PaymentMethod}, {"invoice", &c.Invoice}, {"note", &c.Note}, {"tenor", &c.Tenor},
		{"ippType", &c.IPPType}, {"productCode", &c.ProductCode},
	}
}

// confirmationText reads a text field: a JSON string (null counts as absent) of at most
// maxConfirmationText bytes without control or invisible characters.
func confirmationText(r *reader, key string, raw json.RawMessage) string {
	var s *string
	if json.Unmarshal(raw, &s) != nil {
		r.fail(key, "is not a JSON string")
		return ""
	}
	switch {
	case s == nil:
		return ""
	case len(*s) > maxConfirmationText:
		r.fail(key, "longer than %d bytes", maxConfirmationText)
		return ""
	}
	return r.text(key, *s, false)
}

// confirmationID reads transactionId: 1 to maxTransactionID visible ASCII characters.
func confirmationID(r *reader, raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil || s == "" {
		r.fail("transactionId", "missing, empty or not a JSON string")
		return ""
	}
	if !ValidClaimID(s) {
		r.fail("transactionId", "is not 1 to %d visible ASCII characters", maxTransactionID)
		return ""
	}
	return s
}

// confirmationTime reads transactionDateandTime: ISO 8601 with or without an offset; without
// one, on GMT for a QR CS (gmt) and Bangkok's clock otherwise [doc]. It returns the time in
// Bangkok.
func confirmationTime(r *reader, raw json.RawMessage, gmt bool) time.Time {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil || !utf8.ValidString(s) || !timePattern.MatchString(s) {
		r.fail("transactionDateandTime", "missing, or not an ISO 8601 time such as 2023-07-26T17:31:12+07:00")
		return time.Time{}
	}
	zone := Bangkok
	if gmt {
		zone = time.UTC
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t, err = time.ParseInLocation("2006-01-02T15:04:05.999999999", s, zone)
	}
	if err != nil {
		r.fail("transactionDateandTime", "is not a valid date and time")
		return time.Time{}
	}
	return t.In(Bangkok)
}

// String describes c by its id, amount and time, for logs.
func (c *PaymentConfirmation) String() string {
	return fmt.Sprintf("payment confirmation %s: %s baht at %s", c.TransactionID, c.Amount, c.PaidAt.Format(time.RFC3339))
}
