package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scboauth/scboauth/generated"
)

// The paths the emulator serves.
const (
	pathToken     = "/v1/oauth/token"
	pathRefresh   = "/v1/oauth/token/refresh"
	pathAuthorize = "/v2/oauth/authorize"
	pathConsent   = "/sandbox/v1/consent"
	adminPrefix   = "/sandbox/v1/"
)

// FaultHeader is the request header that asks for a per-request fault on SCB's paths: 500,
// 502, 503, 504, timeout, truncate or html, or 429 (see the package documentation).
const FaultHeader = "X-Sandbox-Fault"

type operation uint8

const (
	opToken operation = iota + 1
	opRefresh
	opAuthorize
	opConsent
)

// route is a path the emulator serves and its one method.
type route struct {
	op     operation
	method string
	scb    bool // one of SCB's paths: faults and the rate limit apply
}

// isSCB reports whether rt (nil: no route) is one of SCB's paths.
func (rt *route) isSCB() bool { return rt != nil && rt.scb }

var (
	routeToken     = &route{opToken, http.MethodPost, true}
	routeRefresh   = &route{opRefresh, http.MethodPost, true}
	routeAuthorize = &route{opAuthorize, http.MethodGet, true}
	routeConsent   = &route{opConsent, http.MethodPost, false}
)

func lookupRoute(path string) *route {
	switch path {
	case pathToken:
		return routeToken
	case pathRefresh:
		return routeRefresh
	case pathAuthorize:
		return routeAuthorize
	case pathConsent:
		return routeConsent
	}
	return lookupPaymentRoute(path)
}

// respWriter is the http.ResponseWriter the emulator's handlers write to: it records what the
// request log needs and holds the per-request buffers. They are pooled.
type respWriter struct {
	w      http.ResponseWriter
	status int
	code   int // business code, set by the writers
	wrote  bool
	route  *route
	app    string // the application's name, for the log
	fault  string
	detail string        // what was wrong with the request, for the log and X-Sandbox-Detail
	req    *http.Request // the request, for a fault rule that fires after authentication
	// The request body: read once, before a wait or by the validation.
	fetched bool
	bodyErr error
	body    validatedBody
	buf     []byte // the request body
	out     []byte // the response body
	fields  [5]bodyField
}

func (x *respWriter) Header() http.Header { return x.w.Header() }

func (x *respWriter) WriteHeader(status int) {
	if !x.wrote {
		x.status, x.wrote = status, true
	}
	x.w.WriteHeader(status)
}

func (x *respWriter) Write(b []byte) (int, error) {
	if !x.wrote {
		x.status, x.wrote = http.StatusOK, true
	}
	return x.w.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (x *respWriter) Unwrap() http.ResponseWriter { return x.w }

// validatedBody is a request body read and validated already: its bytes, and the decoded
// value. The generated strict server decodes the body with runtime.BindJSONBody, which binds
// the value of a body that has a ValidatedValue method (the hook of kin-openapi's validation
// middleware) instead of decoding the bytes a second time, and decodes the bytes otherwise.
type validatedBody struct {
	bytes.Reader
	value map[string]any
}

func (*validatedBody) Close() error { return nil }

// ValidatedValue returns the body's members, all strings (parseObject checked them).
func (v *validatedBody) ValidatedValue() any { return v.value }

// ServeHTTP answers one request: SCB's three operations, the consent endpoint, the admin API
// with WithAdmin, and SCB's envelope for anything else (404 1104 for an unknown path, 405 9900
// for a wrong method).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.admin != nil && isAdminPath(r.URL.Path) {
		s.admin.ServeHTTP(w, r) // never in the request log
		return
	}
	var start time.Time
	if s.logger != nil || len(s.log.ring) > 0 {
		start = time.Now()
	}
	x := s.writers.Get().(*respWriter)
	x.w = w
	s.setDate(w.Header())
	r = canonicalHeaders(r)
	x.req = r
	defer func() {
		if p := recover(); p != nil {
			s.recovered(x, p)
		}
		s.finish(x, r, start)
	}()

	if s.faults.Latency > 0 {
		s.hold(x, r, s.faults.Latency)
	}
	rt := lookupRoute(r.URL.Path)
	if rt == nil {
		_ = errNotFound.write(x)
		return
	}
	x.route = rt
	if r.Method != rt.method {
		x.Header().Set("Allow", rt.method)
		_ = errMethod.write(x)
		return
	}
	if rt.scb && s.injectFault(x, r, rt) {
		return
	}
	if r.URL.RawPath != "" {
		// The path matched once unescaped; let the mux see the same.
		u := *r.URL
		u.RawPath = ""
		r = r.WithContext(r.Context())
		r.URL = &u
	}
	s.mux.ServeHTTP(x, r)
}

// isAdminPath reports whether path is under /sandbox/v1/ but not the consent endpoint, which
// is served with SCB's paths.
func isAdminPath(path string) bool {
	return strings.HasPrefix(path, adminPrefix) && path != pathConsent
}

// injectFault answers a request to one of SCB's paths with the fault its X-Sandbox-Fault
// header, a fault rule without an application (FaultRule) or the failure rate asks for, and
// reports whether it did.
func (s *Server) injectFault(x *respWriter, r *http.Request, rt *route) bool {
	if v := r.Header[FaultHeader]; len(v) > 0 {
		x.fault = v[0]
		s.fault(x, r, rt, v[0])
		return true
	}
	if f, id := s.rules.fire(r.URL.Path, ""); f != "" {
		x.fault = "rule " + id + ": " + f
		s.fault(x, r, rt, f)
		return true
	}
	if s.faults.FailureRate > 0 && rand.Float64() < s.faults.FailureRate {
		x.fault = "failure-rate"
		_ = errUnavailable.write(x)
		return true
	}
	return false
}

// recovered answers a request whose handling panicked (in code the emulator calls: a token
// generator, a clock) 500 9700 in SCB's envelope unless an answer was started, and logs the
// panic's type without its value, which may hold a secret. http.ErrAbortHandler keeps its
// meaning: it panics again, and net/http aborts the connection.
func (s *Server) recovered(x *respWriter, p any) {
	if p == http.ErrAbortHandler {
		panic(p)
	}
	if s.logger != nil {
		s.logger.LogAttrs(context.Background(), slog.LevelError, "panic", slog.String("type", fmt.Sprintf("%T", p)))
	}
	writeOnce(x, errServer)
}

// finish records the request in the request log and on the logger, and returns x to the pool.
func (s *Server) finish(x *respWriter, r *http.Request, start time.Time) {
	if len(s.log.ring) > 0 || s.logger != nil && s.logger.Enabled(context.Background(), slog.LevelInfo) {
		e := s.entry(x, r, start)
		s.log.record(&e)
		s.logRequest(&e)
	}
	if cap(x.buf) > defaultMaxBody+1 {
		x.buf = nil
	}
	if cap(x.out) > 4096 {
		x.out = nil
	}
	clear(x.body.value)
	*x = respWriter{buf: x.buf[:0], out: x.out[:0], body: validatedBody{value: x.body.value}}
	s.writers.Put(x)
}

// entry is the request log's entry of the request x answered, its values escaped and bounded.
func (s *Server) entry(x *respWriter, r *http.Request, start time.Time) RequestEntry {
	kind := KindSCB
	if x.route == routeConsent {
		kind = KindConsent
	}
	e := RequestEntry{
		Kind:        kind,
		Method:      logText(r.Method, 16),
		Path:        logText(r.URL.Path, 128),
		RequestUID:  logText(r.Header.Get("Requestuid"), MaxRequestUIDBytes),
		Status:      x.status,
		Code:        x.code,
		Application: x.app,
		Latency:     time.Since(start),
	}
	if x.fault != "" {
		e.Fault = logText(x.fault, 32)
	}
	if x.detail != "" {
		e.Detail = logText(x.detail, maxDetail)
	}
	if len(s.log.ring) > 0 {
		e.Time = s.safeNow()
	}
	return e
}

// safeNow is the clock for the request log: a clock that panics (WithClock is the caller's
// code) leaves the entry's time zero rather than the request unlogged.
func (s *Server) safeNow() (t time.Time) {
	defer func() { _ = recover() }()
	return s.now()
}

// logRequest writes e on the logger, at level Info.
func (s *Server) logRequest(e *RequestEntry) {
	if s.logger == nil || !s.logger.Enabled(context.Background(), slog.LevelInfo) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", e.Method),
		slog.String("path", e.Path),
		slog.String("requestUId", e.RequestUID),
		slog.Int("status", e.Status),
		slog.Int("code", e.Code),
		slog.Duration("latency", e.Latency),
	}
	if e.Application != "" {
		attrs = append(attrs, slog.String("app", e.Application))
	}
	if e.Fault != "" {
		attrs = append(attrs, slog.String("fault", e.Fault))
	}
	if e.Detail != "" {
		attrs = append(attrs, slog.String("detail", e.Detail))
	}
	s.logger.LogAttrs(context.Background(), slog.LevelInfo, "request", attrs...)
}

// logText returns a value a client sent as the request log shows it: cut after n bytes, and
// escaped as in a Go string literal unless it is printable ASCII, so that no control or format
// character (a terminal escape, a bidirectional override such as U+202E, a line break) reaches
// a terminal or a log viewer.
func logText(s string, n int) string {
	clipped := len(s) > n
	if clipped {
		s = s[:n]
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' {
			q := strconv.Quote(s)
			s = q[1 : len(q)-1]
			break
		}
	}
	if clipped {
		return s + "..."
	}
	return s
}

// canonicalHeaders returns r, or a shallow copy of it whose header names are canonical when
// some are not (a request built in process): SCB's header names are case-insensitive [doc].
func canonicalHeaders(r *http.Request) *http.Request {
	ok := true
	for k := range r.Header {
		if !isCanonicalKey(k) {
			ok = false
			break
		}
	}
	if ok {
		return r
	}
	// Merge in a fixed order, so that the first value of a header given under two spellings
	// does not depend on map iteration.
	keys := slices.Sorted(maps.Keys(r.Header))
	h := make(http.Header, len(keys))
	for _, k := range keys {
		ck := http.CanonicalHeaderKey(k)
		h[ck] = append(h[ck], r.Header[k]...)
	}
	r = r.WithContext(r.Context())
	r.Header = h
	return r
}

// isCanonicalKey reports whether http.CanonicalHeaderKey would leave k as it is: each letter
// upper case at the start and after a hyphen, lower case elsewhere. (A name with characters
// that are not allowed is left as it is too.)
func isCanonicalKey(k string) bool {
	upper := true
	for i := 0; i < len(k); i++ {
		c := k[i]
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			return http.CanonicalHeaderKey(k) == k
		}
		upper = c == '-'
	}
	return true
}

// fault answers with the fault the X-Sandbox-Fault header asked for.
func (s *Server) fault(x *respWriter, r *http.Request, rt *route, v string) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "429":
		_ = errTooManyRequests.withRetryAfter(1).write(x)
	case "500":
		_ = errServer.write(x)
	case "502":
		_ = errBadGateway.write(x)
	case "503":
		_ = errUnavailable.write(x)
	case "504":
		_ = errGatewayTimeout.write(x)
	case "timeout":
		s.hold(x, r, s.faults.TimeoutHold)
		_ = errGatewayTimeout.write(x)
	case "truncate":
		// A success cut in half, as when a connection drops mid-body: Content-Length announces
		// the whole body.
		var body []byte
		if rt.op == opAuthorize {
			body = callbackBody(callbackPrefix + s.next())
		} else {
			now := s.now()
			t := tokenResponse{access: s.next(), expiresIn: seconds(s.lifetimes.AccessToken)}
			t.expiresAt = now.Unix() + t.expiresIn
			body = t.appendJSON(nil)
		}
		h := x.Header()
		h["Content-Type"] = jsonContentType
		h.Set("Content-Length", strconv.Itoa(len(body)))
		x.code = 1000
		x.WriteHeader(http.StatusOK)
		_, _ = x.Write(body[:len(body)/2])
	case "html":
		h := x.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		x.WriteHeader(http.StatusBadGateway)
		_, _ = x.Write([]byte(gatewayPage))
	default:
		x.detail = "header " + FaultHeader + ": not one of " + faultNames
		_ = errInvalidParams.write(x)
	}
}

const gatewayPage = `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx</center>
</body>
</html>
`

// paramError answers the generated router's header binding errors in SCB's envelope. A missing
// header is answered naming every required header the request lacks, as SCB does.
func (s *Server) paramError(w http.ResponseWriter, r *http.Request, err error) {
	x, _ := w.(*respWriter)
	var missing *generated.RequiredHeaderError
	var format *generated.InvalidParamFormatError
	var missingParam *generated.RequiredParamError
	switch {
	case errors.As(err, &missingParam):
		setDetail(x, "query parameter "+missingParam.ParamName+": missing")
		writeOnce(w, errMissingParams)
	case errors.As(err, &missing) && x != nil && x.route != nil:
		names, credential := missingHeaders(r, x.route.op)
		if len(names) == 0 { // unreachable: the router found one missing
			names = []string{missing.ParamName}
		}
		x.detail = "missing header " + strings.Join(names, ", ")
		if credential {
			writeOnce(w, errCredentialsRequired)
			return
		}
		writeOnce(w, errMissingHeader(strings.Join(names, ", ")))
	case errors.As(err, &format) && r.Header.Get(format.ParamName) == "":
		setDetail(x, "header "+format.ParamName+": empty")
		writeOnce(w, errEmptyString)
	case errors.As(err, &format):
		setDetail(x, "header "+format.ParamName+": invalid")
		writeOnce(w, errInvalidParams)
	default:
		writeOnce(w, errInvalidParams)
	}
}

func setDetail(x *respWriter, detail string) {
	if x != nil {
		x.detail = detail
	}
}

// validate is the generated router's middleware: after the router bound the headers, it
// checks their values, the content type and the body, so that every malformed request gets
// SCB's envelope before the strict server decodes anything.
func (s *Server) validate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x, ok := w.(*respWriter)
		if !ok || x.route == nil {
			writeOnce(w, errServer) // unreachable: ServeHTTP routes every request here
			return
		}
		if e := s.checkHeaders(x, r, x.route.op); e != nil {
			_ = e.write(x)
			return
		}
		switch x.route.op {
		case opToken, opRefresh:
			if e := s.readFields(x, r); e != nil {
				_ = e.write(x)
				return
			}
		case opAuthorize:
			if e := checkQuery(r.URL.RawQuery); e != nil {
				x.detail = "query: over 255 characters, not a query, or code, state or status"
				_ = e.write(x)
				return
			}
		default:
			var e answerWriter
			if r, e = s.checkPayment(x, r); e != nil {
				_ = e.write(x)
				return
			}
		}
		if x.route.op != opAuthorize {
			orig := r.Body
			x.body.Reset(x.buf)
			r.Body = &x.body
			defer func() { r.Body = orig }()
		}
		next.ServeHTTP(w, r)
	})
}

// readFields reads and checks the body of a token or refresh call, and keeps its members for
// the strict server (x.body.value).
func (s *Server) readFields(x *respWriter, r *http.Request) *apiError {
	if e := s.readJSON(x, r); e != nil {
		return e
	}
	fields := x.fields[:]
	if x.route.op == opToken {
		fields = fields[:len(tokenFields)]
		copy(fields, tokenFields)
	} else {
		fields = fields[:len(refreshFields)]
		copy(fields, refreshFields)
	}
	if e, detail := parseObject(x.buf, fields, s.strict); e != nil {
		x.detail = detail
		return e
	}
	m := x.body.value
	if m == nil {
		m = make(map[string]any, len(tokenFields))
		x.body.value = m
	}
	for i := range fields {
		if fields[i].present {
			m[fields[i].name] = fields[i].value()
		}
	}
	return nil
}

// The members of the two request bodies; applicationKey first.
var (
	tokenFields = []bodyField{
		{name: "applicationKey", required: true},
		{name: "applicationSecret", required: true},
		{name: "authCode"},
		{name: "state"},
		{name: "codeChallenge"},
	}
	refreshFields = []bodyField{
		{name: "applicationKey", required: true},
		{name: "applicationSecret", required: true},
		{name: "refreshToken", required: true},
	}
	consentFields = []bodyField{
		{name: "callbackUrl", required: true},
		{name: "state"},
		{name: "codeChallenge"},
		{name: "user"},
	}
)

// readJSON checks the content type and reads the body into x.buf.
func (s *Server) readJSON(x *respWriter, r *http.Request) *apiError {
	if !isJSON(r.Header.Get("Content-Type")) {
		x.detail = "header Content-Type: not application/json"
		return errMediaType
	}
	if r.ContentLength > s.maxBody {
		x.detail = "body: over the size limit"
		return errInvalidParams
	}
	if !x.fetched {
		s.prefetch(x, r)
	}
	switch {
	case x.bodyErr == nil:
		return nil
	case x.bodyErr != errBodyTooLarge && r.Context().Err() != nil:
		// The request ended while its body was arriving: Serve's ReadTimeout or shutdown.
		x.detail = "body: still arriving when the request ended"
		return errGatewayTimeout
	}
	x.detail = "body: over the size limit or unreadable"
	return errInvalidParams
}

// hold reads the body, then waits d or until the request ends. It lifts the connection's read
// deadline (Serve's ReadTimeout) first: net/http watches a connection for a client that leaves
// by reading from it, and a read that timed out would end the request.
func (s *Server) hold(x *respWriter, r *http.Request, d time.Duration) {
	s.prefetch(x, r)
	_ = http.NewResponseController(x.w).SetReadDeadline(time.Time{})
	wait(r.Context(), d)
}

// prefetch reads the body into x.buf, unless it is announced longer than the limit. Reading it
// before a wait lets net/http notice a client that gives up (it watches the connection only
// once the body is consumed), which ends the wait.
func (s *Server) prefetch(x *respWriter, r *http.Request) {
	if x.fetched {
		return
	}
	x.fetched = true
	if r.ContentLength > s.maxBody {
		x.bodyErr = errBodyTooLarge
		return
	}
	if r.Body == nil {
		x.buf = x.buf[:0]
		return
	}
	x.buf, x.bodyErr = readBody(r.Body, x.buf, s.maxBody)
}

func isJSON(ct string) bool {
	if strings.EqualFold(ct, "application/json") {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// headerCheck is one header of an operation: its canonical name (as net/http keys it), its
// name as the spec spells it, whether it is required, and the check of its value ("" accepts
// it, else the reason it is refused).
type headerCheck struct {
	key, name string
	required  bool
	invalid   func(s *Server, v string) string
}

// The headers of each operation, in the spec's order.
var (
	standardHeaders = []headerCheck{
		{"Resourceownerid", "resourceOwnerId", true, nil},
		{"Requestuid", "requestUId", true, (*Server).invalidRequestUID},
		{"Accept-Language", "accept-language", false, func(_ *Server, v string) string {
			return reasonIf(!validLanguage(v), "not EN or TH")
		}},
	}
	authorizeHeaders = append([]headerCheck{
		{"Apikey", "apikey", true, nil},
		{"Apisecret", "apisecret", true, nil},
		{"Response-Channel", "response-channel", true, func(_ *Server, v string) string {
			return reasonIf(!generated.ResponseChannel(v).Valid(), "not mobile or mobile_mma")
		}},
		{"Endstate", "endState", true, func(_ *Server, v string) string {
			return reasonIf(!generated.EndState(v).Valid(), "not mobile_app or mobile_web")
		}},
		{"Applicationid", "applicationId", false, nil},
		{"Redirectoption", "redirectOption", false, nil},
	}, standardHeaders...)
)

func reasonIf(bad bool, reason string) string {
	if bad {
		return reason
	}
	return ""
}

// headersOf returns the headers of op.
func headersOf(op operation) []headerCheck {
	switch op {
	case opAuthorize:
		return authorizeHeaders
	case opDeeplink:
		return deeplinkHeaders
	}
	return standardHeaders
}

// checkHeaders checks the values of the headers the generated router bound: SCB's names are
// case-insensitive, requestUId is as invalidRequestUID says, accept-language EN or TH in any
// case, and the authorize call's enums. The router has answered missing headers already. The
// refused header is named in x.detail.
func (s *Server) checkHeaders(x *respWriter, r *http.Request, op operation) *apiError {
	for _, c := range headersOf(op) {
		v, ok := r.Header[c.key]
		var e *apiError
		reason := ""
		switch {
		case !ok:
			continue
		case len(v) != 1:
			e, reason = errInvalidParams, "sent more than once"
		case v[0] == "":
			e, reason = errEmptyString, "empty"
		case c.invalid != nil:
			if reason = c.invalid(s, v[0]); reason != "" {
				e = errInvalidParams
			}
		}
		if e != nil {
			x.detail = "header " + c.name + ": " + reason
			return e
		}
	}
	return nil
}

// missingHeaders returns the required headers of op that r lacks, as the spec spells them, in
// alphabetical order (SCB's one example names "requestUId, resourceOwnerId") [decision], and
// whether one of them is a credential (apikey, apisecret), which SCB answers 401 9100 instead.
func missingHeaders(r *http.Request, op operation) (names []string, credential bool) {
	for _, c := range headersOf(op) {
		if c.required && len(r.Header[c.key]) == 0 {
			names = append(names, c.name)
			credential = credential || c.key == "Apikey" || c.key == "Apisecret"
		}
	}
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return names, credential
}

// MaxRequestUIDBytes bounds a requestUId [decision]: SCB's are 32 or 36 characters, and clients
// send shorter ones (numbers, words, an unexpanded template placeholder) that SCB accepts.
const MaxRequestUIDBytes = 128

// invalidRequestUID says why v is not a requestUId the emulator accepts, or "". By default, as
// SCB does, any printable ASCII (spaces included) of 1 to MaxRequestUIDBytes bytes [decision];
// in strict mode (WithStrict), only the forms SCB's documentation asks for: a hyphenated UUID
// or 32 alphanumerics.
func (s *Server) invalidRequestUID(v string) string {
	if s.strict {
		return reasonIf(!strictRequestUID(v), "not a UUID or 32 alphanumerics (strict mode)")
	}
	if len(v) > MaxRequestUIDBytes {
		return fmt.Sprintf("longer than %d bytes", MaxRequestUIDBytes)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' || c > '~' {
			return "not printable ASCII"
		}
	}
	return ""
}

// strictRequestUID accepts a hyphenated UUID or 32 alphanumerics, the forms SCB documents.
func strictRequestUID(v string) bool {
	switch len(v) {
	case 32:
		for i := 0; i < len(v); i++ {
			c := v[i]
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
				return false
			}
		}
		return true
	case 36:
		for i := 0; i < len(v); i++ {
			c := v[i]
			if i == 8 || i == 13 || i == 18 || i == 23 {
				if c != '-' {
					return false
				}
				continue
			}
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
		return true
	}
	return false
}

func validLanguage(v string) bool {
	return strings.EqualFold(v, "EN") || strings.EqualFold(v, "TH")
}

// checkQuery checks the authorize call's query [doc]: passed through to the partner's redirect
// URL, at most 255 characters, and code, state and status are reserved.
func checkQuery(raw string) *apiError {
	if raw == "" {
		return nil
	}
	if len(raw) > 255 {
		return errInvalidParams
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return errInvalidParams
	}
	for _, reserved := range []string{"code", "state", "status"} {
		if _, ok := q[reserved]; ok {
			return errInvalidParams
		}
	}
	return nil
}
