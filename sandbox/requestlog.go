package sandbox

import (
	"sync"
	"time"
)

// The request log's size: WithRequestLogSize.
const (
	// DefaultRequestLogSize is how many entries the request log keeps by default.
	DefaultRequestLogSize = 1000
	// MaxRequestLogSize bounds WithRequestLogSize.
	MaxRequestLogSize = 100_000
	// defaultRequestsLimit is how many entries Requests returns when the filter has no Limit.
	defaultRequestsLimit = 100
)

// RequestKind says what a request log entry is.
type RequestKind string

// The kinds of entry the request log keeps.
const (
	KindSCB      RequestKind = "scb"      // a request to one of SCB's paths, or to a path SCB does not serve
	KindConsent  RequestKind = "consent"  // a call of the consent endpoint
	KindDelivery RequestKind = "delivery" // an attempt to deliver a payment confirmation, which the emulator sent
)

// RequestEntry is a request the emulator answered, as the request log keeps it: redacted as
// the stderr log is (no header value but requestUId, no body, no secret, no token), and what
// the client sent escaped and cut to a bound, so that no control or format character reaches a
// terminal.
type RequestEntry struct {
	Seq         int64         // counts from 1 since the emulator started
	Time        time.Time     // when the request arrived, by the emulator's clock
	Kind        RequestKind   // KindSCB, KindConsent or KindDelivery
	Method      string        // at most 16 bytes, escaped
	Path        string        // at most 128 bytes, escaped
	RequestUID  string        // the requestUId header, at most MaxRequestUIDBytes, escaped; "" when absent
	Status      int           // the HTTP status answered
	Code        int           // the business code answered; 0 when the answer had none
	Application string        // the application the request authenticated as, if it did
	Fault       string        // the fault the request got, if any: a header's, a rule's ("rule <id>: 503") or "failure-rate"
	Detail      string        // what was wrong with a refused request (see DetailHeader)
	Latency     time.Duration // how long the answer took
	Delivery    string        // the delivery's id, for KindDelivery (its Path is the callback URL, redacted)
}

// RequestFilter selects request log entries; its zero value selects the last
// defaultRequestsLimit (100) entries. Every field set must match.
type RequestFilter struct {
	Path        string
	Application string
	Status      int
	RequestUID  string
	Kind        RequestKind
	Limit       int // at most this many, the newest; 0 means 100
}

func (f *RequestFilter) match(e *RequestEntry) bool {
	return (f.Path == "" || f.Path == e.Path) &&
		(f.Application == "" || f.Application == e.Application) &&
		(f.Status == 0 || f.Status == e.Status) &&
		(f.RequestUID == "" || f.RequestUID == e.RequestUID) &&
		(f.Kind == "" || f.Kind == e.Kind)
}

// requestLog is a ring of the last entries. Recording copies an entry into the ring and
// allocates nothing.
type requestLog struct {
	mu      sync.Mutex
	ring    []RequestEntry // len is the size; nil when the log is off
	next    int            // where the next entry goes
	n       int            // entries held
	seq     int64          // the last entry's Seq
	dropped int64          // entries overwritten since the start or the last reset
}

func (l *requestLog) record(e *RequestEntry) {
	if len(l.ring) == 0 {
		return
	}
	l.mu.Lock()
	l.seq++
	e.Seq = l.seq
	if l.n == len(l.ring) {
		l.dropped++
	} else {
		l.n++
	}
	l.ring[l.next] = *e
	l.next = (l.next + 1) % len(l.ring)
	l.mu.Unlock()
}

// entries returns the newest f.Limit entries that f matches, oldest first, and how many the
// ring has dropped.
func (l *requestLog) entries(f RequestFilter) (out []RequestEntry, dropped int64) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultRequestsLimit
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	// Walk newest to oldest, then reverse.
	for i := 0; i < l.n && len(out) < limit; i++ {
		e := &l.ring[(l.next-1-i+2*len(l.ring))%len(l.ring)]
		if f.match(e) {
			out = append(out, *e)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, l.dropped
}

// reset empties the log and returns how many entries it held; Seq keeps counting.
func (l *requestLog) reset() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.n
	clear(l.ring)
	l.next, l.n, l.dropped = 0, 0, 0
	return n
}

// Requests returns the entries of the request log that f selects, oldest first (see
// RequestFilter), and how many entries the log has dropped since the start or the last
// ResetState. The log keeps the last WithRequestLogSize entries (DefaultRequestLogSize); admin
// calls are never in it.
func (s *Server) Requests(f RequestFilter) (entries []RequestEntry, dropped int64) {
	return s.log.entries(f)
}
