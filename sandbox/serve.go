package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Limits bound what clients can hold of an emulator that Serve serves. Zero fields take the
// defaults (DefaultLimits); others must be positive and at most MaxTimeout, MaxHeaderBytes or
// MaxConnections.
type Limits struct {
	// HeaderTimeout bounds reading a request's line and headers (default 10s); a connection
	// still sending them is closed unanswered.
	HeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, headers and body (default 30s); a body still
	// arriving then is answered 504 9900.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing an answer, counted after the emulator's own waits (the body,
	// Faults.Latency, the timeout fault) (default 10s).
	WriteTimeout time.Duration
	// IdleTimeout bounds how long a keep-alive connection waits for its next request (default
	// 60s).
	IdleTimeout time.Duration
	// ShutdownTimeout bounds how long a shutdown waits for the answers in flight (default 10s).
	ShutdownTimeout time.Duration
	// HeaderBytes bounds a request's line and headers (default 64 KiB); net/http answers a
	// longer one 431 in plain text.
	HeaderBytes int
	// Connections bounds the connections served at once (default 256): more wait in the
	// listen backlog until one closes. Keep it under the process's open-file limit.
	Connections int
}

// The bounds of Limits.
const (
	MaxTimeout     = time.Hour
	MaxHeaderBytes = 1 << 20
	MaxConnections = 1 << 16
)

// DefaultLimits returns the limits that Serve uses for the zero fields of its Limits.
func DefaultLimits() Limits {
	return Limits{
		HeaderTimeout:   10 * time.Second,
		ReadTimeout:     30 * time.Second,
		WriteTimeout:    10 * time.Second,
		IdleTimeout:     60 * time.Second,
		ShutdownTimeout: 10 * time.Second,
		HeaderBytes:     64 << 10,
		Connections:     256,
	}
}

// resolve returns l with the defaults filled in, or an error for a field out of its bounds.
func (l Limits) resolve() (Limits, error) {
	def := DefaultLimits()
	for _, d := range []struct {
		name     string
		v        *time.Duration
		fallback time.Duration
	}{
		{"header timeout", &l.HeaderTimeout, def.HeaderTimeout},
		{"read timeout", &l.ReadTimeout, def.ReadTimeout},
		{"write timeout", &l.WriteTimeout, def.WriteTimeout},
		{"idle timeout", &l.IdleTimeout, def.IdleTimeout},
		{"shutdown timeout", &l.ShutdownTimeout, def.ShutdownTimeout},
	} {
		if *d.v == 0 {
			*d.v = d.fallback
		}
		if *d.v < 0 || *d.v > MaxTimeout {
			return l, fmt.Errorf("sandbox: the %s must be between 0 (meaning %v) and %v", d.name, d.fallback, MaxTimeout)
		}
	}
	for _, n := range []struct {
		name          string
		v             *int
		fallback, max int
	}{
		{"header size limit", &l.HeaderBytes, def.HeaderBytes, MaxHeaderBytes},
		{"connection limit", &l.Connections, def.Connections, MaxConnections},
	} {
		if *n.v == 0 {
			*n.v = n.fallback
		}
		if *n.v < 0 || *n.v > n.max {
			return l, fmt.Errorf("sandbox: the %s must be between 0 (meaning %d) and %d", n.name, n.fallback, n.max)
		}
	}
	return l, nil
}

// Serve serves s on ln within the limits l until ctx is done, then shuts down and returns nil:
// it stops accepting, answers 504 9900 the requests it holds (the timeout fault, a latency)
// and those whose body is still arriving, closes idle connections, and waits up to
// l.ShutdownTimeout for the answers in flight. It returns an error when l is out of bounds,
// when ln fails, or when answers were still in flight after l.ShutdownTimeout (their
// connections are then closed). While it serves, expired grants are swept from the stores even
// when no request comes. Serve closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener, l Limits) error {
	return s.serve(ctx, ln, l, s, true)
}

// ServeAdmin serves the admin API alone (AdminHandler) on ln within the limits l until ctx is
// done, as Serve serves the emulator: on an address of its own (the sandbox command's
// --admin-addr), beside Serve on another.
func (s *Server) ServeAdmin(ctx context.Context, ln net.Listener, l Limits) error {
	return s.serve(ctx, ln, l, s.adminAPI, false)
}

// serve serves h on ln; sweep says whether it sweeps the stores while it serves.
func (s *Server) serve(ctx context.Context, ln net.Listener, l Limits, h http.Handler, sweep bool) error {
	l, err := l.resolve()
	if err != nil {
		_ = ln.Close()
		return err
	}
	conns := newConnLimiter(ln, l.Connections)
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.HeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		// net/http counts the write deadline from the end of the headers.
		WriteTimeout:   l.ReadTimeout + s.faults.Latency + s.faults.TimeoutHold + l.WriteTimeout,
		IdleTimeout:    l.IdleTimeout,
		MaxHeaderBytes: l.HeaderBytes,
		// "OPTIONS *" reaches the handler (404 1104) instead of net/http's empty 200.
		DisableGeneralOptionsHandler: true,
		// Requests end with ctx: a held request is answered at shutdown.
		BaseContext: func(net.Listener) context.Context { return ctx },
		ErrorLog:    s.errorLog(),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(conns) }()
	if sweep {
		swept := s.sweepUntil(ctx)
		defer func() { <-swept }()
	}
	select {
	case err := <-served:
		return fmt.Errorf("sandbox: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.ShutdownTimeout)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- hs.Shutdown(sctx) }()
	conns.interrupt() // after Shutdown began: bodies still arriving end now
	if err := <-shut; err != nil {
		_ = hs.Close()
		<-served
		return fmt.Errorf("sandbox: shutdown: answers still in flight after %v: %w", l.ShutdownTimeout, err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("sandbox: serve: %w", err)
	}
	return nil
}

// sweepUntil sweeps the stores every sweepEvery until ctx is done, and then closes the channel
// it returns.
func (s *Server) sweepUntil(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(sweepEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				now := s.now()
				s.mu.Lock()
				s.sweep(now)
				s.mu.Unlock()
			}
		}
	}()
	return done
}

// errorLog returns the log of net/http's own complaints (a failed TLS handshake, an accept
// error): each a warning on s's logger, escaped as the request log is; nothing without one.
func (s *Server) errorLog() *log.Logger {
	if s.logger == nil {
		return log.New(io.Discard, "", 0)
	}
	return log.New(logWriter{s.logger}, "", 0)
}

// logWriter writes each line it is given as a warning.
type logWriter struct{ l *slog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.l.Warn(logText(strings.TrimSuffix(string(p), "\n"), 1024))
	return len(p), nil
}

// connLimiter is the listener Serve serves on: it accepts at most max connections at once (the
// others wait in the listen backlog) and, at shutdown, interrupts the reads of every open
// connection. (golang.org/x/net/netutil.LimitListener caps connections too, but its
// connections hide CloseWrite, which net/http uses so that a client still sending does not lose
// the answer that closes its connection.)
type connLimiter struct {
	net.Listener
	slots     chan struct{}
	done      chan struct{} // closed by Close
	closeOnce sync.Once

	mu          sync.Mutex
	open        map[*limitedConn]struct{}
	interrupted bool
}

func newConnLimiter(ln net.Listener, max int) *connLimiter {
	return &connLimiter{Listener: ln, slots: make(chan struct{}, max), done: make(chan struct{}), open: map[*limitedConn]struct{}{}}
}

// Accept waits for a free slot, then for a connection.
func (l *connLimiter) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	lc := &limitedConn{Conn: c, owner: l}
	l.mu.Lock()
	l.open[lc] = struct{}{}
	if l.interrupted {
		_ = c.SetReadDeadline(time.Now())
	}
	l.mu.Unlock()
	return lc, nil
}

// Close stops Accept and closes the listener.
func (l *connLimiter) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// interrupt makes every read of an open connection, and of one accepted later, fail at once.
func (l *connLimiter) interrupt() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.interrupted = true
	now := time.Now()
	for c := range l.open {
		_ = c.SetReadDeadline(now)
	}
}

// limitedConn is a connection of a connLimiter: closing it frees its slot.
type limitedConn struct {
	net.Conn
	owner *connLimiter
	once  sync.Once
}

func (c *limitedConn) Close() error {
	c.once.Do(func() {
		c.owner.mu.Lock()
		delete(c.owner.open, c)
		c.owner.mu.Unlock()
		<-c.owner.slots
	})
	return c.Conn.Close()
}

// CloseWrite half-closes a connection that can (TCP), as net/http does before closing a
// connection whose client may still be sending.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
