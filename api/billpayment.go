package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/scboauth/scboauth/generated"
)

// Slip is a verified payment slip of a QR 30 bill payment
// (GET /v1/payment/billpayment/transactions/{transRef}).
type Slip struct {
	// TransRef is the slip's id, as asked for; SendingBank and ReceivingBank are the payer's and
	// payee's bank codes (BankSCB, "014", for SCB).
	TransRef, SendingBank, ReceivingBank string
	// PaidAt is when it was paid: SCB writes transDate and transTime on the Bangkok clock
	// without a zone [seen]; it is in Bangkok.
	PaidAt time.Time
	// Sender paid Receiver.
	Sender, Receiver Party
	// Amount is the amount paid; PaidLocalAmount in PaidLocalCurrency ("764", baht).
	Amount, PaidLocalAmount Amount
	PaidLocalCurrency       string
	// CountryCode is "TH".
	CountryCode string
	// Ref1, Ref2 and Ref3 are the bill's references, as the QR carried them.
	Ref1, Ref2, Ref3 string
}

// Party is the sender or receiver of a slip.
type Party struct {
	DisplayName, Name string
	// Proxy is how the party was addressed (type MSISDN, ACCOUNT, BILLERID...); Account its
	// account (type BANKAC). SCB may mask their values.
	Proxy, Account Identifier
}

// Identifier is a typed id: a proxy or an account of a Party.
type Identifier struct{ Type, Value string }

// VerifySlip returns the bill payment a slip's transRef names, paid from sendingBank (BankSCB
// for an SCB account): check a slip a customer shows before trusting it. An unknown slip
// matches ErrNotFound.
func (c *Client) VerifySlip(ctx context.Context, transRef, sendingBank string) (*Slip, error) {
	v := &checker{op: opVerifySlip}
	v.pattern("transRef", transRef, true, idPattern, "1 to 64 letters and digits")
	v.pattern("sendingBank", sendingBank, true, bankPattern, "a bank code of 3 digits, such as 014")
	if err := v.result(); err != nil {
		return nil, err
	}
	k := &call{op: opVerifySlip, idempotent: true}
	a, err := c.sendPayment(ctx, k, func(uid string, _ *bytes.Reader) (*http.Request, error) {
		return generated.NewVerifySlipRequest(c.base, transRef, &generated.VerifySlipParams{
			SendingBank: sendingBank, ResourceOwnerId: c.owner, RequestUId: uid, AcceptLanguage: c.lang,
		})
	})
	if err != nil {
		return nil, err
	}
	return c.decodeSlip(k, a)
}

// decodeSlip reads a slip verification's answer.
func (c *Client) decodeSlip(k *call, a *answer) (*Slip, error) {
	return decodeData(c, k, a, (*slipData).read)
}

type identifierData struct{ Type, Value string }

type partyData struct {
	DisplayName string         `json:"displayName"`
	Name        string         `json:"name"`
	Proxy       identifierData `json:"proxy"`
	Account     identifierData `json:"account"`
}

func (p *partyData) read(r *reader, path string) Party {
	return Party{
		DisplayName: r.text(path+".displayName", p.DisplayName, false), Name: r.text(path+".name", p.Name, false),
		Proxy:   Identifier{r.text(path+".proxy.type", p.Proxy.Type, false), r.text(path+".proxy.value", p.Proxy.Value, false)},
		Account: Identifier{r.text(path+".account.type", p.Account.Type, false), r.text(path+".account.value", p.Account.Value, false)},
	}
}

type slipData struct {
	TransRef          string          `json:"transRef"`
	SendingBank       string          `json:"sendingBank"`
	ReceivingBank     string          `json:"receivingBank"`
	TransDate         string          `json:"transDate"`
	TransTime         string          `json:"transTime"`
	Sender            partyData       `json:"sender"`
	Receiver          partyData       `json:"receiver"`
	Amount            json.RawMessage `json:"amount"`
	PaidLocalAmount   json.RawMessage `json:"paidLocalAmount"`
	PaidLocalCurrency string          `json:"paidLocalCurrency"`
	CountryCode       string          `json:"countryCode"`
	Ref1              string          `json:"ref1"`
	Ref2              string          `json:"ref2"`
	Ref3              string          `json:"ref3"`
}

func (d *slipData) read(r *reader) *Slip {
	s := &Slip{
		TransRef: r.text("data.transRef", d.TransRef, true), SendingBank: r.text("data.sendingBank", d.SendingBank, false),
		ReceivingBank: r.text("data.receivingBank", d.ReceivingBank, false),
		Sender:        d.Sender.read(r, "data.sender"), Receiver: d.Receiver.read(r, "data.receiver"),
		Amount: r.amount("data.amount", d.Amount, true), PaidLocalAmount: r.amount("data.paidLocalAmount", d.PaidLocalAmount, false),
		PaidLocalCurrency: r.text("data.paidLocalCurrency", d.PaidLocalCurrency, false), CountryCode: r.text("data.countryCode", d.CountryCode, false),
		Ref1: r.text("data.ref1", d.Ref1, false), Ref2: r.text("data.ref2", d.Ref2, false), Ref3: r.text("data.ref3", d.Ref3, false),
	}
	if d.TransDate == "" || d.TransTime == "" {
		r.fail("data.transDate", "or data.transTime missing or empty")
	} else {
		s.PaidAt = r.clock("data.transDate and transTime", "20060102 15:04:05", d.TransDate+" "+d.TransTime, true)
	}
	return s
}

// EventCode is the kind of payment the bill-payment inquiry looks up.
type EventCode string

// The kinds of payment the inquiry looks up [doc].
const (
	// EventQR30 is a Thai QR 30 payment: the customer scanned the partner's QR ("C scan B").
	EventQR30 EventCode = "00300100"
	// EventMyPromptQR is a My Prompt QR payment: the partner scanned the customer's QR ("B scan C").
	EventMyPromptQR EventCode = "00300104"
)

// BillPaymentQuery is what InquireBillPayment looks for: a QR 30's payments (BillerID and Ref1,
// optionally Ref2 and Amount), or a My Prompt QR payment (PartnerTransactionID), on Date.
type BillPaymentQuery struct {
	// Date is the day the payment was made, on the Bangkok clock: Date.In(Bangkok)'s date is
	// sent. Required.
	Date time.Time
	// BillerID (15 digits) and Ref1 (1 to 20 of A-Z and 0-9) find a QR 30's payments; Ref2 and
	// Amount narrow them.
	BillerID, Ref1, Ref2 string
	Amount               Amount
	// PartnerTransactionID (at most 35 bytes of visible ASCII) finds a My Prompt QR payment
	// instead; it excludes the QR 30 fields.
	PartnerTransactionID string
}

// BillPayment is a paid transaction the bill-payment inquiry found [seen: the field list of
// public clients; SCB's page is not public beyond its parameters].
type BillPayment struct {
	// TransactionID is the payment's id: the slip's transRef, and the payment confirmation's
	// transactionId.
	TransactionID string
	// EventCode is the kind of payment; TransactionType "Domestic Transfer" for QR 30.
	EventCode       EventCode
	TransactionType string
	// Reversed reports that SCB refunded the payment (reverseFlag "R").
	Reversed bool
	// PaidAt is when it was paid (transactionDateandTime, ISO 8601 with its offset); it is in
	// Bangkok.
	PaidAt time.Time
	// Amount in Currency ("764"); EquivalentAmount in EquivalentCurrency at ExchangeRate.
	Amount                           Amount
	Currency                         string
	EquivalentAmount                 Amount
	EquivalentCurrency, ExchangeRate string
	// Payee received from Payer.
	Payee, Payer BillParty
	// Ref1, Ref2 and Ref3 are the bill's references.
	Ref1, Ref2, Ref3 string
	// ChannelCode is how the customer paid ("PMH"); the others as SCB names them.
	ChannelCode, FastEasySlipNumber, PartnerTransactionID, TepaCode string
}

// BillParty is the payee or payer of a bill payment.
type BillParty struct {
	// ProxyID of ProxyType (BILLERID, MSISDN, ACCOUNT...), AccountNumber, Name and BankCode.
	ProxyID, ProxyType, AccountNumber, Name, BankCode string
}

// InquireBillPayment looks up the paid bill payments of a QR 30, or a My Prompt QR payment
// (GET /v1/payment/billpayment/inquiry): use it when a customer says they paid and no payment
// confirmation came. It returns an empty slice when nothing was paid [decision: SCB answers an
// empty list; the answer is not public].
func (c *Client) InquireBillPayment(ctx context.Context, q BillPaymentQuery) ([]BillPayment, error) {
	params, err := q.params()
	if err != nil {
		return nil, err
	}
	k := &call{op: opInquiry, idempotent: true}
	a, err := c.sendPayment(ctx, k, func(uid string, _ *bytes.Reader) (*http.Request, error) {
		p := *params
		p.ResourceOwnerId, p.RequestUId, p.AcceptLanguage = c.owner, uid, c.lang
		req, err := generated.NewInquireBillPaymentRequest(c.base, &p)
		if err == nil {
			req.Header.Set("Content-Type", "application/json") // listed as required [doc]
		}
		return req, err
	})
	if err != nil {
		return nil, err
	}
	return c.decodeBillPayments(k, a)
}

// decodeBillPayments reads an inquiry's answer.
func (c *Client) decodeBillPayments(k *call, a *answer) ([]BillPayment, error) {
	return decodeData(c, k, a, readBillPayments)
}

// params checks q and returns the query.
func (q BillPaymentQuery) params() (*generated.InquireBillPaymentParams, error) {
	v := &checker{op: opInquiry}
	if q.Date.IsZero() {
		v.fail("Date", "required")
	}
	p := &generated.InquireBillPaymentParams{TransactionDate: q.Date.In(Bangkok).Format(time.DateOnly)}
	if q.PartnerTransactionID != "" {
		p.EventCode, p.PartnerTransactionId = generated.EventCode(EventMyPromptQR), &q.PartnerTransactionID
		v.token("PartnerTransactionID", q.PartnerTransactionID, true, 35)
		v.unused("BillerID", q.BillerID != "" || q.Ref1 != "" || q.Ref2 != "" || q.Amount != 0, "with PartnerTransactionID (a My Prompt QR)")
	} else {
		p.EventCode, p.BillerId, p.Reference1 = generated.EventCode(EventQR30), &q.BillerID, &q.Ref1
		v.pattern("BillerID", q.BillerID, true, billerIDPattern, "15 digits")
		v.reference("Ref1", q.Ref1, true)
		v.reference("Ref2", q.Ref2, false)
		if q.Ref2 != "" {
			p.Reference2 = &q.Ref2
		}
		if q.Amount != 0 {
			v.amount("Amount", q.Amount, MaxAmount)
			s := q.Amount.String()
			p.Amount = &s
		}
	}
	return p, v.result()
}

type billPaymentData struct {
	EventCode              string          `json:"eventCode"`
	TransactionType        string          `json:"transactionType"`
	ReverseFlag            string          `json:"reverseFlag"`
	PayeeProxyID           string          `json:"payeeProxyId"`
	PayeeProxyType         string          `json:"payeeProxyType"`
	PayeeAccountNumber     string          `json:"payeeAccountNumber"`
	PayeeName              string          `json:"payeeName"`
	PayerProxyID           string          `json:"payerProxyId"`
	PayerProxyType         string          `json:"payerProxyType"`
	PayerAccountNumber     string          `json:"payerAccountNumber"`
	PayerName              string          `json:"payerName"`
	SendingBankCode        string          `json:"sendingBankCode"`
	ReceivingBankCode      string          `json:"receivingBankCode"`
	Amount                 json.RawMessage `json:"amount"`
	TransactionID          string          `json:"transactionId"`
	FastEasySlipNumber     string          `json:"fastEasySlipNumber"`
	TransactionDateandTime string          `json:"transactionDateandTime"`
	BillPaymentRef1        string          `json:"billPaymentRef1"`
	BillPaymentRef2        string          `json:"billPaymentRef2"`
	BillPaymentRef3        string          `json:"billPaymentRef3"`
	CurrencyCode           string          `json:"currencyCode"`
	EquivalentAmount       json.RawMessage `json:"equivalentAmount"`
	EquivalentCurrencyCode string          `json:"equivalentCurrencyCode"`
	ExchangeRate           string          `json:"exchangeRate"`
	ChannelCode            string          `json:"channelCode"`
	PartnerTransactionID   string          `json:"partnerTransactionId"`
	TepaCode               string          `json:"tepaCode"`
}

// maxBillPayments bounds the transactions of an inquiry's answer.
const maxBillPayments = 1000

// readBillPayments returns the payments of an inquiry's data, which must be an array; never nil.
func readBillPayments(d **[]billPaymentData, r *reader) []BillPayment {
	list := *d
	if list == nil {
		r.fail("data", "missing or null, want an array")
		return nil
	}
	data := *list
	if len(data) > maxBillPayments {
		r.fail("data", "has more than %d entries", maxBillPayments)
		return nil
	}
	out := make([]BillPayment, 0, len(data))
	for i := range data {
		out = append(out, data[i].read(r, "data["+strconv.Itoa(i)+"]"))
	}
	return out
}

func (d *billPaymentData) read(r *reader, path string) BillPayment {
	t := func(name, v string) string { return r.text(path+"."+name, v, false) }
	return BillPayment{
		TransactionID: r.text(path+".transactionId", d.TransactionID, true), EventCode: EventCode(t("eventCode", d.EventCode)),
		TransactionType: t("transactionType", d.TransactionType), Reversed: d.ReverseFlag == "R",
		PaidAt: r.instant(path+".transactionDateandTime", d.TransactionDateandTime, true),
		Amount: r.amount(path+".amount", d.Amount, true), Currency: t("currencyCode", d.CurrencyCode),
		EquivalentAmount:   r.amount(path+".equivalentAmount", d.EquivalentAmount, false),
		EquivalentCurrency: t("equivalentCurrencyCode", d.EquivalentCurrencyCode), ExchangeRate: t("exchangeRate", d.ExchangeRate),
		Payee: BillParty{t("payeeProxyId", d.PayeeProxyID), t("payeeProxyType", d.PayeeProxyType), t("payeeAccountNumber", d.PayeeAccountNumber),
			t("payeeName", d.PayeeName), t("receivingBankCode", d.ReceivingBankCode)},
		Payer: BillParty{t("payerProxyId", d.PayerProxyID), t("payerProxyType", d.PayerProxyType), t("payerAccountNumber", d.PayerAccountNumber),
			t("payerName", d.PayerName), t("sendingBankCode", d.SendingBankCode)},
		Ref1: t("billPaymentRef1", d.BillPaymentRef1), Ref2: t("billPaymentRef2", d.BillPaymentRef2), Ref3: t("billPaymentRef3", d.BillPaymentRef3),
		ChannelCode: t("channelCode", d.ChannelCode), FastEasySlipNumber: t("fastEasySlipNumber", d.FastEasySlipNumber),
		PartnerTransactionID: t("partnerTransactionId", d.PartnerTransactionID), TepaCode: t("tepaCode", d.TepaCode),
	}
}
