package contract_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/scboauth/scboauth/contract"
	"github.com/scboauth/scboauth/generated/embedded"
)

func spec(t testing.TB) *contract.Spec {
	t.Helper()
	s, err := contract.LoadSpec()
	if err != nil {
		t.Fatalf("LoadSpec: %v", err)
	}
	return s
}

func jsonHeader(extra ...string) http.Header {
	h := http.Header{"Content-Type": {"application/json"}}
	for i := 0; i+1 < len(extra); i += 2 {
		h.Set(extra[i], extra[i+1])
	}
	return h
}

func TestLoadSpecOnce(t *testing.T) {
	if a, b := spec(t), spec(t); a != b {
		t.Errorf("got two Specs, want LoadSpec to load once")
	}
}

// finding is a Finding as a test expects it.
type finding struct{ rule, path, msg string }

// responseTests are single answers and what ValidateResponse must find in each.
var responseTests = []struct {
	name         string
	method, path string
	status       int
	header       http.Header
	body         string
	want         []finding
}{
	{
		name: "valid success", method: "POST", path: "/v1/oauth/token", status: 200, header: jsonHeader("resourceOwnerId", "o"),
		body: `{"status":{"code":1000,"description":"Success"},"data":{"accessToken":"a","tokenType":"Bearer","expiresIn":1800,"expiresAt":1550133185}}`,
	},
	{
		name: "three schema errors and a missing header, all reported", method: "POST", path: "/v1/oauth/token", status: 200, header: jsonHeader(),
		body: `{"status":{"code":1001,"description":"Success"},"data":{"accessToken":"","tokenType":"Bearer","expiresIn":1800,"expiresAt":1550133185000}}`,
		want: []finding{
			{"schema", "$.data.accessToken", "minimum string length is 1"},
			{"schema", "$.data.expiresAt", "number must be at most 9999999999"},
			{"schema", "$.status.code", "value is not one of the allowed values [1000]"},
			{"schema", "header resourceOwnerId", "required header is missing"},
		},
	},
	{
		name: "undocumented status", method: "POST", path: "/v1/oauth/token/refresh", status: 418, header: jsonHeader(), body: `{}`,
		want: []finding{{"status", "HTTP status", "HTTP 418 is not documented for refreshToken (documented: 200, 400, 401, 403, 405, 415, 429, 500, 502, 503, 504)"}},
	},
	{
		name: "unknown path answered 404 1104", method: "POST", path: "/v9/nothing", status: 404, header: jsonHeader(),
		body: `{"status":{"code":1104,"description":"Requested entity record does not exist"},"data":null}`,
	},
	{
		name: "unknown path answered 404 with the wrong code", method: "POST", path: "/v9/nothing", status: 404, header: jsonHeader(),
		body: `{"status":{"code":1101,"description":"x"},"data":null}`,
		want: []finding{{"schema", "$.status.code", "value is not one of the allowed values [1104]"}},
	},
	{
		name: "wrong method answered 405 9900", method: "DELETE", path: "/v2/oauth/authorize", status: 405, header: jsonHeader(),
		body: `{"status":{"code":9900,"description":"Wrong http method requested on endpoint"},"data":null}`,
	},
	{
		name: "wrong method answered 200", method: "PUT", path: "/v1/oauth/token", status: 200, header: jsonHeader(), body: `{}`,
		want: []finding{{"status", "HTTP status", "HTTP 200 is not documented for wrong method on /v1/oauth/token (documented: 405)"}},
	},
	{
		name: "HEAD answered without a body", method: "HEAD", path: "/v2/oauth/authorize", status: 405, header: jsonHeader(),
	},
	{
		name: "HEAD answered with an undocumented status", method: "HEAD", path: "/nothing", status: 200, header: jsonHeader(),
		want: []finding{{"status", "HTTP status", "HTTP 200 is not documented for unknown path (documented: 404)"}},
	},
	{
		name: "Retry-After that is not an integer", method: "POST", path: "/v1/oauth/token", status: 429, header: jsonHeader("Retry-After", "soon"),
		body: `{"status":{"code":9900,"description":"Too many requests"},"data":null}`,
		want: []finding{{"schema", "header Retry-After", "value cannot be decoded: an invalid integer"}},
	},
	{
		name: "data on an error is a violation: null or absent", method: "GET", path: "/v2/oauth/authorize", status: 401, header: jsonHeader(),
		body: `{"status":{"code":9500,"description":"Invalid apikey provided"},"data":{"hint":"x"}}`,
		want: []finding{{"schema", "$.data", "value is not one of the allowed values [null]"}},
	},
	{
		name: "data of any other kind on an error too", method: "POST", path: "/v1/oauth/token", status: 400, header: jsonHeader(),
		body: `{"status":{"code":1101,"description":"Missing required parameters"},"data":"x"}`,
		want: []finding{{"schema", "$.data", "value is not one of the allowed values [null]"}},
	},
	{
		name: "data absent on an error", method: "POST", path: "/v1/oauth/token", status: 400, header: jsonHeader(),
		body: `{"status":{"code":1111,"description":"Data entry duplicated with existing"}}`,
	},
	{
		name: "undeclared fields at every level are drift", method: "GET", path: "/v2/oauth/authorize", status: 200, header: jsonHeader(),
		body: `{"status":{"code":1000,"description":"Success","traceId":"t"},"data":{"callbackUrl":"scbeasysim://login/x","expires":60},"meta":{}}`,
		want: []finding{
			{"drift", "$.data.expires", `field "expires" is not declared in openapi.yaml`},
			{"drift", "$.meta", `field "meta" is not declared in openapi.yaml`},
			{"drift", "$.status.traceId", `field "traceId" is not declared in openapi.yaml`},
		},
	},
}

// TestValidateResponse checks single responses: every schema error at once, each with its
// path, header errors not hiding body errors, undocumented statuses, and the synthetic
// operations for unknown paths and wrong methods.
func TestValidateResponse(t *testing.T) {
	s := spec(t)
	for _, tt := range responseTests {
		t.Run(tt.name, func(t *testing.T) {
			fs := s.ValidateResponse(tt.method, tt.path, tt.status, tt.header, []byte(tt.body))
			var got []finding
			for _, f := range fs {
				got = append(got, finding{string(f.Rule), f.Path, f.Message})
			}
			sortFindings := func(a, b finding) int {
				if a.path != b.path {
					if a.path < b.path {
						return -1
					}
					return 1
				}
				if a.msg < b.msg {
					return -1
				}
				return 1
			}
			slices.SortFunc(got, sortFindings)
			slices.SortFunc(tt.want, sortFindings)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestValidateRequest(t *testing.T) {
	s := spec(t)
	h := func(drop string) http.Header {
		hdr := jsonHeader("resourceOwnerId", "l7x", "requestUId", "0123456789abcdef0123456789ABCDEF")
		hdr.Del(drop)
		return hdr
	}
	tests := []struct {
		name     string
		header   http.Header
		body     string
		wantPath string // "" for a conforming request
	}{
		{"conforming", h(""), `{"applicationKey":"k","applicationSecret":"s"}`, ""},
		{"missing requestUId", h("requestUId"), `{"applicationKey":"k","applicationSecret":"s"}`, "header requestUId"},
		{"empty key", h(""), `{"applicationKey":"","applicationSecret":"s"}`, "$.applicationKey"},
		{"unknown field", h(""), `{"applicationKey":"k","applicationSecret":"s","x":1}`, "$"},
		{"missing secret", h(""), `{"applicationKey":"k"}`, "$.applicationSecret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := s.ValidateRequest(http.MethodPost, "/v1/oauth/token", tt.header, []byte(tt.body))
			switch {
			case tt.wantPath == "" && len(fs) > 0:
				t.Errorf("got %v, want no finding", fs)
			case tt.wantPath != "" && (len(fs) == 0 || fs[0].Path != tt.wantPath || fs[0].Rule != contract.RuleRequest):
				t.Errorf("got %v, want a request finding at %s", fs, tt.wantPath)
			}
		})
	}
}

// TestSpecExamplesValidate feeds every response example of openapi.yaml back through
// ValidateResponse: the checker must accept what the spec itself shows.
func TestSpecExamplesValidate(t *testing.T) {
	doc, err := embedded.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	s := spec(t)
	n := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for code, ref := range op.Responses.Map() {
				status := 0
				if err := json.Unmarshal([]byte(code), &status); err != nil {
					t.Fatalf("status %q: %v", code, err)
				}
				for _, mt := range ref.Value.Content {
					for name, ex := range mt.Examples {
						body, _ := json.Marshal(ex.Value.Value)
						hdr := jsonHeader("resourceOwnerId", "owner")
						if fs := s.ValidateResponse(method, path, status, hdr, body); len(fs) > 0 {
							t.Errorf("%s %s %d example %s: got %v, want none", method, path, status, name, fs)
						}
						n++
					}
				}
			}
		}
	}
	if n < 20 {
		t.Errorf("got %d examples, want the spec's (at least 20)", n)
	}
}

// TestCodesMatchValidation checks the code table Codes and CodeTable read from openapi.yaml
// against what validation enforces: for every documented answer, a business code passes
// ValidateResponse exactly when Codes lists it.
func TestCodesMatchValidation(t *testing.T) {
	doc, err := embedded.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	s := spec(t)
	table := s.CodeTable()
	candidates := []int{1000, 4242}
	for _, codes := range table {
		candidates = append(candidates, codes...)
	}
	type answer struct {
		method, path string
		status       int
	}
	answers := []answer{{"POST", "/no/such/path", 404}, {"PUT", "/v1/oauth/token", 405}}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for code := range op.Responses.Map() {
				status, _ := strconv.Atoi(code)
				answers = append(answers, answer{method, path, status})
			}
		}
	}
	for _, a := range answers {
		codes := s.Codes(a.method, a.path, a.status)
		if len(codes) == 0 {
			t.Errorf("%s %s %d: got no codes, want the spec to narrow every documented answer's code", a.method, a.path, a.status)
		}
		for _, c := range codes {
			if !slices.Contains(table[a.status], c) {
				t.Errorf("%s %s %d: code %d is missing from CodeTable()[%d] = %v", a.method, a.path, a.status, c, a.status, table[a.status])
			}
		}
		for _, c := range candidates {
			body := fmt.Sprintf(`{"status":{"code":%d,"description":"x"},"data":null}`, c)
			fs := s.ValidateResponse(a.method, a.path, a.status, jsonHeader("resourceOwnerId", "o"), []byte(body))
			rejected := slices.ContainsFunc(fs, func(f contract.Finding) bool { return f.Path == "$.status.code" })
			if allowed := slices.Contains(codes, c); allowed == rejected {
				t.Errorf("%s %s %d code %d: Codes says allowed=%v, validation says rejected=%v", a.method, a.path, a.status, c, allowed, rejected)
			}
		}
	}
	if len(answers) < 30 {
		t.Errorf("got %d documented answers, want the spec's (at least 30)", len(answers))
	}
}

// TestSpecRoutesExactly: SCB and the emulator answer a path with a trailing slash added or
// removed 404, so the spec resolves it to "unknown path", although kin-openapi's router
// forgives the slash; a wrong method on an exact path is still the path's 405.
func TestSpecRoutesExactly(t *testing.T) {
	s := spec(t)
	tests := []struct{ method, path, want string }{
		{"POST", "/v1/oauth/token", "createToken"},
		{"POST", "/v1/oauth/token/", "unknown path"},
		{"POST", "/v1/oauth/token/refresh/", "unknown path"},
		{"GET", "/v2/oauth/authorize/", "unknown path"},
		{"GET", "/v1/payment/billpayment/transactions/ABC", "verifySlip"},
		{"GET", "/v1/payment/billpayment/transactions/ABC/", "unknown path"},
		{"GET", "/v1/payment/billpayment/transactions/", "unknown path"},
		{"GET", "/v2/transactions/t-1/", "unknown path"},
		{"DELETE", "/v2/transactions/t-1", "wrong method on /v2/transactions/{transactionId}"},
		{"GET", "/v1/oauth/token", "wrong method on /v1/oauth/token"},
		{"GET", "/v1/oauth/token/", "unknown path"},
	}
	for _, tt := range tests {
		if got := s.Operation(tt.method, tt.path); got != tt.want {
			t.Errorf("Operation(%s %s): got %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
	body := `{"status":{"code":1104,"description":"Requested entity record does not exist"},"data":null}`
	if fs := s.ValidateResponse("POST", "/v1/oauth/token/", 404, jsonHeader(), []byte(body)); len(fs) != 0 {
		t.Errorf("a 404 to POST /v1/oauth/token/: got findings %v, want none", fs)
	}
}
