package sandbox

import (
	"net/http"
	"time"

	"github.com/scboauth/scboauth/generated"
)

// The data of the payment answers, field for field as openapi.yaml names them; the tests decode
// every answer into the generated types and validate it against the spec.

// qrImage is the emulator's qrImage [decision]: a valid one-pixel GIF87a in base64, starting
// "R0lGODdh" as SCB's do. It is a placeholder: tests scan qrRawData, and no QR encoder is a
// dependency of this module.
const qrImage = "R0lGODdhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs="

type qrChannel struct {
	SeqNo       string `json:"seqNo"`
	ChannelName string `json:"channelName"`
	ChannelCode string `json:"channelCode"`
}

// qrCardChannels are the card schemes of a QR CS, as the recorded sandbox answer names them
// [seen: "VISA"; SCB's example's "VSA" is accepted by the spec, not sent].
var qrCardChannels = []qrChannel{{"1", "VISA", "VISA"}, {"2", "MASTERCARD", "MASTER"}}

type qrCodeJSON struct {
	QRRawData       string      `json:"qrRawData"`
	QRImage         string      `json:"qrImage"`
	CsExtExpiryTime string      `json:"csExtExpiryTime,omitempty"`
	ResponseCode    string      `json:"responseCode,omitempty"`
	QRCodeType      string      `json:"qrCodeType,omitempty"`
	QRCodeID        string      `json:"qrcodeId,omitempty"` // [seen: the recorded sandbox answer's spelling]
	POI             string      `json:"poi,omitempty"`
	Amount          string      `json:"amount,omitempty"`
	CurrencyCode    string      `json:"currencyCode,omitempty"`
	CurrencyName    string      `json:"currencyName,omitempty"`
	Invoice         string      `json:"invoice,omitempty"`
	CsNote          string      `json:"csNote,omitempty"`
	CsUserDefined   string      `json:"csUserDefined,omitempty"`
	MerchantID      string      `json:"merchantId,omitempty"`
	MerchantName    string      `json:"merchantName,omitempty"`
	TerminalID      string      `json:"terminalId,omitempty"`
	TerminalName    string      `json:"terminalName,omitempty"`
	Channels        []qrChannel `json:"channels,omitempty"`
}

// qrCodeData is the data of a QR create: raw data and image, and for a QR CS its fields.
func qrCodeData(p *payment) qrCodeJSON {
	d := qrCodeJSON{QRRawData: p.qrRaw, QRImage: qrImage}
	if p.qrID == "" {
		return d
	}
	d.CsExtExpiryTime = p.payBy.In(bangkok).Format(time.DateTime)
	d.ResponseCode, d.QRCodeType, d.QRCodeID, d.POI = "000", "EM", p.qrID, "12"
	d.Amount, d.CurrencyCode, d.CurrencyName = formatAmount(p.amount, true), "764", "Baht"
	d.Invoice, d.CsNote, d.CsUserDefined = p.invoice, p.note, p.userDefined
	d.MerchantID, d.MerchantName, d.TerminalID, d.TerminalName = p.merchantID, p.app.Name, p.terminalID, p.app.Name
	d.Channels = qrCardChannels
	return d
}

type identifierJSON struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type partyJSON struct {
	DisplayName string         `json:"displayName"`
	Name        string         `json:"name"`
	Proxy       identifierJSON `json:"proxy"`
	Account     identifierJSON `json:"account"`
}

type slipJSON struct {
	TransRef          string    `json:"transRef"`
	SendingBank       string    `json:"sendingBank"`
	ReceivingBank     string    `json:"receivingBank"`
	TransDate         string    `json:"transDate"`
	TransTime         string    `json:"transTime"`
	Sender            partyJSON `json:"sender"`
	Receiver          partyJSON `json:"receiver"`
	Amount            string    `json:"amount"`
	PaidLocalAmount   string    `json:"paidLocalAmount"`
	PaidLocalCurrency string    `json:"paidLocalCurrency"`
	CountryCode       string    `json:"countryCode"`
	Ref1              string    `json:"ref1"`
	Ref2              string    `json:"ref2,omitempty"`
	Ref3              string    `json:"ref3"`
}

// slipData is the data of a slip verification of the paid bill payment p.
func slipData(p *payment) slipJSON {
	pay := p.paid
	at := pay.PaidAt.In(bangkok)
	amount := formatAmount(p.amount, false)
	return slipJSON{
		TransRef: pay.TransRef, SendingBank: pay.Payer.BankCode, ReceivingBank: "014",
		TransDate: at.Format("20060102"), TransTime: at.Format(time.TimeOnly),
		Sender: partyJSON{pay.Payer.Name, pay.Payer.Name, identifierJSON{pay.Payer.ProxyType, pay.Payer.ProxyValue},
			identifierJSON{"BANKAC", pay.Payer.AccountNumber}},
		Receiver: partyJSON{p.app.Name, p.app.Name, identifierJSON{"BILLERID", p.billerID}, identifierJSON{"BANKAC", payeeAccount}},
		Amount:   amount, PaidLocalAmount: amount, PaidLocalCurrency: "764", CountryCode: "TH",
		Ref1: p.ref1, Ref2: p.ref2, Ref3: p.ref3,
	}
}

type billPaymentData struct {
	EventCode              string `json:"eventCode"`
	TransactionType        string `json:"transactionType"`
	ReverseFlag            string `json:"reverseFlag"`
	PayeeProxyID           string `json:"payeeProxyId"`
	PayeeProxyType         string `json:"payeeProxyType"`
	PayeeAccountNumber     string `json:"payeeAccountNumber"`
	PayeeName              string `json:"payeeName"`
	PayerProxyID           string `json:"payerProxyId"`
	PayerProxyType         string `json:"payerProxyType"`
	PayerAccountNumber     string `json:"payerAccountNumber"`
	PayerName              string `json:"payerName"`
	SendingBankCode        string `json:"sendingBankCode"`
	ReceivingBankCode      string `json:"receivingBankCode"`
	Amount                 string `json:"amount"`
	TransactionID          string `json:"transactionId"`
	FastEasySlipNumber     string `json:"fastEasySlipNumber"`
	TransactionDateandTime string `json:"transactionDateandTime"`
	BillPaymentRef1        string `json:"billPaymentRef1"`
	BillPaymentRef2        string `json:"billPaymentRef2,omitempty"`
	BillPaymentRef3        string `json:"billPaymentRef3"`
	CurrencyCode           string `json:"currencyCode"`
	EquivalentAmount       string `json:"equivalentAmount"`
	EquivalentCurrencyCode string `json:"equivalentCurrencyCode"`
	ExchangeRate           string `json:"exchangeRate"`
	ChannelCode            string `json:"channelCode"`
}

// billPaymentOf is an inquiry's record of the paid bill payment p.
func billPaymentOf(p *payment) billPaymentData {
	pay := p.paid
	amount := formatAmount(p.amount, false)
	return billPaymentData{
		EventCode: string(generated.EventCodeQR30), TransactionType: "Domestic Transfer", ReverseFlag: "N",
		PayeeProxyID: p.billerID, PayeeProxyType: "BILLERID", PayeeAccountNumber: payeeAccount, PayeeName: p.app.Name,
		PayerProxyID: pay.Payer.ProxyValue, PayerProxyType: pay.Payer.ProxyType, PayerAccountNumber: pay.Payer.AccountNumber,
		PayerName: pay.Payer.Name, SendingBankCode: pay.Payer.BankCode, ReceivingBankCode: "014",
		Amount: amount, TransactionID: pay.TransRef, FastEasySlipNumber: pay.TransRef,
		TransactionDateandTime: pay.PaidAt.In(bangkok).Format("2006-01-02T15:04:05.000-07:00"),
		BillPaymentRef1:        p.ref1, BillPaymentRef2: p.ref2, BillPaymentRef3: p.ref3,
		CurrencyCode: "764", EquivalentAmount: amount, EquivalentCurrencyCode: "764", ExchangeRate: "1", ChannelCode: "PMH",
	}
}

type deeplinkData struct {
	TransactionID string `json:"transactionId"`
	DeeplinkURL   string `json:"deeplinkUrl"`
	UserRefID     string `json:"userRefId"`
}

type transactionBillPayment struct {
	PaymentAmount        jsonNumber `json:"paymentAmount"`
	AccountTo            string     `json:"accountTo"`
	AccountFrom          *string    `json:"accountFrom,omitempty"`
	Ref1                 string     `json:"ref1"`
	Ref2                 *string    `json:"ref2,omitempty"`
	Ref3                 *string    `json:"ref3,omitempty"`
	SenderName           string     `json:"senderName,omitempty"`
	SenderBankCode       string     `json:"senderBankCode,omitempty"`
	SenderProxyType      string     `json:"senderProxyType,omitempty"`
	SenderProxyValue     string     `json:"senderProxyValue,omitempty"`
	SenderAccountType    string     `json:"senderAccountType,omitempty"`
	SenderAccountValue   string     `json:"senderAccountValue,omitempty"`
	ReceiverName         string     `json:"receiverName,omitempty"`
	ReceiverBankCode     string     `json:"receiverBankCode,omitempty"`
	ReceiverProxyType    string     `json:"receiverProxyType,omitempty"`
	ReceiverProxyValue   string     `json:"receiverProxyValue,omitempty"`
	ReceiverAccountType  string     `json:"receiverAccountType,omitempty"`
	ReceiverAccountValue string     `json:"receiverAccountValue,omitempty"`
	CountryCode          string     `json:"countryCode,omitempty"`
	Currency             string     `json:"currency,omitempty"`
}

type transactionJSON struct {
	TransactionID         string                  `json:"transactionId"`
	UserRefID             string                  `json:"userRefId"`
	TransactionType       string                  `json:"transactionType"`
	TransactionSubType    []string                `json:"transactionSubType"`
	TransactionMethod     *string                 `json:"transactionMethod"`
	StatusCode            int                     `json:"statusCode"`
	PaidAmount            jsonNumber              `json:"paidAmount"`
	SessionValidityPeriod int64                   `json:"sessionValidityPeriod"`
	CreatedTimestamp      string                  `json:"createdTimestamp"`
	UpdatedTimestamp      string                  `json:"updatedTimestamp"`
	ErrorMessage          *string                 `json:"errorMessage,omitempty"`
	BillPayment           *transactionBillPayment `json:"billPayment,omitempty"`
}

// jsonNumber is an amount in satang written as a JSON number in baht [seen: amounts are numbers
// on this call].
type jsonNumber int64

func (n jsonNumber) MarshalJSON() ([]byte, error) { return []byte(formatAmount(int64(n), false)), nil }

// The statusCode of a deeplink transaction [seen].
const (
	statusPending = 0
	statusPaid    = 1
	statusExpired = 5
)

// transactionOf is the data of GET /v2/transactions of the deeplink p at now.
func transactionOf(p *payment, now time.Time) transactionJSON {
	t := transactionJSON{
		TransactionID: p.deeplinkID, UserRefID: p.userRefID, TransactionType: string(generated.TransactionTypePurchase),
		TransactionSubType: p.subTypes, StatusCode: statusPending, SessionValidityPeriod: p.validity,
		CreatedTimestamp: p.created.In(bangkok).Format(time.RFC3339), UpdatedTimestamp: p.created.In(bangkok).Format(time.RFC3339),
	}
	if p.billerID != "" {
		t.BillPayment = &transactionBillPayment{PaymentAmount: jsonNumber(p.amount), AccountTo: p.billerID, Ref1: p.ref1,
			AccountFrom: orNil(p.accountFrom), Ref2: orNil(p.ref2), Ref3: orNil(p.ref3)}
	}
	switch pay := p.paid; {
	case pay != nil:
		method := string(pay.Method)
		t.StatusCode, t.TransactionMethod, t.PaidAmount = statusPaid, &method, jsonNumber(p.amount)
		t.UpdatedTimestamp = pay.PaidAt.In(bangkok).Format(time.RFC3339)
		if bp := t.BillPayment; bp != nil && pay.Method == MethodBillPayment {
			bp.SenderName, bp.SenderBankCode, bp.SenderProxyType, bp.SenderProxyValue = pay.Payer.Name, pay.Payer.BankCode, pay.Payer.ProxyType, pay.Payer.ProxyValue
			bp.SenderAccountType, bp.SenderAccountValue = "BANKAC", pay.Payer.AccountNumber
			bp.ReceiverName, bp.ReceiverBankCode, bp.ReceiverProxyType, bp.ReceiverProxyValue = p.app.Name, "014", "BILLERID", p.billerID
			bp.ReceiverAccountType, bp.ReceiverAccountValue, bp.CountryCode, bp.Currency = "BANKAC", payeeAccount, "TH", "764"
		}
	case !now.Before(p.payBy):
		msg := "Session expired"
		t.StatusCode, t.ErrorMessage = statusExpired, &msg
		t.UpdatedTimestamp = p.payBy.In(bangkok).Format(time.RFC3339)
	}
	return t
}

// The answers of the payment operations: paymentAnswer for a success, *apiError and forApp for
// an error, each serving every payment operation.
type paymentResponse interface {
	generated.CreateQRCodeResponseObject
	generated.VerifySlipResponseObject
	generated.InquireBillPaymentResponseObject
	generated.CreateDeeplinkResponseObject
	generated.GetTransactionResponseObject
}

var (
	_ paymentResponse = paymentAnswer{}
	_ paymentResponse = (*apiError)(nil)
	_ paymentResponse = forApp{}
)

// VisitCreateQRCodeResponse implements generated.CreateQRCodeResponseObject.
func (p paymentAnswer) VisitCreateQRCodeResponse(w http.ResponseWriter) error { return p.write(w) }

// VisitVerifySlipResponse implements generated.VerifySlipResponseObject.
func (p paymentAnswer) VisitVerifySlipResponse(w http.ResponseWriter) error { return p.write(w) }

// VisitInquireBillPaymentResponse implements generated.InquireBillPaymentResponseObject.
func (p paymentAnswer) VisitInquireBillPaymentResponse(w http.ResponseWriter) error {
	return p.write(w)
}

// VisitCreateDeeplinkResponse implements generated.CreateDeeplinkResponseObject.
func (p paymentAnswer) VisitCreateDeeplinkResponse(w http.ResponseWriter) error { return p.write(w) }

// VisitGetTransactionResponse implements generated.GetTransactionResponseObject.
func (p paymentAnswer) VisitGetTransactionResponse(w http.ResponseWriter) error { return p.write(w) }

// VisitCreateQRCodeResponse implements generated.CreateQRCodeResponseObject.
func (e *apiError) VisitCreateQRCodeResponse(w http.ResponseWriter) error { return e.write(w) }

// VisitVerifySlipResponse implements generated.VerifySlipResponseObject.
func (e *apiError) VisitVerifySlipResponse(w http.ResponseWriter) error { return e.write(w) }

// VisitInquireBillPaymentResponse implements generated.InquireBillPaymentResponseObject.
func (e *apiError) VisitInquireBillPaymentResponse(w http.ResponseWriter) error { return e.write(w) }

// VisitCreateDeeplinkResponse implements generated.CreateDeeplinkResponseObject.
func (e *apiError) VisitCreateDeeplinkResponse(w http.ResponseWriter) error { return e.write(w) }

// VisitGetTransactionResponse implements generated.GetTransactionResponseObject.
func (e *apiError) VisitGetTransactionResponse(w http.ResponseWriter) error { return e.write(w) }

// VisitCreateQRCodeResponse implements generated.CreateQRCodeResponseObject.
func (f forApp) VisitCreateQRCodeResponse(w http.ResponseWriter) error { return f.write(w) }

// VisitVerifySlipResponse implements generated.VerifySlipResponseObject.
func (f forApp) VisitVerifySlipResponse(w http.ResponseWriter) error { return f.write(w) }

// VisitInquireBillPaymentResponse implements generated.InquireBillPaymentResponseObject.
func (f forApp) VisitInquireBillPaymentResponse(w http.ResponseWriter) error { return f.write(w) }

// VisitCreateDeeplinkResponse implements generated.CreateDeeplinkResponseObject.
func (f forApp) VisitCreateDeeplinkResponse(w http.ResponseWriter) error { return f.write(w) }

// VisitGetTransactionResponse implements generated.GetTransactionResponseObject.
func (f forApp) VisitGetTransactionResponse(w http.ResponseWriter) error { return f.write(w) }
