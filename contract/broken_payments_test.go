package contract_test

import (
	"strings"
	"testing"

	"github.com/scboauth/scboauth/contract"
)

// isPaymentCase reports whether c is one of the payment cases.
func isPaymentCase(c contract.CaseResult) bool {
	for _, p := range []string{"qr-", "slip", "inquiry-", "deeplink", "transaction-"} {
		if strings.HasPrefix(c.ID, p) {
			return true
		}
	}
	return false
}

// on reports whether c is an answer of status to a request whose path starts with prefix.
func (c *captured) on(prefix string, status int) bool {
	return c.status == status && strings.HasPrefix(c.req.URL.Path, prefix)
}

// paymentVariants are broken servers, one or more per payment operation: the emulator changed
// in one way, and the case and error that must catch it.
var paymentVariants = []brokenVariant{
	{
		name: "QR image as a data URL",
		edit: func(c *captured) {
			if c.on("/v1/payment/qrcode/create", 200) {
				c.data(func(d map[string]any) { d["qrImage"] = "data:image/gif;base64," + d["qrImage"].(string) })
			}
		},
		wantCase: "qr-create-pp", want: []want{{"$.data.qrImage", "doesn't match the regular expression"}},
	},
	{
		name: "QR CS expiry in another form",
		edit: func(c *captured) {
			if c.on("/v1/payment/qrcode/create", 200) {
				c.data(func(d map[string]any) {
					if _, ok := d["csExtExpiryTime"]; ok {
						d["csExtExpiryTime"] = "2026-04-01T10:45:00+07:00"
					}
				})
			}
		},
		wantCase: "qr-create-cs", want: []want{{"$.data.csExtExpiryTime", "doesn't match the regular expression"}},
	},
	{
		name: "slip date with hyphens",
		edit: func(c *captured) {
			if c.on("/v1/payment/billpayment/transactions/", 200) {
				c.data(func(d map[string]any) { d["transDate"] = "2026-04-01" })
			}
		},
		wantCase: "slip", want: []want{{"$.data.transDate", "doesn't match the regular expression"}},
	},
	{
		name: "slip of another amount than the QR's",
		edit: func(c *captured) {
			if c.on("/v1/payment/billpayment/transactions/", 200) {
				c.data(func(d map[string]any) { d["amount"] = "99" })
			}
		},
		wantCase: "slip", want: []want{{"$.data.amount", `got "99", want "100.50"`}},
	},
	{
		name: "inquiry answering an object",
		edit: func(c *captured) {
			if c.on("/v1/payment/billpayment/inquiry", 200) {
				c.json(func(m map[string]any) { m["data"] = map[string]any{} })
			}
		},
		wantCase: "inquiry-not-paid", want: []want{{"$.data", "value must be an array"}},
	},
	{
		name: "inquiry that does not find the payment",
		edit: func(c *captured) {
			if c.on("/v1/payment/billpayment/inquiry", 200) {
				c.json(func(m map[string]any) { m["data"] = []any{} })
			}
		},
		wantCase: "inquiry-paid", want: []want{{"$.data", "got 0 transactions, want the one paid"}},
	},
	{
		name: "deeplink without its URL",
		edit: func(c *captured) {
			if c.on("/v3/deeplink/transactions", 201) {
				c.data(func(d map[string]any) { delete(d, "deeplinkUrl") })
			}
		},
		wantCase: "deeplink", want: []want{{"$.data.deeplinkUrl", `property "deeplinkUrl" is missing`}},
	},
	{
		name: "deeplink refusing the scbeasy channel",
		edit: func(c *captured) {
			if c.on("/v3/deeplink/transactions", 201) {
				c.status = 501
				c.json(func(m map[string]any) {
					m["status"], m["data"] = map[string]any{"code": 4101, "description": "Current channel is not supported"}, nil
				})
			}
		},
		wantCase: "deeplink", want: []want{{"HTTP status", "got HTTP 501 code 4101, want 201 1000"}},
	},
	{
		name: "transaction status as text",
		edit: func(c *captured) {
			if c.on("/v2/transactions/", 200) {
				c.data(func(d map[string]any) { d["statusCode"] = "0" })
			}
		},
		wantCase: "transaction-pending", want: []want{{"$.data.statusCode", "value must be an integer"}},
	},
	{
		name: "transaction still pending once paid",
		edit: func(c *captured) {
			if c.on("/v2/transactions/", 200) {
				c.data(func(d map[string]any) { d["statusCode"] = 0 })
			}
		},
		wantCase: "transaction-paid", want: []want{{"$.data.statusCode", `got "0", want "1"`}},
	},
	{
		name: "unknown Bearer token accepted",
		edit: func(c *captured) {
			if c.on("/v1/payment/qrcode/create", 401) {
				c.status, c.body = 200, []byte(`{"status":{"code":1000,"description":"Success"},"data":{"qrRawData":"0","qrImage":"R0lGODdh"}}`)
			}
		},
		wantCase: "qr-create-unknown-token", want: []want{{"HTTP status", "got HTTP 200 code 1000, want 401 9300"}},
	},
}

// TestBrokenPaymentVariants runs the catalogue against each broken payment server and checks
// that its case reports the problem at its path.
func TestBrokenPaymentVariants(t *testing.T) {
	for _, tt := range paymentVariants {
		t.Run(tt.name, func(t *testing.T) {
			em := newEmulator(t)
			rep := checkAgainst(t, em, mutate(em, tt.edit), false)
			c := findCase(t, rep, tt.wantCase)
			if c.Verdict != contract.VerdictFail {
				t.Fatalf("case %s: got verdict %s, want fail; findings:\n%s", c.ID, c.Verdict, listFindings(c))
			}
			for _, w := range tt.want {
				if !hasError(c, w) {
					t.Errorf("case %s: got findings\n%s\nwant an error at %s containing %q", c.ID, listFindings(c), w.path, w.msg)
				}
			}
		})
	}
	ops := map[string]bool{}
	for _, tt := range paymentVariants {
		ops[strings.SplitN(tt.wantCase, "-", 2)[0]] = true
	}
	for _, op := range []string{"qr", "slip", "inquiry", "deeplink", "transaction"} {
		if !ops[op] {
			t.Errorf("no broken server for the %s cases", op)
		}
	}
}
