package scboauth_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The facts of ../shared/scb-api.md (sections 1-6) that concern the three operations, checked
// against openapi.yaml one by one, so that an edit that loses one fails here.

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

// allowedCodes returns the business codes a response's schema allows for status.code: the
// intersection of the enums found through allOf, or nil when any integer is allowed.
func allowedCodes(s *openapi3.Schema) []int {
	var codes []int
	var walk func(s *openapi3.Schema)
	walk = func(s *openapi3.Schema) {
		for _, sub := range s.AllOf {
			walk(sub.Value)
		}
		status := s.Properties["status"]
		if status == nil {
			return
		}
		for _, sub := range status.Value.AllOf {
			if c := sub.Value.Properties["code"]; c != nil {
				for _, v := range c.Value.Enum {
					codes = append(codes, int(v.(float64)))
				}
			}
		}
		if c := status.Value.Properties["code"]; c != nil {
			for _, v := range c.Value.Enum {
				codes = append(codes, int(v.(float64)))
			}
		}
	}
	walk(s)
	sort.Ints(codes)
	return slices.Compact(codes)
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
	requestUID := doc.Components.Parameters["RequestUID"].Value.Schema.Value
	assert.Empty(t, requestUID.Format, "requestUId has no format: uuid (SCB also uses 32-character ids)")
	for _, id := range []string{"2b8f3a4e-6c1d-4f0a-9b7e-5d2c1a0f3e4b", "0123456789abcdefABCDEF0123456789"} {
		assert.NoError(t, requestUID.VisitJSON(id), "requestUId %s must be accepted", id)
	}
	for _, id := range []string{"", "not-a-uuid", "0123456789abcdef0123456789abcdef0"} {
		assert.Error(t, requestUID.VisitJSON(id), "requestUId %q must be refused", id)
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

func TestFactsBusinessCodes(t *testing.T) {
	doc := loadKin(t)
	// The generic table (section 5) per HTTP status, as it applies to these operations.
	want := map[string][]int{
		"200": {1000},
		"400": {1101, 1102, 1103, 1105, 8101, 9100},
		"401": {9100, 9300, 9500},
		"403": {9503},
		"405": {9900},
		"415": {9900},
		"429": {9900},
		"500": {8101, 8901, 9700, 9900},
		"501": {4101},
		"502": {9900},
		"503": {9900},
		"504": {9900},
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for code, r := range op.Responses.Map() {
				schema := r.Value.Content.Get("application/json").Schema.Value
				assert.Equal(t, want[code], allowedCodes(schema), "%s %s %s: allowed business codes", method, path, code)
			}
		}
	}
	notFound := doc.Components.Responses["NotFound"].Value.Content.Get("application/json").Schema.Value
	assert.Equal(t, []int{1104}, allowedCodes(notFound), "unknown paths: 404 1104")

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
