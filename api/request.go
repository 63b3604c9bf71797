package api

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/scboauth/scboauth/generated"
)

// Names of the calls, used as Error.Op.
const (
	opToken     = "token request"
	opRefresh   = "refresh request"
	opAuthorize = "authorize request"
	opSource    = "token source"
)

const (
	// skewWarning is the clock skew above which a token's arrival is logged as a warning.
	skewWarning = time.Minute
	// maxLifetime bounds expiresIn and refreshExpiresIn; SCB's are 30 and 60 minutes.
	maxLifetime = 366 * 24 * time.Hour
)

// call is one logical request to SCB: how to build each attempt and what must never show.
type call struct {
	op         string
	idempotent bool     // safe to send twice: retried on every retryable failure
	secrets    []string // values sent that no error or log may contain
	build      func(requestUID string) (*http.Request, error)
}

// answer is a response of SCB, read in full (within the limit).
type answer struct {
	status int
	header http.Header
	body   []byte
	sent   time.Time // when the request was sent, with a monotonic reading
	uid    string
}

func (a *answer) fail(k *call, err error) *Error {
	return &Error{Op: k.op, HTTPStatus: a.status, RequestUID: a.uid, Err: err}
}

// send performs k with retries: at most RetryPolicy.MaxAttempts attempts, waiting a full-jitter
// exponential backoff (or the answer's Retry-After, up to MaxRetryAfter) in between.
func (c *Client) send(ctx context.Context, k *call) (*answer, error) {
	maxAttempts := c.retry.MaxAttempts
	if ctx.Value(singleAttemptKey{}) != nil {
		maxAttempts = 1
	}
	for attempt := 1; ; attempt++ {
		a, e := c.attempt(ctx, k, attempt)
		if e == nil {
			return a, nil
		}
		if attempt >= maxAttempts || !c.shouldRetry(ctx, k, e) {
			return nil, e
		}
		wait := e.RetryAfter
		if wait == 0 {
			wait = fullJitter(c.retry.BaseDelay, c.retry.MaxDelay, attempt)
		}
		if d, ok := ctx.Deadline(); ok && time.Until(d) < wait {
			return nil, e // the caller's deadline would pass before the next attempt
		}
		c.log.LogAttrs(ctx, slog.LevelWarn, "api: retrying", slog.String("op", k.op),
			slog.Int("attempt", attempt), slog.Duration("wait", wait), slog.String("error", e.Error()))
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			stopped := *e
			stopped.Err = ctx.Err()
			stopped.RetryAfter = 0
			return nil, &stopped
		}
	}
}

// fullJitter returns a wait drawn uniformly from [0, min(max, base*2^(attempt-1))).
func fullJitter(base, maxDelay time.Duration, attempt int) time.Duration {
	step := maxDelay
	if attempt-1 < 30 {
		step = min(maxDelay, base<<(attempt-1))
	}
	if step <= 0 {
		return 0
	}
	return rand.N(step)
}

func (c *Client) shouldRetry(ctx context.Context, k *call, e *Error) bool {
	if ctx.Err() != nil {
		return false
	}
	if e.HTTPStatus == 0 {
		if e.Err == nil || isTLSError(e.Err) {
			return false
		}
		return k.idempotent || isDialError(e.Err)
	}
	if e.RetryAfter > c.retry.MaxRetryAfter {
		return false
	}
	if k.idempotent {
		return retryableStatus(e.HTTPStatus)
	}
	// A single-use value (refresh token, authorization code): retry only when SCB cannot have
	// redeemed it.
	switch e.HTTPStatus {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return true
	}
	return false
}

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// isTLSError reports whether err is a TLS failure that trying again will not cure: a
// certificate SCB or we refuse, a TLS alert from the server (such as "certificate required"
// when mutual TLS lacks a client certificate), or plain HTTP spoken on the other end.
func isTLSError(err error) bool {
	var (
		cv *tls.CertificateVerificationError
		ae tls.AlertError
		rh tls.RecordHeaderError
		op *net.OpError
	)
	return errors.As(err, &cv) || errors.As(err, &ae) || errors.As(err, &rh) ||
		(errors.As(err, &op) && op.Op == "remote error") ||
		// net/http replaces the tls.RecordHeaderError of this case by a plain error.
		strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}

// attempt sends one request and reads its answer. It returns the answer of a 2xx, or an *Error.
func (c *Client) attempt(ctx context.Context, k *call, n int) (*answer, *Error) {
	uid := uuid.NewString()
	req, err := k.build(uid)
	if err != nil {
		return nil, &Error{Op: k.op, RequestUID: uid, Err: err}
	}
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req = req.WithContext(actx)
	sent := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		e := &Error{Op: k.op, RequestUID: uid, Err: err}
		c.logAttempt(ctx, k, n, uid, sent, e)
		return nil, e
	}
	defer resp.Body.Close()
	a := &answer{status: resp.StatusCode, header: resp.Header, sent: sent, uid: uid}
	a.body, err = readBody(resp.Body, c.maxBody)
	var e *Error
	switch {
	case err != nil:
		e = a.fail(k, err)
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		e = a.fail(k, redirectError("redirect to "+describeLocation(resp.Header.Get("Location"), k.secrets)+" not followed"))
	default:
		e = c.errorAnswer(k, a)
	}
	c.logAttempt(ctx, k, n, uid, sent, e)
	if e != nil {
		return nil, e
	}
	return a, nil
}

func (c *Client) logAttempt(ctx context.Context, k *call, n int, uid string, sent time.Time, e *Error) {
	if !c.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{slog.String("op", k.op), slog.Int("attempt", n), slog.String("requestUId", uid),
		slog.Duration("elapsed", time.Since(sent))}
	if e != nil {
		attrs = append(attrs, slog.Int("status", e.HTTPStatus), slog.String("error", e.Error()))
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "api: attempt", attrs...)
}

// readBody reads at most limit bytes of r.
func readBody(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(b)) > limit {
		return nil, tooLarge(fmt.Sprintf("body larger than %d bytes", limit))
	}
	if err != nil {
		return b, malformed(fmt.Sprintf("body cut short after %d bytes", len(b)), err)
	}
	return b, nil
}

// errorAnswer turns a non-success answer into an *Error: SCB's envelope gives Code and
// Description; anything else is described, never quoted.
func (c *Client) errorAnswer(k *call, a *answer) *Error {
	e := a.fail(k, nil)
	e.RetryAfter = retryAfter(a.header.Get("Retry-After"))
	var env generated.ErrorResponse
	if looksJSON(a.body) && json.Unmarshal(a.body, &env) == nil && env.Status.Code != 0 {
		e.Code = env.Status.Code
		e.Description = safeText(env.Status.Description, k.secrets)
		e.kind = classify(k.op, a.status, e.Code, e.Description)
		return e
	}
	e.Err = malformed(describeBody(a.header.Get("Content-Type"), a.body), nil)
	if a.status == http.StatusTooManyRequests {
		e.kind = ErrRateLimited
	}
	return e
}

// decodeSuccess decodes a 2xx answer into v, whose status is status, and checks that the
// business code is 1000.
func (c *Client) decodeSuccess(k *call, a *answer, v any, status *generated.Status) *Error {
	if !looksJSON(a.body) {
		return a.fail(k, malformed(describeBody(a.header.Get("Content-Type"), a.body), nil))
	}
	if err := json.Unmarshal(a.body, v); err != nil {
		return a.fail(k, jsonProblem(err, len(a.body)))
	}
	if status.Code != 1000 {
		e := a.fail(k, malformed(fmt.Sprintf("success answer with business code %d, want 1000", status.Code), nil))
		e.Code = status.Code
		e.Description = safeText(status.Description, k.secrets)
		return e
	}
	return nil
}

// decodeToken turns a token or refresh answer into a Token. Expiry is the send time (with its
// monotonic reading) plus expiresIn; expiresAt only measures the clock skew.
func (c *Client) decodeToken(k *call, a *answer) (*Token, error) {
	var r generated.TokenResponse
	if e := c.decodeSuccess(k, a, &r, &r.Status); e != nil {
		return nil, e
	}
	d := r.Data
	life := time.Duration(d.ExpiresIn) * time.Second
	var problem string
	switch {
	case d.AccessToken == "":
		problem = "data.accessToken missing or empty"
	case d.ExpiresIn <= 0 || life > maxLifetime:
		problem = fmt.Sprintf("data.expiresIn %d out of range", d.ExpiresIn)
	case d.TokenType != "" && !strings.EqualFold(string(d.TokenType), "Bearer"):
		problem = fmt.Sprintf("data.tokenType %q, want Bearer", safeText(string(d.TokenType), append(k.secrets, d.AccessToken, deref(d.RefreshToken))))
	case d.RefreshToken != nil && *d.RefreshToken == "":
		problem = "data.refreshToken empty"
	case d.RefreshExpiresIn != nil && (*d.RefreshExpiresIn <= 0 || time.Duration(*d.RefreshExpiresIn)*time.Second > maxLifetime):
		problem = fmt.Sprintf("data.refreshExpiresIn %d out of range", *d.RefreshExpiresIn)
	}
	if problem != "" {
		return nil, a.fail(k, malformed("wrong shape: "+problem, nil))
	}
	tok := &Token{
		TokenType:       "Bearer",
		Expiry:          a.sent.Add(life),
		ResourceOwnerID: safeText(a.header.Get("resourceOwnerId"), append(k.secrets, d.AccessToken, deref(d.RefreshToken))),
		access:          newSecret(d.AccessToken),
		lifetime:        life,
	}
	if d.RefreshToken != nil {
		tok.refresh = newSecret(*d.RefreshToken)
		if d.RefreshExpiresIn != nil {
			tok.RefreshExpiry = a.sent.Add(time.Duration(*d.RefreshExpiresIn) * time.Second)
		}
	}
	if d.ExpiresAt > 0 {
		serverIssue := time.Unix(d.ExpiresAt-int64(d.ExpiresIn), 0)
		tok.ClockSkew = serverIssue.Sub(a.sent).Round(time.Second)
		if tok.ClockSkew > skewWarning || tok.ClockSkew < -skewWarning {
			c.log.LogAttrs(context.Background(), slog.LevelWarn, "api: clock skew between SCB and this machine",
				slog.String("op", k.op), slog.Duration("skew", tok.ClockSkew), slog.String("requestUId", a.uid))
		}
	}
	return tok, nil
}

func looksJSON(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// jsonProblem describes a decoding error without quoting the body.
func jsonProblem(err error, n int) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se) && se.Offset >= int64(n):
		return malformed(fmt.Sprintf("JSON cut short after %d bytes", n), err)
	case errors.As(err, &se):
		return malformed(fmt.Sprintf("invalid JSON at byte %d of %d", se.Offset, n), err)
	case errors.As(err, &te):
		return malformed(fmt.Sprintf("wrong shape: %s is a JSON %s, want %s", te.Field, strings.SplitN(te.Value, " ", 2)[0], te.Type), err)
	}
	return malformed("invalid JSON", err)
}

// describeBody says what a body that is not SCB's envelope was: its media type and size.
func describeBody(contentType string, body []byte) string {
	if len(body) == 0 {
		return "empty body"
	}
	mt, _, err := mime.ParseMediaType(contentType)
	switch {
	case contentType == "":
		mt = "body without content type"
	case err != nil || len(mt) > 64:
		mt = "body with an invalid content type"
	default:
		mt += " body"
	}
	return fmt.Sprintf("unexpected %s of %d bytes, not SCB's envelope", mt, len(body))
}

// describeLocation names the host a redirect pointed to, or says it had none.
func describeLocation(loc string, secrets []string) string {
	u, err := url.Parse(loc)
	if loc == "" || err != nil {
		return "an invalid location"
	}
	if u.Host == "" {
		return "another path on the same host"
	}
	return "host " + safeText(u.Host, secrets)
}

// safeText prepares a server-given string for an error or log line: secrets removed, control
// characters replaced, length bounded.
func safeText(s string, secrets []string) string {
	if len(s) > 4096 { // cleanDescription keeps 200 bytes: scrub no more than needed
		s = s[:4096]
	}
	return scrub(cleanDescription(scrub(s, secrets...)), secrets...)
}

// retryAfter parses a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(min(s, 1<<20)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t)).Round(time.Second)
	}
	return 0
}
