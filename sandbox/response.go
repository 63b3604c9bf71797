package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/scboauth/scboauth/generated"
)

// tokenResponse is a 200 answer of createToken or refreshToken. It is encoded by hand (the
// hot path of the emulator); its tests decode it into generated.TokenResponse and validate it
// against openapi.yaml.
type tokenResponse struct {
	access, refresh      string
	expiresIn, refreshIn int64
	expiresAt, refreshAt int64
	owner                string // the resourceOwnerId header: the request's, or the consenting user's (ResourceOwnerID)
	app                  string // for the log
}

// appendJSON appends the body: {"status":{...},"data":{...}} and a newline.
func (t *tokenResponse) appendJSON(b []byte) []byte {
	b = append(b, `{"status":{"code":1000,"description":"Success"},"data":{"accessToken":`...)
	b = appendString(b, t.access)
	b = append(b, `,"tokenType":"Bearer","expiresIn":`...)
	b = strconv.AppendInt(b, t.expiresIn, 10)
	b = append(b, `,"expiresAt":`...)
	b = strconv.AppendInt(b, t.expiresAt, 10)
	if t.refresh != "" {
		b = append(b, `,"refreshToken":`...)
		b = appendString(b, t.refresh)
		b = append(b, `,"refreshExpiresIn":`...)
		b = strconv.AppendInt(b, t.refreshIn, 10)
		b = append(b, `,"refreshExpiresAt":`...)
		b = strconv.AppendInt(b, t.refreshAt, 10)
	}
	return append(b, "}}\n"...)
}

// appendString appends s as a JSON string: directly when it is printable ASCII without
// characters to escape (a UUID), through encoding/json otherwise.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func (t *tokenResponse) write(w http.ResponseWriter) error {
	x, _ := w.(*respWriter)
	var body []byte
	if x != nil {
		body = t.appendJSON(x.out[:0])
		x.out, x.code, x.app = body, 1000, t.app
	} else {
		body = t.appendJSON(nil)
	}
	h := w.Header()
	h["Content-Type"] = jsonContentType
	if t.owner != "" {
		h["Resourceownerid"] = []string{t.owner}
	}
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(body)
	return err
}

// VisitCreateTokenResponse implements generated.CreateTokenResponseObject.
func (t *tokenResponse) VisitCreateTokenResponse(w http.ResponseWriter) error { return t.write(w) }

// VisitRefreshTokenResponse implements generated.RefreshTokenResponseObject.
func (t *tokenResponse) VisitRefreshTokenResponse(w http.ResponseWriter) error { return t.write(w) }

// callbackResponse is the 200 answer of authorize.
type callbackResponse struct {
	url string
	app string // for the log
}

// callbackBody encodes the authorize answer, status first as SCB writes it (the generated
// type would put data first).
func callbackBody(url string) []byte {
	body, _ := json.Marshal(struct {
		Status generated.Status   `json:"status"`
		Data   generated.Callback `json:"data"`
	}{generated.Status{Code: 1000, Description: "Success"}, generated.Callback{CallbackUrl: url}})
	return append(body, '\n')
}

// VisitAuthorizeResponse implements generated.AuthorizeResponseObject.
func (c callbackResponse) VisitAuthorizeResponse(w http.ResponseWriter) error {
	if x, ok := w.(*respWriter); ok {
		x.code, x.app = 1000, c.app
	}
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(callbackBody(c.url))
	return err
}

var (
	_ generated.CreateTokenResponseObject  = (*tokenResponse)(nil)
	_ generated.RefreshTokenResponseObject = (*tokenResponse)(nil)
	_ generated.AuthorizeResponseObject    = callbackResponse{}
)

// consentResponse is the body of the consent endpoint's 200 answer.
type consentResponse struct {
	Status generated.Status `json:"status"`
	Data   struct {
		AuthCode string `json:"authCode"`
		State    string `json:"state,omitempty"`
	} `json:"data"`
}

// serveConsent is POST /sandbox/v1/consent: {"callbackUrl": "...", "state": "...",
// "codeChallenge": "...", "user": "..."} -> {"status":{"code":1000,...},"data":{"authCode":"...","state":"..."}}.
func (s *Server) serveConsent(w http.ResponseWriter, r *http.Request) {
	x, ok := w.(*respWriter)
	if !ok {
		writeOnce(w, errServer) // unreachable: ServeHTTP routes every request here
		return
	}
	if e := s.readJSON(x, r); e != nil {
		_ = e.write(x)
		return
	}
	fields := x.fields[:len(consentFields)]
	copy(fields, consentFields)
	if e, detail := parseObject(x.buf, fields, s.strict); e != nil {
		x.detail = detail
		_ = e.write(x)
		return
	}
	c := Consent{State: fields[1].value(), CodeChallenge: fields[2].value(), User: fields[3].value()}
	code, err := s.Consent(fields[0].value(), c)
	switch {
	case errors.Is(err, ErrCodeChallengeRequired):
		x.detail = "body: codeChallenge: missing; a web application's consent needs one"
		_ = errMissingParams.write(x)
		return
	case errors.Is(err, ErrStateTooLong):
		x.detail = fmt.Sprintf("body: state: longer than %d bytes", MaxStateBytes)
		_ = errInvalidParams.write(x)
		return
	case errors.Is(err, ErrInvalidUser):
		x.detail = fmt.Sprintf("body: user: longer than %d bytes or not printable", MaxUserBytes)
		_ = errInvalidParams.write(x)
		return
	case err != nil:
		x.detail = "body: callbackUrl: unknown, used or expired"
		_ = errNotFound.write(x)
		return
	}
	var resp consentResponse
	resp.Status = generated.Status{Code: 1000, Description: "Success"}
	resp.Data.AuthCode, resp.Data.State = code, c.State
	body, _ := json.Marshal(resp)
	x.code = 1000
	x.Header()["Content-Type"] = jsonContentType
	x.WriteHeader(http.StatusOK)
	_, _ = x.Write(append(body, '\n'))
}
