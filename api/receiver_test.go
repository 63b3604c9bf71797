package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// calls counts the calls of a ConfirmationFunc by transactionId.
type calls struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *calls) record(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[id]++
	return c.n[id]
}

func (c *calls) of(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[id]
}

func newReceiver(t testing.TB, fn api.ConfirmationFunc, opts ...api.ReceiverOption) *api.ConfirmationReceiver {
	t.Helper()
	rc, err := api.PaymentConfirmations(fn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

// answer is a receiver's answer, checked against openapi.yaml.
type answer struct {
	status int
	header http.Header
	body   map[string]any
}

// deliver posts body to h as SCB would (edit changes the request first) and checks the answer
// against the spec.
func deliver(t testing.TB, h http.Handler, body string, edit ...func(*http.Request)) answer {
	t.Helper()
	return deliverBytes(t, h, []byte(body), edit...)
}

// deliverBytes is deliver with a body of any bytes. It may run on any goroutine.
func deliverBytes(t testing.TB, h http.Handler, body []byte, edit ...func(*http.Request)) answer {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/scb/confirm", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for _, e := range edit {
		e(req)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if err := sandboxtest.CheckConfirmationAnswer(rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
		t.Errorf("the answer breaks the spec: %v\n%s", err, rec.Body)
	}
	a := answer{status: rec.Code, header: rec.Header()}
	if err := json.Unmarshal(rec.Body.Bytes(), &a.body); err != nil {
		t.Errorf("the answer is not JSON: %v", err)
	}
	return a
}

func wantAck(t testing.TB, a answer, id string) {
	t.Helper()
	if a.status != http.StatusOK || a.body["resCode"] != "00" || a.body["resDesc"] != "success" || a.body["transactionId"] != id {
		t.Errorf("got %d %v, want the acknowledgement of %s", a.status, a.body, id)
	}
}

func wantRefusal(t testing.TB, a answer, status int, reason string) {
	t.Helper()
	if a.status != status || a.body["resCode"] != "99" || !strings.Contains(a.body["resDesc"].(string), reason) {
		t.Errorf("got %d %v, want %d saying %q", a.status, a.body, status, reason)
	}
}

func TestReceiverAcknowledgesAfterProcessing(t *testing.T) {
	var got *api.PaymentConfirmation
	rc := newReceiver(t, func(_ context.Context, c *api.PaymentConfirmation) error { got = c; return nil })
	wantAck(t, deliver(t, rc, qr30Confirmation), "202307261Nlm85Q4mCrpihM")
	if got == nil || got.Amount != api.Baht(1) || got.Payer.Name != "Sandbox Customer" {
		t.Fatalf("the function got %+v", got)
	}
	wantAck(t, deliver(t, rc, qr30Confirmation), "202307261Nlm85Q4mCrpihM") // a re-send
	if s := rc.Stats(); s.Processed != 1 || s.Duplicates != 1 {
		t.Errorf("got %+v, want 1 processed, 1 duplicate", s)
	}
}

// TestReceiverRefuses: requests that are not a confirmation the receiver may process get a 4xx
// refusal (the spec's default answer) and never reach the function.
func TestReceiverRefuses(t *testing.T) {
	proxy, shop := netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("203.0.113.0/24")
	from := func(addr string, xff ...string) func(*http.Request) {
		return func(r *http.Request) {
			r.RemoteAddr = addr
			for _, v := range xff {
				r.Header.Add("X-Forwarded-For", v)
			}
		}
	}
	tests := []struct {
		name   string
		opts   []api.ReceiverOption
		body   string
		edit   func(*http.Request)
		status int
		reason string
	}{
		{"GET", nil, "", func(r *http.Request) { r.Method = http.MethodGet }, 405, "POSTed"},
		{"garbage", nil, "\x00\xff not json", nil, 400, "not a JSON object"},
		{"no transactionId", nil, `{"amount":"1"}`, nil, 400, "transactionId missing"},
		{"over the body limit", []api.ReceiverOption{api.WithBodyLimit(64)}, confirmation("T1", `"note":"`+strings.Repeat("x", 64)+`"`), nil, 413, "body over 64 bytes"},
		{"secret header missing", []api.ReceiverOption{api.WithSecretHeader("X-Shop-Secret", "s3cret-value")}, confirmation("T1"), nil, 401, "shared secret"},
		{"secret header wrong", []api.ReceiverOption{api.WithSecretHeader("X-Shop-Secret", "s3cret-value")}, confirmation("T1"),
			func(r *http.Request) { r.Header.Set("X-Shop-Secret", "s3cret-valuE") }, 401, "shared secret"},
		{"secret header twice", []api.ReceiverOption{api.WithSecretHeader("X-Shop-Secret", "s3cret-value")}, confirmation("T1"),
			func(r *http.Request) { r.Header["X-Shop-Secret"] = []string{"s3cret-value", "s3cret-value"} }, 401, "shared secret"},
		{"secret parameter missing", []api.ReceiverOption{api.WithSecretParam("token", "s3cret-value")}, confirmation("T1"), nil, 401, "shared secret"},
		{"secret parameter a prefix", []api.ReceiverOption{api.WithSecretParam("token", "s3cret-value")}, confirmation("T1"),
			func(r *http.Request) { r.URL.RawQuery = "token=s3cret" }, 401, "shared secret"},
		{"source not allowed", []api.ReceiverOption{api.WithAllowedSources(shop)}, confirmation("T1"), from("198.51.100.7:443"), 403, "source"},
		{"X-Forwarded-For from an untrusted peer", []api.ReceiverOption{api.WithAllowedSources(shop)}, confirmation("T1"),
			from("198.51.100.7:443", "203.0.113.9"), 403, "source"},
		{"X-Forwarded-For without trusted proxies", []api.ReceiverOption{api.WithAllowedSources(shop)}, confirmation("T1"),
			from("10.1.1.1:443", "203.0.113.9"), 403, "source"},
		{"forged first hop behind a trusted proxy", []api.ReceiverOption{api.WithAllowedSources(shop), api.WithTrustedProxies(proxy)}, confirmation("T1"),
			from("10.1.1.1:443", "203.0.113.9, 198.51.100.7"), 403, "source"},
		{"unreadable X-Forwarded-For", []api.ReceiverOption{api.WithAllowedSources(shop), api.WithTrustedProxies(proxy)}, confirmation("T1"),
			from("10.1.1.1:443", "203.0.113.9, not-an-address"), 403, "source"},
		{"unreadable peer", []api.ReceiverOption{api.WithAllowedSources(shop)}, confirmation("T1"), from("pipe"), 403, "source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			rc := newReceiver(t, func(context.Context, *api.PaymentConfirmation) error { called = true; return nil }, tt.opts...)
			var edit []func(*http.Request)
			if tt.edit != nil {
				edit = append(edit, tt.edit)
			}
			a := deliver(t, rc, tt.body, edit...)
			wantRefusal(t, a, tt.status, tt.reason)
			if tt.status == 405 && a.header.Get("Allow") != "POST" {
				t.Errorf("Allow: %q, want POST", a.header.Get("Allow"))
			}
			if called || rc.Stats().Refused != 1 {
				t.Errorf("called %v, stats %+v: want a refusal that never reaches the function", called, rc.Stats())
			}
		})
	}
}

// TestReceiverAccepts: the verification hooks let the right requests through.
func TestReceiverAccepts(t *testing.T) {
	proxy, shop := netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("203.0.113.0/24")
	tests := []struct {
		name string
		opts []api.ReceiverOption
		edit func(*http.Request)
	}{
		{"secret header", []api.ReceiverOption{api.WithSecretHeader("X-Shop-Secret", "s3cret-value")},
			func(r *http.Request) { r.Header.Set("X-Shop-Secret", "s3cret-value") }},
		{"secret parameter", []api.ReceiverOption{api.WithSecretParam("token", "s3cret-value")},
			func(r *http.Request) { r.URL.RawQuery = "token=s3cret-value" }},
		{"allowed peer", []api.ReceiverOption{api.WithAllowedSources(shop)}, func(r *http.Request) { r.RemoteAddr = "203.0.113.9:443" }},
		{"allowed IPv4-mapped peer", []api.ReceiverOption{api.WithAllowedSources(shop)}, func(r *http.Request) { r.RemoteAddr = "[::ffff:203.0.113.9]:443" }},
		{"allowed client behind trusted proxies", []api.ReceiverOption{api.WithAllowedSources(shop), api.WithTrustedProxies(proxy)},
			func(r *http.Request) {
				r.RemoteAddr = "10.1.1.1:443"
				r.Header.Add("X-Forwarded-For", "198.51.100.7, 203.0.113.9")
				r.Header.Add("X-Forwarded-For", "10.2.2.2")
			}},
		{"a content type SCB may send", nil, func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, func(context.Context, *api.PaymentConfirmation) error { return nil }, tt.opts...)
			wantAck(t, deliver(t, rc, confirmation("T1"), tt.edit), "T1")
		})
	}
}

// TestReceiverFunctionFails: an error or a panic of the function is answered 500 without the
// acknowledgement, the claim is released, and SCB's re-send is processed.
func TestReceiverFunctionFails(t *testing.T) {
	var n calls
	var logs bytes.Buffer
	rc := newReceiver(t, func(_ context.Context, c *api.PaymentConfirmation) error {
		switch n.record(c.TransactionID) {
		case 1:
			return errors.New("database down: password=hunter2")
		case 2:
			panic("nil map")
		}
		return nil
	}, api.WithReceiverLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	a := deliver(t, rc, confirmation("T1"))
	wantRefusal(t, a, 500, "not processed, send again")
	if strings.Contains(a.body["resDesc"].(string), "hunter2") {
		t.Errorf("the answer shows the function's error: %v", a.body)
	}
	wantRefusal(t, deliver(t, rc, confirmation("T1")), 500, "not processed")
	wantAck(t, deliver(t, rc, confirmation("T1")), "T1")
	if n.of("T1") != 3 || rc.Stats().Failed != 2 || rc.Stats().Processed != 1 {
		t.Errorf("calls %d, stats %+v", n.of("T1"), rc.Stats())
	}
	if !strings.Contains(logs.String(), "panicked") || !strings.Contains(logs.String(), "database down") {
		t.Errorf("the log does not say why:\n%s", logs.String())
	}
}

// TestReceiverTimeout: a function running past the timeout is answered 503 at the timeout; when
// it then succeeds, the payment is recorded, and SCB's re-send is acknowledged without a second
// call.
func TestReceiverTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n calls
		release := make(chan struct{})
		rc := newReceiver(t, func(ctx context.Context, c *api.PaymentConfirmation) error {
			n.record(c.TransactionID)
			<-ctx.Done() // the receiver's timeout
			<-release    // ... and some more
			return nil
		}, api.WithHandlerTimeout(2*time.Second))
		start := time.Now()
		wantRefusal(t, deliver(t, rc, confirmation("T1")), 503, "not processed in time")
		if waited := time.Since(start); waited != 2*time.Second {
			t.Errorf("answered after %s, want the timeout", waited)
		}
		wantRefusal(t, deliver(t, rc, confirmation("T1")), 503, "being processed") // still running
		close(release)
		synctest.Wait()
		wantAck(t, deliver(t, rc, confirmation("T1")), "T1")
		if n.of("T1") != 1 {
			t.Errorf("the function ran %d times, want 1", n.of("T1"))
		}
	})
}

// TestReceiverOnceUnderConcurrency: re-sends arriving while the first is processed are answered
// 503 (busy), the function runs once, and the re-send after it is acknowledged.
func TestReceiverOnceUnderConcurrency(t *testing.T) {
	const resends = 20
	var n calls
	busy := make(chan struct{}, resends)
	entered, proceed := make(chan struct{}, 1), make(chan struct{})
	rc := newReceiver(t, func(_ context.Context, c *api.PaymentConfirmation) error {
		n.record(c.TransactionID)
		entered <- struct{}{}
		<-proceed
		return nil
	})
	first := make(chan answer)
	go func() { first <- deliver(t, rc, confirmation("T1")) }()
	<-entered // the first delivery is in the function
	var wg sync.WaitGroup
	var acked atomic.Int32
	for range resends {
		wg.Go(func() {
			a := deliver(t, rc, confirmation("T1"))
			if a.status == http.StatusServiceUnavailable {
				busy <- struct{}{}
			} else {
				acked.Add(1)
			}
		})
	}
	wg.Wait()
	close(proceed)
	wantAck(t, <-first, "T1")
	wantAck(t, deliver(t, rc, confirmation("T1")), "T1")
	if n.of("T1") != 1 || len(busy) != resends || acked.Load() != 0 {
		t.Errorf("calls %d, busy %d, acknowledged early %d: want 1 call and every concurrent re-send busy", n.of("T1"), len(busy), acked.Load())
	}
}

// failingDedup is a Deduplicator whose store is down for Claim or Done.
type failingDedup struct {
	api.Deduplicator
	claim, done bool
}

func (f failingDedup) Claim(ctx context.Context, id string, lease time.Duration) (api.Claim, error) {
	if f.claim {
		return api.Claim{}, errors.New("redis: connection refused")
	}
	return f.Deduplicator.Claim(ctx, id, lease)
}

func (f failingDedup) Done(ctx context.Context, c api.Claim) error {
	if f.done {
		return errors.New("redis: connection refused")
	}
	return f.Deduplicator.Done(ctx, c)
}

// TestReceiverDeduplicatorDown: a deduplicator that cannot claim fails closed (503, the
// function is not called: SCB re-sends); one that cannot record a processed payment still
// acknowledges it, since the payment was processed.
func TestReceiverDeduplicatorDown(t *testing.T) {
	mem, _ := api.NewMemoryDeduplicator(api.MemoryDeduplicatorOptions{})
	var n calls
	fn := func(_ context.Context, c *api.PaymentConfirmation) error { n.record(c.TransactionID); return nil }
	down := newReceiver(t, fn, api.WithDeduplicator(failingDedup{Deduplicator: mem, claim: true}))
	wantRefusal(t, deliver(t, down, confirmation("T1")), 503, "deduplicator failed")
	noDone := newReceiver(t, fn, api.WithDeduplicator(failingDedup{Deduplicator: mem, done: true}))
	wantAck(t, deliver(t, noDone, confirmation("T1")), "T1")
	if n.of("T1") != 1 {
		t.Errorf("the function ran %d times, want 1", n.of("T1"))
	}
}

func TestPaymentConfirmationsOptions(t *testing.T) {
	fn := func(context.Context, *api.PaymentConfirmation) error { return nil }
	tests := []struct {
		name string
		fn   api.ConfirmationFunc
		opts []api.ReceiverOption
		want string
	}{
		{"nil function", nil, nil, "the function is nil"},
		{"nil deduplicator", fn, []api.ReceiverOption{api.WithDeduplicator(nil)}, "deduplicator is nil"},
		{"body limit 0", fn, []api.ReceiverOption{api.WithBodyLimit(0)}, "body limit"},
		{"body limit too large", fn, []api.ReceiverOption{api.WithBodyLimit(api.MaxConfirmationBodyBytes + 1)}, "body limit"},
		{"negative timeout", fn, []api.ReceiverOption{api.WithHandlerTimeout(-time.Second)}, "timeout"},
		{"lease under the timeout", fn, []api.ReceiverOption{api.WithClaimLease(time.Second)}, "claim lease"},
		{"invalid prefix", fn, []api.ReceiverOption{api.WithAllowedSources(netip.Prefix{})}, "prefix"},
		{"empty secret", fn, []api.ReceiverOption{api.WithSecretParam("token", "")}, "secret is empty"},
		{"header name with a space", fn, []api.ReceiverOption{api.WithSecretHeader("X Secret", "v3ry-secret-value")}, "header name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := api.PaymentConfirmations(tt.fn, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "api: ") {
				t.Errorf("got %v, want an error saying %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "v3ry-secret-value") {
				t.Errorf("the error shows the secret")
			}
		})
	}
}

// TestReceiverSecretNeverShown: the shared secrets never appear when the receiver is printed
// in any form, in its log, or in its answers, whatever the request sent.
func TestReceiverSecretNeverShown(t *testing.T) {
	const header, param = "header-secret-value", "param-secret-value"
	var logs bytes.Buffer
	rc := newReceiver(t, func(context.Context, *api.PaymentConfirmation) error { return nil },
		api.WithSecretHeader("X-Shop-Secret", header), api.WithSecretParam("token", param),
		api.WithReceiverLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	a := deliver(t, rc, confirmation("T1"), func(r *http.Request) {
		r.Header.Set("X-Shop-Secret", header+"x")
		r.URL.RawQuery = "token=" + param
	})
	wantRefusal(t, a, http.StatusUnauthorized, "shared secret")
	shown := fmt.Sprintf("%v %+v %#v %s", rc, rc, rc, logs.String()) + fmt.Sprint(a.body)
	if strings.Contains(shown, "secret-value") {
		t.Errorf("a secret shows: %s", shown)
	}
}
