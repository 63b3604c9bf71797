package scboauth_test

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scboauth/scboauth/generated"
)

// goTypes maps every schema of components.schemas to a new value of the generated Go type
// that represents it. A schema added to openapi.yaml must be added here, so that its examples
// are round-tripped too; a schema removed makes this file fail to compile.
var goTypes = map[string]func() any{
	"Language":                  func() any { return new(generated.Language) },
	"TokenType":                 func() any { return new(generated.TokenType) },
	"ResponseChannel":           func() any { return new(generated.ResponseChannel) },
	"EndState":                  func() any { return new(generated.EndState) },
	"TokenRequest":              func() any { return new(generated.TokenRequest) },
	"RefreshTokenRequest":       func() any { return new(generated.RefreshTokenRequest) },
	"Status":                    func() any { return new(generated.Status) },
	"SuccessStatus":             func() any { return new(generated.SuccessStatus) },
	"Token":                     func() any { return new(generated.Token) },
	"TokenResponse":             func() any { return new(generated.TokenResponse) },
	"Callback":                  func() any { return new(generated.Callback) },
	"CallbackResponse":          func() any { return new(generated.CallbackResponse) },
	"ErrorResponse":             func() any { return new(generated.ErrorResponse) },
	"BadRequestError":           func() any { return new(generated.BadRequestError) },
	"UnauthorizedError":         func() any { return new(generated.UnauthorizedError) },
	"ForbiddenError":            func() any { return new(generated.ForbiddenError) },
	"NotFoundError":             func() any { return new(generated.NotFoundError) },
	"MethodNotAllowedError":     func() any { return new(generated.MethodNotAllowedError) },
	"UnsupportedMediaTypeError": func() any { return new(generated.UnsupportedMediaTypeError) },
	"TooManyRequestsError":      func() any { return new(generated.TooManyRequestsError) },
	"ServerError":               func() any { return new(generated.ServerError) },
	"NotImplementedError":       func() any { return new(generated.NotImplementedError) },
	"BadGatewayError":           func() any { return new(generated.BadGatewayError) },
	"ServiceUnavailableError":   func() any { return new(generated.ServiceUnavailableError) },
	"GatewayTimeoutError":       func() any { return new(generated.GatewayTimeoutError) },
	// The payment calls.
	"EventCode":                    func() any { return new(generated.EventCode) },
	"QRType":                       func() any { return new(generated.QRType) },
	"PromptPayType":                func() any { return new(generated.PromptPayType) },
	"AmountText":                   func() any { return new(generated.AmountText) },
	"AmountNumber":                 func() any { return new(generated.AmountNumber) },
	"QRAmount":                     func() any { return new(generated.QRAmount) },
	"ExpiryMinutes":                func() any { return new(generated.ExpiryMinutes) },
	"QRCodeRequest":                func() any { return new(generated.QRCodeRequest) },
	"QRCodePromptPayFields":        func() any { return new(generated.QRCodePromptPayFields) },
	"QRCodeCardFields":             func() any { return new(generated.QRCodeCardFields) },
	"QRCodePromptPayAndCardFields": func() any { return new(generated.QRCodePromptPayAndCardFields) },
	"ResponseAmount":               func() any { return new(generated.ResponseAmount) },
	"ResponseAmountAny":            func() any { return new(generated.ResponseAmountAny) },
	"QRChannel":                    func() any { return new(generated.QRChannel) },
	"QRCode":                       func() any { return new(generated.QRCode) },
	"QRCodeResponse":               func() any { return new(generated.QRCodeResponse) },
	"SlipIdentifier":               func() any { return new(generated.SlipIdentifier) },
	"SlipParty":                    func() any { return new(generated.SlipParty) },
	"Slip":                         func() any { return new(generated.Slip) },
	"SlipResponse":                 func() any { return new(generated.SlipResponse) },
	"BillPayment":                  func() any { return new(generated.BillPayment) },
	"BillPaymentInquiryResponse":   func() any { return new(generated.BillPaymentInquiryResponse) },
	"TransactionType":              func() any { return new(generated.TransactionType) },
	"TransactionSubType":           func() any { return new(generated.TransactionSubType) },
	"DeeplinkAmount":               func() any { return new(generated.DeeplinkAmount) },
	"DeeplinkBillPayment":          func() any { return new(generated.DeeplinkBillPayment) },
	"DeeplinkCreditCard":           func() any { return new(generated.DeeplinkCreditCard) },
	"DeeplinkInstallment":          func() any { return new(generated.DeeplinkInstallment) },
	"MerchantInfo":                 func() any { return new(generated.MerchantInfo) },
	"PaymentInfo":                  func() any { return new(generated.PaymentInfo) },
	"MerchantMetaData":             func() any { return new(generated.MerchantMetaData) },
	"DeeplinkRequest":              func() any { return new(generated.DeeplinkRequest) },
	"Deeplink":                     func() any { return new(generated.Deeplink) },
	"DeeplinkResponse":             func() any { return new(generated.DeeplinkResponse) },
	"TransactionBillPayment":       func() any { return new(generated.TransactionBillPayment) },
	"Transaction":                  func() any { return new(generated.Transaction) },
	"TransactionResponse":          func() any { return new(generated.TransactionResponse) },
	"PaymentBadRequestError":       func() any { return new(generated.PaymentBadRequestError) },
	"PaymentServerError":           func() any { return new(generated.PaymentServerError) },
	// The payment confirmation (a callback of the payment calls).
	"PaymentConfirmation":        func() any { return new(generated.PaymentConfirmation) },
	"PaymentConfirmationAck":     func() any { return new(generated.PaymentConfirmationAck) },
	"PaymentConfirmationRefusal": func() any { return new(generated.PaymentConfirmationRefusal) },
}

type example struct {
	where  string
	schema string // name in components.schemas
	value  any
}

// collectExamples returns every example of the document that belongs to a named schema: the
// examples of request bodies and responses (wherever they are declared) and of the schemas.
func collectExamples(t *testing.T, doc *openapi3.T) []example {
	t.Helper()
	var out []example
	content := func(where string, c openapi3.Content) {
		for mt, m := range c {
			name, ok := strings.CutPrefix(m.Schema.Ref, "#/components/schemas/")
			require.True(t, ok, "%s %s: the schema must be a reference to a component, got %q", where, mt, m.Schema.Ref)
			if m.Example != nil {
				out = append(out, example{where + " " + mt + " example", name, m.Example})
			}
			for exName, ex := range m.Examples {
				out = append(out, example{where + " " + mt + " examples." + exName, name, ex.Value.Value})
			}
		}
	}
	for name, rb := range doc.Components.RequestBodies {
		content("components.requestBodies."+name, rb.Value.Content)
	}
	for name, r := range doc.Components.Responses {
		content("components.responses."+name, r.Value.Content)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.RequestBody != nil && op.RequestBody.Ref == "" {
				content(where+" request", op.RequestBody.Value.Content)
			}
			for code, r := range op.Responses.Map() {
				if r.Ref == "" {
					content(where+" "+code, r.Value.Content)
				}
			}
		}
	}
	for name, s := range doc.Components.Schemas {
		if s.Value.Example != nil {
			out = append(out, example{"components.schemas." + name + " example", name, s.Value.Example})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].where < out[j].where })
	return out
}

// withoutNulls removes null members of objects: the generated types encode an absent optional
// field and a null one alike (`omitempty`), which the spec allows for `data` on errors.
func withoutNulls(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			if e != nil {
				out[k] = withoutNulls(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = withoutNulls(e)
		}
		return out
	}
	return v
}

func canonicalJSON(t *testing.T, data []byte) string {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(data, &v))
	out, err := json.Marshal(withoutNulls(v))
	require.NoError(t, err)
	return string(out)
}

// TestExamplesRoundTrip decodes every example strictly (no unknown fields) into the generated
// Go type of its schema, encodes it again and compares: the generated types can carry every
// documented message without loss.
func TestExamplesRoundTrip(t *testing.T) {
	doc := loadKin(t)
	for name := range doc.Components.Schemas {
		if _, ok := goTypes[name]; !ok {
			t.Errorf("schema %s has no entry in goTypes", name)
		}
	}
	examples := collectExamples(t, doc)
	require.GreaterOrEqual(t, len(examples), 40, "got %d examples, want every documented message", len(examples))
	seen := map[string]bool{}
	for _, ex := range examples {
		t.Run(ex.where, func(t *testing.T) {
			newValue, ok := goTypes[ex.schema]
			require.True(t, ok, "no Go type for schema %s", ex.schema)
			seen[ex.schema] = true

			in, err := json.Marshal(ex.value)
			require.NoError(t, err)
			dec := json.NewDecoder(bytes.NewReader(in))
			dec.DisallowUnknownFields()
			v := newValue()
			require.NoError(t, dec.Decode(v), "decode %s into %T", in, v)
			if e, ok := v.(interface{ Valid() bool }); ok {
				assert.True(t, e.Valid(), "%s is not a member of %T", in, v)
			}
			out, err := json.Marshal(v)
			require.NoError(t, err)
			assert.Equal(t, canonicalJSON(t, in), canonicalJSON(t, out))
		})
	}
	for _, name := range []string{"TokenRequest", "RefreshTokenRequest", "TokenResponse", "CallbackResponse", "ErrorResponse", "UnauthorizedError", "Token",
		"QRCodeRequest", "QRCodeResponse", "SlipResponse", "BillPaymentInquiryResponse", "DeeplinkRequest", "DeeplinkResponse", "TransactionResponse",
		"PaymentBadRequestError", "PaymentServerError", "PaymentConfirmation", "PaymentConfirmationAck", "PaymentConfirmationRefusal"} {
		assert.True(t, seen[name], "no example was round-tripped through schema %s", name)
	}
}
