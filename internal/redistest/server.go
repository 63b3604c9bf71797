// Package redistest runs the pieces of tests against a real Redis: a redis-server started on
// a free loopback port with its own temporary directory (Start), and the test binary
// re-executed as worker processes that report JSON lines (Main, Spawn), for tests of a fleet.
//
// redis-server must be installed: Debian's package redis-server (apt-get install
// redis-server; .ci/run installs it). Without it, Start fails the test with that advice; it
// never skips.
package redistest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// startTimeout bounds how long a redis-server may take to accept connections.
const startTimeout = 10 * time.Second

// Server is a redis-server for one test, on 127.0.0.1, without persistence. The test's
// cleanup stops it.
type Server struct {
	// Addr is host:port, for redis.Options.Addr. It stays the same across Restart.
	Addr string

	t    testing.TB
	bin  string
	dir  string
	mu   sync.Mutex
	proc *process // nil while stopped
}

// process is one run of redis-server.
type process struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{} // closed once it has exited
}

// Start starts a redis-server on a free loopback port and returns once it answers PING. It
// fails the test when redis-server is not installed or does not start.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := lookup()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir()}
	t.Cleanup(s.Kill)
	var last error
	for range 5 { // another process may take the free port before redis-server does
		port, err := freePort()
		if err != nil {
			t.Fatalf("redistest: %v", err)
		}
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if last = s.start(); last == nil {
			return s
		}
	}
	t.Fatalf("redistest: %v", last)
	return nil
}

// lookup finds redis-server in PATH, or returns how to install it.
func lookup() (string, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", fmt.Errorf("redistest: redis-server not found in PATH (%v): these tests need a real Redis; install Debian's package: apt-get install redis-server (.ci/run does)", err)
	}
	return bin, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("no free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start runs redis-server on s.Addr and waits until it answers.
func (s *Server) start() error {
	_, port, _ := net.SplitHostPort(s.Addr)
	cmd := exec.Command(s.bin, "--port", port, "--bind", "127.0.0.1", "--dir", s.dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning")
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = dieWithParent()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", s.bin, err)
	}
	p := &process{cmd: cmd, out: out, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	if err := waitReady(s.Addr, p); err != nil {
		p.kill()
		return fmt.Errorf("redis-server on %s: %w; its output:\n%s", s.Addr, err, out.String())
	}
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()
	return nil
}

// waitReady polls addr with PING until the server answers, exits, or startTimeout passes.
func waitReady(addr string, p *process) error {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	deadline := time.Now().Add(startTimeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return errors.New("exited before it accepted connections")
		case <-time.After(wait):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer after %s: %w", startTimeout, err)
		}
	}
}

func (p *process) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Client returns a client of s with ContextTimeoutEnabled (so that a context's deadline
// bounds each call), no retries and one dial attempt (so that a dead server fails a call at
// once), closed when the test ends.
func (s *Server) Client(t testing.TB) *redis.Client {
	c := redis.NewClient(s.Options())
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Options returns the client options Client uses.
func (s *Server) Options() *redis.Options {
	return &redis.Options{Addr: s.Addr, ContextTimeoutEnabled: true, MaxRetries: -1, DialerRetries: 1}
}

// Kill stops the server at once (SIGKILL), as a crash would; it does nothing if the server is
// stopped. Clients see connection errors until Restart.
func (s *Server) Kill() {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p != nil {
		p.kill()
	}
}

// Restart starts a killed server again on the same address, empty.
func (s *Server) Restart() {
	s.t.Helper()
	s.Kill()
	if err := s.start(); err != nil {
		s.t.Fatalf("redistest: restart: %v", err)
	}
}

// Pause freezes the server (SIGSTOP): it keeps its connections and answers nothing, as a
// server that hangs. Resume ends the pause; the test's cleanup ends it too.
func (s *Server) Pause() {
	s.signal(syscall.SIGSTOP)
	s.t.Cleanup(s.Resume)
}

// Resume lets a paused server go on (SIGCONT).
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig os.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		_ = s.proc.cmd.Process.Signal(sig)
	}
}

// lockedBuffer is a bytes.Buffer safe for the writes of a process and reads of a test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
