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
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Names of the calls, used as Error.Op.
const (
	opToken     = "token request"
	opRefresh   = "refresh request"
	opAuthorize = "authorize request"
	opSource    = "token source"
)

// skewWarning is the clock skew above which a token's arrival is logged as a warning.
const skewWarning = time.Minute

// call is one logical request to SCB: how to build each attempt and what must never show.
// Every endpoint's call goes through send, so all get the same retries, limits and errors.
type call struct {
	op         string
	idempotent bool     // safe to send twice: retried on every retryable failure
	secrets    []string // values sent that no error or log may contain
	body       []byte   // the request body, sent anew with each attempt; nil for none
	build      func(requestUID string, body *bytes.Reader) (*http.Request, error)
	maxBody    int64 // the answer's size limit when larger than the client's (a QR's picture)
}

// setBody marshals the request body of k.
func (k *call) setBody(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("api: %s: %w", k.op, err)
	}
	k.body = b
	return nil
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
	req, err := k.build(uid, bytes.NewReader(k.body))
	if err != nil {
		return nil, &Error{Op: k.op, RequestUID: uid, Err: err}
	}
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req = req.WithContext(actx)
	sent := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		e := &Error{Op: k.op, RequestUID: uid, Err: c.shownError(err, k.secrets...)}
		c.logAttempt(ctx, k, n, uid, sent, e)
		return nil, e
	}
	defer resp.Body.Close()
	a := &answer{status: resp.StatusCode, header: resp.Header, sent: sent, uid: uid}
	a.body, err = readBody(resp.Body, max(c.maxBody, k.maxBody))
	var e *Error
	switch {
	case err != nil:
		e = a.fail(k, err)
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		e = a.fail(k, redirectError("redirect to "+c.describeLocation(resp.Header.Get("Location"), k.secrets)+" not followed"))
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

// readBody reads at most limit bytes of r (any limit up to math.MaxInt64).
func readBody(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, min(limit, math.MaxInt64-1)+1))
	if int64(len(b)) > limit {
		return nil, tooLarge(fmt.Sprintf("body larger than %d bytes", limit))
	}
	if err != nil {
		return b, malformed(fmt.Sprintf("body cut short after %d bytes", len(b)), err)
	}
	return b, nil
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
