package api

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/scboauth/scboauth/sandbox/sandboxtest"
	"golang.org/x/oauth2"
)

// TestTransportHeaders: the transport adds SCB's headers, keeps the caller's, and leaves the
// caller's request untouched.
func TestTransportHeaders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSCB{}
		var got []http.Header
		mux := http.NewServeMux()
		mux.Handle("/partners/sandbox/v1/oauth/", f)
		mux.HandleFunc("/partners/sandbox/v1/ping", func(w http.ResponseWriter, r *http.Request) {
			got = append(got, r.Header.Clone())
		})
		c := newTestClientConfig(t, Config{HTTPClient: sandboxtest.Client(mux), Language: "EN", ResourceOwnerID: "owner-1"})
		hc := c.HTTPClient()

		req, _ := http.NewRequest(http.MethodGet, testBase+"/v1/ping", nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		req2, _ := http.NewRequest(http.MethodGet, testBase+"/v1/ping", nil)
		req2.Header.Set("resourceOwnerId", "someone-else")
		req2.Header.Set("requestUId", "my-own-id")
		req2.Header.Set("accept-language", "TH")
		resp, err = hc.Do(req2)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()

		if len(got) != 2 {
			t.Fatalf("got %d requests, want 2", len(got))
		}
		checks := []struct{ name, got, want string }{
			{"authorization", got[0].Get("Authorization"), "Bearer access-1"},
			{"resourceOwnerId", got[0].Get("resourceOwnerId"), "owner-1"},
			{"accept-language", got[0].Get("accept-language"), "EN"},
			{"caller's resourceOwnerId", got[1].Get("resourceOwnerId"), "someone-else"},
			{"caller's requestUId", got[1].Get("requestUId"), "my-own-id"},
			{"caller's accept-language", got[1].Get("accept-language"), "TH"},
		}
		for _, ck := range checks {
			if ck.got != ck.want {
				t.Errorf("%s: got %q, want %q", ck.name, ck.got, ck.want)
			}
		}
		if uid := got[0].Get("requestUId"); !uuidRE.MatchString(uid) {
			t.Errorf("got requestUId %q, want a fresh UUID", uid)
		}
		if req.Header.Get("Authorization") != "" || req.Header.Get("requestUId") != "" {
			t.Errorf("the caller's request was modified: %v", req.Header)
		}
		if f.tokenCalls.Load() != 1 {
			t.Errorf("got %d token requests, want 1 (cached)", f.tokenCalls.Load())
		}
	})
}

// TestTransportRetryOn401: a 401 invalidates the token and the request is sent once more, with
// its body, and a fresh requestUId; a second 401 is returned as it is; a body that cannot be
// replayed is not retried.
func TestTransportRetryOn401(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSCB{}
		var bodies, auths, uids []string
		rejectAll := atomic.Bool{}
		mux := http.NewServeMux()
		mux.Handle("/partners/sandbox/v1/oauth/", f)
		mux.HandleFunc("/partners/sandbox/v1/pay", func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			bodies, auths, uids = append(bodies, string(b)), append(auths, r.Header.Get("Authorization")), append(uids, r.Header.Get("requestUId"))
			if rejectAll.Load() || r.Header.Get("Authorization") == "Bearer access-1" {
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = io.WriteString(w, "rejected")
				return
			}
			_, _ = io.WriteString(w, "paid")
		})
		hc := newTestClient(t, mux).HTTPClient()

		resp, err := hc.Post(testBase+"/v1/pay", "application/json", strings.NewReader(`{"amount":1}`))
		if err != nil {
			t.Fatal(err)
		}
		if body := mustRead(t, resp.Body); resp.StatusCode != 200 || body != "paid" {
			t.Errorf("got %d %q, want 200 paid", resp.StatusCode, body)
		}
		resp.Body.Close()
		if strings.Join(bodies, "|") != `{"amount":1}|{"amount":1}` || strings.Join(auths, "|") != "Bearer access-1|Bearer access-2" {
			t.Errorf("got bodies %q with %q, want the same body twice, with access-1 then access-2", bodies, auths)
		}
		if uids[0] == uids[1] {
			t.Errorf("got the same requestUId %q twice, want a fresh one", uids[0])
		}

		// access-2 replaced a rejected token: rejected too within the backoff step, it is not
		// renewed (no newer token, no second send); after the step, it is, once.
		rejectAll.Store(true)
		for _, tt := range []struct {
			wait      time.Duration
			wantSends int
		}{{0, 1}, {sourceBackoffBase, 2}} {
			time.Sleep(tt.wait)
			bodies = nil
			resp, err = hc.Post(testBase+"/v1/pay", "application/json", strings.NewReader(`{"amount":2}`))
			if err != nil {
				t.Fatal(err)
			}
			if body := mustRead(t, resp.Body); resp.StatusCode != 401 || body != "rejected" || len(bodies) != tt.wantSends {
				t.Errorf("after %v: got %d %q after %d sends, want SCB's 401 after %d", tt.wait, resp.StatusCode, body, len(bodies), tt.wantSends)
			}
			resp.Body.Close()
		}

		bodies = nil
		req, _ := http.NewRequest(http.MethodPost, testBase+"/v1/pay", io.NopCloser(strings.NewReader("once")))
		resp, err = hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 || len(bodies) != 1 {
			t.Errorf("got %d after %d sends, want the 401 after 1 send (body not replayable)", resp.StatusCode, len(bodies))
		}
	})
}

// TestTransportTokenError: when no token can be had, the request fails with the token error
// and is never sent.
func TestTransportTokenError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sent := false
		mux := http.NewServeMux()
		mux.HandleFunc("/partners/sandbox/v1/oauth/token", func(w http.ResponseWriter, r *http.Request) {
			writeSCBError(w, 401, 9500, "Invalid authorization credentials")
		})
		mux.HandleFunc("/partners/sandbox/v1/ping", func(w http.ResponseWriter, r *http.Request) { sent = true })
		_, err := newTestClient(t, mux).HTTPClient().Get(testBase + "/v1/ping")
		if !errors.Is(err, ErrBadCredentials) || sent {
			t.Errorf("got %v (sent %v), want ErrBadCredentials and nothing sent", err, sent)
		}
		if _, err := (&Transport{}).RoundTrip(httptest.NewRequest("GET", "/", nil)); err == nil {
			t.Error("got no error from a Transport without Source")
		}
	})
}

// TestOAuth2Adapter: oauth2.NewClient works with the adapter, reuses the token, and comes back
// for the renewal ahead of expiry.
func TestOAuth2Adapter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSCB{}
		var auths []string
		mux := http.NewServeMux()
		mux.Handle("/partners/sandbox/v1/oauth/", f)
		mux.HandleFunc("/partners/sandbox/v1/ping", func(w http.ResponseWriter, r *http.Request) {
			auths = append(auths, r.Header.Get("Authorization"))
		})
		c := newTestClient(t, mux)
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, sandboxtest.Client(mux))
		ts := c.TokenSource()
		hc := oauth2.NewClient(ctx, ts.OAuth2TokenSource(ctx))
		for range 3 {
			resp, err := hc.Get(testBase + "/v1/ping")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		if strings.Join(auths, "|") != "Bearer access-1|Bearer access-1|Bearer access-1" || f.tokenCalls.Load() != 1 {
			t.Errorf("got %q with %d token requests, want access-1 three times and 1 request", auths, f.tokenCalls.Load())
		}
		o, err := ts.OAuth2TokenSource(ctx).Token()
		if err != nil {
			t.Fatal(err)
		}
		if e := ts.cur.Load(); !o.Expiry.Equal(e.refreshAt) || o.AccessToken != "access-1" || o.TokenType != "Bearer" {
			t.Errorf("got %q %q expiry %v, want access-1 Bearer expiring at the renewal time %v", o.AccessToken, o.TokenType, o.Expiry, e.refreshAt)
		}
	})
}

// TestMutualTLS: a client certificate given in the Config (as a tls.Certificate or as files)
// is presented to the server; without it the handshake fails and is not retried.
func TestMutualTLS(t *testing.T) {
	certPEM, keyPEM, cert := selfSignedCert(t)
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	var peers atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) > 0 && r.TLS.PeerCertificates[0].Subject.CommonName == "scboauth test client" {
			peers.Add(1)
		}
		writeJSON(w, http.StatusOK, tokenAnswer("mtls-token", 30*time.Minute, ""))
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool, MinVersion: tls.VersionTLS12}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())

	dir := t.TempDir()
	certFile, keyFile := dir+"/client.pem", dir+"/client.key"
	writeFile(t, certFile, certPEM)
	writeFile(t, keyFile, keyPEM)

	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{name: "tls.Certificate", cfg: Config{Certificate: &cert}},
		{name: "files", cfg: Config{CertFile: certFile, KeyFile: keyFile}},
		{name: "on the caller's HTTP client", cfg: Config{Certificate: &cert, HTTPClient: &http.Client{Transport: &http.Transport{}}}},
		{name: "no certificate", cfg: Config{}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.BaseURL = srv.URL
			tt.cfg.RootCAs = roots
			c := newTestClientConfig(t, tt.cfg)
			defer c.hc.CloseIdleConnections()
			before := peers.Load()
			var attempts atomic.Int64
			c.log = slog.New(countingHandler{&attempts})
			tok, err := c.Token(context.Background())
			if tt.wantErr {
				var e *Error
				if !errors.As(err, &e) || e.HTTPStatus != 0 || e.Retryable() || attempts.Load() != 1 {
					t.Errorf("got %v after %d attempts, want a non-retryable transport *Error after 1", err, attempts.Load())
				}
				return
			}
			if err != nil || tok.AccessToken() != "mtls-token" || peers.Load() != before+1 {
				t.Errorf("got %v, %v (certificate seen %d times), want the token over mutual TLS", tok, err, peers.Load()-before)
			}
		})
	}
}

// TestRedirectNotFollowed: a 307 to another host never receives the request (nor its secret),
// even when the caller's HTTP client would follow redirects.
func TestRedirectNotFollowed(t *testing.T) {
	var reached atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		writeJSON(w, http.StatusOK, tokenAnswer("stolen", 30*time.Minute, ""))
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	for _, tt := range []struct {
		name string
		hc   *http.Client
	}{{"own client", nil}, {"caller's client", &http.Client{}}} {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClientConfig(t, Config{BaseURL: srv.URL, HTTPClient: tt.hc})
			_, err := c.Token(context.Background())
			var e *Error
			if !errors.Is(err, ErrRedirect) || !errors.As(err, &e) || e.HTTPStatus != http.StatusTemporaryRedirect {
				t.Errorf("got %v, want ErrRedirect with status 307", err)
			}
			if err != nil && (strings.Contains(err.Error(), testSecret) || !strings.Contains(err.Error(), strings.TrimPrefix(other.URL, "http://"))) {
				t.Errorf("got %q, want the other host named and no secret", err)
			}
			if n := reached.Load(); n != 0 {
				t.Errorf("the other host received %d requests, want 0", n)
			}
			if tt.hc != nil && tt.hc.CheckRedirect != nil {
				t.Error("the caller's HTTP client was modified")
			}
		})
	}
}

// TestTruncatedBody: a body shorter than its Content-Length (the connection closed early) is a
// malformed answer, not a token.
func TestTruncatedBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "400")
		_, _ = io.WriteString(w, `{"status":{"code":1000,"description":"Success"},"data":{"accessToken":"abc`)
	}))
	defer srv.Close()
	c := newTestClientConfig(t, Config{BaseURL: srv.URL})
	_, err := c.Token(context.Background())
	if !errors.Is(err, ErrMalformedResponse) || !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "body cut short after") {
		t.Errorf("got %v, want ErrMalformedResponse wrapping io.ErrUnexpectedEOF", err)
	}
}

// countingHandler counts the client's debug lines, one per attempt.
type countingHandler struct{ n *atomic.Int64 }

func (h countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h countingHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "api: attempt" {
		h.n.Add(1)
	}
	return nil
}
func (h countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h countingHandler) WithGroup(string) slog.Handler      { return h }
