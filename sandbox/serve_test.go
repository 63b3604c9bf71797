package sandbox_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/scboauth/scboauth/generated"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// The tests of Serve run in a testing/synctest bubble on in-memory connections: the fake clock
// drives net/http's timeouts, so that a minute of idleness takes no time.

// serving is an emulator served by Serve on a PipeListener, inside a synctest bubble.
type serving struct {
	t      *testing.T
	ln     *sandboxtest.PipeListener
	cancel context.CancelFunc
	served chan error
}

// serveLimits starts srv.Serve(ctx, ln, l); the test's cleanup stops it.
func serveLimits(t *testing.T, srv *sandbox.Server, l sandbox.Limits) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	sv := &serving{t: t, ln: sandboxtest.NewPipeListener(), cancel: cancel, served: make(chan error, 1)}
	go func() { sv.served <- srv.Serve(ctx, sv.ln, l) }()
	t.Cleanup(func() {
		cancel()
		<-sv.served
	})
	return sv
}

// stop ends Serve's context and returns what Serve returned.
func (sv *serving) stop() error {
	sv.cancel()
	err := <-sv.served
	sv.served <- err // for the cleanup
	return err
}

// dial opens a connection.
func (sv *serving) dial() net.Conn {
	sv.t.Helper()
	c, err := sv.ln.Dial()
	if err != nil {
		sv.t.Fatal(err)
	}
	sv.t.Cleanup(func() { c.Close() })
	return c
}

// answer is what a connection received: a response, or the error reading it.
type answer struct {
	status int
	header http.Header
	body   string
	err    error
	at     time.Time
}

// send writes raw on c and reads the answer in the background.
func send(c net.Conn, raw string) <-chan answer {
	ch := make(chan answer, 1)
	go func() { _, _ = io.WriteString(c, raw) }()
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			ch <- answer{err: err, at: time.Now()}
			return
		}
		b, err := io.ReadAll(resp.Body)
		ch <- answer{status: resp.StatusCode, header: resp.Header, body: string(b), err: err, at: time.Now()}
	}()
	return ch
}

// tokenRequest is a client-credentials request as raw HTTP, with extra header lines.
func tokenRequest(extra ...string) string {
	body := credentials(demoPlain)
	return "POST " + pathToken + " HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\n" +
		"resourceOwnerId: o\r\nrequestUId: 2b8f3a4e-6c1d-4f0a-9b7e-5d2c1a0f3e4b\r\n" + strings.Join(extra, "") +
		fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body)) + body
}

// wantAnswer fails t unless a is status with the business code (SCB's envelope) or, for 200, a
// token.
func wantAnswer(t *testing.T, a answer, status, code int) {
	t.Helper()
	if a.err != nil || a.status != status || !strings.Contains(a.body, fmt.Sprintf(`"code":%d`, code)) {
		t.Errorf("got %d %q %v, want %d with code %d", a.status, a.body, a.err, status, code)
	}
}

// Item 11 of issue 9: idle keep-alive connections stayed open forever, and 246 of them
// exhausted a 256-file limit.
func TestServeClosesIdleConnections(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sv := serveLimits(t, sandboxtest.New(t), sandbox.Limits{})
		def := sandbox.DefaultLimits()
		c := sv.dial()
		wantAnswer(t, <-send(c, tokenRequest()), 200, 1000)
		idle := time.Now()
		if _, err := c.Read(make([]byte, 1)); err != io.EOF || time.Since(idle) != def.IdleTimeout {
			t.Errorf("idle connection: got %v after %v, want EOF after %v", err, time.Since(idle), def.IdleTimeout)
		}
		silent := sv.dial()
		start := time.Now()
		if _, err := silent.Read(make([]byte, 1)); err != io.EOF || time.Since(start) != def.HeaderTimeout {
			t.Errorf("connection without a request: got %v after %v, want EOF after %v", err, time.Since(start), def.HeaderTimeout)
		}
	})
}

// A body arriving at one byte a second stayed open forever (item 11): ReadTimeout ends it with
// 504 9900, and headers that never end are dropped after HeaderTimeout.
func TestServeEndsSlowRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := sandbox.Limits{HeaderTimeout: 5 * time.Second, ReadTimeout: 20 * time.Second}
		sv := serveLimits(t, sandboxtest.New(t), l)
		c := sv.dial()
		start := time.Now()
		full := tokenRequest()
		ch := send(c, full[:len(full)-10]) // the body's last bytes never come
		a := <-ch
		wantAnswer(t, a, 504, 9900)
		if took := a.at.Sub(start); took != l.ReadTimeout {
			t.Errorf("slow body answered after %v, want %v", took, l.ReadTimeout)
		}

		c = sv.dial()
		start = time.Now()
		a = <-send(c, "POST "+pathToken+" HTTP/1.1\r\nHost: sandbox\r\n")
		if a.err == nil || a.at.Sub(start) != l.HeaderTimeout {
			t.Errorf("unfinished headers: got %d %v after %v, want the connection closed after %v", a.status, a.err, a.at.Sub(start), l.HeaderTimeout)
		}
	})
}

// The emulator's own waits outlast ReadTimeout: a request held by a latency or the timeout
// fault is answered when the wait ends, not when the read deadline passes.
func TestServeWaitsOutlastReadTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := sandboxtest.New(t, sandbox.WithFaults(sandbox.Faults{Latency: 40 * time.Second, TimeoutHold: 50 * time.Second}))
		sv := serveLimits(t, srv, sandbox.Limits{ReadTimeout: 10 * time.Second, WriteTimeout: time.Second})
		start := time.Now()
		a := <-send(sv.dial(), tokenRequest())
		wantAnswer(t, a, 200, 1000)
		if took := a.at.Sub(start); took != 40*time.Second {
			t.Errorf("latency: answered after %v, want 40s", took)
		}
		start = time.Now()
		a = <-send(sv.dial(), tokenRequest(sandbox.FaultHeader+": timeout\r\n"))
		wantAnswer(t, a, 504, 9900)
		if took := a.at.Sub(start); took != 90*time.Second {
			t.Errorf("timeout fault: answered after %v, want 90s (latency and hold)", took)
		}
	})
}

// Connections are capped: beyond Limits.Connections a connection waits until one closes.
func TestServeCapsConnections(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sv := serveLimits(t, sandboxtest.New(t), sandbox.Limits{Connections: 2})
		first, second := sv.dial(), sv.dial()
		wantAnswer(t, <-send(first, tokenRequest()), 200, 1000)
		wantAnswer(t, <-send(second, tokenRequest()), 200, 1000)
		third := send(sv.dial(), tokenRequest())
		synctest.Wait()
		select {
		case a := <-third:
			t.Fatalf("a third connection was served: %d %v", a.status, a.err)
		default:
		}
		first.Close()
		synctest.Wait()
		select {
		case a := <-third:
			wantAnswer(t, a, 200, 1000)
		default:
			t.Error("the third connection was not served after the first closed")
		}
	})
}

// At shutdown a held request and a request whose body is still arriving are answered 504 9900
// and Serve returns nil (item 11: the slow body got 400 and the process exited 1).
func TestServeShutdownAnswersHeldRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := sandboxtest.New(t, sandbox.WithFaults(sandbox.Faults{TimeoutHold: time.Hour}))
		sv := serveLimits(t, srv, sandbox.Limits{ReadTimeout: time.Hour})
		held := send(sv.dial(), tokenRequest(sandbox.FaultHeader+": timeout\r\n"))
		full := tokenRequest()
		slow := send(sv.dial(), full[:len(full)-10])
		idle := sv.dial()
		wantAnswer(t, <-send(idle, tokenRequest()), 200, 1000)
		time.Sleep(time.Minute)
		synctest.Wait()
		start := time.Now()
		if err := sv.stop(); err != nil {
			t.Errorf("Serve: got %v, want nil", err)
		}
		if took := time.Since(start); took > time.Second {
			t.Errorf("shutdown took %v", took)
		}
		wantAnswer(t, <-held, 504, 9900)
		wantAnswer(t, <-slow, 504, 9900)
		if _, err := idle.Read(make([]byte, 1)); err != io.EOF {
			t.Errorf("idle connection after shutdown: got %v, want EOF", err)
		}
	})
}

// Item 14 of issue 9: "OPTIONS *" got net/http's empty 200; it reaches the emulator.
func TestServeOptionsStar(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sv := serveLimits(t, sandboxtest.New(t), sandbox.Limits{})
		a := <-send(sv.dial(), "OPTIONS * HTTP/1.1\r\nHost: sandbox\r\n\r\n")
		wantAnswer(t, a, 404, 1104)
		req, _ := http.NewRequest(http.MethodOptions, "http://sandbox/", nil)
		req.URL.Path = "*"
		checkAnswer(t, req, a.status, a.header, []byte(a.body))
	})
}

// What net/http answers itself, before any handler, in plain text: the package documentation
// says so, and this test holds it to its word.
func TestServePlainTextRefusals(t *testing.T) {
	tests := []struct {
		name   string
		raw    string
		status int
	}{
		{"malformed request line", "GARBAGE\r\n\r\n", 400},
		{"header name with a space", "GET / HTTP/1.1\r\nHost: sandbox\r\nBad Name: x\r\n\r\n", 400},
		{"header value with a control character", "GET / HTTP/1.1\r\nHost: sandbox\r\nX: a\x01b\r\n\r\n", 400},
		{"no Host", "GET / HTTP/1.1\r\n\r\n", 400},
		{"headers over HeaderBytes", "GET / HTTP/1.1\r\nHost: sandbox\r\nX: " + strings.Repeat("a", 80<<10) + "\r\n\r\n", 431},
		{"unknown transfer coding", "POST " + pathToken + " HTTP/1.1\r\nHost: sandbox\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
		{"HTTP/2.0 over HTTP/1", "GET / HTTP/2.0\r\nHost: sandbox\r\n\r\n", 505},
		{"an Expect other than 100-continue", "GET / HTTP/1.1\r\nHost: sandbox\r\nExpect: 200-ok\r\n\r\n", 417},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sv := serveLimits(t, sandboxtest.New(t), sandbox.Limits{})
				a := <-send(sv.dial(), tt.raw)
				if a.status != tt.status || strings.Contains(a.header.Get("Content-Type"), "json") {
					t.Errorf("got %d %q %q, want %d not in JSON", a.status, a.header.Get("Content-Type"), a.body, tt.status)
				}
			})
		})
	}
}

func TestServeRejectsBadLimits(t *testing.T) {
	tests := []struct {
		name string
		l    sandbox.Limits
		want string
	}{
		{"negative header timeout", sandbox.Limits{HeaderTimeout: -1}, "header timeout"},
		{"read timeout int64 max", sandbox.Limits{ReadTimeout: 1<<63 - 1}, "read timeout"},
		{"write timeout above the bound", sandbox.Limits{WriteTimeout: sandbox.MaxTimeout + 1}, "write timeout"},
		{"negative idle timeout", sandbox.Limits{IdleTimeout: -time.Second}, "idle timeout"},
		{"shutdown timeout int64 max", sandbox.Limits{ShutdownTimeout: 1<<63 - 1}, "shutdown timeout"},
		{"negative header size", sandbox.Limits{HeaderBytes: -1}, "header size"},
		{"header size int max", sandbox.Limits{HeaderBytes: int(^uint(0) >> 1)}, "header size"},
		{"connections above the bound", sandbox.Limits{Connections: sandbox.MaxConnections + 1}, "connection limit"},
		{"negative connections", sandbox.Limits{Connections: -1}, "connection limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln := sandboxtest.NewPipeListener()
			err := sandboxtest.New(t).Serve(context.Background(), ln, tt.l)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "sandbox: ") {
				t.Errorf("got %v, want an error about the %s", err, tt.want)
			}
			if _, err := ln.Dial(); !errors.Is(err, net.ErrClosed) {
				t.Errorf("the listener is still open: %v", err)
			}
		})
	}
}

// While Serve serves, expired grants leave the stores even when no request comes (item 12 of
// issue 9: the memory was not given back after the codes expired).
func TestServeSweepsWithoutRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := sandboxtest.New(t) // on the bubble's clock
		for i := 0; i < 10; i++ {
			r := serve(t, srv, http.MethodGet, pathAuthorize, authorizeHeaders(demoAuthCode), "")
			var cb generated.CallbackResponse
			if err := json.Unmarshal(r.body, &cb); err != nil {
				t.Fatal(err)
			}
			if _, err := srv.Consent(cb.Data.CallbackUrl, sandbox.Consent{State: "s"}); err != nil {
				t.Fatal(err)
			}
		}
		serveLimits(t, srv, sandbox.Limits{})
		time.Sleep(55 * time.Second) // codes live a minute
		if _, codes, _ := srv.StoreLen(); codes != 10 {
			t.Fatalf("before expiry: %d codes", codes)
		}
		time.Sleep(20 * time.Second)
		if consents, codes, _ := srv.StoreLen(); codes != 0 || consents != 0 {
			t.Errorf("a minute after expiry without requests: %d codes and %d consents left", codes, consents)
		}
	})
}
