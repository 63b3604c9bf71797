package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Sentinels for the answers SCB documents, to test with [errors.Is]. A call that fails returns an
// [*Error]; errors.Is(err, ErrBadCredentials) reports whether SCB refused the application's key
// or secret, and so on.
var (
	// ErrBadCredentials: SCB refused the application key or secret (401 9500, or 401 9100
	// "missing required authorization credentials"). Not retried.
	ErrBadCredentials = errors.New("api: invalid application credentials")

	// ErrInvalidAuthorizationCode: the authorization code is unknown, used or expired (401 9300
	// on the token call). Codes live one minute and work once: the user must consent again.
	ErrInvalidAuthorizationCode = errors.New("api: invalid authorization code")

	// ErrCodeChallengeRequired: a web application traded a code without the right
	// codeChallenge (401 9300 "This application requires codeChallenge verification").
	ErrCodeChallengeRequired = errors.New("api: codeChallenge verification required")

	// ErrInvalidAuthorizationMethod: the application may not use this grant (403 9503), for
	// example an authorization code sent by a client-credentials application.
	ErrInvalidAuthorizationMethod = errors.New("api: invalid authorization method for these credentials")

	// ErrMissingHeader: SCB did not find a required standard header (400 9100); the
	// description names it.
	ErrMissingHeader = errors.New("api: required header missing")

	// ErrReauthorizationRequired: the refresh token is unknown, redeemed or expired (401 9300
	// on the refresh call), or known to be past its expiry. It is never retried: the user has
	// to authorise the application again.
	ErrReauthorizationRequired = errors.New("api: re-authorization required")

	// ErrRateLimited: SCB answered 429; Error.RetryAfter tells how long it asked to wait.
	ErrRateLimited = errors.New("api: rate limited")

	// ErrMalformedResponse: the answer is not what the contract describes: not JSON (an HTML
	// gateway page, say), cut short, of the wrong shape, or a 200 whose status.code is not 1000.
	// The error says what was received (content type, size), never the body itself.
	ErrMalformedResponse = errors.New("api: malformed response")

	// ErrResponseTooLarge: the answer's body exceeded the client's limit and was not read.
	ErrResponseTooLarge = errors.New("api: response too large")

	// ErrRedirect: SCB's endpoints never redirect; the client does not follow a redirect, so
	// the secret in the request body never travels to another address. The Transport refuses
	// a redirect to a host other than the base URL's or the original request's, so the token
	// does not either.
	ErrRedirect = errors.New("api: redirect not followed")
)

// Error is the error of every failed call: an answer other than success, or no answer at all.
// Use [errors.As] to read its fields and [errors.Is] with the sentinels above (ErrBadCredentials,
// ErrInvalidAuthorizationCode...) to tell the documented cases apart. It never holds a secret:
// descriptions are scrubbed of every value the request sent as a secret, and a body that is not
// SCB's envelope is described (content type, size), never quoted.
type Error struct {
	// Op names the call: "token request", "refresh request", "authorize request",
	// "token source" for an error of a TokenSource that has no token to give, or "transport"
	// for a request the Transport refused to send.
	Op string
	// HTTPStatus is the answer's HTTP status; 0 when there was no answer (connection failure,
	// timeout, cancelled context).
	HTTPStatus int
	// Code is SCB's business code (status.code), 0 when the answer carried none.
	Code int
	// Description is SCB's status.description, in the language asked for.
	Description string
	// RequestUID is the requestUId header of the (last) request, for SCB's support.
	RequestUID string
	// RetryAfter is the wait the answer asked for with a Retry-After header; 0 when none. On
	// an error a TokenSource repeats while it backs off, the time until its next attempt.
	RetryAfter time.Duration
	// Err is the cause: a transport or context error, or a description of a malformed answer
	// (matching ErrMalformedResponse, ErrResponseTooLarge or ErrRedirect); nil for a well-formed
	// SCB error, unless the answer was to another process of the fleet (a TokenSource with a
	// Store reporting the refusal of a refresh token that process redeemed).
	Err error

	kind error // the sentinel this answer matches, if any
}

var _ error = (*Error)(nil)

// Error returns a message such as
// "api: token request: 401 9300 invalid authorization code (requestUId 3f2a...)".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("api: ")
	b.WriteString(e.Op)
	b.WriteString(":")
	if e.HTTPStatus != 0 {
		b.WriteString(" ")
		b.WriteString(strconv.Itoa(e.HTTPStatus))
	}
	if e.Code != 0 {
		b.WriteString(" ")
		b.WriteString(strconv.Itoa(e.Code))
	}
	if e.Description != "" {
		b.WriteString(" ")
		b.WriteString(lowerFirst(e.Description))
	}
	if e.Err != nil {
		if e.HTTPStatus != 0 || e.Code != 0 || e.Description != "" {
			b.WriteString(":")
		}
		b.WriteString(" ")
		b.WriteString(e.Err.Error())
	}
	if e.RetryAfter > 0 {
		b.WriteString(" (retry after ")
		b.WriteString(e.RetryAfter.String())
		b.WriteString(")")
	}
	if e.RequestUID != "" {
		b.WriteString(" (requestUId ")
		b.WriteString(e.RequestUID)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether e is the documented case target stands for (ErrBadCredentials...).
func (e *Error) Is(target error) bool { return e.kind != nil && target == e.kind }

// Retryable reports whether trying again later may succeed: no answer at all (but not a TLS
// failure such as a refused certificate), or HTTP 408, 429, 500, 502, 503 or 504. Credential and
// request errors are not retryable.
func (e *Error) Retryable() bool {
	if e.kind == ErrReauthorizationRequired {
		return false
	}
	if e.HTTPStatus == 0 {
		return e.Err != nil && !isTLSError(e.Err)
	}
	return retryableStatus(e.HTTPStatus)
}

func retryableStatus(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// classify returns the sentinel an SCB error answer matches, or nil.
func classify(op string, status, code int, description string) error {
	switch {
	case status == http.StatusUnauthorized && (code == 9500 || code == 9100):
		return ErrBadCredentials
	case status == http.StatusUnauthorized && code == 9300 && op == opRefresh:
		return ErrReauthorizationRequired
	case status == http.StatusUnauthorized && code == 9300 && op == opToken:
		if strings.Contains(strings.ToLower(description), "codechallenge") {
			return ErrCodeChallengeRequired
		}
		return ErrInvalidAuthorizationCode
	case status == http.StatusForbidden && code == 9503:
		return ErrInvalidAuthorizationMethod
	case status == http.StatusBadRequest && code == 9100:
		return ErrMissingHeader
	case status == http.StatusTooManyRequests:
		return ErrRateLimited
	}
	return nil
}

// detailError describes a malformed answer: it matches its sentinel with errors.Is and unwraps
// to the decoder's error, if any, for errors.As.
type detailError struct {
	kind error
	msg  string
	err  error
}

func (d *detailError) Error() string          { return d.msg }
func (d *detailError) Unwrap() error          { return d.err }
func (d *detailError) Is(target error) bool   { return target == d.kind }
func malformed(msg string, cause error) error { return &detailError{ErrMalformedResponse, msg, cause} }
func tooLarge(msg string) error               { return &detailError{ErrResponseTooLarge, msg, nil} }
func redirectError(msg string) error          { return &detailError{ErrRedirect, msg, nil} }
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || !unicode.IsUpper(r) {
		return s
	}
	// Keep acronyms ("SCB ...") as they are.
	if r2, _ := utf8.DecodeRuneInString(s[n:]); unicode.IsUpper(r2) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// ConfigError reports a Config that NewClient refuses. Field names the Config field
// ("BaseURL", "ApplicationKey", "Retry.MaxAttempts"...), so that a program can point at its own
// flag or setting; Reason says what is wrong, and never shows a value that may be a secret.
type ConfigError struct {
	// Field is the name of the Config field, as written in Go.
	Field string
	// Reason says what is wrong with it.
	Reason string
	// Err is the cause, such as the error of loading the certificate files; nil when none.
	Err error
}

var _ error = (*ConfigError)(nil)

// Error returns a message such as "api: Config.BaseURL: https required ...".
func (e *ConfigError) Error() string {
	msg := "api: Config." + e.Field + ": " + e.Reason
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *ConfigError) Unwrap() error { return e.Err }

func configError(field, format string, args ...any) *ConfigError {
	return &ConfigError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
