package contract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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

// Exchange is one request and its response as seen on the wire, with what the spec says about
// the response. Header and Body are the raw response; they may hold tokens, so reports never
// include them.
type Exchange struct {
	Method    string        // request method
	Path      string        // request path relative to the base URL
	Operation string        // what the request resolves to in the spec, such as "createToken"
	Status    int           // HTTP status; 0 when no response came
	Header    http.Header   // response headers
	Body      []byte        // response body, the raw bytes
	Sent      time.Time     // when the request was sent (after pacing)
	Received  time.Time     // when the body was read completely
	Findings  []Finding     // what ValidateResponse found, plus unreadable-body findings
	Err       error         // transport error, when no response came
	value     any           // the decoded body, nil when not JSON
	latency   time.Duration // Received - Sent
}

// Latency is the time from sending the request to reading the whole body.
func (e *Exchange) Latency() time.Duration { return e.latency }

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
	// Observe, when set, receives every exchange (responses and transport errors).
	Observe func(*Exchange)
}

type exchangeKey struct{}

// withExchange returns a context in which RoundTrip records its exchange into *slot.
func withExchange(ctx context.Context, slot **Exchange) context.Context {
	return context.WithValue(ctx, exchangeKey{}, slot)
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
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	now := t.Now
	if now == nil {
		now = time.Now
	}
	max := t.MaxBodyBytes
	if max <= 0 {
		max = DefaultMaxBodyBytes
	}
	path := req.URL.Path
	if t.BasePath != "" && t.BasePath != "/" {
		path = strings.TrimPrefix(path, strings.TrimSuffix(t.BasePath, "/"))
	}
	if path == "" {
		path = "/"
	}
	oc := spec.resolve(req.Method, path)
	ex := &Exchange{Method: req.Method, Path: path, Operation: oc.name}
	defer func() {
		if slot, ok := req.Context().Value(exchangeKey{}).(**Exchange); ok {
			*slot = ex
		}
		if t.Observe != nil {
			t.Observe(ex)
		}
	}()

	if t.Limiter != nil {
		if err := t.Limiter.Wait(req.Context()); err != nil {
			ex.Err = fmt.Errorf("contract: pacing: %w", err)
			return nil, ex.Err
		}
	}
	ex.Sent = now()
	resp, err := base.RoundTrip(req)
	if err != nil {
		ex.Err = err
		ex.Received = now()
		ex.latency = ex.Received.Sub(ex.Sent)
		return nil, err
	}
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, max+1))
	resp.Body.Close()
	ex.Received = now()
	ex.latency = ex.Received.Sub(ex.Sent)
	ex.Status = resp.StatusCode
	ex.Header = resp.Header
	if int64(len(body)) > max {
		body = body[:max]
		ex.Findings = append(ex.Findings, errorf(RuleTransport, pathBody, "body is larger than %d bytes; only that much was checked", max))
	}
	ex.Body = body
	if readErr != nil {
		msg := "the connection broke while reading the body"
		if errors.Is(readErr, context.DeadlineExceeded) {
			msg = "the request timed out while reading the body"
		}
		if resp.ContentLength > 0 {
			msg += fmt.Sprintf(" (%d of %d bytes)", len(body), resp.ContentLength)
		} else {
			msg += fmt.Sprintf(" (after %d bytes)", len(body))
		}
		ex.Findings = append(ex.Findings, errorf(RuleTransport, pathBody, "%s", msg))
	}
	fs, value := spec.validateResponse(oc, req.Method, resp.StatusCode, resp.Header, body)
	ex.Findings = append(ex.Findings, fs...)
	ex.value = value
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}
