package sandbox

import (
	"encoding/json"
	"time"

	"github.com/scboauth/scboauth/generated"
)

// The card fields of a simulated card payment [decision: SCB's values are not public]: a
// Visa test card, masked as SCB masks it [seen: the research note].
const (
	sandboxMerchantPAN = "4111110000001111"
	sandboxConsumerPAN = "411111XXXXXX1111"
)

// confirmationBody returns the payment confirmation SCB would post for pay (openapi.yaml,
// schema PaymentConfirmation): a bill payment's payee, payer and references (QR 30, a
// deeplink's BP), or a card payment's merchant and card (QR CS, CCFA, CCIPP). Times are on
// Bangkok's clock, a QR CS's in GMT [doc].
func confirmationBody(pay *Payment) []byte {
	var amount generated.ResponseAmountAny
	fixed := pay.Method != MethodQR30 && pay.Method != MethodBillPayment // [seen: "1" for a QR 30; "100.00" for a QR CS]
	_ = amount.FromResponseAmount(formatAmount(pay.AmountSatang, fixed))
	c := generated.PaymentConfirmation{
		TransactionId: pay.TransactionID, Amount: amount, CurrencyCode: str("764"),
		TransactionDateandTime: pay.PaidAt.In(bangkok).Format(time.RFC3339),
	}
	switch pay.Method {
	case MethodQR30, MethodBillPayment:
		billConfirmation(&c, pay)
	default:
		c.TransactionType = str("AUTH")
		c.MerchantId, c.TerminalId, c.Invoice = orNil(pay.MerchantID), orNil(pay.TerminalID), orNil(pay.Invoice)
		if pay.Method == MethodCard {
			c.TransactionDateandTime = pay.PaidAt.UTC().Format(time.RFC3339)
			c.QrId, c.PaymentMethod, c.ChannelCode = orNil(pay.QRCodeID), str("QRCS"), str("VISA")
			c.MerchantPAN, c.ConsumerPAN = str(sandboxMerchantPAN), str(sandboxConsumerPAN)
			c.TraceNo, c.AuthorizeCode = str(pay.TransactionID[len(pay.TransactionID)-6:]), str(pay.TransactionID[8:14])
		}
	}
	body, _ := json.Marshal(c) // strings and a validated amount: it always encodes
	return body
}

// billConfirmation fills in the fields of a bill payment's confirmation [seen: a captured
// sandbox payload].
func billConfirmation(c *generated.PaymentConfirmation, pay *Payment) {
	c.TransactionType, c.ChannelCode = str("Domestic Transfer"), str("PMH")
	c.PayeeProxyId, c.PayeeProxyType = str(pay.BillerID), str("BILLERID")
	c.PayeeAccountNumber, c.PayeeName, c.ReceivingBankCode = str(pay.PayeeAccount), str(pay.PayeeName), str("014")
	c.PayerProxyId, c.PayerProxyType = str(pay.Payer.ProxyValue), str(pay.Payer.ProxyType)
	c.PayerAccountNumber, c.PayerName, c.SendingBankCode = str(pay.Payer.AccountNumber), str(pay.Payer.Name), str(pay.Payer.BankCode)
	c.BillPaymentRef1, c.BillPaymentRef2, c.BillPaymentRef3 = str(pay.Ref1), orNil(pay.Ref2), orNil(pay.Ref3)
}

func str(s string) *string { return &s }
