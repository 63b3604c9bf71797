package scboauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scboauth/scboauth/contract"
	"github.com/scboauth/scboauth/generated"
	"github.com/scboauth/scboauth/generated/embedded"
)

// TestEmbeddedSpecIsFresh checks that the spec embedded in the generated code (which the
// emulator and the contract check load) is openapi.yaml as it is now.
func TestEmbeddedSpecIsFresh(t *testing.T) {
	embedded, err := embedded.GetSpec()
	require.NoError(t, err)
	got, err := embedded.MarshalJSON()
	require.NoError(t, err)
	want, err := loadKin(t).MarshalJSON()
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got), "generated/oauth.gen.go embeds a stale openapi.yaml: run make generate")
}

// strictServer is a minimal implementation of the generated strict server interface: enough
// to exercise every operation's success and one error through the generated code.
type strictServer struct{}

const goodSecret = "s3cr3t-for-tests"

func ptr[T any](v T) *T { return &v }

func (strictServer) CreateToken(_ context.Context, req generated.CreateTokenRequestObject) (generated.CreateTokenResponseObject, error) {
	if req.Body.ApplicationSecret != goodSecret {
		return generated.CreateToken401JSONResponse{TokenUnauthorizedJSONResponse: generated.TokenUnauthorizedJSONResponse{
			Status: generated.Status{Code: 9500, Description: "Invalid authorization credentials"},
		}}, nil
	}
	data := generated.Token{AccessToken: "access-1", TokenType: generated.TokenTypeBearer, ExpiresIn: 1800, ExpiresAt: 1550133185}
	if req.Body.AuthCode != nil {
		data.RefreshToken, data.RefreshExpiresIn, data.RefreshExpiresAt = ptr("refresh-1"), ptr(3600), ptr(int64(1550134985))
	}
	return generated.CreateToken200JSONResponse{
		Body:    generated.TokenResponse{Status: generated.Status{Code: 1000, Description: "Success"}, Data: data},
		Headers: generated.CreateToken200ResponseHeaders{ResourceOwnerId: req.Params.ResourceOwnerId},
	}, nil
}

func (strictServer) RefreshToken(_ context.Context, req generated.RefreshTokenRequestObject) (generated.RefreshTokenResponseObject, error) {
	return generated.RefreshToken200JSONResponse{Body: generated.TokenResponse{
		Status: generated.Status{Code: 1000, Description: "Success"},
		Data: generated.Token{AccessToken: "access-2", TokenType: generated.TokenTypeBearer, ExpiresIn: 1800, ExpiresAt: 1550135000,
			RefreshToken: ptr(req.Body.RefreshToken + "-rotated"), RefreshExpiresIn: ptr(3600), RefreshExpiresAt: ptr(int64(1550136800))},
	}}, nil
}

func (strictServer) Authorize(_ context.Context, req generated.AuthorizeRequestObject) (generated.AuthorizeResponseObject, error) {
	return generated.Authorize200JSONResponse{
		Status: generated.Status{Code: 1000, Description: "Success"},
		Data:   generated.Callback{CallbackUrl: "scbeasysim://login/" + req.Params.RequestUId},
	}, nil
}

// validatingTransport checks every request and response against the spec with package
// contract's validators, from the bytes on the wire, and reports every finding.
type validatingTransport struct {
	t    *testing.T
	spec *contract.Spec
	next http.RoundTripper
}

func (vt validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	for _, f := range vt.spec.ValidateRequest(req.Method, req.URL.RequestURI(), req.Header, body) {
		vt.t.Errorf("%s %s: request: %v", req.Method, req.URL.Path, f)
	}
	answers := &contract.Transport{Base: vt.next, Spec: vt.spec, Observe: func(in *contract.Interaction) {
		for _, f := range in.Findings {
			vt.t.Errorf("%s %s: %d response: %v", in.Method, in.Path, in.Status, f)
		}
	}}
	return answers.RoundTrip(req)
}

// The resourceOwnerId and requestUId the round trips send.
const owner, uid = "l7b0a6c1a2b3c4d5e6f708192a3b4c5d6e", "2b8f3a4e-6c1d-4f0a-9b7e-5d2c1a0f3e4b"

// generatedClient is the generated client of the generated strict server (strictServer), served
// over real HTTP, with every request and response validated against openapi.yaml.
func generatedClient(t *testing.T, opts ...generated.ClientOption) *generated.ClientWithResponses {
	t.Helper()
	srv := httptest.NewServer(generated.Handler(generated.NewStrictHandler(strictServer{}, nil)))
	t.Cleanup(srv.Close)
	spec, err := contract.LoadSpec()
	require.NoError(t, err)
	httpClient := &http.Client{Transport: validatingTransport{t: t, spec: spec, next: srv.Client().Transport}}
	client, err := generated.NewClientWithResponses(srv.URL, append([]generated.ClientOption{generated.WithHTTPClient(httpClient)}, opts...)...)
	require.NoError(t, err)
	return client
}

// TestGeneratedServerClientRoundTrip runs the generated client against the generated strict
// server over real HTTP, validating every request and response against openapi.yaml.
func TestGeneratedServerClientRoundTrip(t *testing.T) {
	client := generatedClient(t)
	ctx := context.Background()
	params := &generated.CreateTokenParams{ResourceOwnerId: owner, RequestUId: uid, AcceptLanguage: ptr(generated.LanguageThai)}

	t.Run("client credentials", func(t *testing.T) {
		resp, err := client.CreateTokenWithResponse(ctx, params, generated.TokenRequest{ApplicationKey: owner, ApplicationSecret: goodSecret})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode())
		require.NotNil(t, resp.JSON200)
		assert.Equal(t, "access-1", resp.JSON200.Data.AccessToken)
		assert.Equal(t, generated.TokenTypeBearer, resp.JSON200.Data.TokenType)
		assert.Nil(t, resp.JSON200.Data.RefreshToken, "no refresh token on the client-credentials grant")
		assert.Equal(t, owner, resp.HTTPResponse.Header.Get("resourceOwnerId"))
	})
	t.Run("authorization code", func(t *testing.T) {
		resp, err := client.CreateTokenWithResponse(ctx, params, generated.TokenRequest{
			ApplicationKey: owner, ApplicationSecret: goodSecret, AuthCode: ptr("code-1"), State: ptr("st"), CodeChallenge: ptr("cc"),
		})
		require.NoError(t, err)
		require.NotNil(t, resp.JSON200)
		require.NotNil(t, resp.JSON200.Data.RefreshToken)
		assert.Equal(t, "refresh-1", *resp.JSON200.Data.RefreshToken)
		assert.Equal(t, int64(1550134985), *resp.JSON200.Data.RefreshExpiresAt)
	})
	t.Run("wrong secret", func(t *testing.T) {
		resp, err := client.CreateTokenWithResponse(ctx, params, generated.TokenRequest{ApplicationKey: owner, ApplicationSecret: "wrong"})
		require.NoError(t, err)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode())
		require.NotNil(t, resp.JSON401)
		assert.Equal(t, 9500, resp.JSON401.Status.Code)
		assert.Nil(t, resp.JSON200)
	})
	t.Run("refresh", func(t *testing.T) {
		resp, err := client.RefreshTokenWithResponse(ctx, (*generated.RefreshTokenParams)(params), generated.RefreshTokenRequest{
			ApplicationKey: owner, ApplicationSecret: goodSecret, RefreshToken: "refresh-1",
		})
		require.NoError(t, err)
		require.NotNil(t, resp.JSON200)
		assert.Equal(t, "refresh-1-rotated", *resp.JSON200.Data.RefreshToken)
	})
	t.Run("authorize", func(t *testing.T) {
		resp, err := client.AuthorizeWithResponse(ctx, &generated.AuthorizeParams{
			Apikey: owner, Apisecret: goodSecret, ResourceOwnerId: owner, RequestUId: uid,
			ResponseChannel: generated.ResponseChannelMobile, EndState: generated.EndStateMobileApp,
		})
		require.NoError(t, err)
		require.NotNil(t, resp.JSON200)
		assert.Equal(t, "scbeasysim://login/"+uid, resp.JSON200.Data.CallbackUrl)
	})
}

// TestValidatorRejectsWrongCodeForStatus shows the per-status code constraint at work on the
// wire: a 401 that carries business code 1000 is a contract violation.
func TestValidatorRejectsWrongCodeForStatus(t *testing.T) {
	doc := loadKin(t)
	schema := doc.Components.Schemas["UnauthorizedError"].Value
	var body any
	require.NoError(t, json.Unmarshal([]byte(`{"status":{"code":1000,"description":"Success"},"data":null}`), &body))
	err := schema.VisitJSON(body)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "value is not one of the allowed values "+strings.ReplaceAll(fmt.Sprint(codesOf(t, "POST", "/v1/oauth/token", 401)), " ", ","))

	require.NoError(t, json.Unmarshal([]byte(`{"status":{"code":9300,"description":"Invalid authorization code"}}`), &body))
	assert.NoError(t, schema.VisitJSON(body), "data may be absent on an error")
}
