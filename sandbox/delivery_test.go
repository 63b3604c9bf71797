package sandbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scboauth/scboauth/generated"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// fastDelivery is SCB's delivery policy with short waits, so that re-sends come at once.
var fastDelivery = sandbox.WithDeliveryPolicy(sandbox.DeliveryPolicy{Interval: time.Millisecond, Timeout: 200 * time.Millisecond})

// received is a delivery a merchant's receiver got.
type received struct {
	header http.Header
	body   []byte
}

// merchant is a receiver of payment confirmations on loopback: it answers the nth delivery
// (from 1) with answer(n), and records each.
type merchant struct {
	*httptest.Server
	quit   chan struct{} // closed when the test ends: hanging answers give up
	mu     sync.Mutex
	got    []received
	answer func(n int, w http.ResponseWriter, r *http.Request, body []byte)
}

func newMerchant(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request, body []byte)) *merchant {
	t.Helper()
	m := &merchant{answer: answer, quit: make(chan struct{})}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m.mu.Lock()
		m.got = append(m.got, received{r.Header.Clone(), body})
		n := len(m.got)
		m.mu.Unlock()
		ctx, cancel := context.WithCancel(r.Context()) // ends when the test does, too
		defer cancel()
		go func() {
			select {
			case <-m.quit:
				cancel()
			case <-ctx.Done():
			}
		}()
		m.answer(n, w, r.WithContext(ctx), body)
	}))
	t.Cleanup(func() {
		close(m.quit)
		m.Close()
	})
	return m
}

func (m *merchant) received() []received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]received(nil), m.got...)
}

// ack answers SCB's acknowledgement of the confirmation body.
func ack(w http.ResponseWriter, body []byte) {
	var c generated.PaymentConfirmation
	_ = json.Unmarshal(body, &c)
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"resCode":"00","resDesc":"success","transactionId":"`+c.TransactionId+`"}`)
}

func acking(_ int, w http.ResponseWriter, _ *http.Request, body []byte) { ack(w, body) }

// hang holds the answer until the emulator gives up (or the test ends).
func hang(_ int, _ http.ResponseWriter, r *http.Request, _ []byte) { <-r.Context().Done() }

// paidQR creates a QR 30 of the demo-plain application and pays it with faults.
func (h *harness) paidQR(faults sandbox.DeliveryFaults) sandbox.Payment {
	h.t.Helper()
	qr := h.createQR(h.accessToken(demoPlain), ppBody)
	pay, err := h.srv.SimulatePaymentWith(qr.QrRawData, sandbox.Payer{}, faults)
	if err != nil {
		h.t.Fatal(err)
	}
	return pay
}

// wait waits for the delivery id to finish.
func (h *harness) wait(id string) sandbox.Delivery {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.t.Context(), 10*time.Second)
	defer cancel()
	d, err := h.srv.WaitDelivery(ctx, id)
	if err != nil {
		h.t.Fatalf("delivery %s: %v (%+v)", id, err, d)
	}
	return d
}

func outcomes(d sandbox.Delivery) []string {
	var out []string
	for _, a := range d.Attempts {
		out = append(out, a.Outcome)
	}
	return out
}

// TestDeliveryAcknowledged: a simulated payment's confirmation is posted to the application's
// callback URL as the spec describes it, once, and the request log shows the attempt with the
// URL's secret redacted.
func TestDeliveryAcknowledged(t *testing.T) {
	h := newHarness(t, fastDelivery)
	m := newMerchant(t, acking)
	if err := h.srv.SetCallbackURL(demoPlain.Name, m.URL+"/scb/confirm?token=url-secret-value"); err != nil {
		t.Fatal(err)
	}
	pay := h.paidQR(sandbox.DeliveryFaults{})
	if len(pay.Deliveries) != 1 || pay.TransactionID != pay.TransRef {
		t.Fatalf("got %+v, want one delivery of the bill payment", pay)
	}
	d := h.wait(pay.Deliveries[0])
	if d.State != sandbox.DeliveryAcknowledged || len(d.Attempts) != 1 || d.Attempts[0].Status != 200 || d.TransactionID != pay.TransRef {
		t.Fatalf("got %+v, want acknowledged at the first attempt", d)
	}
	got := m.received()
	if len(got) != 1 || got[0].header.Get("Content-Type") != "application/json" {
		t.Fatalf("the merchant got %d deliveries, %v", len(got), got)
	}
	if err := sandboxtest.CheckConfirmation(got[0].body); err != nil {
		t.Errorf("the confirmation breaks the spec: %v\n%s", err, got[0].body)
	}
	var c map[string]any
	_ = json.Unmarshal(got[0].body, &c)
	want := map[string]any{"transactionId": pay.TransRef, "amount": "100.50", "payeeProxyId": billerID, "billPaymentRef1": "INV001",
		"billPaymentRef3": "SCB", "transactionType": "Domestic Transfer", "currencyCode": "764", "payerName": "Sandbox Customer",
		"transactionDateandTime": start.In(time.FixedZone("", 7*3600)).Format(time.RFC3339)}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("%s: got %v, want %v", k, c[k], v)
		}
	}
	entries, _ := h.srv.Requests(sandbox.RequestFilter{Kind: sandbox.KindDelivery})
	if len(entries) != 1 || entries[0].Delivery != d.ID || entries[0].Status != 200 || entries[0].Detail != "acknowledged" ||
		!strings.Contains(entries[0].Path, "/scb/confirm?token=REDACTED") {
		t.Errorf("request log: got %+v", entries)
	}
	if all := strings.Join([]string{d.URL, entries[0].Path, h.srv.Applications()[0].String()}, " "); strings.Contains(all, "url-secret-value") {
		t.Errorf("the URL's secret shows: %s", all)
	}
}

// TestDeliveryRetries: SCB's policy: a re-send after a non-acknowledgement and after a
// timeout, until the acknowledgement (here "resDesc " with the typo); at most Attempts posts.
func TestDeliveryRetries(t *testing.T) {
	h := newHarness(t, fastDelivery)
	m := newMerchant(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		switch n {
		case 1:
			w.WriteHeader(http.StatusInternalServerError)
		case 2:
			hang(n, w, r, body)
		default:
			var c generated.PaymentConfirmation
			_ = json.Unmarshal(body, &c)
			_, _ = io.WriteString(w, `{"resCode":"00","resDesc ":"success","transactionId":"`+c.TransactionId+`"}`)
		}
	})
	_ = h.srv.SetCallbackURL(demoPlain.Name, m.URL)
	d := h.wait(h.paidQR(sandbox.DeliveryFaults{}).Deliveries[0])
	if d.State != sandbox.DeliveryAcknowledged || strings.Join(outcomes(d), ",") != "not acknowledged,timeout,acknowledged" {
		t.Fatalf("got %v %v, want acknowledged at the third attempt", d.State, outcomes(d))
	}
	if d.Attempts[0].Detail != "HTTP 500" || d.Attempts[1].Status != 0 || d.Attempts[1].Detail != "no answer within 200ms" {
		t.Errorf("got %+v", d.Attempts)
	}

	always := newMerchant(t, func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	_ = h.srv.SetCallbackURL(demoPlain.Name, always.URL)
	d = h.wait(h.paidQR(sandbox.DeliveryFaults{}).Deliveries[0])
	if d.State != sandbox.DeliveryFailed || len(d.Attempts) != 4 || len(always.received()) != 4 {
		t.Errorf("a receiver that never acknowledges: got %v after %d attempts (%d received), want failed after 4 (the first and 3 re-sends)",
			d.State, len(d.Attempts), len(always.received()))
	}
}

// TestDeliveryNotAcknowledged: every answer but SCB's acknowledgement is a non-acknowledgement
// that the emulator re-sends; a redirect is never followed.
func TestDeliveryNotAcknowledged(t *testing.T) {
	elsewhere := newMerchant(t, acking)
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter, body []byte)
		detail string
	}{
		{"empty 200", func(w http.ResponseWriter, _ []byte) {}, "not a JSON object"},
		{"text 200", func(w http.ResponseWriter, _ []byte) { _, _ = io.WriteString(w, "OK") }, "not a JSON object"},
		{"resCode 01", func(w http.ResponseWriter, _ []byte) { _, _ = io.WriteString(w, `{"resCode":"01"}`) }, `without resCode "00"`},
		{"resCode a number", func(w http.ResponseWriter, _ []byte) { _, _ = io.WriteString(w, `{"resCode":0}`) }, `without resCode "00"`},
		{"RESCODE in capitals", func(w http.ResponseWriter, _ []byte) { _, _ = io.WriteString(w, `{"RESCODE":"00"}`) }, `without resCode "00"`},
		{"another transactionId", func(w http.ResponseWriter, _ []byte) {
			_, _ = io.WriteString(w, `{"resCode":"00","transactionId":"X"}`)
		}, "another transactionId"},
		{"an answer over 64 KiB", func(w http.ResponseWriter, _ []byte) {
			_, _ = io.WriteString(w, `{"resCode":"00","pad":"`+strings.Repeat("x", 70<<10)+`"}`)
		}, "over 65536 bytes"},
		{"a redirect to a receiver that would acknowledge", func(w http.ResponseWriter, _ []byte) {
			w.Header().Set("Location", elsewhere.URL)
			w.WriteHeader(http.StatusFound)
		}, "HTTP 302, a redirect (never followed)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, sandbox.WithDeliveryPolicy(sandbox.DeliveryPolicy{Attempts: 1, Timeout: time.Second}))
			m := newMerchant(t, func(_ int, w http.ResponseWriter, _ *http.Request, body []byte) { tt.answer(w, body) })
			_ = h.srv.SetCallbackURL(demoPlain.Name, m.URL)
			d := h.wait(h.paidQR(sandbox.DeliveryFaults{}).Deliveries[0])
			if d.State != sandbox.DeliveryFailed || d.Attempts[0].Outcome != "not acknowledged" || !strings.Contains(d.Attempts[0].Detail, tt.detail) {
				t.Errorf("got %v %+v, want not acknowledged: %s", d.State, d.Attempts, tt.detail)
			}
		})
	}
	if n := len(elsewhere.received()); n != 0 {
		t.Errorf("the redirect was followed: %d deliveries", n)
	}
}

// TestDeliveryFaults: a duplicate, an out-of-order delivery and a late one, on demand.
func TestDeliveryFaults(t *testing.T) {
	h := newHarness(t, fastDelivery)
	m := newMerchant(t, acking)
	_ = h.srv.SetCallbackURL(demoPlain.Name, m.URL)

	dup := h.paidQR(sandbox.DeliveryFaults{Duplicate: true})
	for _, id := range dup.Deliveries {
		h.wait(id)
	}
	if got := m.received(); len(dup.Deliveries) != 2 || len(got) != 2 || string(got[0].body) != string(got[1].body) {
		t.Fatalf("duplicate: %v, %d received, want the same confirmation twice", dup.Deliveries, len(got))
	}
	if d, _ := h.srv.Delivery(dup.Deliveries[1]); d.Fault != "duplicate of "+dup.Deliveries[0] {
		t.Errorf("the duplicate's fault: %q", d.Fault)
	}

	first := h.paidQR(sandbox.DeliveryFaults{AfterNext: true})
	if d, _ := h.srv.Delivery(first.Deliveries[0]); d.State != sandbox.DeliveryHeld {
		t.Fatalf("after-next: got %v, want held", d.State)
	}
	second := h.paidQR(sandbox.DeliveryFaults{})
	h.wait(first.Deliveries[0])
	got := m.received()
	if len(got) != 4 || !strings.Contains(string(got[2].body), second.TransactionID) || !strings.Contains(string(got[3].body), first.TransactionID) {
		t.Errorf("after-next: want the second payment's confirmation before the first's")
	}

	late := h.paidQR(sandbox.DeliveryFaults{Delay: 300 * time.Millisecond})
	if r := h.slip(h.accessToken(demoPlain), late.TransRef, "014"); r.status != http.StatusOK {
		t.Errorf("slip verification while the confirmation is held: got %d", r.status)
	}
	if d, _ := h.srv.Delivery(late.Deliveries[0]); d.State != sandbox.DeliveryHeld || len(m.received()) != 4 || d.Fault != "delay 300ms" {
		t.Errorf("delay: got %+v, want held, nothing delivered yet", d)
	}
	if d := h.wait(late.Deliveries[0]); d.State != sandbox.DeliveryAcknowledged {
		t.Errorf("delay: got %v", d.State)
	}
	if _, err := h.srv.SimulatePaymentWith("x", sandbox.Payer{}, sandbox.DeliveryFaults{Delay: -time.Second}); !errors.Is(err, sandbox.ErrDeliveryFaults) {
		t.Errorf("a negative delay: got %v", err)
	}
}

// TestDeliveryReplay: a delivery is replayed on demand to the application's current URL.
func TestDeliveryReplay(t *testing.T) {
	h := newHarness(t, fastDelivery)
	m := newMerchant(t, acking)
	_ = h.srv.SetCallbackURL(demoPlain.Name, m.URL)
	first := h.wait(h.paidQR(sandbox.DeliveryFaults{}).Deliveries[0])
	replay, err := h.srv.ReplayDelivery(first.ID)
	if err != nil || replay.Fault != "replay of "+first.ID || replay.TransactionID != first.TransactionID {
		t.Fatalf("got %+v, %v", replay, err)
	}
	if d := h.wait(replay.ID); d.State != sandbox.DeliveryAcknowledged || len(m.received()) != 2 || string(d.Body) != string(first.Body) {
		t.Errorf("the replay: got %v, %d received", d.State, len(m.received()))
	}
	if _, err := h.srv.ReplayDelivery("d999"); !errors.Is(err, sandbox.ErrUnknownDelivery) {
		t.Errorf("unknown delivery: got %v", err)
	}
	_ = h.srv.SetCallbackURL(demoPlain.Name, "")
	if _, err := h.srv.ReplayDelivery(first.ID); !errors.Is(err, sandbox.ErrNoCallbackURL) {
		t.Errorf("no callback URL: got %v", err)
	}
	if pay := h.paidQR(sandbox.DeliveryFaults{}); len(pay.Deliveries) != 0 {
		t.Errorf("an application without a callback URL: got deliveries %v", pay.Deliveries)
	}
}

// TestDeliveryInFlightBound: no more than MaxInFlight attempts are in flight at once, whatever
// the number of payments; the others wait for a slot.
func TestDeliveryInFlightBound(t *testing.T) {
	h := newHarness(t, sandbox.WithDeliveryPolicy(sandbox.DeliveryPolicy{MaxInFlight: 2, Interval: time.Millisecond, Timeout: 5 * time.Second}))
	var inFlight, most atomic.Int32
	proceed := make(chan struct{})
	m := newMerchant(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		now := inFlight.Add(1)
		defer inFlight.Add(-1)
		for old := most.Load(); now > old && !most.CompareAndSwap(old, now); old = most.Load() {
		}
		if n == 2 {
			close(proceed) // two are in flight: let them all go
		}
		<-proceed
		ack(w, body)
	})
	_ = h.srv.SetCallbackURL(demoPlain.Name, m.URL)
	var ids []string
	for range 6 {
		ids = append(ids, h.paidQR(sandbox.DeliveryFaults{}).Deliveries...)
	}
	for _, id := range ids {
		if d := h.wait(id); d.State != sandbox.DeliveryAcknowledged {
			t.Errorf("%s: %v", id, d.State)
		}
	}
	if most.Load() > 2 || len(m.received()) != 6 {
		t.Errorf("%d in flight at most, %d received: want at most 2, and 6", most.Load(), len(m.received()))
	}
}

// TestDeliveryStops: Close and ResetState stop unfinished deliveries at once, attempts in
// flight included.
func TestDeliveryStops(t *testing.T) {
	h := newHarness(t, sandbox.WithDeliveryPolicy(sandbox.DeliveryPolicy{Timeout: time.Hour}))
	arrived := make(chan struct{}, 1)
	m := newMerchant(t, func(n int, w http.ResponseWriter, r *http.Request, body []byte) {
		arrived <- struct{}{}
		hang(n, w, r, body)
	})
	_ = h.srv.SetCallbackURL(demoPlain.Name, m.URL)
	held := h.paidQR(sandbox.DeliveryFaults{Delay: time.Hour}).Deliveries[0]
	if c := h.srv.ResetState(); c.Deliveries != 1 {
		t.Errorf("ResetState: %+v, want 1 delivery forgotten", c)
	}
	if _, err := h.srv.Delivery(held); !errors.Is(err, sandbox.ErrUnknownDelivery) {
		t.Errorf("after ResetState: %v", err)
	}
	_ = h.srv.SetCallbackURL(demoPlain.Name, m.URL) // ResetState keeps it; set again all the same
	id := h.paidQR(sandbox.DeliveryFaults{}).Deliveries[0]
	<-arrived // the attempt is in flight
	h.srv.Close()
	if d := h.wait(id); d.State != sandbox.DeliveryFailed {
		t.Errorf("after Close: got %+v", d)
	}
	pay := h.paidQR(sandbox.DeliveryFaults{})
	if d := h.wait(pay.Deliveries[0]); d.State != sandbox.DeliveryFailed || d.Attempts[0].Detail != "the emulator is closed" {
		t.Errorf("a payment after Close: got %+v", d)
	}
}
