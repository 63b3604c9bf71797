package api

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/scboauth/scboauth/generated"
)

// DeeplinkRequest is a payment for the customer to make in the SCB app
// (POST /v3/deeplink/transactions): a bill payment, a credit card's full amount, an instalment
// plan, or several of them for the customer to choose from. At least one is required.
type DeeplinkRequest struct {
	// BillPayment is a bill payment (transactionSubType BP).
	BillPayment *DeeplinkBillPayment
	// CreditCard is a credit card payment of the full amount (CCFA).
	CreditCard *DeeplinkCreditCard
	// Installment is an instalment plan on a credit card (CCIPP).
	Installment *DeeplinkInstallment
	// ValidFor is how long the deeplink stays payable (sessionValidityPeriod): whole seconds
	// from 60 seconds to 30 minutes; zero means no limit of the request's.
	ValidFor time.Duration
	// Merchant is what the SCB app shows of the merchant, and where it returns; optional.
	Merchant *DeeplinkMerchant
}

// DeeplinkBillPayment is the bill payment of a deeplink [seen: the fields' names].
type DeeplinkBillPayment struct {
	// Amount to pay: more than zero, at most MaxDeeplinkAmount.
	Amount Amount
	// BillerID is the biller id (accountTo), 15 digits, of a biller other than SCB Bill
	// Payment's [doc].
	BillerID string
	// AccountFrom is the customer's account, optional: at most 15 bytes of visible ASCII.
	AccountFrom string
	// Ref1 (required), Ref2 and Ref3 are the bill's references, 1 to 20 of A-Z and 0-9 each
	// [decision: the QR's rule; SCB gives only their length].
	Ref1, Ref2, Ref3 string
}

// DeeplinkCreditCard is a credit card payment of the full amount.
type DeeplinkCreditCard struct {
	Amount Amount
	// MerchantID (required), TerminalID and OrderReference (required): at most 20 bytes of
	// visible ASCII each.
	MerchantID, TerminalID, OrderReference string
}

// InstallmentType says who absorbs an instalment plan's interest [doc].
type InstallmentType string

// Who absorbs the interest.
const (
	InstallmentMerchantAbsorbs InstallmentType = "1"
	InstallmentCustomerAbsorbs InstallmentType = "2"
	InstallmentSupplierAbsorbs InstallmentType = "3"
)

// DeeplinkInstallment is an instalment plan on a credit card.
type DeeplinkInstallment struct {
	Amount Amount
	// MerchantID, TerminalID (optional), OrderReference and ProductCode: at most 20 bytes of
	// visible ASCII each.
	MerchantID, TerminalID, OrderReference, ProductCode string
	// Months is the number of monthly instalments (tenor), 1 to 999.
	Months int
	// Type says who absorbs the interest.
	Type InstallmentType
}

// DeeplinkMerchant is what the SCB app shows of the merchant [seen].
type DeeplinkMerchant struct {
	// CallbackURL is where "Return to Partner App" sends the customer: an absolute URL of at
	// most 2048 bytes.
	CallbackURL string
	// Name (at most 100 bytes) and LogoURL (at most 2048) present the merchant.
	Name, LogoURL string
	// Lines are shown with the payment, at most 20.
	Lines []PaymentLine
}

// PaymentLine is a line the SCB app shows with a payment.
type PaymentLine struct {
	// Type is the kind of line, "TEXT" when empty; Title at most 100 bytes, Description 256.
	Type, Title, Description string
}

// Deeplink is a created deeplink transaction.
type Deeplink struct {
	// TransactionID is its id, for Client.Transaction.
	TransactionID string
	// URL (deeplinkUrl) opens the payment in the SCB app; scbeasysim://purchase/<id> in the
	// sandbox. It is checked as AuthorizeURL's callbackUrl is.
	URL string
	// UserRefID is what SCB returns as userRefId [seen; meaning not documented].
	UserRefID string
}

// CreateDeeplink creates a transaction the customer pays in the SCB app and returns its
// deeplink (POST /v3/deeplink/transactions, channel scbeasy). It checks the request first (an
// *InvalidRequestError). The call is not retried once SCB may have processed it; read the
// transaction's state with Client.Transaction.
func (c *Client) CreateDeeplink(ctx context.Context, d DeeplinkRequest) (*Deeplink, error) {
	body, err := d.wire()
	if err != nil {
		return nil, err
	}
	k := &call{op: opDeeplink}
	if err := k.setBody(body); err != nil {
		return nil, err
	}
	a, err := c.sendPayment(ctx, k, func(uid string, body *bytes.Reader) (*http.Request, error) {
		return generated.NewCreateDeeplinkRequestWithBody(c.base, &generated.CreateDeeplinkParams{
			Channel: "scbeasy", ResourceOwnerId: c.owner, RequestUId: uid, AcceptLanguage: c.lang,
		}, "application/json", body)
	})
	if err != nil {
		return nil, err
	}
	return c.decodeDeeplink(k, a)
}

// decodeDeeplink reads a deeplink create's answer.
func (c *Client) decodeDeeplink(k *call, a *answer) (*Deeplink, error) {
	return decodeData(c, k, a, (*deeplinkData).read)
}

type deeplinkData struct {
	TransactionID string `json:"transactionId"`
	DeeplinkURL   string `json:"deeplinkUrl"`
	UserRefID     string `json:"userRefId"`
}

func (d *deeplinkData) read(r *reader) *Deeplink {
	dl := &Deeplink{TransactionID: r.text("data.transactionId", d.TransactionID, true),
		URL: r.text("data.deeplinkUrl", d.DeeplinkURL, true), UserRefID: r.text("data.userRefId", d.UserRefID, false)}
	if problem := checkCallbackURL(dl.URL); dl.URL != "" && problem != "" {
		r.fail("data.deeplinkUrl", "%s", problem)
	}
	if dl.TransactionID != "" && !transactionIDPattern.MatchString(dl.TransactionID) {
		r.fail("data.transactionId", "is not 1 to 64 letters, digits and hyphens")
	}
	return dl
}

// The JSON body of a deeplink create.
type (
	deeplinkBody struct {
		TransactionType       string        `json:"transactionType"`
		TransactionSubType    []string      `json:"transactionSubType"`
		SessionValidityPeriod int64         `json:"sessionValidityPeriod,omitempty"`
		BillPayment           *billBody     `json:"billPayment,omitempty"`
		CreditCard            *cardBody     `json:"creditCardFullAmount,omitempty"`
		Installment           *cardBody     `json:"installmentPaymentPlan,omitempty"`
		Merchant              *merchantBody `json:"merchantMetaData,omitempty"`
	}
	billBody struct {
		PaymentAmount json.Number `json:"paymentAmount"`
		AccountTo     string      `json:"accountTo"`
		AccountFrom   string      `json:"accountFrom,omitempty"`
		Ref1          string      `json:"ref1"`
		Ref2          string      `json:"ref2,omitempty"`
		Ref3          string      `json:"ref3,omitempty"`
	}
	cardBody struct {
		MerchantID     string      `json:"merchantId"`
		TerminalID     string      `json:"terminalId,omitempty"`
		OrderReference string      `json:"orderReference"`
		PaymentAmount  json.Number `json:"paymentAmount"`
		Tenor          string      `json:"tenor,omitempty"`
		IPPType        string      `json:"ippType,omitempty"`
		ProdCode       string      `json:"prodCode,omitempty"`
	}
	merchantBody struct {
		CallbackURL  string `json:"callbackUrl,omitempty"`
		MerchantInfo *struct {
			Name    string `json:"name,omitempty"`
			URLLogo string `json:"urlLogo,omitempty"`
		} `json:"merchantInfo,omitempty"`
		PaymentInfo []paymentLineBody `json:"paymentInfo,omitempty"`
	}
	paymentLineBody struct {
		Type        string `json:"type"`
		Title       string `json:"title"`
		Description string `json:"description"`
	}
)

// wire checks d and returns its body. Amounts travel as JSON numbers with two decimals [seen].
func (d DeeplinkRequest) wire() (*deeplinkBody, error) {
	v := &checker{op: opDeeplink}
	b := &deeplinkBody{TransactionType: "PURCHASE"}
	if bp := d.BillPayment; bp != nil {
		v.amount("BillPayment.Amount", bp.Amount, MaxDeeplinkAmount)
		v.pattern("BillPayment.BillerID", bp.BillerID, true, billerIDPattern, "15 digits")
		v.token("BillPayment.AccountFrom", bp.AccountFrom, false, 15)
		v.reference("BillPayment.Ref1", bp.Ref1, true)
		v.reference("BillPayment.Ref2", bp.Ref2, false)
		v.reference("BillPayment.Ref3", bp.Ref3, false)
		b.TransactionSubType = append(b.TransactionSubType, "BP")
		b.BillPayment = &billBody{json.Number(bp.Amount.String()), bp.BillerID, bp.AccountFrom, bp.Ref1, bp.Ref2, bp.Ref3}
	}
	if cc := d.CreditCard; cc != nil {
		v.card("CreditCard", cc.Amount, cc.MerchantID, cc.TerminalID, cc.OrderReference)
		b.TransactionSubType = append(b.TransactionSubType, "CCFA")
		b.CreditCard = &cardBody{MerchantID: cc.MerchantID, TerminalID: cc.TerminalID, OrderReference: cc.OrderReference, PaymentAmount: json.Number(cc.Amount.String())}
	}
	if in := d.Installment; in != nil {
		v.card("Installment", in.Amount, in.MerchantID, in.TerminalID, in.OrderReference)
		v.token("Installment.ProductCode", in.ProductCode, true, 20)
		if in.Months < 1 || in.Months > 999 {
			v.fail("Installment.Months", "must be 1 to 999, got %d", in.Months)
		}
		if in.Type != InstallmentMerchantAbsorbs && in.Type != InstallmentCustomerAbsorbs && in.Type != InstallmentSupplierAbsorbs {
			v.fail("Installment.Type", "must be 1, 2 or 3")
		}
		b.TransactionSubType = append(b.TransactionSubType, "CCIPP")
		b.Installment = &cardBody{in.MerchantID, in.TerminalID, in.OrderReference, json.Number(in.Amount.String()),
			strconv.Itoa(in.Months), string(in.Type), in.ProductCode}
	}
	if len(b.TransactionSubType) == 0 {
		v.fail("BillPayment", "required, or CreditCard or Installment")
	}
	if t := d.ValidFor; t != 0 {
		if t%time.Second != 0 || t < time.Minute || t > 30*time.Minute {
			v.fail("ValidFor", "must be whole seconds from 1 to 30 minutes, got %s", t)
		}
		b.SessionValidityPeriod = int64(t / time.Second)
	}
	if d.Merchant != nil {
		b.Merchant = d.Merchant.wire(v)
	}
	return b, v.result()
}

// card checks the fields a credit card and an instalment plan share.
func (v *checker) card(prefix string, amount Amount, merchant, terminal, order string) {
	v.amount(prefix+".Amount", amount, MaxDeeplinkAmount)
	v.token(prefix+".MerchantID", merchant, true, 20)
	v.token(prefix+".TerminalID", terminal, false, 20)
	v.token(prefix+".OrderReference", order, true, 20)
}

func (m *DeeplinkMerchant) wire(v *checker) *merchantBody {
	v.url("Merchant.CallbackURL", m.CallbackURL)
	v.text("Merchant.Name", m.Name, false, 100)
	v.url("Merchant.LogoURL", m.LogoURL)
	if len(m.Lines) > 20 {
		v.fail("Merchant.Lines", "more than 20")
	}
	b := &merchantBody{CallbackURL: m.CallbackURL}
	if m.Name != "" || m.LogoURL != "" {
		b.MerchantInfo = &struct {
			Name    string `json:"name,omitempty"`
			URLLogo string `json:"urlLogo,omitempty"`
		}{m.Name, m.LogoURL}
	}
	for i, l := range m.Lines {
		field := "Merchant.Lines[" + strconv.Itoa(i) + "]"
		v.token(field+".Type", l.Type, false, 20)
		v.text(field+".Title", l.Title, false, 100)
		v.text(field+".Description", l.Description, false, 256)
		b.PaymentInfo = append(b.PaymentInfo, paymentLineBody{cmp.Or(l.Type, "TEXT"), l.Title, l.Description})
	}
	return b
}

// url checks an optional URL the SCB app opens: an absolute URL of at most 2048 bytes of visible
// ASCII, of a scheme a browser does not run (see AuthorizeURL).
func (v *checker) url(field, value string) {
	if problem := checkCallbackURL(value); value != "" && problem != "" {
		v.fail(field, "%s", problem)
	}
}

// TransactionStatus is the state of a deeplink transaction (statusCode) [seen: a public mock and
// a research note; SCB's page lists no values].
type TransactionStatus int

// The states of a deeplink transaction. Others read as their number.
const (
	StatusUnknown   TransactionStatus = -1 // SCB's answer had no statusCode
	StatusPending   TransactionStatus = 0
	StatusPaid      TransactionStatus = 1
	StatusCancelled TransactionStatus = 2
	StatusInvalid   TransactionStatus = 3
	StatusPartial   TransactionStatus = 4
	StatusExpired   TransactionStatus = 5
)

// String returns the state's name, such as "paid", or "status 7" for another number.
func (s TransactionStatus) String() string {
	names := [...]string{"pending", "paid", "cancelled", "invalid", "partial", "expired"}
	switch {
	case s == StatusUnknown:
		return "unknown"
	case s >= 0 && int(s) < len(names):
		return names[s]
	}
	return "status " + strconv.Itoa(int(s))
}

// Transaction is a deeplink's transaction as SCB reads it back
// (GET /v2/transactions/{transactionId}) [doc: the id, userRefId, type, sub types and method;
// the rest seen in a public mock].
type Transaction struct {
	// ID is the transaction's id; UserRefID SCB's "hashed resourceOwnerId".
	ID, UserRefID string
	// Type ("PURCHASE") and SubTypes ("BP", "CCFA", "CCIPP") as created; Method is how the
	// customer paid, "" until paid.
	Type     string
	SubTypes []string
	Method   string
	// Status is whether the customer paid.
	Status TransactionStatus
	// PaidAmount and Fee, zero when SCB gave none.
	PaidAmount, Fee Amount
	// AccountFrom, PartnerID, PartnerName and ErrorMessage as SCB gives them, "" when absent.
	AccountFrom, PartnerID, PartnerName, ErrorMessage string
	// ValidFor is the session limit it was created with; zero when none.
	ValidFor time.Duration
	// CreatedAt and UpdatedAt, which SCB writes in ISO 8601 with the offset (+07:00); they are
	// in Bangkok. Zero when absent.
	CreatedAt, UpdatedAt time.Time
	// BillPayment is the bill payment of a BP transaction; nil otherwise.
	BillPayment *TransactionBillPayment
}

// TransactionBillPayment is the bill payment of a deeplink transaction.
type TransactionBillPayment struct {
	Amount                Amount
	BillerID, AccountFrom string
	Ref1, Ref2, Ref3      string
	// Sender paid Receiver; zero until paid.
	Sender, Receiver TransactionParty
	// CountryCode ("TH") and Currency ("764") once paid.
	CountryCode, Currency string
}

// TransactionParty is the sender or receiver of a paid deeplink bill payment.
type TransactionParty struct {
	Name, BankCode, ProxyType, ProxyValue, AccountType, AccountValue string
}

// transactionIDPattern is the form of a deeplink transaction's id [decision].
var transactionIDPattern = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// Transaction reads a deeplink's transaction and its state (GET /v2/transactions/{id}): poll it
// to learn whether the customer paid. An unknown id matches ErrNotFound.
func (c *Client) Transaction(ctx context.Context, id string) (*Transaction, error) {
	v := &checker{op: opTransaction}
	v.pattern("id", id, true, transactionIDPattern, "1 to 64 letters, digits and hyphens")
	if err := v.result(); err != nil {
		return nil, err
	}
	k := &call{op: opTransaction, idempotent: true}
	a, err := c.sendPayment(ctx, k, func(uid string, _ *bytes.Reader) (*http.Request, error) {
		return generated.NewGetTransactionRequest(c.base, id, &generated.GetTransactionParams{
			ResourceOwnerId: c.owner, RequestUId: uid, AcceptLanguage: c.lang,
		})
	})
	if err != nil {
		return nil, err
	}
	return c.decodeTransaction(k, a)
}

// decodeTransaction reads a transaction's answer.
func (c *Client) decodeTransaction(k *call, a *answer) (*Transaction, error) {
	return decodeData(c, k, a, (*transactionData).read)
}

type transactionData struct {
	TransactionID         string          `json:"transactionId"`
	UserRefID             string          `json:"userRefId"`
	TransactionType       string          `json:"transactionType"`
	TransactionSubType    []string        `json:"transactionSubType"`
	TransactionMethod     string          `json:"transactionMethod"`
	StatusCode            *int            `json:"statusCode"`
	PaidAmount            json.RawMessage `json:"paidAmount"`
	Fee                   json.RawMessage `json:"fee"`
	AccountFrom           string          `json:"accountFrom"`
	PartnerID             string          `json:"partnerId"`
	PartnerName           string          `json:"partnerName"`
	SessionValidityPeriod int64           `json:"sessionValidityPeriod"`
	CreatedTimestamp      string          `json:"createdTimestamp"`
	UpdatedTimestamp      string          `json:"updatedTimestamp"`
	ErrorMessage          string          `json:"errorMessage"`
	BillPayment           *struct {
		PaymentAmount        json.RawMessage `json:"paymentAmount"`
		AccountTo            string          `json:"accountTo"`
		AccountFrom          string          `json:"accountFrom"`
		Ref1                 string          `json:"ref1"`
		Ref2                 string          `json:"ref2"`
		Ref3                 string          `json:"ref3"`
		SenderName           string          `json:"senderName"`
		SenderBankCode       string          `json:"senderBankCode"`
		SenderProxyType      string          `json:"senderProxyType"`
		SenderProxyValue     string          `json:"senderProxyValue"`
		SenderAccountType    string          `json:"senderAccountType"`
		SenderAccountValue   string          `json:"senderAccountValue"`
		ReceiverName         string          `json:"receiverName"`
		ReceiverBankCode     string          `json:"receiverBankCode"`
		ReceiverProxyType    string          `json:"receiverProxyType"`
		ReceiverProxyValue   string          `json:"receiverProxyValue"`
		ReceiverAccountType  string          `json:"receiverAccountType"`
		ReceiverAccountValue string          `json:"receiverAccountValue"`
		CountryCode          string          `json:"countryCode"`
		Currency             string          `json:"currency"`
	} `json:"billPayment"`
}

// maxSubTypes bounds the sub types of a transaction answer; maxValidity its session limit.
const (
	maxSubTypes = 16
	maxValidity = 366 * 24 * 60 * 60
)

func (d *transactionData) read(r *reader) *Transaction {
	t := &Transaction{
		ID: r.text("data.transactionId", d.TransactionID, true), UserRefID: r.text("data.userRefId", d.UserRefID, false),
		Type: r.text("data.transactionType", d.TransactionType, true), Method: r.text("data.transactionMethod", d.TransactionMethod, false),
		Status:     StatusUnknown,
		PaidAmount: r.amount("data.paidAmount", d.PaidAmount, false), Fee: r.amount("data.fee", d.Fee, false),
		AccountFrom: r.text("data.accountFrom", d.AccountFrom, false), PartnerID: r.text("data.partnerId", d.PartnerID, false),
		PartnerName: r.text("data.partnerName", d.PartnerName, false), ErrorMessage: r.text("data.errorMessage", d.ErrorMessage, false),
		CreatedAt: r.instant("data.createdTimestamp", d.CreatedTimestamp, false),
		UpdatedAt: r.instant("data.updatedTimestamp", d.UpdatedTimestamp, false),
	}
	if d.StatusCode != nil {
		if *d.StatusCode < 0 {
			r.fail("data.statusCode", "is negative")
		}
		t.Status = TransactionStatus(*d.StatusCode)
	}
	if d.SessionValidityPeriod < 0 || d.SessionValidityPeriod > maxValidity {
		r.fail("data.sessionValidityPeriod", "out of range (0 to %d seconds)", maxValidity)
	} else {
		t.ValidFor = time.Duration(d.SessionValidityPeriod) * time.Second
	}
	if len(d.TransactionSubType) > maxSubTypes {
		r.fail("data.transactionSubType", "has more than %d entries", maxSubTypes)
	}
	for i, s := range d.TransactionSubType[:min(len(d.TransactionSubType), maxSubTypes)] {
		t.SubTypes = append(t.SubTypes, r.text("data.transactionSubType["+strconv.Itoa(i)+"]", s, true))
	}
	if bp := d.BillPayment; bp != nil {
		f := func(name, v string) string { return r.text("data.billPayment."+name, v, false) }
		t.BillPayment = &TransactionBillPayment{
			Amount: r.amount("data.billPayment.paymentAmount", bp.PaymentAmount, false), BillerID: f("accountTo", bp.AccountTo),
			AccountFrom: f("accountFrom", bp.AccountFrom), Ref1: f("ref1", bp.Ref1), Ref2: f("ref2", bp.Ref2), Ref3: f("ref3", bp.Ref3),
			Sender: TransactionParty{f("senderName", bp.SenderName), f("senderBankCode", bp.SenderBankCode), f("senderProxyType", bp.SenderProxyType),
				f("senderProxyValue", bp.SenderProxyValue), f("senderAccountType", bp.SenderAccountType), f("senderAccountValue", bp.SenderAccountValue)},
			Receiver: TransactionParty{f("receiverName", bp.ReceiverName), f("receiverBankCode", bp.ReceiverBankCode), f("receiverProxyType", bp.ReceiverProxyType),
				f("receiverProxyValue", bp.ReceiverProxyValue), f("receiverAccountType", bp.ReceiverAccountType), f("receiverAccountValue", bp.ReceiverAccountValue)},
			CountryCode: f("countryCode", bp.CountryCode), Currency: f("currency", bp.Currency),
		}
	}
	return t
}
