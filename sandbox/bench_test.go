package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scboauth/scboauth/generated"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// Benchmarks of a token issuance through the handler, in process, against bare net/http
// handlers in the same run:
//
//   - bare: checks method and path, reads the body, writes a fixed JSON token;
//   - bare-json: the same but decodes the body with encoding/json (what the smallest
//     hand-written mock does);
//   - emulator: Server.ServeHTTP, which validates headers and body, authenticates, issues a
//     UUID and encodes the answer.
//
// The emulator sub-benchmark reports its cost as multiples of both baselines (x-bare,
// x-bare-json), run as many times just before it.

var fixedToken = []byte(`{"status":{"code":1000,"description":"Success"},"data":{"accessToken":"0b1f5a0c-1d55-4c1e-9d7b-0e6a1b2c3d4e","tokenType":"Bearer","expiresIn":1800,"expiresAt":1550133185}}` + "\n")

func bareToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != pathToken {
		http.NotFound(w, r)
		return
	}
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(fixedToken)
}

func bareJSONToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != pathToken {
		http.NotFound(w, r)
		return
	}
	var body struct {
		ApplicationKey    string `json:"applicationKey"`
		ApplicationSecret string `json:"applicationSecret"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.ApplicationKey == "" {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(fixedToken)
}

// discardWriter is a ResponseWriter that keeps the status and drops the body; both the
// baselines and the emulator write to it.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) WriteHeader(status int)      { d.status = status }
func (d *discardWriter) Write(b []byte) (int, error) { d.n += len(b); return len(b), nil }

// tokenLoop sends the same client-credentials request to h n times.
func tokenLoop(b *testing.B, h http.Handler, n int) {
	body := []byte(credentials(demoPlain))
	rd := bytes.NewReader(body)
	req := httptest.NewRequest(http.MethodPost, pathToken, nil)
	for k, v := range stdHeaders() {
		req.Header.Set(k, v)
	}
	req.Body, req.ContentLength = io.NopCloser(rd), int64(len(body))
	w := &discardWriter{h: make(http.Header)}
	for i := 0; i < n; i++ {
		rd.Reset(body)
		clear(w.h)
		w.status = 0
		h.ServeHTTP(w, req)
		if w.status != 0 && w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

// perOp times n runs of h, outside the benchmark's timer.
func perOp(b *testing.B, h http.Handler, n int) float64 {
	b.StopTimer()
	defer b.StartTimer()
	start := time.Now()
	tokenLoop(b, h, n)
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

func BenchmarkToken(b *testing.B) {
	run := func(h http.Handler) func(*testing.B) {
		return func(b *testing.B) {
			b.ReportAllocs()
			tokenLoop(b, h, b.N)
		}
	}
	b.Run("bare", run(http.HandlerFunc(bareToken)))
	b.Run("bare-json", run(http.HandlerFunc(bareJSONToken)))
	b.Run("emulator", func(b *testing.B) {
		srv, err := sandbox.New()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		// The baselines run as many times as the emulator, just before it, untimed.
		bare := perOp(b, http.HandlerFunc(bareToken), b.N)
		bareJSON := perOp(b, http.HandlerFunc(bareJSONToken), b.N)
		b.ResetTimer()
		start := time.Now()
		tokenLoop(b, srv, b.N)
		ns := float64(time.Since(start).Nanoseconds()) / float64(b.N)
		b.ReportMetric(ns/bare, "x-bare")
		b.ReportMetric(ns/bareJSON, "x-bare-json")
	})
}

// BenchmarkTokenLog measures what the request log costs: the emulator without any log
// (WithRequestLogSize(0), no logger: --log-level off and --request-log 0), with the admin API's
// ring only (the default), and with the ring and a text log line per request (the sandbox
// command's default, written to io.Discard), each against the bare handler that writes a fixed
// token, run as many times just before it in the same run (x-bare).
func BenchmarkTokenLog(b *testing.B) {
	for _, tt := range []struct {
		name string
		opts []sandbox.Option
	}{
		{"no-log", []sandbox.Option{sandbox.WithRequestLogSize(0)}},
		{"ring", nil},
		{"ring-and-text-log", []sandbox.Option{sandbox.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}},
		{"text-log-level-warn", []sandbox.Option{sandbox.WithRequestLogSize(0), sandbox.WithLogger(slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn})))}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			srv, err := sandbox.New(tt.opts...)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			bare := perOp(b, http.HandlerFunc(bareToken), b.N)
			b.ResetTimer()
			start := time.Now()
			tokenLoop(b, srv, b.N)
			b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N)/bare, "x-bare")
		})
	}
}

// BenchmarkTokenParallel issues tokens from every P at once (the emulator's shared state).
func BenchmarkTokenParallel(b *testing.B) {
	srv, err := sandbox.New()
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(credentials(demoPlain))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		rd := bytes.NewReader(body)
		req := httptest.NewRequest(http.MethodPost, pathToken, nil)
		for k, v := range stdHeaders() {
			req.Header.Set(k, v)
		}
		req.Body, req.ContentLength = io.NopCloser(rd), int64(len(body))
		w := &discardWriter{h: make(http.Header)}
		for pb.Next() {
			rd.Reset(body)
			clear(w.h)
			srv.ServeHTTP(w, req)
		}
	})
}

// Load benchmarks: real HTTP over loopback, clients and server in this process, sharing its
// CPUs. Each reports requests per second and the 99th percentile latency.
//
//	make load   # go test -run '^$' -bench '^BenchmarkLoad' -benchtime 5s ./sandbox

func BenchmarkLoadToken(b *testing.B) {
	srv, err := sandbox.New()
	if err != nil {
		b.Fatal(err)
	}
	benchLoad(b, srv)
}

// BenchmarkLoadBare is the same load on the bare handler, for comparison.
func BenchmarkLoadBare(b *testing.B) {
	benchLoad(b, http.HandlerFunc(bareJSONToken))
}

// BenchmarkLoadServe is the same load on the emulator served by Server.Serve with the default
// limits, as the sandbox command serves it: the cost of the limits next to BenchmarkLoadToken.
func BenchmarkLoadServe(b *testing.B) {
	srv, err := sandbox.New()
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln, sandbox.Limits{}) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			b.Error(err)
		}
	}()
	benchLoadURL(b, "http://"+ln.Addr().String())
}

// loadClients is the number of concurrent clients per P.
const loadClients = 8

func benchLoad(b *testing.B, h http.Handler) {
	ts := httptest.NewServer(h)
	defer ts.Close()
	benchLoadURL(b, ts.URL)
}

func benchLoadURL(b *testing.B, base string) {
	procs := runtime.GOMAXPROCS(0)
	client := &http.Client{Transport: &http.Transport{
		MaxIdleConns:        loadClients * procs,
		MaxIdleConnsPerHost: loadClients * procs,
	}}
	defer client.CloseIdleConnections()
	body := credentials(demoPlain)
	url := base + pathToken
	var (
		mu        sync.Mutex
		latencies []time.Duration
	)
	b.SetParallelism(loadClients)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 1024)
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("resourceOwnerId", "owner-1")
			req.Header.Set("requestUId", "2b8f3a4e-6c1d-4f0a-9b7e-5d2c1a0f3e4b")
			t0 := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			local = append(local, time.Since(t0))
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
		mu.Lock()
		latencies = append(latencies, local...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(latencies) == 0 {
		return
	}
	slices.Sort(latencies)
	p99 := latencies[(len(latencies)*99)/100]
	b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
}

// BenchmarkConsentFlood measures the heap a flood of consents holds (item 12 of issue 9: 8,000
// consents with a 65,000-character state took 871 MB, never given back): 8,000 authorize calls
// and consents with the longest state allowed, then the same after every code expired and the
// next call swept the stores, all through the handler in process. It reports the heap in MB:
// empty, flooded, and after expiry.
func BenchmarkConsentFlood(b *testing.B) {
	const consents = 8000
	state := strings.Repeat("s", sandbox.MaxStateBytes)
	heapMB := func() float64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return float64(m.HeapAlloc) / (1 << 20)
	}
	var empty, flooded, expired float64
	for i := 0; i < b.N; i++ {
		clock := sandboxtest.NewClock(start)
		srv, err := sandbox.New(sandbox.WithClock(clock.Now))
		if err != nil {
			b.Fatal(err)
		}
		empty = heapMB()
		for j := 0; j < consents; j++ {
			req := httptest.NewRequest(http.MethodGet, pathAuthorize, nil)
			for k, v := range authorizeHeaders(demoAuthCode) {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			var cb generated.CallbackResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &cb); err != nil {
				b.Fatal(err)
			}
			req = httptest.NewRequest(http.MethodPost, pathConsent, strings.NewReader(jsonBody("callbackUrl", cb.Data.CallbackUrl, "state", state)))
			req.Header.Set("Content-Type", "application/json")
			rec = httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("consent: %d %s", rec.Code, rec.Body)
			}
		}
		flooded = heapMB()
		clock.Advance(time.Hour)
		req := httptest.NewRequest(http.MethodGet, pathAuthorize, nil)
		for k, v := range authorizeHeaders(demoAuthCode) {
			req.Header.Set(k, v)
		}
		srv.ServeHTTP(httptest.NewRecorder(), req)
		expired = heapMB()
		runtime.KeepAlive(srv)
	}
	b.ReportMetric(empty, "MB-empty")
	b.ReportMetric(flooded, "MB-flooded")
	b.ReportMetric(expired, "MB-expired")
}
