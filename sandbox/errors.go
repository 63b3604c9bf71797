package sandbox

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/scboauth/scboauth/generated"
)

// apiError is an answer in SCB's error envelope, {"status":{"code":...,"description":...},
// "data":null}, with its HTTP status. It implements the generated strict server's response
// interfaces of all three operations, so that one value serves every operation.
type apiError struct {
	status     int
	code       int
	desc       string
	retryAfter string // the Retry-After header, if any
	body       []byte // the encoded envelope
}

// newAPIError builds an error answer; the body is encoded once, with the generated type.
func newAPIError(status, code int, desc string) *apiError {
	body, err := json.Marshal(generated.ErrorResponse{Status: generated.Status{Code: code, Description: desc}})
	if err != nil {
		panic(err) // unreachable: a struct of an int and a string always encodes
	}
	// generated.ErrorResponse omits a nil data; the emulator sends "data": null [decision].
	body = append(body[:len(body)-1], `,"data":null}`+"\n"...)
	return &apiError{status: status, code: code, desc: desc, body: body}
}

// withRetryAfter returns a copy of e that carries a Retry-After header of secs seconds.
func (e *apiError) withRetryAfter(secs int) *apiError {
	c := *e
	c.retryAfter = strconv.Itoa(secs)
	return &c
}

// The answers the emulator gives, with SCB's descriptions (generic table, scb-api.md section 5,
// and the OAuth pages). accept-language TH is accepted but descriptions stay English: SCB's
// Thai wording is not public.
var (
	errMissingParams       = newAPIError(http.StatusBadRequest, 1101, "Missing required parameters")
	errInvalidParams       = newAPIError(http.StatusBadRequest, 1102, "Invalid parameters entered")
	errEmptyString         = newAPIError(http.StatusBadRequest, 1103, "Empty string input not supported")
	errUnknownField        = newAPIError(http.StatusBadRequest, 1105, "Unrecognized field name was entered - Please check spelling and/or refer to the API docs for correct name")
	errNotFound            = newAPIError(http.StatusNotFound, 1104, "Requested entity record does not exist")
	errCredentialsRequired = newAPIError(http.StatusUnauthorized, 9100, "Authorization credentials required")
	errInvalidCode         = newAPIError(http.StatusUnauthorized, 9300, "Invalid authorization code")
	errChallengeRequired   = newAPIError(http.StatusUnauthorized, 9300, "This application requires codeChallenge verification")
	errInvalidRefresh      = newAPIError(http.StatusUnauthorized, 9300, "Invalid/expired temporary token")
	errInvalidAPIKey       = newAPIError(http.StatusUnauthorized, 9500, "Invalid apikey provided")
	errCredentials         = newAPIError(http.StatusUnauthorized, 9500, "Invalid authorization credentials")
	errForbidden           = newAPIError(http.StatusForbidden, 9503, "Invalid authorization method for current credentials")
	errMethod              = newAPIError(http.StatusMethodNotAllowed, 9900, "Wrong http method requested on endpoint")
	errMediaType           = newAPIError(http.StatusUnsupportedMediaType, 9900, "Unsupported content type defined")
	errTooManyRequests     = newAPIError(http.StatusTooManyRequests, 9900, "Too many requests")
	errServer              = newAPIError(http.StatusInternalServerError, 9700, "Generic server side error")
	errBadGateway          = newAPIError(http.StatusBadGateway, 9900, "Invalid response from upstream server")
	errUnavailable         = newAPIError(http.StatusServiceUnavailable, 9900, "Server is currently unavailable because traffic overload or it is down for maintenance").withRetryAfter(1)
	errGatewayTimeout      = newAPIError(http.StatusGatewayTimeout, 9900, "API Request Timeout")
)

// errMissingHeader is 400 9100 naming the missing header as the spec spells it.
func errMissingHeader(name string) *apiError {
	return newAPIError(http.StatusBadRequest, 9100, "Required standard headers ("+name+") not found")
}

var jsonContentType = []string{"application/json"}

// DetailHeader is the response header of the emulator's own (not SCB's) that names what was
// wrong with a refused request, such as "header requestUId: longer than 128 bytes" or "body:
// applicationKey: not a string": SCB's envelope stays exact, and says no more than SCB's does.
// The request log shows the same detail.
const DetailHeader = "X-Sandbox-Detail"

// maxDetail bounds a detail as the log and DetailHeader show it.
const maxDetail = 256

// write sends e and records its business code for the request log.
func (e *apiError) write(w http.ResponseWriter) error {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	if e.retryAfter != "" {
		h["Retry-After"] = []string{e.retryAfter}
	}
	if x, ok := w.(*respWriter); ok {
		x.code = e.code
		if x.detail != "" {
			h[DetailHeader] = []string{logText(x.detail, maxDetail)}
		}
	}
	w.WriteHeader(e.status)
	_, err := w.Write(e.body)
	return err
}

// VisitCreateTokenResponse implements generated.CreateTokenResponseObject.
func (e *apiError) VisitCreateTokenResponse(w http.ResponseWriter) error { return e.write(w) }

// VisitRefreshTokenResponse implements generated.RefreshTokenResponseObject.
func (e *apiError) VisitRefreshTokenResponse(w http.ResponseWriter) error { return e.write(w) }

// VisitAuthorizeResponse implements generated.AuthorizeResponseObject.
func (e *apiError) VisitAuthorizeResponse(w http.ResponseWriter) error { return e.write(w) }

// errorAnswer is an error answer that serves every operation: an *apiError or a forApp.
type errorAnswer interface {
	generated.CreateTokenResponseObject
	generated.RefreshTokenResponseObject
	generated.AuthorizeResponseObject
}

// forApp is an error answered to an application that authenticated: the request log names it.
type forApp struct {
	e   *apiError
	app string
}

func (f forApp) write(w http.ResponseWriter) error {
	if x, ok := w.(*respWriter); ok {
		x.app = f.app
	}
	return f.e.write(w)
}

// VisitCreateTokenResponse implements generated.CreateTokenResponseObject.
func (f forApp) VisitCreateTokenResponse(w http.ResponseWriter) error { return f.write(w) }

// VisitRefreshTokenResponse implements generated.RefreshTokenResponseObject.
func (f forApp) VisitRefreshTokenResponse(w http.ResponseWriter) error { return f.write(w) }

// VisitAuthorizeResponse implements generated.AuthorizeResponseObject.
func (f forApp) VisitAuthorizeResponse(w http.ResponseWriter) error { return f.write(w) }

var (
	_ errorAnswer = (*apiError)(nil)
	_ errorAnswer = forApp{}
)

// ruleFault is the answer of a fault rule of an application (FaultRule.Application), which
// fires once the request authenticated.
type ruleFault struct {
	s         *Server
	fault, id string
	app       string
}

func (f ruleFault) write(w http.ResponseWriter) error {
	x, ok := w.(*respWriter)
	if !ok || x.req == nil || x.route == nil {
		return errServer.write(w) // unreachable: ServeHTTP routes every request here
	}
	x.app, x.fault = f.app, "rule "+f.id+": "+f.fault
	f.s.fault(x, x.req, x.route, f.fault)
	return nil
}

// VisitCreateTokenResponse implements generated.CreateTokenResponseObject.
func (f ruleFault) VisitCreateTokenResponse(w http.ResponseWriter) error { return f.write(w) }

// VisitRefreshTokenResponse implements generated.RefreshTokenResponseObject.
func (f ruleFault) VisitRefreshTokenResponse(w http.ResponseWriter) error { return f.write(w) }

// VisitAuthorizeResponse implements generated.AuthorizeResponseObject.
func (f ruleFault) VisitAuthorizeResponse(w http.ResponseWriter) error { return f.write(w) }

var _ errorAnswer = ruleFault{}
