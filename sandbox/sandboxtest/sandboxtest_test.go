package sandboxtest_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

func TestDemo(t *testing.T) {
	for _, k := range []sandbox.Kind{sandbox.KindPlain, sandbox.KindAuthorizationCode, sandbox.KindWeb} {
		if a := sandboxtest.Demo(k); a.Kind != k || a.Key == "" || a.Secret == "" {
			t.Errorf("Demo(%s) = %v", k, a)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Demo of an unknown kind did not panic")
		}
	}()
	sandboxtest.Demo("nonsense")
}

func TestTransport(t *testing.T) {
	var got http.Header
	tr := &sandboxtest.Transport{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = r.Header.Clone()
			if r.URL.Path == "/hang" {
				<-r.Context().Done()
				return
			}
			w.WriteHeader(http.StatusTeapot)
		}),
		Header: http.Header{"X-Sandbox-Fault": {"503"}},
	}
	req, _ := http.NewRequest(http.MethodGet, "https://api-sandbox.partners.scb/x", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusTeapot {
		t.Fatalf("got %v, %v; want 418", resp, err)
	}
	if got.Get("X-Sandbox-Fault") != "503" || req.Header.Get("X-Sandbox-Fault") != "" {
		t.Errorf("header added %q, caller's request changed: %q", got.Get("X-Sandbox-Fault"), req.Header.Get("X-Sandbox-Fault"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, "http://x/hang", nil)
	if _, err := tr.RoundTrip(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a hanging handler gave %v, want the context's deadline", err)
	}
	if tr.Sent() != 2 {
		t.Errorf("Sent() = %d, want 2", tr.Sent())
	}
}

func TestNewServerAndClock(t *testing.T) {
	clock := sandboxtest.NewClock(time.Unix(1_700_000_000, 0))
	_, ts := sandboxtest.NewServer(t, sandbox.WithClock(clock.Now), sandbox.WithTokenGenerator(sandboxtest.Tokens("tok")))
	app := sandboxtest.Demo(sandbox.KindPlain)
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1/oauth/token",
		strings.NewReader(`{"applicationKey":"`+app.Key+`","applicationSecret":"`+app.Secret+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("resourceOwnerId", app.Key)
	req.Header.Set("requestUId", "2b8f3a4e-6c1d-4f0a-9b7e-5d2c1a0f3e4b")
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"accessToken":"tok-1"`) || !strings.Contains(string(b), `"expiresAt":1700001800`) {
		t.Errorf("got %d %s; want tok-1 expiring at the fake clock + 30m", resp.StatusCode, b)
	}
	clock.Advance(time.Hour)
	if got := clock.Now(); !got.Equal(time.Unix(1_700_003_600, 0)) {
		t.Errorf("after Advance: %v", got)
	}
}

func TestBuffer(t *testing.T) {
	var b sandboxtest.Buffer
	done := make(chan struct{})
	for i := 0; i < 4; i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for j := 0; j < 100; j++ {
				_, _ = b.Write([]byte("x"))
				_ = b.String()
			}
		}()
	}
	for i := 0; i < 4; i++ {
		<-done
	}
	if got := b.String(); got != strings.Repeat("x", 400) {
		t.Errorf("got %d bytes, want 400", len(got))
	}
}

func TestUnsafeRune(t *testing.T) {
	for _, s := range []string{"plain", "ไทย ok", "line\nnext\ttab", "\uFFFD is a real rune", ""} {
		if r, ok := sandboxtest.UnsafeRune(s); ok {
			t.Errorf("UnsafeRune(%q) = %U, want none", s, r)
		}
	}
	for _, s := range []string{"a\u202eb", "\u2066x", "zero\u200bwidth", "\x1b[31m", "nul\x00", "cr\r", "bad\xff", "sep\u2028", "\u061c"} {
		if _, ok := sandboxtest.UnsafeRune(s); !ok {
			t.Errorf("UnsafeRune(%q): none found", s)
		}
	}
}

func TestPipeListener(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ln := sandboxtest.NewPipeListener()
		hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "hello "+r.URL.Path)
		}), IdleTimeout: time.Minute}
		go func() { _ = hs.Serve(ln) }()
		conn, err := ln.Dial()
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		go func() { _, _ = io.WriteString(conn, "GET /x HTTP/1.1\r\nHost: pipe\r\n\r\n") }()
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if string(b) != "hello /x" {
			t.Errorf("got %q", b)
		}
		// The fake clock drives the server's idle timeout.
		start := time.Now()
		if _, err := conn.Read(make([]byte, 1)); err != io.EOF || time.Since(start) != time.Minute {
			t.Errorf("idle connection: got %v after %v, want EOF after a minute", err, time.Since(start))
		}
		_ = hs.Close()
		if _, err := ln.Dial(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Dial after Close: got %v, want net.ErrClosed", err)
		}
		if ln.Addr().String() != "pipe" || ln.Addr().Network() != "pipe" {
			t.Errorf("Addr: got %v", ln.Addr())
		}
	})
}
