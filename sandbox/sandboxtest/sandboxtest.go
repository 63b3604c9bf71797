// Package sandboxtest provides what tests need to run against the scboauth emulator, on the
// model of net/http/httptest: an emulator served over loopback HTTP or in memory, the demo
// application of each kind, a clock that tests advance by hand, predictable tokens, a listener
// of in-memory connections for tests of a served emulator's timeouts under testing/synctest, a
// buffer for logs written while the test reads them, and a check of what a terminal would show.
//
// It is the one home of the module's own test scaffolding, and it is meant for the tests of
// programs that use the client too:
//
//	srv, ts := sandboxtest.NewServer(t)
//	app := sandboxtest.Demo(sandbox.KindAuthorizationCode)
//	client, err := api.NewClient(api.Config{BaseURL: ts.URL, ApplicationKey: app.Key, ApplicationSecret: app.Secret})
package sandboxtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/scboauth/scboauth/sandbox"
)

// New returns an emulator built with opts, failing t if the options are invalid. The test's
// cleanup closes it (Server.Close: its deliveries of payment confirmations stop).
func New(t testing.TB, opts ...sandbox.Option) *sandbox.Server {
	t.Helper()
	srv, err := sandbox.New(opts...)
	if err != nil {
		t.Fatalf("sandbox.New: %v", err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// NewServer returns an emulator built with opts and an httptest.Server serving it on loopback,
// closed when t ends. Point a client at the returned server's URL.
func NewServer(t testing.TB, opts ...sandbox.Option) (*sandbox.Server, *httptest.Server) {
	t.Helper()
	srv := New(t, opts...)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, ts
}

// Demo returns the demo application of kind (see sandbox.DemoApplications).
func Demo(kind sandbox.Kind) sandbox.Application {
	for _, a := range sandbox.DemoApplications() {
		if a.Kind == kind {
			return a
		}
	}
	panic(fmt.Sprintf("sandboxtest: no demo application of kind %q", kind))
}

// Transport is an http.RoundTripper that serves every request with Handler in memory, without
// a network: a test can aim at any host (SCB's, say) and run inside a testing/synctest bubble
// with its fake clock. Like a real transport, it gives up when the request's context ends. It
// never modifies the caller's request.
type Transport struct {
	// Handler answers the requests, such as a *sandbox.Server.
	Handler http.Handler
	// Header, when set, is added to every request (for example sandbox.FaultHeader).
	Header http.Header

	sent atomic.Int64
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.sent.Add(1)
	r := req.Clone(req.Context())
	if r.Body == nil {
		r.Body = http.NoBody // as a server sees it
	}
	for k, vs := range t.Header {
		r.Header[k] = append([]string(nil), vs...)
	}
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		t.Handler.ServeHTTP(rec, r)
	}()
	select {
	case <-done:
		return rec.Result(), nil
	case <-req.Context().Done():
		<-done
		return nil, req.Context().Err()
	}
}

// Sent returns the number of requests t has served.
func (t *Transport) Sent() int64 { return t.sent.Load() }

// Client returns an *http.Client whose requests h serves in memory.
func Client(h http.Handler) *http.Client { return &http.Client{Transport: &Transport{Handler: h}} }

// Clock is a clock that tests advance by hand; pass its Now to sandbox.WithClock. It is safe for
// concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock that reads start until advanced.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock d forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Tokens returns a generator of predictable, unique tokens for sandbox.WithTokenGenerator:
// prefix-1, prefix-2...
func Tokens(prefix string) func() string {
	var n atomic.Int64
	return func() string { return fmt.Sprintf("%s-%d", prefix, n.Add(1)) }
}

// Buffer is a bytes.Buffer safe for concurrent use: give it to a logger that a server writes to
// while the test reads what was logged.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// UnsafeRune returns the first rune of s that could hide or reorder what a terminal or a log
// viewer shows: a control character other than newline and tab, a format character (the
// bidirectional overrides such as U+202E, zero-width characters), a line or paragraph separator,
// or a byte of invalid UTF-8 (returned as utf8.RuneError). ok is false when s has none. Tests
// hold error messages and log lines to it.
func UnsafeRune(s string) (r rune, ok bool) {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return r, true
			}
			continue
		}
		if r != '\n' && r != '\t' && unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) {
			return r, true
		}
	}
	return 0, false
}

// PipeListener is a net.Listener whose connections are in-memory pipes (net.Pipe), so that a
// test can serve on it (sandbox.Server.Serve, http.Server.Serve) and dial it without a network,
// inside a testing/synctest bubble whose fake clock then drives the server's timeouts. Dial
// returns at once, as a TCP connect does while the server has not accepted yet: the connection
// waits in a backlog of 64 until it is accepted. It is safe for concurrent use.
type PipeListener struct {
	backlog chan net.Conn
	done    chan struct{}
	once    sync.Once
}

// NewPipeListener returns a PipeListener.
func NewPipeListener() *PipeListener {
	return &PipeListener{backlog: make(chan net.Conn, 64), done: make(chan struct{})}
}

// Accept waits for and returns the server end of the next connection.
func (l *PipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.backlog:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close closes the listener; connections already accepted stay open.
func (l *PipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr returns the address of the pipes.
func (l *PipeListener) Addr() net.Addr { return pipeAddr{} }

// Dial returns the client end of a new connection, whose server end waits to be accepted. It
// fails when the listener is closed or its backlog is full.
func (l *PipeListener) Dial() (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case <-l.done:
		return nil, net.ErrClosed
	default:
	}
	select {
	case l.backlog <- server:
		return client, nil
	default:
		return nil, errors.New("sandboxtest: the listener's backlog is full")
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }
