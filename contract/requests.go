package contract

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"

	"github.com/google/uuid"
)

// A case's request is data: a call names the operation's well-formed request for one of the
// run's applications, and the edits that make the case (a header dropped, a field set to the
// wrong type, another method). build turns it into a request when the case runs, so that
// values known only then (the application, fresh ids) are filled in.

const (
	pathToken     = "/v1/oauth/token"
	pathRefresh   = "/v1/oauth/token/refresh"
	pathAuthorize = "/v2/oauth/authorize"
)

// call is the data of one request.
type call struct {
	op     string  // the well-formed request to start from: pathToken, pathRefresh or pathAuthorize
	role   role    // whose application
	path   string  // when set, sent to this path instead of op's
	method string  // when set, sent with this method instead of op's
	header []edit  // header edits, in order
	field  []edit  // body field edits, in order
	query  []edit  // query parameter edits, in order
	param  []edit  // path parameter edits, in order (tmpl names the parameters)
	tmpl   string  // the operation's path template, such as /v2/transactions/{transactionId}
	raw    *string // when set, the body is these bytes; "" sends no body
	check  requestCheck
}

// edit sets a header, parameter or body field to value, or deletes it when del is set. A
// value of type fresh is made when the request is built. A body edit names a top-level field,
// or, with at, the JSON pointer tokens of a nested one (an array index is a number).
type edit struct {
	name  string
	at    []string
	value any
	del   bool
}

func set(name string, value any) edit { return edit{name: name, value: value} }
func del(name string) edit            { return edit{name: name, del: true} }

// fresh is a value made anew for each request.
type fresh int

const (
	freshUUID            fresh = iota + 1 // a random UUID, such as a code never issued
	freshUnknownKey                       // looks like an SCB key ("l7" and 32 hex characters), registered nowhere
	wrongSecret                           // a secret that is no application's
	redeemedRefreshToken                  // a refresh token the run has already redeemed
)

// wrongSecretValue is what wrongSecret becomes, in a run and in a placeholder request.
const wrongSecretValue = "not-the-secret-0000"

func raw(body string) *string { return &body }

// role is which application a case uses; on a live target every role is Config.Application.
type role int

const (
	rolePlain role = iota
	roleCode
	roleWeb
)

func (r *runner) app(ro role) Credentials {
	if !r.emulator() {
		return r.cfg.Application
	}
	return r.apps[ro]
}

// requestCheck says what the catalogue's own request must do against the spec.
type requestCheck int

const (
	requestConforms requestCheck = iota // a positive (or semantically negative) case: the request must conform
	requestBreaks                       // a malformed request: the spec must reject it
)

// request is one request of a case, ready to send.
type request struct {
	method, path string
	header       http.Header
	body         []byte
	check        requestCheck
	grant        grant // for a 200 answer: which grant's token checks apply
}

// wellFormed holds, for each operation a case can start from, its well-formed request for an
// application: the method, path and headers, and the body's fields (grantFor then says which
// grant a 200 answer is).
// The payment operations' are paymentWellFormed.
var wellFormed = mergeMaps(oauthWellFormed, paymentWellFormed)

// mergeMaps returns a map of the entries of a and b.
func mergeMaps[K comparable, V any](a, b map[K]V) map[K]V {
	m := maps.Clone(a)
	maps.Copy(m, b)
	return m
}

// grantFor says which grant a request to op with these body fields is, for the checks of a 200
// answer: the refresh, the authorization-code grant (an authCode that is not null), the
// client-credentials grant, or none (not a token call).
func grantFor(op string, fields map[string]any) grant {
	switch {
	case op == pathRefresh:
		return grantRefresh
	case op != pathToken:
		return grantNone
	case fields["authCode"] != nil:
		return grantAuthorizationCode
	}
	return grantClientCredentials
}

// oauthWellFormed is the well-formed request of each OAuth operation (see wellFormed).
var oauthWellFormed = map[string]func(app Credentials) (request, map[string]any){
	pathToken: func(app Credentials) (request, map[string]any) {
		rq := request{method: http.MethodPost, path: pathToken, header: tokenHeaders(app.Key)}
		return rq, map[string]any{"applicationKey": app.Key, "applicationSecret": app.Secret}
	},
	pathRefresh: func(app Credentials) (request, map[string]any) {
		rq := request{method: http.MethodPost, path: pathRefresh, header: tokenHeaders(app.Key)}
		return rq, map[string]any{"applicationKey": app.Key, "applicationSecret": app.Secret, "refreshToken": uuid.NewString()}
	},
	pathAuthorize: func(app Credentials) (request, map[string]any) {
		return request{method: http.MethodGet, path: pathAuthorize, header: authorizeHeaders(app)}, nil
	},
}

// build makes the request of call k for this run: k.op's well-formed request, then k's edits.
func (c *caseRun) build(k call) request {
	rq, fields := wellFormed[k.op](c.r.app(k.role))
	if isPayment(k.op) {
		c.preparePayment(&rq, fields, k.role)
	}
	return k.apply(rq, fields, c.value)
}

// apply makes k's edits to the well-formed request rq with its body fields, values made by
// value.
func (k call) apply(rq request, fields map[string]any, value func(any) any) request {
	for _, e := range k.header {
		if e.del {
			rq.header.Del(e.name)
		} else {
			rq.header.Set(e.name, fmt.Sprint(value(e.value)))
		}
	}
	fields = applyFields(fields, k.field, value)
	rq.grant = grantFor(k.op, fields)
	if fields != nil {
		rq.body = jsonBody(fields)
	}
	if k.raw != nil {
		rq.body = nil
		if *k.raw != "" {
			rq.body = []byte(*k.raw)
		}
	}
	rq.path = k.applyPath(cmp.Or(k.path, rq.path), value)
	rq.method, rq.check = cmp.Or(k.method, rq.method), k.check
	return rq
}

// value makes a fresh value, and passes any other as it is.
func (c *caseRun) value(v any) any {
	switch v {
	case freshUUID:
		return uuid.NewString()
	case freshUnknownKey:
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		return "l7" + hex.EncodeToString(b)
	case wrongSecret:
		return wrongSecretValue
	case redeemedRefreshToken:
		return c.r.redeemedRefresh
	}
	if pv, ok := v.(paymentValue); ok {
		return pv.resolve(c.r.payments())
	}
	return v
}

// tokenHeaders are the headers of a token or refresh call, with a fresh requestUId.
func tokenHeaders(key string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("resourceOwnerId", key)
	h.Set("requestUId", uuid.NewString())
	return h
}

// authorizeHeaders are the headers of GET /v2/oauth/authorize.
func authorizeHeaders(app Credentials) http.Header {
	h := http.Header{}
	h.Set("apikey", app.Key)
	h.Set("apisecret", app.Secret)
	h.Set("resourceOwnerId", app.Key)
	h.Set("requestUId", uuid.NewString())
	h.Set("response-channel", "mobile")
	h.Set("endState", "mobile_app")
	return h
}

// jsonBody marshals fields in a stable order.
func jsonBody(fields map[string]any) []byte {
	b, err := json.Marshal(fields)
	if err != nil {
		panic(err) // only strings, numbers and nil are ever set
	}
	return b
}

// randomString returns n random bytes, base64url encoded.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
