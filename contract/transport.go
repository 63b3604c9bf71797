package contract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Limiter paces requests; *rate.Limiter implements it.
type Limiter interface {
	// Wait blocks until a request may be sent or ctx is done.
	Wait(ctx context.Context) error
}

// SCBRate is the pace used for a target that is not on a loopback address: under the SCB
// sandbox's limit of 5 requests per second per API and account.
const SCBRate rate.Limit = 4

// DefaultLimiter returns the limiter Run uses for baseURL when Config.Limiter is nil: nil (no
// pacing) for a loopback target such as the embedded emulator, SCBRate with a burst of 1
// otherwise.
func DefaultLimiter(baseURL *url.URL) Limiter {
	if isLoopback(baseURL) {
		return nil
	}
	return rate.NewLimiter(SCBRate, 1)
}

func isLoopback(u *url.URL) bool {
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// DefaultMaxBodyBytes bounds the bytes a Transport reads of one response body.
const DefaultMaxBodyBytes = 1 << 20

// Interaction is one request and its response as seen on the wire, with what the spec says
// about the response. Header and Body are the raw response; they may hold tokens, so reports
// never include them.
type Interaction struct {
	Method    string      // request method
	Path      string      // request path relative to the base URL
	Operation string      // what the request resolves to in the spec, such as "createToken"
	Status    int         // HTTP status; 0 when no response came
	Header    http.Header // response headers
	Body      []byte      // response body, the raw bytes
	Sent      time.Time   // when the request was sent (after pacing)
	Received  time.Time   // when the body was read completely, or the request failed
	Findings  []Finding   // what ValidateResponse found, plus unreadable-body findings
	Err       error       // transport error, when no response came

	op    *opCheck // the operation the request resolves to
	value any      // the decoded body, nil when not JSON
	cut   bool     // the body could not be read whole
}

// Exchange is the former name of Interaction.
//
// Deprecated: use Interaction.
type Exchange = Interaction

// Latency is the time from sending the request to reading the whole body.
func (in *Interaction) Latency() time.Duration { return in.Received.Sub(in.Sent) }

// Transport is an http.RoundTripper that validates every response against the spec from the
// raw bytes on the wire, before any decoding can hide a problem, then hands the response on
// with its body intact. It paces requests with Limiter.
type Transport struct {
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Spec is the contract; nil means LoadSpec().
	Spec *Spec
	// BasePath is the path of the target's base URL, such as "/partners/sandbox"; request paths
	// are taken relative to it.
	BasePath string
	// Limiter, when set, paces every request.
	Limiter Limiter
	// MaxBodyBytes bounds the body read; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Now is the clock used for latency; nil means time.Now.
	Now func() time.Time
	// Observe, when set, receives every interaction (responses and transport errors).
	Observe func(*Interaction)
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	spec := t.Spec
	if spec == nil {
		var err error
		if spec, err = LoadSpec(); err != nil {
			return nil, err
		}
	}
	var in *Interaction
	var resp *http.Response
	if t.Limiter != nil {
		if err := t.Limiter.Wait(req.Context()); err != nil {
			in = t.newInteraction(spec, req)
			in.Err = fmt.Errorf("contract: pacing: %w", err)
		}
	}
	if in == nil {
		in, resp = t.interact(spec, req)
	}
	if t.Observe != nil {
		t.Observe(in)
	}
	if in.Err != nil {
		return nil, in.Err
	}
	return resp, nil
}

func (t *Transport) newInteraction(spec *Spec, req *http.Request) *Interaction {
	path := req.URL.Path
	if t.BasePath != "" && t.BasePath != "/" {
		path = strings.TrimPrefix(path, strings.TrimSuffix(t.BasePath, "/"))
	}
	if path == "" {
		path = "/"
	}
	oc := spec.resolve(req.Method, path)
	return &Interaction{Method: req.Method, Path: path, Operation: oc.name, op: oc}
}

// interact sends req without pacing, reads and validates the answer, and returns the
// interaction and the response with its body intact (nil when in.Err is set). Run calls it
// directly: it paces itself, so that the run's deadline bounds the wait.
func (t *Transport) interact(spec *Spec, req *http.Request) (*Interaction, *http.Response) {
	in := t.newInteraction(spec, req)
	now := t.Now
	if now == nil {
		now = time.Now
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	in.Sent = now()
	resp, err := base.RoundTrip(req)
	if err != nil {
		in.Err, in.Received = err, now()
		return in, nil
	}
	body := t.readBody(in, resp)
	in.Received = now()
	in.Status, in.Header = resp.StatusCode, resp.Header
	fs, value := spec.validateResponse(in.op, req.Method, resp.StatusCode, resp.Header, body)
	in.Findings = append(in.Findings, fs...)
	in.value = value
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return in, resp
}

// readBody reads and closes resp's body, up to MaxBodyBytes, and records into in the body and
// why it could not be read whole.
func (t *Transport) readBody(in *Interaction, resp *http.Response) []byte {
	limit := t.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, min(limit, math.MaxInt64-1)+1))
	resp.Body.Close()
	if int64(len(body)) > limit {
		body = body[:limit]
		in.Findings = append(in.Findings, errorf(RuleTransport, pathBody, "body is larger than %d bytes; only that much was checked", limit))
	}
	in.Body = body
	if err == nil {
		return body
	}
	in.cut = true
	msg := "the connection broke while reading the body"
	if errors.Is(err, context.DeadlineExceeded) {
		msg = "the request timed out while reading the body"
	}
	if resp.ContentLength > 0 {
		msg += fmt.Sprintf(" (%d of %d bytes)", len(body), resp.ContentLength)
	} else {
		msg += fmt.Sprintf(" (after %d bytes)", len(body))
	}
	in.Findings = append(in.Findings, errorf(RuleTransport, pathBody, "%s", msg))
	return body
}
