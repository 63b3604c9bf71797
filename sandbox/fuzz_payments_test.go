package sandbox_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/scboauth/scboauth/sandbox"
)

// fuzzTokenMark in a fuzz input's headers stands for a fresh access token of the server the input
// is sent to, so that inputs reach the payment calls behind the Bearer check.
const fuzzTokenMark = "{token}"

// withFuzzToken replaces fuzzTokenMark in header with a new token of srv's plain demo
// application ("" when srv refuses one, such as over its rate limit).
func withFuzzToken(srv *sandbox.Server, header string) string {
	if !strings.Contains(header, fuzzTokenMark) {
		return header
	}
	req := httptest.NewRequest(http.MethodPost, pathToken, strings.NewReader(credentials(demoPlain)))
	req.Header = parseFuzzHeaders(fuzzStdHeaders)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	var tr struct {
		Data struct{ AccessToken string } `json:"data"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &tr)
	return strings.ReplaceAll(header, fuzzTokenMark, tr.Data.AccessToken)
}

const fuzzPayHeaders = fuzzStdHeaders + "authorization: Bearer " + fuzzTokenMark + "\n"

// paymentFuzzSeeds are FuzzHandler's seeds on the payment paths.
var paymentFuzzSeeds = []struct{ method, path, header, body string }{
	{"POST", sandbox.PathQRCode, fuzzPayHeaders, ppBody},
	{"POST", sandbox.PathQRCode, fuzzPayHeaders, `{"qrType":"PPCS","amount":1e400,"ppType":"BILLERID","ppId":"012345678901234","ref1":"A","ref3":"B","merchantId":"M","terminalId":"T","invoice":"I","csExtExpiryTime":99999}`},
	{"POST", sandbox.PathQRCode, fuzzPayHeaders, `{"qrType":"CS","amount":"9999999999.99","merchantId":"M","terminalId":"T","invoice":"I","csExtExpiryTime":"9999","csNote":"\u202e"}`},
	{"POST", sandbox.PathQRCode, fuzzPayHeaders, `{"qrType":null,"amount":{}}`},
	{"POST", sandbox.PathQRCode, fuzzStdHeaders + "authorization: Bearer nope\n", ppBody},
	{"POST", sandbox.PathQRCode, fuzzStdHeaders, ppBody},
	{"POST", sandbox.PathQRCode, fuzzPayHeaders + "X-Sandbox-Fault: truncate\n", ppBody},
	{"POST", sandbox.PathDeeplink, fuzzPayHeaders + "channel: scbeasy\n", `{"transactionType":"PURCHASE","transactionSubType":["BP","CCFA","CCIPP"],"sessionValidUntil":9999999999,"billPayment":{"paymentAmount":1,"accountTo":"012345678901234","ref1":"A"},"creditCardFullAmount":{"merchantId":"M","orderReference":"O","paymentAmount":2},"installmentPaymentPlan":{"merchantId":"M","orderReference":"O","paymentAmount":1,"tenor":"10","ippType":"1","prodCode":"P"},"merchantMetaData":{"extraData":{"a":[[[[]]]]}}}`},
	{"POST", sandbox.PathDeeplink, fuzzPayHeaders + "channel: line\n", `{}`},
	{"GET", sandbox.PathSlipPrefix + "20230101AAAAAAAAAAAAAAA?sendingBank=014", fuzzPayHeaders, ""},
	{"GET", sandbox.PathSlipPrefix + "%2F..%2F?sendingBank=014&sendingBank=004", fuzzPayHeaders, ""},
	{"GET", sandbox.PathInquiry + "?eventCode=00300100&transactionDate=2023-11-14&billerId=012345678901234&reference1=A&amount=1.5", fuzzPayHeaders, ""},
	{"GET", sandbox.PathInquiry + "?eventCode=00300104&transactionDate=2023-11-14", fuzzPayHeaders, ""},
	{"GET", sandbox.PathTransactionPrefix + "7d7a1b2c-3e4f-4a5b-8c6d-7e8f9a0b1c2d", fuzzPayHeaders, ""},
	{"DELETE", sandbox.PathTransactionPrefix + "x", fuzzPayHeaders, ""},
}
