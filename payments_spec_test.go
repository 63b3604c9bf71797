package scboauth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scboauth/scboauth/generated"
)

// The payment operations of the minimal strict server: enough to carry each operation's success
// and an error through the generated code.

var success = generated.Status{Code: 1000, Description: "Success"}

func (strictServer) CreateQRCode(_ context.Context, req generated.CreateQRCodeRequestObject) (generated.CreateQRCodeResponseObject, error) {
	if req.Body.QrType != generated.QRTypePromptPay {
		return generated.CreateQRCode400JSONResponse{PaymentBadRequestJSONResponse: generated.PaymentBadRequestJSONResponse{
			Status: generated.Status{Code: 1102, Description: "Invalid parameters entered"},
		}}, nil
	}
	return generated.CreateQRCode200JSONResponse{Status: success, Data: generated.QRCode{
		QrRawData: "000201010212" + *req.Body.PpId, QrImage: "R0lGODdhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs=",
	}}, nil
}

func (strictServer) VerifySlip(_ context.Context, req generated.VerifySlipRequestObject) (generated.VerifySlipResponseObject, error) {
	if req.Params.SendingBank != "014" {
		return generated.VerifySlip404JSONResponse{PaymentNotFoundJSONResponse: generated.PaymentNotFoundJSONResponse{
			Status: generated.Status{Code: 1104, Description: "Requested entity record does not exist"},
		}}, nil
	}
	return generated.VerifySlip200JSONResponse{Status: success, Data: generated.Slip{
		TransRef: req.TransRef, SendingBank: "014", ReceivingBank: "014", TransDate: "20260401", TransTime: "10:31:05", Amount: "100",
	}}, nil
}

func (strictServer) InquireBillPayment(_ context.Context, req generated.InquireBillPaymentRequestObject) (generated.InquireBillPaymentResponseObject, error) {
	var amount generated.ResponseAmountAny
	if err := amount.FromResponseAmountAny1(json.Number("100.5")); err != nil {
		return nil, err
	}
	return generated.InquireBillPayment200JSONResponse{Status: success, Data: []generated.BillPayment{{
		TransactionId: "20260401X7fK2mQp9RtLw3Z", Amount: amount, TransactionDateandTime: req.Params.TransactionDate + "T10:31:05.000+07:00",
	}}}, nil
}

func (strictServer) CreateDeeplink(_ context.Context, req generated.CreateDeeplinkRequestObject) (generated.CreateDeeplinkResponseObject, error) {
	return generated.CreateDeeplink201JSONResponse{Status: generated.Status{Code: 1000, Description: "Deeplink successfully created"}, Data: generated.Deeplink{
		TransactionId: "7d7a1b2c-3e4f-4a5b-8c6d-7e8f9a0b1c2d", DeeplinkUrl: "scbeasysim://purchase/7d7a1b2c-3e4f-4a5b-8c6d-7e8f9a0b1c2d",
		UserRefId: ptr(string(req.Body.BillPayment.PaymentAmount)),
	}}, nil
}

func (strictServer) GetTransaction(_ context.Context, req generated.GetTransactionRequestObject) (generated.GetTransactionResponseObject, error) {
	return generated.GetTransaction200JSONResponse{Status: success, Data: generated.Transaction{
		TransactionId: req.TransactionId, TransactionType: "PURCHASE", TransactionSubType: []string{"BP"}, StatusCode: ptr(1),
	}}, nil
}

// bearer adds an authorization header to every request of the generated client.
func bearer(_ context.Context, req *http.Request) error {
	req.Header.Set("Authorization", "Bearer 7aa3e8fc-3ff4-4a8b-9a16-9d2aab3a1a5b")
	return nil
}

// TestGeneratedPaymentRoundTrip runs the payment operations of the generated client against the
// generated strict server over real HTTP, validating every request and response against
// openapi.yaml (the Bearer token included).
func TestGeneratedPaymentRoundTrip(t *testing.T) {
	client := generatedClient(t, generated.WithRequestEditorFn(bearer))
	ctx := context.Background()

	t.Run("create QR", func(t *testing.T) {
		var body generated.QRCodeRequest
		require.NoError(t, json.Unmarshal([]byte(`{"qrType":"PP","amount":"100.00","ppType":"BILLERID","ppId":"012345678901234","ref1":"INV001","ref3":"SCB"}`), &body))
		resp, err := client.CreateQRCodeWithResponse(ctx, &generated.CreateQRCodeParams{ResourceOwnerId: owner, RequestUId: uid}, body)
		require.NoError(t, err)
		require.NotNil(t, resp.JSON200, "got %d %s", resp.StatusCode(), resp.Body)
		assert.Equal(t, "000201010212012345678901234", resp.JSON200.Data.QrRawData)
	})
	t.Run("verify slip", func(t *testing.T) {
		resp, err := client.VerifySlipWithResponse(ctx, "20260401X7fK2mQp9RtLw3Z", &generated.VerifySlipParams{SendingBank: "014", ResourceOwnerId: owner, RequestUId: uid})
		require.NoError(t, err)
		require.NotNil(t, resp.JSON200)
		assert.Equal(t, "20260401X7fK2mQp9RtLw3Z", resp.JSON200.Data.TransRef)
		resp, err = client.VerifySlipWithResponse(ctx, "X", &generated.VerifySlipParams{SendingBank: "004", ResourceOwnerId: owner, RequestUId: uid})
		require.NoError(t, err)
		require.NotNil(t, resp.JSON404)
		assert.Equal(t, 1104, resp.JSON404.Status.Code)
	})
	t.Run("inquiry", func(t *testing.T) {
		resp, err := client.InquireBillPaymentWithResponse(ctx, &generated.InquireBillPaymentParams{
			EventCode: generated.EventCodeQR30, TransactionDate: "2026-04-01", BillerId: ptr("012345678901234"), Reference1: ptr("INV001"),
			ResourceOwnerId: owner, RequestUId: uid,
		})
		require.NoError(t, err)
		require.NotNil(t, resp.JSON200)
		require.Len(t, resp.JSON200.Data, 1)
		amount, err := resp.JSON200.Data[0].Amount.AsResponseAmountAny1()
		require.NoError(t, err)
		assert.Equal(t, json.Number("100.5"), amount)
	})
	t.Run("deeplink", func(t *testing.T) {
		resp, err := client.CreateDeeplinkWithResponse(ctx, &generated.CreateDeeplinkParams{Channel: "scbeasy", ResourceOwnerId: owner, RequestUId: uid},
			generated.DeeplinkRequest{TransactionType: generated.TransactionTypePurchase, TransactionSubType: []generated.TransactionSubType{generated.TransactionSubTypeBillPayment},
				BillPayment: &generated.DeeplinkBillPayment{PaymentAmount: "3120.00", AccountTo: "012345678901234", Ref1: "INV001"}})
		require.NoError(t, err)
		require.NotNil(t, resp.JSON201, "got %d %s", resp.StatusCode(), resp.Body)
		assert.Equal(t, "3120.00", *resp.JSON201.Data.UserRefId, "the amount crossed as written")
	})
	t.Run("transaction", func(t *testing.T) {
		resp, err := client.GetTransactionWithResponse(ctx, "7d7a1b2c-3e4f-4a5b-8c6d-7e8f9a0b1c2d", &generated.GetTransactionParams{ResourceOwnerId: owner, RequestUId: uid})
		require.NoError(t, err)
		require.NotNil(t, resp.JSON200)
		assert.Equal(t, 1, *resp.JSON200.Data.StatusCode)
	})
}

// The facts of the payment operations (scb-payments.md), checked against openapi.yaml.

func TestFactsPaymentOperations(t *testing.T) {
	doc := loadKin(t)
	std := []string{"resourceOwnerId", "requestUId", "accept-language"}
	tests := []struct {
		method, path, id string
		params           []string // besides the standard headers
		statuses         []string
	}{
		{"POST", "/v1/payment/qrcode/create", "createQRCode", nil,
			[]string{"200", "400", "401", "403", "405", "415", "429", "500", "502", "503", "504"}},
		{"GET", "/v1/payment/billpayment/transactions/{transRef}", "verifySlip", []string{"transRef", "sendingBank"},
			[]string{"200", "400", "401", "403", "404", "405", "429", "500", "502", "503", "504"}},
		{"GET", "/v1/payment/billpayment/inquiry", "inquireBillPayment",
			[]string{"eventCode", "transactionDate", "billerId", "reference1", "reference2", "partnerTransactionId", "amount"},
			[]string{"200", "400", "401", "403", "405", "429", "500", "502", "503", "504"}},
		{"POST", "/v3/deeplink/transactions", "createDeeplink", []string{"channel"},
			[]string{"200", "201", "400", "401", "403", "405", "415", "429", "500", "501", "502", "503", "504"}},
		{"GET", "/v2/transactions/{transactionId}", "getTransaction", []string{"transactionId"},
			[]string{"200", "400", "401", "403", "404", "405", "429", "500", "502", "503", "504"}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			op := operation(t, doc, tt.method, tt.path)
			assert.Equal(t, tt.id, op.OperationID)
			assert.Equal(t, []string{"Payments"}, op.Tags)
			require.NotNil(t, op.Security, "a payment call needs the Bearer token")
			require.Len(t, *op.Security, 1)
			assert.Contains(t, (*op.Security)[0], "BearerToken")
			var names []string
			for _, p := range op.Parameters {
				names = append(names, p.Value.Name)
				assert.NotNil(t, p.Value.Example, "parameter %s needs an example", p.Value.Name)
			}
			assert.ElementsMatch(t, append(append([]string{}, std...), tt.params...), names)
			var statuses []string
			for code := range op.Responses.Map() {
				statuses = append(statuses, code)
			}
			assert.ElementsMatch(t, tt.statuses, statuses)
		})
	}
	scheme := doc.Components.SecuritySchemes["BearerToken"].Value
	assert.Equal(t, "http", scheme.Type)
	assert.Equal(t, "bearer", scheme.Scheme)
	for _, path := range []string{"/v1/oauth/token", "/v1/oauth/token/refresh", "/v2/oauth/authorize"} {
		for _, op := range doc.Paths.Value(path).Operations() {
			if assert.NotNil(t, op.Security, "%s says it takes no security scheme", path) {
				assert.Empty(t, *op.Security, "%s takes no Bearer token: security: []", path)
			}
		}
	}
	assert.True(t, operation(t, doc, "POST", "/v3/deeplink/transactions").Parameters[0].Value.Required, "channel is required")
}

// TestFactsQRTypes checks each QR type's required fields and the documented patterns, by
// validating bodies against the request schema.
func TestFactsQRTypes(t *testing.T) {
	schema := loadKin(t).Components.Schemas["QRCodeRequest"].Value
	pp := `{"qrType":"PP","amount":"100.00","ppType":"BILLERID","ppId":"012345678901234","ref1":"INV001","ref3":"SCB"}`
	cs := `{"qrType":"CS","amount":"100.00","merchantId":"M","terminalId":"T","invoice":"INV1"}`
	both := `{"qrType":"PPCS","amount":"100","ppType":"BILLERID","ppId":"012345678901234","ref1":"INV001","ref3":"SCB","merchantId":"M","terminalId":"T","invoice":"INV1"}`
	tests := []struct {
		name, body string
		valid      bool
	}{
		{"PP", pp, true},
		{"CS", cs, true},
		{"PPCS", both, true},
		{"amount as a JSON number", strings.Replace(pp, `"100.00"`, `100.5`, 1), true},
		{"amount of 13 characters", strings.Replace(pp, `"100.00"`, `"9999999999.99"`, 1), true},
		{"amount of 14 characters", strings.Replace(pp, `"100.00"`, `"99999999999.99"`, 1), false},
		{"amount with three decimals", strings.Replace(pp, `"100.00"`, `"100.005"`, 1), false},
		{"negative amount", strings.Replace(pp, `"100.00"`, `-1`, 1), false},
		{"PP without ref3", strings.Replace(pp, `,"ref3":"SCB"`, ``, 1), false},
		{"PP without ppId", strings.Replace(pp, `"ppId":"012345678901234",`, ``, 1), false},
		{"PP with a ppId of 14 digits", strings.Replace(pp, `012345678901234`, `01234567890123`, 1), false},
		{"PP with a lower-case ref1", strings.Replace(pp, `INV001`, `inv001`, 1), false},
		{"PP with a ref1 of 21 characters", strings.Replace(pp, `INV001`, strings.Repeat("A", 21), 1), false},
		{"PP with a ref1 with a space", strings.Replace(pp, `INV001`, `INV 001`, 1), false},
		{"PP with a null ref2", strings.Replace(pp, `"ref3"`, `"ref2":null,"ref3"`, 1), true},
		{"PP with a CS field", strings.Replace(pp, `"ref3"`, `"invoice":"X","ref3"`, 1), true},
		{"CS without invoice", strings.Replace(cs, `,"invoice":"INV1"`, ``, 1), false},
		{"CS with a lower-case invoice", strings.Replace(cs, `INV1`, `inv1`, 1), false},
		{"CS with csExtExpiryTime as text", strings.Replace(cs, `}`, `,"csExtExpiryTime":"60"}`, 1), true},
		{"CS with csExtExpiryTime as a number", strings.Replace(cs, `}`, `,"csExtExpiryTime":60}`, 1), true},
		{"CS with csExtExpiryTime 0", strings.Replace(cs, `}`, `,"csExtExpiryTime":"0"}`, 1), false},
		{"PPCS without merchantId", strings.Replace(both, `"merchantId":"M",`, ``, 1), false},
		{"unknown qrType", strings.Replace(pp, `"PP"`, `"QR"`, 1), false},
		{"unknown field", strings.Replace(pp, `}`, `,"x":1}`, 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v any
			require.NoError(t, json.Unmarshal([]byte(tt.body), &v))
			err := schema.VisitJSON(v)
			if tt.valid {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}

// TestFactsPaymentMarks checks that every field of the payment schemas and every payment
// parameter says where its facts come from.
func TestFactsPaymentMarks(t *testing.T) {
	doc := loadKin(t)
	marked := func(s string) bool {
		return strings.Contains(s, "[doc") || strings.Contains(s, "[seen") || strings.Contains(s, "[decision")
	}
	payment := []string{"QRCodeRequest", "QRCode", "QRChannel", "Slip", "SlipParty", "SlipIdentifier", "BillPayment",
		"DeeplinkRequest", "DeeplinkBillPayment", "DeeplinkCreditCard", "DeeplinkInstallment", "MerchantInfo", "PaymentInfo",
		"MerchantMetaData", "Deeplink", "Transaction", "TransactionBillPayment",
		"PaymentConfirmation", "PaymentConfirmationAck", "PaymentConfirmationRefusal"}
	n := 0
	for _, name := range payment {
		s := doc.Components.Schemas[name]
		require.NotNil(t, s, name)
		assert.True(t, marked(s.Value.Description), "schema %s has no mark", name)
		for field, p := range s.Value.Properties {
			desc := p.Value.Description
			if p.Ref != "" { // a reference: the referenced schema says it
				desc = doc.Components.Schemas[strings.TrimPrefix(p.Ref, "#/components/schemas/")].Value.Description
			}
			assert.True(t, marked(desc), "%s.%s: description %q has no [doc], [seen] or [decision] mark", name, field, desc)
			n++
		}
	}
	assert.Greater(t, n, 120, "fields checked")
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if len(op.Tags) == 0 || op.Tags[0] != "Payments" {
				continue
			}
			assert.True(t, marked(op.Description), "%s %s", method, path)
			for _, p := range op.Parameters {
				assert.True(t, marked(p.Value.Description), "%s %s parameter %s", method, path, p.Value.Name)
			}
		}
	}
}

// TestFactsPaymentCodes checks the rows scb-payments.md section 1 adds to SCB's code table, as
// the status.code enums of the payment answers state them.
func TestFactsPaymentCodes(t *testing.T) {
	assert.Contains(t, codesOf(t, "POST", "/v1/payment/qrcode/create", 400), 8102, "400 8102 Payment API error code [doc]")
	assert.Contains(t, codesOf(t, "GET", "/v1/payment/billpayment/inquiry", 500), 8902, "500 8902 [seen]")
	assert.Equal(t, []int{4101}, codesOf(t, "POST", "/v3/deeplink/transactions", 501), "501 4101 channel not supported")
	assert.Equal(t, []int{1000}, codesOf(t, "POST", "/v3/deeplink/transactions", 201), "201 1000 deeplink created")
	assert.Equal(t, []int{1104}, codesOf(t, "GET", "/v1/payment/billpayment/transactions/X", 404))
	assert.ElementsMatch(t, []int{9100, 9300, 9500}, codesOf(t, "GET", "/v2/transactions/X", 401))
	assert.NotContains(t, codesOf(t, "POST", "/v1/oauth/token", 400), 8102, "the OAuth rows are unchanged")
	assert.NotContains(t, codesOf(t, "POST", "/v1/oauth/token", 500), 8902, "the OAuth rows are unchanged")
}
