package sandbox

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// DeliveryPolicy is how the emulator delivers payment confirmations: SCB's policy by default
// [doc: "SCB will re-send the payment confirmation to merchant up to 3 times, with an interval
// of 12 seconds in between attempts"]. Zero fields take DefaultDeliveryPolicy's.
type DeliveryPolicy struct {
	// Attempts is how many times one confirmation is posted at most: the first delivery and
	// the re-sends (4: SCB's "up to 3 times" read as three re-sends [decision]), 1 to
	// MaxDeliveryAttempts. An attempt ends with the acknowledgement, any other answer, or no
	// answer within Timeout; only the acknowledgement stops the re-sends.
	Attempts int
	// Interval is the wait between the end of one attempt and the next (12 s [doc]), up to
	// MaxWait.
	Interval time.Duration
	// Timeout is how long an attempt waits for the whole answer (10 s [decision: SCB's is not
	// public]), up to MaxWait.
	Timeout time.Duration
	// MaxInFlight bounds the attempts in flight at once, over every application (16), up to
	// MaxDeliveriesInFlight: more wait for a slot.
	MaxInFlight int
}

// Bounds of DeliveryPolicy, and of what the emulator keeps of deliveries.
const (
	MaxDeliveryAttempts   = 10
	MaxDeliveriesInFlight = 256
	// MaxDeliveries bounds the deliveries the emulator keeps (the oldest finished ones are
	// forgotten first) and those not finished: a payment whose delivery would pass it gets a
	// delivery that failed at once, saying so.
	MaxDeliveries = 1000
	// maxAnswerBytes bounds what is read of a receiver's answer.
	maxAnswerBytes = 64 << 10
	// maxDeliveryDetail bounds a delivery attempt's detail.
	maxDeliveryDetail = 200
)

// DefaultDeliveryPolicy returns SCB's policy: 4 attempts (the first and 3 re-sends), 12 s
// apart, each waiting 10 s for the answer, 16 in flight at once.
func DefaultDeliveryPolicy() DeliveryPolicy {
	return DeliveryPolicy{Attempts: 4, Interval: 12 * time.Second, Timeout: 10 * time.Second, MaxInFlight: 16}
}

// resolve returns p with the defaults filled in, or an error for a field out of its bounds.
func (p DeliveryPolicy) resolve() (DeliveryPolicy, error) {
	def := DefaultDeliveryPolicy()
	p.Attempts, p.Interval = cmp.Or(p.Attempts, def.Attempts), cmp.Or(p.Interval, def.Interval)
	p.Timeout, p.MaxInFlight = cmp.Or(p.Timeout, def.Timeout), cmp.Or(p.MaxInFlight, def.MaxInFlight)
	switch {
	case p.Attempts < 1 || p.Attempts > MaxDeliveryAttempts:
		return p, fmt.Errorf("sandbox: delivery attempts must be between 1 and %d", MaxDeliveryAttempts)
	case p.Interval < 0 || p.Interval > MaxWait || p.Timeout < 0 || p.Timeout > MaxWait:
		return p, fmt.Errorf("sandbox: the delivery interval and timeout must be between 0 (the default) and %v", MaxWait)
	case p.MaxInFlight < 1 || p.MaxInFlight > MaxDeliveriesInFlight:
		return p, fmt.Errorf("sandbox: deliveries in flight must be between 1 and %d", MaxDeliveriesInFlight)
	}
	return p, nil
}

// WithDeliveryPolicy sets how payment confirmations are delivered (DefaultDeliveryPolicy):
// tests take a short Interval and Timeout, so that re-sends come at once.
func WithDeliveryPolicy(p DeliveryPolicy) Option {
	return func(c *config) { c.delivery = p }
}

// DeliveryFaults are faults of the delivery of one payment's confirmation
// (SimulatePaymentWith; the admin API's POST /sandbox/v1/payments).
type DeliveryFaults struct {
	// Duplicate delivers the confirmation twice at once, two deliveries that each follow the
	// policy, as SCB's re-sends racing a slow answer do.
	Duplicate bool
	// AfterNext holds the delivery until the application's next confirmation has had its first
	// attempt: the merchant receives the two out of order.
	AfterNext bool
	// Delay holds the delivery this long (up to MaxWait): slip verification and the inquiry
	// show the payment before the confirmation arrives.
	Delay time.Duration
}

// ErrDeliveryFaults: DeliveryFaults.Delay is negative or above MaxWait.
var ErrDeliveryFaults = fmt.Errorf("sandbox: the delivery delay must be between 0 and %v", MaxWait)

func (f DeliveryFaults) check() error {
	if f.Delay < 0 || f.Delay > MaxWait {
		return ErrDeliveryFaults
	}
	return nil
}

// DeliveryState is where a delivery stands.
type DeliveryState string

// The states of a delivery.
const (
	DeliveryPending      DeliveryState = "pending"      // an attempt is running or due
	DeliveryHeld         DeliveryState = "held"         // a fault holds it (AfterNext, Delay)
	DeliveryAcknowledged DeliveryState = "acknowledged" // the receiver acknowledged it
	DeliveryFailed       DeliveryState = "failed"       // no attempt was acknowledged, or it could not be made
)

// Delivery is the delivery of one payment confirmation to an application's callback URL, as
// Deliveries and the admin API show it.
type Delivery struct {
	ID            string        // "d1", "d2"... in the order they were made
	Application   string        // the application whose payment it confirms
	TransactionID string        // the confirmation's transactionId
	URL           string        // the callback URL, its password and query values redacted
	Fault         string        // the fault it carries: "duplicate of d1", "after-next", "delay 5s", "replay of d1"
	State         DeliveryState // where it stands
	Created       time.Time     // by the emulator's clock
	Body          []byte        // the confirmation posted (JSON)
	Attempts      []DeliveryAttempt
}

// DeliveryAttempt is one post of a payment confirmation.
type DeliveryAttempt struct {
	At      time.Time     // when it was sent, by the emulator's clock
	Status  int           // the receiver's HTTP status; 0 when none came
	Outcome string        // "acknowledged", "not acknowledged", "timeout" or "error"
	Detail  string        // why it was not acknowledged, escaped and bounded
	Latency time.Duration // until the answer was read, or the attempt gave up
}

// The outcomes of an attempt.
const (
	outcomeAcknowledged    = "acknowledged"
	outcomeNotAcknowledged = "not acknowledged"
	outcomeTimeout         = "timeout"
	outcomeError           = "error"
)

// ErrUnknownDelivery: no delivery of that id is kept (see MaxDeliveries).
var ErrUnknownDelivery = errors.New("sandbox: no delivery of that id")

// delivery is a Delivery the emulator works on, behind deliverer.mu.
type delivery struct {
	Delivery
	url      string // the callback URL, unredacted
	deeplink bool   // it confirms a deeplink payment (the generated request of that callback)
	held     DeliveryFaults
	done     chan struct{} // closed once it is finished
	timer    *time.Timer
	started  bool // its first attempt has run (AfterNext releases after it)
}

// deliverer posts payment confirmations with a policy, bounded in flight and in number.
type deliverer struct {
	policy DeliveryPolicy
	client *http.Client
	slots  chan struct{}
	ctx    context.Context
	stop   context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	seq     int64
	byID    map[string]*delivery
	order   []*delivery            // oldest first
	waiting map[string][]*delivery // AfterNext deliveries by application
	live    int                    // deliveries not finished
}

// newDeliverer returns a deliverer with policy p. Its client never follows a redirect (a 3xx
// is a non-acknowledgement), never goes through a proxy, and bounds the connection, the
// headers and the whole attempt by p.Timeout.
func newDeliverer(p DeliveryPolicy) *deliverer {
	dialer := &net.Dialer{Timeout: p.Timeout}
	transport := &http.Transport{
		DialContext:            dialer.DialContext,
		TLSHandshakeTimeout:    p.Timeout,
		ResponseHeaderTimeout:  p.Timeout,
		MaxResponseHeaderBytes: maxAnswerBytes,
		MaxIdleConnsPerHost:    2,
		IdleConnTimeout:        30 * time.Second,
		ForceAttemptHTTP2:      true,
	}
	ctx, stop := context.WithCancel(context.Background())
	return &deliverer{
		policy: p,
		client: &http.Client{Transport: transport, Timeout: p.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		slots: make(chan struct{}, p.MaxInFlight),
		ctx:   ctx, stop: stop,
		byID: map[string]*delivery{}, waiting: map[string][]*delivery{},
	}
}

// Close stops the deliveries of payment confirmations: attempts in flight give up, none is
// scheduled any more, and unfinished deliveries are marked failed. It waits for the attempts
// in flight to end. A Server used in tests is closed by sandboxtest.New's cleanup.
func (s *Server) Close() {
	d := s.delivery
	d.stop()
	d.mu.Lock()
	for _, dl := range d.order {
		if dl.timer != nil && dl.timer.Stop() {
			d.wg.Done()
		}
		if dl.State == DeliveryPending || dl.State == DeliveryHeld {
			d.finish(dl, DeliveryFailed)
		}
	}
	d.mu.Unlock()
	d.wg.Wait()
	d.client.CloseIdleConnections()
}

// Deliveries returns the deliveries the emulator keeps (the last MaxDeliveries), oldest first,
// of the application named application and of the confirmation transactionID, when not empty.
func (s *Server) Deliveries(application, transactionID string) []Delivery {
	d := s.delivery
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Delivery
	for _, dl := range d.order {
		if (application == "" || dl.Application == application) && (transactionID == "" || dl.TransactionID == transactionID) {
			out = append(out, dl.snapshot())
		}
	}
	return out
}

// Delivery returns the delivery of that id, or ErrUnknownDelivery.
func (s *Server) Delivery(id string) (Delivery, error) {
	d := s.delivery
	d.mu.Lock()
	defer d.mu.Unlock()
	dl, ok := d.byID[id]
	if !ok {
		return Delivery{}, ErrUnknownDelivery
	}
	return dl.snapshot(), nil
}

// WaitDelivery waits until the delivery id is finished (acknowledged, or failed after its
// attempts) or ctx ends, and returns it as it stands then; ErrUnknownDelivery when no delivery
// of that id is kept.
func (s *Server) WaitDelivery(ctx context.Context, id string) (Delivery, error) {
	d := s.delivery
	d.mu.Lock()
	dl, ok := d.byID[id]
	d.mu.Unlock()
	if !ok {
		return Delivery{}, ErrUnknownDelivery
	}
	var err error
	select {
	case <-dl.done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return dl.snapshot(), err
}

// ReplayDelivery delivers the confirmation of the delivery id again, now, to the
// application's current callback URL, with the policy's re-sends, as a delivery of its own
// (Fault "replay of <id>"). Its errors: ErrUnknownDelivery, ErrUnknownApplication (removed
// since), ErrNoCallbackURL.
func (s *Server) ReplayDelivery(id string) (Delivery, error) {
	d := s.delivery
	d.mu.Lock()
	old, ok := d.byID[id]
	var body []byte
	var name string
	var deeplink bool
	if ok {
		body, name, deeplink = old.Body, old.Application, old.deeplink
	}
	d.mu.Unlock()
	if !ok {
		return Delivery{}, ErrUnknownDelivery
	}
	a := s.appNamed(name)
	switch {
	case a == nil:
		return Delivery{}, ErrUnknownApplication
	case a.callbackURL() == "":
		return Delivery{}, ErrNoCallbackURL
	}
	dl := d.add(s, &delivery{Delivery: Delivery{Application: name, Fault: "replay of " + id, Body: body}, url: a.callbackURL(), deeplink: deeplink}, old.TransactionID)
	d.mu.Lock()
	defer d.mu.Unlock()
	return dl.snapshot(), nil
}

// reset forgets every delivery, stopping those not finished, and returns how many it kept.
func (d *deliverer) reset() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := len(d.order)
	for _, dl := range d.order {
		if dl.timer != nil && dl.timer.Stop() {
			d.wg.Done()
		}
		d.finish(dl, DeliveryFailed) // an attempt in flight records nothing more
	}
	d.byID, d.order, d.waiting, d.live = map[string]*delivery{}, nil, map[string][]*delivery{}, 0
	return n
}

// appNamed returns the application named name, or nil.
func (s *Server) appNamed(name string) *app {
	for _, a := range s.apps.Load().list {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// schedule starts the deliveries of pay's confirmation to a's callback URL, with faults, and
// returns their ids (none when a has no callback URL).
func (d *deliverer) schedule(s *Server, pay *Payment, a *app, f DeliveryFaults) []string {
	url := a.callbackURL()
	if url == "" {
		return nil
	}
	body := confirmationBody(pay)
	deeplink := pay.DeeplinkID != ""
	fault := ""
	switch {
	case f.AfterNext:
		fault = "after-next"
	case f.Delay > 0:
		fault = "delay " + f.Delay.String()
	}
	first := d.add(s, &delivery{Delivery: Delivery{Application: a.Name, Fault: fault, Body: body}, url: url, deeplink: deeplink, held: f}, pay.TransactionID)
	ids := []string{first.ID}
	if f.Duplicate {
		dup := d.add(s, &delivery{Delivery: Delivery{Application: a.Name, Fault: "duplicate of " + first.ID, Body: body}, url: url, deeplink: deeplink, held: f}, pay.TransactionID)
		ids = append(ids, dup.ID)
	}
	return ids
}

// add keeps dl and starts it: at once, after its delay, or after the application's next
// delivery (dl.held). When MaxDeliveries are unfinished, dl fails at once.
func (d *deliverer) add(s *Server, dl *delivery, transactionID string) *delivery {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seq++
	dl.done = make(chan struct{})
	dl.ID, dl.TransactionID, dl.URL, dl.Created, dl.State = "d"+strconv.FormatInt(d.seq, 10), transactionID, shownURL(dl.url), s.safeNow(), DeliveryPending
	d.keep(dl)
	switch {
	case d.ctx.Err() != nil:
		d.fail(dl, "the emulator is closed")
	case d.live >= MaxDeliveries:
		d.fail(dl, fmt.Sprintf("%d deliveries unfinished: the emulator sends no more", MaxDeliveries))
	case dl.held.AfterNext:
		d.live++
		dl.State = DeliveryHeld
		d.waiting[dl.Application] = append(d.waiting[dl.Application], dl)
	case dl.held.Delay > 0:
		d.live++
		dl.State = DeliveryHeld
		d.later(s, dl, dl.held.Delay, 1)
	default:
		d.live++
		d.later(s, dl, 0, 1)
	}
	return dl
}

// keep stores dl, forgetting the oldest finished deliveries beyond MaxDeliveries. d.mu is held.
func (d *deliverer) keep(dl *delivery) {
	d.byID[dl.ID] = dl
	d.order = append(d.order, dl)
	for i := 0; len(d.order) > MaxDeliveries && i < len(d.order); {
		if old := d.order[i]; old.State == DeliveryAcknowledged || old.State == DeliveryFailed {
			delete(d.byID, old.ID)
			d.order = slices.Delete(d.order, i, i+1)
			continue
		}
		i++
	}
}

// fail records that dl could not be made: one attempt that says why. d.mu is held.
func (d *deliverer) fail(dl *delivery, why string) {
	dl.Attempts = append(dl.Attempts, DeliveryAttempt{At: dl.Created, Outcome: outcomeError, Detail: why})
	dl.State = DeliveryFailed
	close(dl.done)
}

// finish ends dl in state. d.mu is held.
func (d *deliverer) finish(dl *delivery, state DeliveryState) {
	if dl.State == DeliveryPending || dl.State == DeliveryHeld {
		d.live--
		close(dl.done)
	}
	dl.State = state
}

// later runs attempt n of dl after wait, unless the deliverer is closed. d.mu is held.
func (d *deliverer) later(s *Server, dl *delivery, wait time.Duration, n int) {
	if d.ctx.Err() != nil {
		d.finish(dl, DeliveryFailed)
		return
	}
	d.wg.Add(1)
	dl.timer = time.AfterFunc(wait, func() {
		defer d.wg.Done()
		d.attempt(s, dl, n)
	})
}

// snapshot returns a copy of dl's Delivery. d.mu is held.
func (dl *delivery) snapshot() Delivery {
	out := dl.Delivery
	out.Attempts = slices.Clone(dl.Attempts)
	out.Body = bytes.Clone(dl.Body)
	return out
}
