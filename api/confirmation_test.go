package api_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/generated"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// qr30Confirmation is a captured sandbox confirmation of a QR 30 [seen], names changed.
const qr30Confirmation = `{"payeeProxyId":"992248334149336","payeeProxyType":"BILLERID","payeeAccountNumber":"0987654321",
"payeeName":"Demo Shop","payerProxyId":"6517490001","payerProxyType":"ACCOUNT","payerAccountNumber":"6517490001",
"payerName":"Sandbox Customer","sendingBankCode":"014","receivingBankCode":"014","amount":"1","channelCode":"PMH",
"transactionId":"202307261Nlm85Q4mCrpihM","transactionDateandTime":"2023-07-26T17:31:12+07:00","billPaymentRef1":"INV001",
"billPaymentRef2":"REFERENCE2","billPaymentRef3":"WXZ","currencyCode":"764","transactionType":"Domestic Transfer"}`

// confirmation returns a minimal confirmation with the extra fields (JSON members) added.
func confirmation(id string, extra ...string) string {
	return `{"transactionId":"` + id + `","amount":"100.50","transactionDateandTime":"2026-04-01T10:31:05+07:00"` +
		strings.Join(append([]string{""}, extra...), ",") + `}`
}

func TestParsePaymentConfirmationQR30(t *testing.T) {
	c, err := api.ParsePaymentConfirmation([]byte(qr30Confirmation))
	if err != nil {
		t.Fatal(err)
	}
	want := api.PaymentConfirmation{
		TransactionID: "202307261Nlm85Q4mCrpihM", Amount: api.Baht(1), PaidAt: time.Date(2023, 7, 26, 17, 31, 12, 0, api.Bangkok),
		CurrencyCode: "764", TransactionType: "Domestic Transfer", ChannelCode: "PMH", BillerID: "992248334149336",
		Ref1: "INV001", Ref2: "REFERENCE2", Ref3: "WXZ",
		Payee: api.ConfirmationParty{Name: "Demo Shop", ProxyType: "BILLERID", AccountNumber: "0987654321", BankCode: "014"},
		Payer: api.ConfirmationParty{Name: "Sandbox Customer", ProxyID: "6517490001", ProxyType: "ACCOUNT", AccountNumber: "6517490001", BankCode: "014"},
		Body:  []byte(qr30Confirmation),
	}
	if !reflect.DeepEqual(*c, want) {
		t.Errorf("got  %+v\nwant %+v", *c, want)
	}
	if c.PaidAt.Location() != api.Bangkok {
		t.Errorf("PaidAt in %v, want Bangkok", c.PaidAt.Location())
	}
}

// TestParsePaymentConfirmationForms: amounts as text or a number, times with or without an
// offset and fractions, on GMT for a QR CS and GMT+7 otherwise.
func TestParsePaymentConfirmationForms(t *testing.T) {
	bangkok := func(h, m, s, ns int) time.Time { return time.Date(2026, 4, 1, h, m, s, ns, api.Bangkok) }
	tests := []struct {
		name   string
		body   string
		amount api.Amount
		paidAt time.Time
	}{
		{"amount as text", confirmation("T1"), api.Satang(10050), bangkok(10, 31, 5, 0)},
		{"amount as a number", `{"transactionId":"T1","amount":100,"transactionDateandTime":"2026-04-01T10:31:05+07:00"}`, api.Baht(100), bangkok(10, 31, 5, 0)},
		{"amount as a number with decimals", `{"transactionId":"T1","amount":750.45,"transactionDateandTime":"2026-04-01T10:31:05+07:00"}`, api.Satang(75045), bangkok(10, 31, 5, 0)},
		{"fractional seconds", `{"transactionId":"T1","amount":"1","transactionDateandTime":"2026-04-01T10:31:05.250+07:00"}`, api.Baht(1), bangkok(10, 31, 5, 250e6)},
		{"QR CS in GMT with Z", `{"transactionId":"T1","amount":"1","transactionDateandTime":"2026-04-01T03:31:05Z","paymentMethod":"QRCS"}`, api.Baht(1), bangkok(10, 31, 5, 0)},
		{"QR CS in GMT without an offset", `{"transactionId":"T1","amount":"1","transactionDateandTime":"2026-04-01T03:31:05","paymentMethod":"QRCS"}`, api.Baht(1), bangkok(10, 31, 5, 0)},
		{"QR 30 without an offset: Bangkok", `{"transactionId":"T1","amount":"1","transactionDateandTime":"2026-04-01T10:31:05"}`, api.Baht(1), bangkok(10, 31, 5, 0)},
		{"a wallet's qrId does not make it GMT", `{"transactionId":"T1","amount":"1","transactionDateandTime":"2026-04-01T10:31:05","qrId":"x"}`, api.Baht(1), bangkok(10, 31, 5, 0)},
		{"null for an optional text, unknown fields", confirmation("T1", `"payerName":null`, `"somethingNew":{"a":[1]}`), api.Satang(10050), bangkok(10, 31, 5, 0)},
		{"zero amount", `{"transactionId":"T1","amount":"0","transactionDateandTime":"2026-04-01T10:31:05+07:00"}`, 0, bangkok(10, 31, 5, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := api.ParsePaymentConfirmation([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if c.Amount != tt.amount || !c.PaidAt.Equal(tt.paidAt) || c.PaidAt.Location() != api.Bangkok {
				t.Errorf("got %s at %s, want %s at %s", c.Amount, c.PaidAt, tt.amount, tt.paidAt)
			}
			if err := sandboxtest.CheckConfirmation([]byte(tt.body)); err != nil {
				t.Errorf("the spec refuses what the parser accepts: %v", err)
			}
		})
	}
}

// TestParsePaymentConfirmationInvalid: each class of garbage is an error matching
// ErrInvalidConfirmation that names the field and quotes nothing of the body.
func TestParsePaymentConfirmationInvalid(t *testing.T) {
	const secretish = "S3CRET-VALUE"
	long := strings.Repeat("a", 257)
	tests := []struct{ name, body, want string }{
		{"empty", ``, "not a JSON object"},
		{"an array", `[` + confirmation("T1") + `]`, "not a JSON object"},
		{"cut short", confirmation("T1")[:40], "JSON cut short"},
		{"no transactionId", `{"amount":"1","transactionDateandTime":"2026-04-01T10:31:05+07:00"}`, "transactionId missing"},
		{"transactionId in capitals", `{"TRANSACTIONID":"T1","amount":"1","transactionDateandTime":"2026-04-01T10:31:05+07:00"}`, "transactionId missing"},
		{"transactionId a number", `{"transactionId":7,"amount":"1","transactionDateandTime":"2026-04-01T10:31:05+07:00"}`, "transactionId missing"},
		{"transactionId with a space", confirmation("T 1"), "transactionId is not"},
		{"transactionId with CR LF", confirmation(`T\r\n1`), "transactionId is not"},
		{"transactionId too long", confirmation(strings.Repeat("T", 129)), "transactionId is not"},
		{"no amount", `{"transactionId":"T1","transactionDateandTime":"2026-04-01T10:31:05+07:00"}`, "amount missing"},
		{"amount with three decimals", `{"transactionId":"T1","amount":"1.005","transactionDateandTime":"2026-04-01T10:31:05+07:00"}`, "amount is not"},
		{"negative amount", `{"transactionId":"T1","amount":-1,"transactionDateandTime":"2026-04-01T10:31:05+07:00"}`, "amount is not"},
		{"amount with an exponent", `{"transactionId":"T1","amount":1e2,"transactionDateandTime":"2026-04-01T10:31:05+07:00"}`, "amount is not"},
		{"amount of 16 digits", `{"transactionId":"T1","amount":"9999999999999999","transactionDateandTime":"2026-04-01T10:31:05+07:00"}`, "amount is not"},
		{"amount as an object", `{"transactionId":"T1","amount":{},"transactionDateandTime":"2026-04-01T10:31:05+07:00"}`, "amount is not"},
		{"no time", `{"transactionId":"T1","amount":"1"}`, "transactionDateandTime missing"},
		{"time of another form", `{"transactionId":"T1","amount":"1","transactionDateandTime":"26/07/2023 17:31"}`, "transactionDateandTime missing"},
		{"30 February", `{"transactionId":"T1","amount":"1","transactionDateandTime":"2026-02-30T10:31:05+07:00"}`, "not a valid date"},
		{"text of the wrong type", confirmation("T1", `"payerName":7`), "payerName is not a JSON string"},
		{"text with a line feed", confirmation("T1", `"payerName":"a\n`+secretish+`"`), "payerName has control"},
		{"text with U+202E", confirmation("T1", `"payerName":"a\u202e`+secretish+`"`), "payerName has control"},
		{"text too long", confirmation("T1", `"payerName":"`+long+`"`), "payerName longer than 256"},
		{"equivalentAmount garbage", confirmation("T1", `"equivalentAmount":"x"`), "equivalentAmount is not"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := api.ParsePaymentConfirmation([]byte(tt.body))
			switch {
			case err == nil:
				t.Fatal("no error")
			case !errors.Is(err, api.ErrInvalidConfirmation):
				t.Errorf("got %v, want ErrInvalidConfirmation", err)
			case !strings.Contains(err.Error(), tt.want):
				t.Errorf("got %q, want it to say %q", err, tt.want)
			case strings.Contains(err.Error(), secretish) || strings.Contains(err.Error(), long):
				t.Errorf("the error quotes the body: %q", err)
			}
		})
	}
}

// TestParsePaymentConfirmationReadsEveryField: every field of the spec's PaymentConfirmation
// (the generated type's JSON names) reaches the typed confirmation, so that the parser and
// openapi.yaml cannot drift apart.
func TestParsePaymentConfirmationReadsEveryField(t *testing.T) {
	fields := map[string]any{}
	typ := reflect.TypeFor[generated.PaymentConfirmation]()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		fields[name] = "V" + strings.ToUpper(name)
	}
	fields["transactionId"], fields["amount"], fields["equivalentAmount"] = "T1", "12.34", 56.78
	fields["transactionDateandTime"] = "2026-04-01T10:31:05+07:00"
	body, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	c, err := api.ParsePaymentConfirmation(body)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	var collect func(v reflect.Value)
	collect = func(v reflect.Value) {
		for i := range v.NumField() {
			switch f := v.Field(i); f.Kind() {
			case reflect.String:
				got[f.String()] = true
			case reflect.Struct:
				collect(f)
			}
		}
	}
	collect(reflect.ValueOf(*c))
	for name, v := range fields {
		if s, ok := v.(string); ok && strings.HasPrefix(s, "V") && !got[s] {
			t.Errorf("field %s of openapi.yaml is not read into PaymentConfirmation", name)
		}
	}
	if c.Amount != api.Satang(1234) || c.EquivalentAmount != api.Satang(5678) || c.TransactionID != "T1" {
		t.Errorf("got %s, %s, %s", c.Amount, c.EquivalentAmount, c.TransactionID)
	}
	if len(fields) < 40 {
		t.Fatalf("the generated type has %d fields: the check checks little", len(fields))
	}
	if s := c.String(); !strings.Contains(s, "T1") {
		t.Errorf("String: %q", s)
	}
}
