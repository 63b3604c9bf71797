package scboauth_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scboauth/scboauth/generated"
)

// confirmationCallback returns the paymentConfirmation callback of an operation and its POST.
func confirmationCallback(t *testing.T, doc *openapi3.T, method, path string) *openapi3.Operation {
	t.Helper()
	op := operation(t, doc, method, path)
	cb := op.Callbacks["paymentConfirmation"]
	require.NotNil(t, cb, "%s %s has no paymentConfirmation callback", method, path)
	require.Len(t, cb.Value.Keys(), 1, "one URL: the merchant's registered one")
	item := cb.Value.Value(cb.Value.Keys()[0])
	require.NotNil(t, item.Post, "the confirmation is a POST [seen]")
	return item.Post
}

// TestFactsPaymentConfirmation checks scb-payments.md section 6 as openapi.yaml states it: the
// callback on the calls that create something payable, its body and SCB's acknowledgement.
func TestFactsPaymentConfirmation(t *testing.T) {
	doc := loadKin(t)
	for _, tt := range []struct{ method, path, id string }{
		{"POST", "/v1/payment/qrcode/create", "confirmQRPayment"},
		{"POST", "/v3/deeplink/transactions", "confirmDeeplinkPayment"},
	} {
		post := confirmationCallback(t, doc, tt.method, tt.path)
		assert.Equal(t, tt.id, post.OperationID, "one operationId per callback: oapi-codegen declares each once")
		assert.NotNil(t, post.Security, "security stated")
		assert.Empty(t, *post.Security, "SCB documents no authentication of the confirmation")
		assert.Equal(t, "#/components/requestBodies/PaymentConfirmation", post.RequestBody.Ref)
		assert.True(t, post.RequestBody.Value.Required)
		assert.Equal(t, "#/components/responses/PaymentConfirmationAcknowledged", post.Responses.Value("200").Ref)
		assert.Equal(t, "#/components/responses/PaymentConfirmationRefused", post.Responses.Default().Ref)
	}

	rb := doc.Components.RequestBodies["PaymentConfirmation"].Value.Description
	for _, fact := range []string{"up to 3 times, with an\ninterval of 12\n        seconds", "e-mails", "no\n        signature", "slip verification"} {
		assert.Contains(t, strings.Join(strings.Fields(rb), " "), strings.Join(strings.Fields(fact), " "))
	}

	body := doc.Components.Schemas["PaymentConfirmation"].Value
	assert.ElementsMatch(t, []string{"transactionId", "amount", "transactionDateandTime"}, body.Required)
	for _, f := range []string{"payeeProxyId", "payerName", "billPaymentRef1", "billPaymentRef2", "billPaymentRef3", "channelCode",
		"qrId", "merchantId", "terminalId", "merchantPAN", "consumerPAN", "traceNo", "authorizeCode", "paymentMethod", "invoice", "note"} {
		assert.Contains(t, body.Properties, f, "QR 30 / bill payment and QR CS fields")
	}
	for name, p := range body.Properties {
		switch name {
		case "amount", "equivalentAmount":
			amount := doc.Components.Schemas["ResponseAmountAny"].Value
			assert.Equal(t, "#/components/schemas/ResponseAmountAny", p.Ref, "an amount is text or a number [seen]")
			assert.Len(t, amount.OneOf, 2)
		default:
			assert.True(t, p.Value.Type.Is("string"), "%s: SCB's table types every field String [doc]", name)
			assert.NotNil(t, p.Value.MaxLength, "%s: bounded", name)
		}
	}
	when := body.Properties["transactionDateandTime"].Value.Description
	assert.Contains(t, when, "GMT+7")
	assert.Contains(t, when, "**GMT** for QR CS")

	ack := doc.Components.Schemas["PaymentConfirmationAck"].Value
	assert.Equal(t, []any{"00"}, ack.Properties["resCode"].Value.Enum)
	assert.Contains(t, ack.Properties, "resDesc")
	assert.Contains(t, ack.Properties, "resDesc ", "the typo three receivers send [seen]")
	assert.ElementsMatch(t, []string{"resCode", "transactionId"}, ack.Required)
}

// TestPaymentConfirmationSchemas validates bodies against the callback's schemas as kin-openapi
// reads them: what SCB sends is accepted, in each of its forms, and garbage is not.
func TestPaymentConfirmationSchemas(t *testing.T) {
	doc := loadKin(t)
	schema := func(name string) *openapi3.Schema { return doc.Components.Schemas[name].Value }
	valid := func(name, body string) error {
		var v any
		require.NoError(t, json.Unmarshal([]byte(body), &v))
		return schema(name).VisitJSON(v)
	}
	const base = `"transactionId":"202307261Nlm85Q4mCrpihM","transactionDateandTime":"2023-07-26T17:31:12+07:00"`
	tests := []struct {
		name, schema, body string
		ok                 bool
	}{
		{"amount as text", "PaymentConfirmation", `{` + base + `,"amount":"750.45"}`, true},
		{"amount as a number", "PaymentConfirmation", `{` + base + `,"amount":100}`, true},
		{"QR CS time in GMT without an offset", "PaymentConfirmation", `{"transactionId":"1","amount":"1","transactionDateandTime":"2026-04-01T03:31:05","paymentMethod":"QRCS"}`, true},
		{"a field SCB may add", "PaymentConfirmation", `{` + base + `,"amount":"1","somethingNew":"x"}`, true},
		{"amount with three decimals", "PaymentConfirmation", `{` + base + `,"amount":"1.005"}`, false},
		{"negative amount", "PaymentConfirmation", `{` + base + `,"amount":-1}`, false},
		{"no transactionId", "PaymentConfirmation", `{"amount":"1","transactionDateandTime":"2023-07-26T17:31:12+07:00"}`, false},
		{"transactionId with a space", "PaymentConfirmation", `{"transactionId":"a b","amount":"1","transactionDateandTime":"2023-07-26T17:31:12+07:00"}`, false},
		{"time not ISO 8601", "PaymentConfirmation", `{"transactionId":"1","amount":"1","transactionDateandTime":"26/07/2023 17:31"}`, false},
		{"payerName of the wrong type", "PaymentConfirmation", `{` + base + `,"amount":"1","payerName":7}`, false},
		{"acknowledgement", "PaymentConfirmationAck", `{"resCode":"00","resDesc":"success","transactionId":"1"}`, true},
		{"acknowledgement with the typo", "PaymentConfirmationAck", `{"resCode":"00","resDesc ":"success","transactionId":"1"}`, true},
		{"acknowledgement of another code", "PaymentConfirmationAck", `{"resCode":"01","resDesc":"success","transactionId":"1"}`, false},
		{"refusal", "PaymentConfirmationRefusal", `{"resCode":"99","resDesc":"not processed, send again"}`, true},
		{"refusal claiming success", "PaymentConfirmationRefusal", `{"resCode":"00","resDesc":"success"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := valid(tt.schema, tt.body)
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}

// callbackReceiver is the generated callback receiver, recording the bodies it decodes.
type callbackReceiver struct {
	got chan generated.PaymentConfirmation
}

func (c callbackReceiver) receive(w http.ResponseWriter, r *http.Request) {
	var body generated.PaymentConfirmation
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	c.got <- body
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(generated.PaymentConfirmationAck{ResCode: generated.ResCodeAcknowledged, TransactionId: body.TransactionId})
}

func (c callbackReceiver) HandleConfirmQRPaymentCallback(w http.ResponseWriter, r *http.Request) {
	c.receive(w, r)
}

func (c callbackReceiver) HandleConfirmDeeplinkPaymentCallback(w http.ResponseWriter, r *http.Request) {
	c.receive(w, r)
}

// TestGeneratedCallbackRoundTrip: oapi-codegen v2.8.2 turns the callbacks into a sender
// (CallbackInitiator) and a receiver (CallbackReceiverInterface) that carry a confirmation,
// its amount as text or number, and SCB's acknowledgement.
func TestGeneratedCallbackRoundTrip(t *testing.T) {
	rcv := callbackReceiver{got: make(chan generated.PaymentConfirmation, 1)}
	srv := httptest.NewServer(generated.ConfirmQRPaymentCallbackHandler(rcv, nil))
	defer srv.Close()
	sender, err := generated.NewCallbackInitiator(generated.WithCallbackHTTPClient(srv.Client()))
	require.NoError(t, err)

	var amount generated.ResponseAmountAny
	require.NoError(t, amount.FromResponseAmount("100.50"))
	resp, err := sender.ConfirmQRPayment(t.Context(), srv.URL+"/scb/confirm", generated.PaymentConfirmation{
		TransactionId: "202307261Nlm85Q4mCrpihM", Amount: amount, TransactionDateandTime: "2023-07-26T17:31:12+07:00",
		PayerName: ptr("Sandbox Customer"),
	})
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	got := <-rcv.got
	text, err := got.Amount.AsResponseAmount()
	require.NoError(t, err)
	assert.Equal(t, "100.50", text)
	assert.Equal(t, "Sandbox Customer", *got.PayerName)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"resCode":"00","transactionId":"202307261Nlm85Q4mCrpihM"}`, string(raw))
}
