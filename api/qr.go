package api

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/scboauth/scboauth/generated"
)

// QRType is the kind of QR CreateQR creates.
type QRType string

// The kinds of QR [seen: SCB's wording quoted by two wrappers].
const (
	// QRPromptPay is a Thai QR 30 ("PP"): the customer pays the bill from a bank account with
	// PromptPay.
	QRPromptPay QRType = "PP"
	// QRCard is a QR CS ("CS"): the customer pays by card (Visa, Mastercard).
	QRCard QRType = "CS"
	// QRPromptPayAndCard is both in one code ("PPCS").
	QRPromptPayAndCard QRType = "PPCS"
)

// QRRequest is a QR to create (POST /v1/payment/qrcode/create). Type decides which fields are
// required; the client refuses a field of another type rather than drop it.
type QRRequest struct {
	// Type is QRPromptPay (the default when empty), QRCard or QRPromptPayAndCard.
	Type QRType
	// Amount is the amount to pay: more than zero, at most MaxAmount.
	Amount Amount

	// BillerID is the PromptPay biller id of the application's merchant profile, 15 digits.
	// Required by QRPromptPay and QRPromptPayAndCard, as are Ref1 and Ref3.
	BillerID string
	// Ref1, Ref2 and Ref3 are the bill's references, 1 to 20 of A-Z and 0-9 each. Ref2 is
	// required when the merchant profile has "Two references"; Ref3 starts with the prefix
	// registered for the application, which decides where SCB sends the payment confirmation.
	Ref1, Ref2, Ref3 string

	// MerchantID and TerminalID are the QR CS merchant and terminal: at most 64 bytes of
	// visible ASCII each. Required by QRCard and QRPromptPayAndCard, as is Invoice.
	MerchantID, TerminalID string
	// Invoice is the QR CS invoice number, unique per transaction: 1 to 64 of A-Z and 0-9.
	Invoice string
	// ExpiresIn is how long the QR CS stays payable, in whole minutes from 1 to 9999; zero
	// means SCB's default, 15 minutes.
	ExpiresIn time.Duration
	// Note (csNote) describes the QR CS transaction, and UserDefined (csUserDefined) is any
	// value of yours: at most 256 bytes of text each, optional.
	Note, UserDefined string
}

// QRCode is a created QR.
type QRCode struct {
	// RawData is the EMVCo string of the QR (qrRawData), what a phone scans: render it as a QR
	// code, or show Image.
	RawData string
	// Image is SCB's picture of the QR (qrImage, decoded from base64): a GIF.
	Image []byte
	// Card is the QR CS part of a QRCard or QRPromptPayAndCard QR; nil for QRPromptPay.
	Card *QRCardInfo
}

// QRCardInfo is the QR CS part of a created QR [seen: the fields of SCB's answers].
type QRCardInfo struct {
	// ID is the QR's id (qrcodeId, or qrCodeId as SCB's example spells it), the key of the QR
	// CS inquiry.
	ID string
	// ExpiresAt is when the QR stops being payable (csExtExpiryTime), which SCB writes on the
	// Bangkok clock without a zone; it is in Bangkok. Zero when SCB gave none.
	ExpiresAt time.Time
	// ResponseCode is "000" on success; QRCodeType is "EM"; PointOfInitiation (poi) is "11"
	// static or "12" dynamic.
	ResponseCode, QRCodeType, PointOfInitiation string
	// Amount and Currency ("764", baht) as SCB echoes them.
	Amount   Amount
	Currency string
	// The request's and the merchant profile's values, as SCB echoes them.
	Invoice, Note, UserDefined, MerchantID, MerchantName, TerminalID, TerminalName string
	// Channels are the card schemes that can pay.
	Channels []QRChannel
}

// QRChannel is a card scheme that can pay a QR CS.
type QRChannel struct {
	// Seq is its position; Name its name ("VISA"); Code its code, which SCB spells "VISA" or
	// "VSA" [seen: both].
	Seq, Name, Code string
}

// CreateQR creates a payment QR (POST /v1/payment/qrcode/create) and returns its data and
// picture. It checks the request first: an *InvalidRequestError (ErrInvalidRequest) names the
// field SCB would refuse. The call is not retried once SCB may have processed it.
func (c *Client) CreateQR(ctx context.Context, q QRRequest) (*QRCode, error) {
	body, err := q.wire()
	if err != nil {
		return nil, err
	}
	k := &call{op: opCreateQR, maxBody: maxQRBody}
	if err := k.setBody(body); err != nil {
		return nil, err
	}
	a, err := c.sendPayment(ctx, k, func(uid string, body *bytes.Reader) (*http.Request, error) {
		return generated.NewCreateQRCodeRequestWithBody(c.base, &generated.CreateQRCodeParams{
			ResourceOwnerId: c.owner, RequestUId: uid, AcceptLanguage: c.lang,
		}, "application/json", body)
	})
	if err != nil {
		return nil, err
	}
	return c.decodeQR(k, a)
}

// decodeQR reads a QR create's answer.
func (c *Client) decodeQR(k *call, a *answer) (*QRCode, error) {
	return decodeData(c, k, a, (*qrData).read)
}

// maxQRBody bounds a QR create's answer, which carries a picture: 1 MiB.
const maxQRBody = 1 << 20

// qrBody is the JSON body of a QR create.
type qrBody struct {
	QRType        QRType `json:"qrType"`
	Amount        Amount `json:"amount"`
	PPType        string `json:"ppType,omitempty"`
	PPID          string `json:"ppId,omitempty"`
	Ref1          string `json:"ref1,omitempty"`
	Ref2          string `json:"ref2,omitempty"`
	Ref3          string `json:"ref3,omitempty"`
	MerchantID    string `json:"merchantId,omitempty"`
	TerminalID    string `json:"terminalId,omitempty"`
	Invoice       string `json:"invoice,omitempty"`
	ExpiryMinutes string `json:"csExtExpiryTime,omitempty"`
	Note          string `json:"csNote,omitempty"`
	UserDefined   string `json:"csUserDefined,omitempty"`
}

// wire checks q and returns its body.
func (q QRRequest) wire() (*qrBody, error) {
	v := &checker{op: opCreateQR}
	typ := cmp.Or(q.Type, QRPromptPay)
	promptPay, card := typ != QRCard, typ != QRPromptPay
	if typ != QRPromptPay && typ != QRCard && typ != QRPromptPayAndCard {
		v.fail("Type", "must be PP, CS or PPCS")
	}
	v.amount("Amount", q.Amount, MaxAmount)
	why := "to a QR of type " + string(typ)
	if promptPay {
		v.pattern("BillerID", q.BillerID, true, billerIDPattern, "15 digits")
		v.reference("Ref1", q.Ref1, true)
		v.reference("Ref2", q.Ref2, false)
		v.reference("Ref3", q.Ref3, true)
	} else {
		v.unused("BillerID", q.BillerID != "", why)
		v.unused("Ref1", q.Ref1 != "" || q.Ref2 != "" || q.Ref3 != "", why)
	}
	b := &qrBody{QRType: typ, Amount: q.Amount}
	if card {
		v.token("MerchantID", q.MerchantID, true, 64)
		v.token("TerminalID", q.TerminalID, true, 64)
		v.pattern("Invoice", q.Invoice, true, invoicePattern, "1 to 64 of A-Z and 0-9")
		v.text("Note", q.Note, false, 256)
		v.text("UserDefined", q.UserDefined, false, 256)
		if m := q.ExpiresIn; m != 0 {
			if m%time.Minute != 0 || m < time.Minute || m > 9999*time.Minute {
				v.fail("ExpiresIn", "must be whole minutes from 1 to 9999, got %s", m)
			}
			b.ExpiryMinutes = strconv.FormatInt(int64(m/time.Minute), 10)
		}
	} else {
		v.unused("MerchantID", q.MerchantID != "" || q.TerminalID != "" || q.Invoice != "", why)
		v.unused("ExpiresIn", q.ExpiresIn != 0 || q.Note != "" || q.UserDefined != "", why)
	}
	if err := v.result(); err != nil {
		return nil, err
	}
	if promptPay {
		b.PPType, b.PPID, b.Ref1, b.Ref2, b.Ref3 = "BILLERID", q.BillerID, q.Ref1, q.Ref2, q.Ref3
	}
	if card {
		b.MerchantID, b.TerminalID, b.Invoice, b.Note, b.UserDefined = q.MerchantID, q.TerminalID, q.Invoice, q.Note, q.UserDefined
	}
	return b, nil
}

type qrData struct {
	QRRawData       string          `json:"qrRawData"`
	QRImage         string          `json:"qrImage"`
	CsExtExpiryTime string          `json:"csExtExpiryTime"`
	ResponseCode    string          `json:"responseCode"`
	QRCodeType      string          `json:"qrCodeType"`
	QRCodeID        string          `json:"qrcodeId"` // [seen: the recorded sandbox answer]
	QRCodeIDAlt     string          `json:"qrCodeId"` // [seen: SCB's example]
	POI             string          `json:"poi"`
	Amount          json.RawMessage `json:"amount"`
	CurrencyCode    string          `json:"currencyCode"`
	Invoice         string          `json:"invoice"`
	CsNote          string          `json:"csNote"`
	CsUserDefined   string          `json:"csUserDefined"`
	MerchantID      string          `json:"merchantId"`
	MerchantName    string          `json:"merchantName"`
	TerminalID      string          `json:"terminalId"`
	TerminalName    string          `json:"terminalName"`
	Channels        []struct {
		SeqNo       json.RawMessage `json:"seqNo"`
		ChannelName string          `json:"channelName"`
		ChannelCode string          `json:"channelCode"`
	} `json:"channels"`
}

// maxChannels bounds the card schemes of a QR CS answer.
const maxChannels = 64

// read returns the QR d describes.
func (d *qrData) read(r *reader) *QRCode {
	qr := &QRCode{RawData: r.text("data.qrRawData", d.QRRawData, true)}
	if d.QRImage == "" {
		r.fail("data.qrImage", "missing or empty")
	} else if img, err := base64.StdEncoding.DecodeString(d.QRImage); err != nil {
		r.fail("data.qrImage", "is not base64")
	} else {
		qr.Image = img
	}
	id := cmp.Or(d.QRCodeID, d.QRCodeIDAlt)
	if id == "" && d.CsExtExpiryTime == "" && len(d.Channels) == 0 {
		return qr // a QR 30 only
	}
	card := &QRCardInfo{
		ID:        r.text("data.qrcodeId", id, true),
		ExpiresAt: r.clock("data.csExtExpiryTime", time.DateTime, d.CsExtExpiryTime, false),
		Amount:    r.amount("data.amount", d.Amount, false),
	}
	for _, f := range []struct {
		dst  *string
		path string
		v    string
	}{
		{&card.ResponseCode, "responseCode", d.ResponseCode}, {&card.QRCodeType, "qrCodeType", d.QRCodeType},
		{&card.PointOfInitiation, "poi", d.POI}, {&card.Currency, "currencyCode", d.CurrencyCode},
		{&card.Invoice, "invoice", d.Invoice}, {&card.Note, "csNote", d.CsNote}, {&card.UserDefined, "csUserDefined", d.CsUserDefined},
		{&card.MerchantID, "merchantId", d.MerchantID}, {&card.MerchantName, "merchantName", d.MerchantName},
		{&card.TerminalID, "terminalId", d.TerminalID}, {&card.TerminalName, "terminalName", d.TerminalName},
	} {
		*f.dst = r.text("data."+f.path, f.v, false)
	}
	if len(d.Channels) > maxChannels {
		r.fail("data.channels", "has more than %d entries", maxChannels)
		return qr
	}
	for i, ch := range d.Channels {
		path := "data.channels[" + strconv.Itoa(i) + "]"
		card.Channels = append(card.Channels, QRChannel{
			Seq: r.flexText(path+".seqNo", ch.SeqNo), Name: r.text(path+".channelName", ch.ChannelName, false),
			Code: r.text(path+".channelCode", ch.ChannelCode, false),
		})
	}
	qr.Card = card
	return qr
}
