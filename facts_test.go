package scboauth_test

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scboauth/scboauth/contract"
)

// The facts SCB documents about the three operations (servers, headers, bodies, lifetimes, the
// code table's shape and wording), checked against openapi.yaml one by one, so that an edit
// that loses one fails here. The code table itself lives in openapi.yaml only.

func operation(t *testing.T, doc *openapi3.T, method, path string) *openapi3.Operation {
	t.Helper()
	item := doc.Paths.Find(path)
	require.NotNil(t, item, "path %s", path)
	op := item.GetOperation(method)
	require.NotNil(t, op, "%s %s", method, path)
	return op
}

func param(op *openapi3.Operation, name string) *openapi3.Parameter {
	for _, p := range op.Parameters {
		if p.Value.Name == name {
			return p.Value
		}
	}
	return nil
}

func enumStrings(s *openapi3.Schema) []string {
	var out []string
	for _, v := range s.Enum {
		out = append(out, fmt.Sprint(v))
	}
	sort.Strings(out)
	return out
}

func TestFactsServers(t *testing.T) {
	doc := loadKin(t)
	require.GreaterOrEqual(t, len(doc.Servers), 3)
	assert.Equal(t, "https://api-sandbox.partners.scb/partners/sandbox", doc.Servers[0].URL, "the sandbox is the default server")
	var urls []string
	for _, s := range doc.Servers {
		urls = append(urls, s.URL)
		assert.NotEmpty(t, s.Description, "server %s needs a description", s.URL)
	}
	assert.Contains(t, urls, "https://api-uat.partners.scb/partners")
	assert.Contains(t, urls, "https://api.partners.scb/partners")
	assert.Contains(t, doc.Servers[2].Description, "client certificate", "production needs mTLS")
}

func TestFactsOperations(t *testing.T) {
	doc := loadKin(t)
	tests := []struct {
		method, path, id string
		required         []string // required header parameters
		optional         []string
		statuses         []string
	}{
		{"POST", "/v1/oauth/token", "createToken",
			[]string{"resourceOwnerId", "requestUId"}, []string{"accept-language"},
			[]string{"200", "400", "401", "403", "405", "415", "429", "500", "502", "503", "504"}},
		{"POST", "/v1/oauth/token/refresh", "refreshToken",
			[]string{"resourceOwnerId", "requestUId"}, []string{"accept-language"},
			[]string{"200", "400", "401", "403", "405", "415", "429", "500", "502", "503", "504"}},
		{"GET", "/v2/oauth/authorize", "authorize",
			[]string{"apikey", "apisecret", "resourceOwnerId", "requestUId", "response-channel", "endState"},
			[]string{"accept-language", "applicationId", "redirectOption"},
			[]string{"200", "400", "401", "403", "405", "429", "500", "501", "502", "503", "504"}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			op := operation(t, doc, tt.method, tt.path)
			assert.Equal(t, tt.id, op.OperationID)
			for _, name := range tt.required {
				p := param(op, name)
				if assert.NotNil(t, p, "header %s", name) {
					assert.Equal(t, "header", p.In)
					assert.True(t, p.Required, "header %s must be required", name)
					assert.NotNil(t, p.Example, "header %s needs an example", name)
				}
			}
			for _, name := range tt.optional {
				p := param(op, name)
				if assert.NotNil(t, p, "header %s", name) {
					assert.False(t, p.Required, "header %s must be optional", name)
					assert.NotNil(t, p.Example, "header %s needs an example", name)
				}
			}
			assert.Len(t, op.Parameters, len(tt.required)+len(tt.optional))
			var statuses []string
			for code, r := range op.Responses.Map() {
				statuses = append(statuses, code)
				require.NotNil(t, r.Value.Description, "%s needs a description", code)
				mt := r.Value.Content.Get("application/json")
				if assert.NotNil(t, mt, "%s must be application/json", code) {
					assert.True(t, len(mt.Examples) > 0 || mt.Example != nil, "%s needs an example", code)
				}
			}
			sort.Strings(statuses)
			assert.Equal(t, tt.statuses, statuses, "documented statuses; no default response")
			assert.Nil(t, op.Responses.Default(), "an undocumented status must not be covered by a default")
		})
	}
}

func TestFactsHeaders(t *testing.T) {
	doc := loadKin(t)
	requestUIDParam := doc.Components.Parameters["RequestUID"].Value
	requestUID := requestUIDParam.Schema.Value
	assert.Empty(t, requestUID.Format, "requestUId has no format: uuid (SCB also uses 32-character ids)")
	// What SCB accepts: its recommended forms, and what real clients send.
	for _, id := range []string{"2b8f3a4e-6c1d-4f0a-9b7e-5d2c1a0f3e4b", "0123456789abcdefABCDEF0123456789",
		"1", "12345", "test", "not-a-uuid", "{{requestUId}}", "{{ $guid }}", "${REQUEST_UID}", strings.Repeat("x", 128)} {
		assert.NoError(t, requestUID.VisitJSON(id), "requestUId %q must be accepted", id)
	}
	// [decision] the bounds: non-empty, at most 128 bytes, printable ASCII.
	for _, id := range []string{"", strings.Repeat("x", 129), "a\tb", "a\nb", "caf\u00e9", "\u202e"} {
		assert.Error(t, requestUID.VisitJSON(id), "requestUId %q must be refused", id)
	}
	for _, want := range []string{"[decision]", "UUID", "32 alphanumeric", "strict mode"} {
		assert.Contains(t, requestUIDParam.Description, want, "requestUId says what SCB recommends and what we chose")
	}

	lang := doc.Components.Parameters["AcceptLanguage"].Value.Schema
	assert.Equal(t, "#/components/schemas/Language", lang.Ref)
	assert.Equal(t, []string{"EN", "TH"}, enumStrings(lang.Value))
	assert.Contains(t, lang.Value.Extensions, "x-enum-varnames")

	assert.Equal(t, []string{"mobile", "mobile_mma"}, enumStrings(doc.Components.Schemas["ResponseChannel"].Value))
	assert.Equal(t, []string{"mobile_app", "mobile_web"}, enumStrings(doc.Components.Schemas["EndState"].Value))

	ok := operation(t, doc, "POST", "/v1/oauth/token").Responses.Status(200).Value
	h := ok.Headers["resourceOwnerId"]
	require.NotNil(t, h, "the token call's 200 carries a resourceOwnerId header")
	assert.True(t, h.Value.Required)
	// [decision] what the emulator answers in it: the consenting user's identifier on the
	// authorization-code grant, the request's value on the client-credentials grant.
	for _, want := range []string{"[decision]", "identifies the user", "consenting user", "client-credentials grant"} {
		assert.Contains(t, h.Value.Description, want)
	}
}

func TestFactsBodies(t *testing.T) {
	doc := loadKin(t)
	token := doc.Components.Schemas["TokenRequest"].Value
	assert.ElementsMatch(t, []string{"applicationKey", "applicationSecret"}, token.Required)
	for _, name := range []string{"authCode", "state", "codeChallenge"} {
		p := token.Properties[name]
		if assert.NotNil(t, p, name) {
			assert.Contains(t, p.Value.Description, "Conditional", "%s is conditional and says when it applies", name)
		}
	}
	for _, name := range []string{"authCode", "state", "codeChallenge"} {
		p := token.Properties[name].Value
		assert.True(t, p.Nullable, "%s may be null: SCB treats it as absent", name)
		assert.NoError(t, p.VisitJSON(nil), "%s: null must be accepted", name)
		assert.Error(t, p.VisitJSON(""), "%s: an empty string must be refused", name)
		assert.Contains(t, p.Description, "[decision] The scboauth emulator's strict", name)
	}
	for _, name := range token.Required {
		assert.False(t, token.Properties[name].Value.Nullable, "%s is required: never null", name)
	}
	assert.Contains(t, token.Properties["state"].Value.Description, "web applications only")
	assert.Contains(t, token.Properties["codeChallenge"].Value.Description, "web")

	refresh := doc.Components.Schemas["RefreshTokenRequest"].Value
	assert.ElementsMatch(t, []string{"applicationKey", "applicationSecret", "refreshToken"}, refresh.Required)

	data := doc.Components.Schemas["Token"].Value
	assert.ElementsMatch(t, []string{"accessToken", "tokenType", "expiresIn", "expiresAt"}, data.Required,
		"the refresh fields are optional")
	for _, name := range []string{"refreshToken", "refreshExpiresIn", "refreshExpiresAt"} {
		assert.Contains(t, data.Properties[name].Value.Description, "Authorization-code grant only", name)
	}
	for _, name := range []string{"expiresAt", "refreshExpiresAt"} {
		s := data.Properties[name].Value
		assert.Equal(t, "int64", s.Format, "%s is int64 Unix seconds", name)
		assert.Error(t, s.VisitJSON(float64(1550133185000)), "%s in milliseconds must be refused", name)
		assert.NoError(t, s.VisitJSON(float64(1550133185)), "%s in seconds must be accepted", name)
	}
	assert.Equal(t, "#/components/schemas/TokenType", data.Properties["tokenType"].Ref)
	assert.Equal(t, []string{"Bearer"}, enumStrings(doc.Components.Schemas["TokenType"].Value))

	errResp := doc.Components.Schemas["ErrorResponse"].Value
	assert.Equal(t, []string{"status"}, errResp.Required, "data is optional on errors")
	assert.True(t, errResp.Properties["data"].Value.Nullable, "data is nullable on errors")
}

func TestFactsDocumentedExample(t *testing.T) {
	doc := loadKin(t)
	ex := operation(t, doc, "POST", "/v1/oauth/token").Responses.Status(200).Value.Content.Get("application/json").Examples["documented"]
	require.NotNil(t, ex, "SCB's documented example response")
	data := ex.Value.Value.(map[string]any)["data"].(map[string]any)
	assert.Equal(t, float64(1550133185), data["expiresAt"])
	assert.Equal(t, float64(1550134985), data["refreshExpiresAt"])
	assert.Equal(t, float64(1800), data["expiresIn"])
	assert.Equal(t, float64(3600), data["refreshExpiresIn"])
}

// TestFactsBusinessCodes checks SCB's code table (section 5) as openapi.yaml states it: the
// status.code enums, read back by contract.Spec, the one derivation every consumer uses. The
// table itself is written only in openapi.yaml; what is checked here is what it must keep: every
// documented answer narrows its business code, a success carries 1000 and nothing else, and
// every row shows an example with SCB's description.
func TestFactsBusinessCodes(t *testing.T) {
	doc := loadKin(t)
	spec, err := contract.LoadSpec()
	require.NoError(t, err)
	table := spec.CodeTable()
	require.NotEmpty(t, table)

	// exampleCodes returns the business codes r's examples show with a description.
	exampleCodes := func(r *openapi3.Response) []int {
		var codes []int
		for _, ex := range r.Content.Get("application/json").Examples {
			st, _ := ex.Value.Value.(map[string]any)["status"].(map[string]any)
			if code, ok := st["code"].(float64); ok && st["description"] != "" {
				codes = append(codes, int(code))
			}
		}
		return codes
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for key, r := range op.Responses.Map() {
				status, err := strconv.Atoi(key)
				require.NoError(t, err, "%s %s %s: a single status, not a range", method, path, key)
				codes := spec.Codes(method, path, status)
				assert.NotEmpty(t, codes, "%s %s %d: the answer must narrow status.code", method, path, status)
				if status < 300 {
					assert.Equal(t, []int{1000}, codes, "%s %s %d: a success carries 1000", method, path, status)
				}
				assert.Subset(t, exampleCodes(r.Value), codes, "%s %s %d: every code it allows needs an example with SCB's description", method, path, status)
			}
		}
	}
	assert.Equal(t, []int{1104}, spec.Codes("POST", "/no/such/path", 404), "unknown paths: 404 1104")
	assert.Subset(t, exampleCodes(doc.Components.Responses["NotFound"].Value), []int{1104})
	// The documented error descriptions appear in the examples, word for word.
	var all strings.Builder
	for _, r := range doc.Components.Responses {
		for _, ex := range r.Value.Content.Get("application/json").Examples {
			fmt.Fprintf(&all, "%v\n", ex.Value.Value)
		}
	}
	for _, desc := range []string{
		"Invalid authorization code",
		"This application requires codeChallenge verification",
		"Invalid authorization method for current credentials",
		"Missing required parameters",
		"Invalid parameters entered",
		"Empty string input not supported",
		"Required standard headers (requestUId) not found",
		"Required standard headers (requestUId, resourceOwnerId) not found",
		"Invalid/expired temporary token",
		"Invalid authorization credentials",
		"Wrong http method requested on endpoint",
		"Unsupported content type defined",
		"Generic server side error",
		"Invalid response from upstream server",
		"API Request Timeout",
		"System maintenance in progress. We will be back shortly.",
		"Requested entity record does not exist",
	} {
		assert.Contains(t, all.String(), desc)
	}
}

func TestFactsLifetimes(t *testing.T) {
	doc := loadKin(t)
	desc := operation(t, doc, "POST", "/v1/oauth/token").Description
	for _, want := range []string{"access token 30 minutes", "refresh token 60 minutes", "authorization code\n1 minute"} {
		assert.Contains(t, desc, want)
	}
	assert.Contains(t, operation(t, doc, "GET", "/v2/oauth/authorize").Description, "255 characters")
}
