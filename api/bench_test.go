package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/scboauth/scboauth/internal/redact"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
	"golang.org/x/oauth2"
)

var sink atomic.Int64

// BenchmarkTokenSourceHit compares a cache hit of TokenSource.Token with its floor (an atomic
// load and a clock reading, the least a lock-free hit that checks expiry can do), with the
// same hit when a Store is configured (scboauth-store: a hit never touches the store, so it
// should cost the same), with hits counted (scboauth-counted, Config.CountHits), and with
// golang.org/x/oauth2's ReuseTokenSource (a mutex and a clock reading), from parallel
// goroutines. Run with -cpu 1,2,8 to see contention.
func BenchmarkTokenSourceHit(b *testing.B) {
	ctx := context.Background()
	b.Run("floor", func(b *testing.B) {
		var p atomic.Pointer[entry]
		p.Store(&entry{tok: &Token{}, refreshAt: time.Now().Add(time.Hour)})
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			n := int64(0)
			for pb.Next() {
				if e := p.Load(); time.Now().Before(e.refreshAt) {
					n++
				}
			}
			sink.Add(n)
		})
	})
	for name, cfg := range map[string]Config{"scboauth": {}, "scboauth-store": {Store: newMemStore()}, "scboauth-counted": {CountHits: true}} {
		b.Run(name, func(b *testing.B) {
			cfg.HTTPClient = sandboxtest.Client(&fakeSCB{})
			ts := newTestClientConfig(b, cfg).TokenSource()
			if _, err := ts.Token(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				n := int64(0)
				for pb.Next() {
					if tok, err := ts.Token(ctx); err == nil && tok != nil {
						n++
					}
				}
				sink.Add(n)
			})
		})
	}
	b.Run("x-oauth2", func(b *testing.B) {
		src := oauth2.ReuseTokenSource(nil, staticSource{&oauth2.Token{AccessToken: "t", TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}})
		if _, err := src.Token(); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			n := int64(0)
			for pb.Next() {
				if tok, err := src.Token(); err == nil && tok != nil {
					n++
				}
			}
			sink.Add(n)
		})
	})
}

type staticSource struct{ t *oauth2.Token }

func (s staticSource) Token() (*oauth2.Token, error) { return s.t, nil }

// BenchmarkTokenRequest compares one client-credentials request end to end over loopback:
// Client.Token against the hand-written net/http + encoding/json call of the same endpoint,
// with the same headers and the same transport settings.
func BenchmarkTokenRequest(b *testing.B) {
	answer, _ := json.Marshal(tokenAnswer("7aa3e8fc-3ff4-4a8b-9a16-9d2aab3a1a5b", 30*time.Minute, ""))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("resourceOwnerId", testKey)
		_, _ = w.Write(answer)
	}))
	defer srv.Close()
	ctx := context.Background()

	b.Run("handwritten", func(b *testing.B) {
		hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone(), Timeout: 10 * time.Second}
		defer hc.CloseIdleConnections()
		b.ReportAllocs()
		for b.Loop() {
			tok, err := handwrittenToken(ctx, hc, srv.URL, testKey, testSecret)
			if err != nil || tok == "" {
				b.Fatal(tok, err)
			}
		}
	})
	b.Run("scboauth", func(b *testing.B) {
		c := newTestClientConfig(b, Config{BaseURL: srv.URL})
		defer c.hc.CloseIdleConnections()
		b.ReportAllocs()
		for b.Loop() {
			tok, err := c.Token(ctx)
			if err != nil || tok.AccessToken() == "" {
				b.Fatal(tok, err)
			}
		}
	})
}

// handwrittenToken is the plain way to call POST /v1/oauth/token: the baseline.
func handwrittenToken(ctx context.Context, hc *http.Client, base, key, secret string) (string, error) {
	body, err := json.Marshal(map[string]string{"applicationKey": key, "applicationSecret": secret})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/oauth/token", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("resourceOwnerId", key)
	req.Header.Set("requestUId", uuid.NewString())
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var r struct {
		Status struct{ Code int } `json:"status"`
		Data   struct {
			AccessToken string `json:"accessToken"`
			ExpiresIn   int    `json:"expiresIn"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return "", err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK || r.Status.Code != 1000 {
		return "", errors.New("token request failed")
	}
	return r.Data.AccessToken, nil
}

// BenchmarkTokenSourceColdStart: 10,000 goroutines ask an empty token source at once, and the
// renewal answers once all of them have asked; one renewal serves them all. Compared with
// golang.org/x/oauth2's ReuseTokenSource over a source that answers the same way, and with the
// floor: starting the goroutines and waiting for them alone.
func BenchmarkTokenSourceColdStart(b *testing.B) {
	const waiters = 10_000
	ctx := context.Background()
	// run starts the waiters, each calling get once, and closes release once all have arrived.
	run := func(b *testing.B, release chan struct{}, get func() bool) {
		var wg sync.WaitGroup
		var arrived, bad atomic.Int64
		for range waiters {
			wg.Go(func() {
				arrived.Add(1)
				if !get() {
					bad.Add(1)
				}
			})
		}
		for arrived.Load() < waiters {
			runtime.Gosched()
		}
		close(release)
		wg.Wait()
		if bad.Load() != 0 {
			b.Fatalf("%d waiters got no token", bad.Load())
		}
	}
	b.Run("floor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			run(b, make(chan struct{}), func() bool { return true })
		}
	})
	c := newTestClient(b, &fakeSCB{})
	b.Run("scboauth", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			release := make(chan struct{})
			ts := newTokenSource(c, func(context.Context, *Token) (*Token, error) { <-release; return benchToken(), nil })
			run(b, release, func() bool { tok, err := ts.Token(ctx); return err == nil && tok != nil })
		}
	})
	b.Run("x-oauth2", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			release := make(chan struct{})
			src := oauth2.ReuseTokenSource(nil, gatedSource{release})
			run(b, release, func() bool { tok, err := src.Token(); return err == nil && tok != nil })
		}
	})
}

// gatedSource answers a fresh token once release is closed.
type gatedSource struct{ release chan struct{} }

func (s gatedSource) Token() (*oauth2.Token, error) {
	<-s.release
	return &oauth2.Token{AccessToken: "t", TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}, nil
}

// benchToken returns a fresh 30-minute token, as a renewal would.
func benchToken() *Token {
	return &Token{TokenType: "Bearer", Expiry: time.Now().Add(30 * time.Minute), access: redact.New("t"), lifetime: 30 * time.Minute}
}
