package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/scboauth/scboauth/generated"
)

// The payment calls (qr.go, billpayment.go, deeplink.go) are methods of Client: each takes a
// token of the client's TokenSource (the client-credentials grant), sends SCB's headers, and
// goes through the same retries, limits and *Error as the OAuth calls. A call that creates
// something (a QR, a deeplink) is retried only when SCB cannot have processed it (connection
// refused, 408, 429, 503); reads are retried on every retryable failure. A 401 renews the token
// and tries once more, whatever the call: SCB refused it before doing anything.

// Names of the payment calls, used as Error.Op.
const (
	opCreateQR    = "create QR request"
	opVerifySlip  = "slip verification request"
	opInquiry     = "bill-payment inquiry request"
	opDeeplink    = "create deeplink request"
	opTransaction = "transaction request"
)

// Bangkok is Thailand's time zone: GMT+7 all year, without daylight saving. SCB writes most of
// its payment times on this clock, often without saying so; the payment calls return times in
// it (each field says how SCB wrote it).
var Bangkok = time.FixedZone("Asia/Bangkok", 7*60*60)

// BankSCB is SCB's bank code, the sendingBank of a slip paid from an SCB account.
const BankSCB = "014"

// More sentinels for the payment calls, to test with errors.Is.
var (
	// ErrInvalidRequest: the client refused to send a request that breaks SCB's rules (a ref1
	// with lower-case letters, an amount with three decimals...). The error is an
	// *InvalidRequestError naming the field; nothing was sent.
	ErrInvalidRequest = errors.New("api: invalid request")

	// ErrTokenRejected: SCB refused the access token of a payment call (HTTP 401) twice: the
	// client renewed it after the first refusal and tried once more.
	ErrTokenRejected = errors.New("api: access token rejected")

	// ErrNotFound: SCB has no such slip or transaction for this application (404 1104).
	ErrNotFound = errors.New("api: not found")
)

// InvalidRequestError reports a request the client refuses to send. It matches
// ErrInvalidRequest with errors.Is.
type InvalidRequestError struct {
	// Op names the call, such as "create QR request".
	Op string
	// Field names the field of the request as written in Go, such as "Ref1" or
	// "BillPayment.Amount".
	Field string
	// Reason says what is wrong, such as "must be 1 to 20 of A-Z and 0-9".
	Reason string
}

var _ error = (*InvalidRequestError)(nil)

// Error returns a message such as "api: create QR request: Ref1: must be 1 to 20 of A-Z and 0-9".
func (e *InvalidRequestError) Error() string {
	return "api: " + e.Op + ": " + e.Field + ": " + e.Reason
}

// Is reports whether target is ErrInvalidRequest.
func (e *InvalidRequestError) Is(target error) bool { return target == ErrInvalidRequest }

// checker validates a request's fields before it is sent, keeping the first problem.
type checker struct {
	op  string
	err *InvalidRequestError
}

func (v *checker) fail(field, format string, args ...any) {
	if v.err == nil {
		v.err = &InvalidRequestError{Op: v.op, Field: field, Reason: fmt.Sprintf(format, args...)}
	}
}

// result returns the first problem as an error, or nil.
func (v *checker) result() error {
	if v.err == nil {
		return nil
	}
	return v.err
}

// The patterns of the values the client sends [doc, seen; openapi.yaml].
var (
	referencePattern = regexp.MustCompile(`^[A-Z0-9]{1,20}$`)    // ref1, ref2, ref3
	billerIDPattern  = regexp.MustCompile(`^[0-9]{15}$`)         // ppId, accountTo, billerId
	invoicePattern   = regexp.MustCompile(`^[A-Z0-9]{1,64}$`)    // invoice
	idPattern        = regexp.MustCompile(`^[A-Za-z0-9]{1,64}$`) // transRef
	bankPattern      = regexp.MustCompile(`^[0-9]{3}$`)          // sendingBank [decision: three digits]
)

// pattern checks a value against re; required says whether it may be empty.
func (v *checker) pattern(field, value string, required bool, re *regexp.Regexp, what string) {
	switch {
	case value == "" && required:
		v.fail(field, "required")
	case value != "" && !re.MatchString(value):
		v.fail(field, "must be %s", what)
	}
}

// reference checks a bill reference: 1 to 20 of A-Z and 0-9.
func (v *checker) reference(field, value string, required bool) {
	v.pattern(field, value, required, referencePattern, "1 to 20 of A-Z and 0-9")
}

// text checks a free text of at most n bytes: valid UTF-8 without control or invisible
// characters (CR and LF included), and without surrounding spaces.
func (v *checker) text(field, value string, required bool, n int) {
	switch {
	case value == "" && required:
		v.fail(field, "required")
	case len(value) > n:
		v.fail(field, "longer than %d bytes", n)
	case !utf8.ValidString(value) || strings.ContainsFunc(value, invisible) || strings.TrimSpace(value) != value:
		v.fail(field, "has control or invisible characters, or surrounding spaces")
	}
}

// token checks an id of at most n bytes of visible ASCII: no space, control or other character.
func (v *checker) token(field, value string, required bool, n int) {
	switch {
	case value == "" && required:
		v.fail(field, "required")
	case len(value) > n:
		v.fail(field, "longer than %d bytes", n)
	case !visibleASCII(value):
		v.fail(field, "must be visible ASCII without spaces")
	}
}

// amount checks an amount: more than zero, at most limit.
func (v *checker) amount(field string, a, limit Amount) {
	switch {
	case a <= 0:
		v.fail(field, "must be more than zero, got %s", a)
	case a > limit:
		v.fail(field, "must be at most %s baht, got %s", limit, a)
	}
}

// unused refuses a field set where it does not apply, so that it is never silently dropped.
func (v *checker) unused(field string, set bool, why string) {
	if set {
		v.fail(field, "does not apply %s", why)
	}
}

// sendPayment sends the payment call k, built by build, with a token of the client's
// TokenSource. When SCB answers 401, it invalidates the token and sends once more with a newer
// one, if the source has one; a second 401 matches ErrTokenRejected. A 404 1104 matches
// ErrNotFound.
func (c *Client) sendPayment(ctx context.Context, k *call, build func(uid string, body *bytes.Reader) (*http.Request, error)) (*answer, error) {
	ts := c.TokenSource()
	tok, err := ts.Token(ctx)
	if err != nil {
		return nil, err
	}
	k.build = func(uid string, body *bytes.Reader) (*http.Request, error) {
		req, err := build(uid, body)
		if err == nil {
			tok.SetAuthHeader(req)
		}
		return req, err
	}
	for retried := false; ; retried = true {
		k.secrets = append(k.secrets[:0], tok.AccessToken())
		a, err := c.send(ctx, k)
		var e *Error
		if !errors.As(err, &e) {
			return a, err
		}
		switch {
		case e.HTTPStatus == http.StatusNotFound && e.Code == 1104:
			e.kind = ErrNotFound
		case e.HTTPStatus == http.StatusUnauthorized:
			e.kind = ErrTokenRejected
			if retried {
				return nil, e
			}
			if fresh, _ := ts.replacement(ctx, tok); fresh != nil {
				tok = fresh
				continue
			}
		}
		return nil, e
	}
}

// reader reads the data of a payment answer into the client's types, keeping the first
// problem: a missing field, a value too long or with control characters, an amount or a time
// that does not parse. Texts are bounded and never quoted in the problem.
type reader struct {
	problem string
}

// maxText bounds a text of a payment answer.
const maxText = 4096

func (r *reader) fail(path, format string, args ...any) {
	if r.problem == "" {
		r.problem = path + " " + fmt.Sprintf(format, args...)
	}
}

// text returns s after checking it: at most maxText bytes of valid UTF-8 without control or
// invisible characters; required says it must not be empty.
func (r *reader) text(path, s string, required bool) string {
	switch {
	case s == "" && required:
		r.fail(path, "missing or empty")
	case len(s) > maxText:
		r.fail(path, "longer than %d bytes", maxText)
	case !utf8.ValidString(s) || strings.ContainsFunc(s, invisible):
		r.fail(path, "has control or invisible characters")
	default:
		return s
	}
	return ""
}

// flexText reads a text SCB writes as a JSON string [seen] or perhaps a number; "" when absent
// or null.
func (r *reader) flexText(path string, raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	var s string
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return ""
	case raw[0] == '"':
		if json.Unmarshal(raw, &s) != nil {
			r.fail(path, "is not a JSON string")
			return ""
		}
	default:
		var n json.Number
		if json.Unmarshal(raw, &n) != nil {
			r.fail(path, "is neither text nor a number")
			return ""
		}
		s = n.String()
	}
	return r.text(path, s, false)
}

// amount reads an amount written as JSON text or a number (raw), "" or null when absent.
func (r *reader) amount(path string, raw json.RawMessage, required bool) Amount {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		if required {
			r.fail(path, "missing")
		}
		return 0
	}
	var a Amount
	if a.UnmarshalJSON(raw) != nil {
		r.fail(path, "is not an amount of baht with at most two decimals and %d digits", maxAmountDigits)
	}
	return a
}

// clock reads a time SCB writes on the Bangkok clock without a zone, in layout.
func (r *reader) clock(path, layout, s string, required bool) time.Time {
	if s == "" {
		if required {
			r.fail(path, "missing or empty")
		}
		return time.Time{}
	}
	t, err := time.ParseInLocation(layout, s, Bangkok)
	if err != nil || len(s) > 64 {
		r.fail(path, "is not a time of the form %s", layout)
		return time.Time{}
	}
	return t
}

// instant reads an ISO 8601 time with its offset (fractional seconds allowed), or without one
// on the Bangkok clock [decision: lenient], and returns it in Bangkok.
func (r *reader) instant(path, s string, required bool) time.Time {
	if s == "" || len(s) > 64 {
		return r.clock(path, time.RFC3339, s, required)
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(Bangkok)
	}
	return r.clock(path, "2006-01-02T15:04:05", s, required)
}

// envelope is SCB's answer around the data D of a payment call.
type envelope[D any] struct {
	Status generated.Status `json:"status"`
	Data   D                `json:"data"`
}

// decodeData decodes a payment answer and reads its data with read into the client's type; a
// problem is ErrMalformedResponse.
func decodeData[D, T any](c *Client, k *call, a *answer, read func(*D, *reader) T) (T, error) {
	var env envelope[D]
	var zero T
	if e := c.decodeSuccess(k, a, &env, &env.Status); e != nil {
		return zero, e
	}
	var r reader
	out := read(&env.Data, &r)
	if r.problem != "" {
		return zero, a.fail(k, malformed("wrong shape: "+r.problem, nil))
	}
	return out, nil
}
