package api

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

const (
	testKey    = "l7testkey0123456789abcdef0123456789"
	testSecret = "test-application-secret"
	testBase   = "http://127.0.0.1/partners/sandbox" // loopback; requests never leave memory
)

// netOpError is what a refused connection looks like.
var netOpError = net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}

// rtFunc is an http.RoundTripper made of a function.
type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// newTestClient returns a Client for testKey/testSecret whose requests h serves in memory
// (sandboxtest.Transport: no network, so tests run inside a synctest bubble with fake time).
func newTestClient(t testing.TB, h http.Handler) *Client {
	t.Helper()
	return newTestClientConfig(t, Config{HTTPClient: sandboxtest.Client(h)})
}

// newTestClientConfig returns a Client for cfg, with testBase, testKey and testSecret where
// cfg leaves them empty.
func newTestClientConfig(t testing.TB, cfg Config) *Client {
	t.Helper()
	if cfg.BaseURL == "" {
		cfg.BaseURL = testBase
	}
	if cfg.ApplicationKey == "" {
		cfg.ApplicationKey = testKey
	}
	if cfg.ApplicationSecret == "" {
		cfg.ApplicationSecret = testSecret
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeSCBError(w http.ResponseWriter, status, code int, description string) {
	writeJSON(w, status, map[string]any{"status": map[string]any{"code": code, "description": description}, "data": nil})
}

// tokenAnswer is the body of a successful token call issued now.
func tokenAnswer(access string, lifetime time.Duration, refresh string) map[string]any {
	data := map[string]any{
		"accessToken": access, "tokenType": "Bearer",
		"expiresIn": int(lifetime / time.Second), "expiresAt": time.Now().Add(lifetime).Unix(),
	}
	if refresh != "" {
		data["refreshToken"] = refresh
		data["refreshExpiresIn"] = 3600
		data["refreshExpiresAt"] = time.Now().Add(time.Hour).Unix()
	}
	return map[string]any{"status": map[string]any{"code": 1000, "description": "Success"}, "data": data}
}

// fakeSCB is a small SCB for the token-source tests: numbered tokens, rotating refresh tokens
// (a redeemed one is refused), and switches for an outage or a hang.
type fakeSCB struct {
	lifetime        time.Duration // expiresIn; 30 minutes when zero
	refreshLifetime time.Duration // refreshExpiresIn; 60 minutes when zero

	down  atomic.Bool                   // answer 503 9900
	block atomic.Pointer[chan struct{}] // when set, answers wait until it is closed (or the request ends)

	tokenCalls   atomic.Int64
	refreshCalls atomic.Int64
	abandoned    atomic.Int64 // requests whose context ended while held
	seq          atomic.Int64

	mu       sync.Mutex
	live     map[string]bool // refresh tokens not yet redeemed
	redeemed []string
}

func (f *fakeSCB) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		AuthCode, RefreshToken string
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	refresh := strings.HasSuffix(r.URL.Path, "/v1/oauth/token/refresh")
	if refresh {
		f.refreshCalls.Add(1)
	} else {
		f.tokenCalls.Add(1)
	}
	if b := f.block.Load(); b != nil {
		select {
		case <-*b:
		case <-r.Context().Done():
			f.abandoned.Add(1)
			return
		}
	}
	if f.down.Load() {
		writeSCBError(w, http.StatusServiceUnavailable, 9900, "System maintenance in progress. We will be back shortly.")
		return
	}
	life := f.lifetime
	if life == 0 {
		life = 30 * time.Minute
	}
	n := f.seq.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.live == nil {
		f.live = map[string]bool{}
	}
	newRefresh := ""
	if refresh {
		if !f.live[body.RefreshToken] {
			writeSCBError(w, http.StatusUnauthorized, 9300, "Invalid/expired temporary token")
			return
		}
		delete(f.live, body.RefreshToken)
		f.redeemed = append(f.redeemed, body.RefreshToken)
	}
	if refresh || body.AuthCode != "" {
		newRefresh = fmt.Sprintf("refresh-%d", n)
		f.live[newRefresh] = true
	}
	ans := tokenAnswer(fmt.Sprintf("access-%d", n), life, newRefresh)
	if f.refreshLifetime != 0 && newRefresh != "" {
		ans["data"].(map[string]any)["refreshExpiresIn"] = int(f.refreshLifetime / time.Second)
	}
	writeJSON(w, http.StatusOK, ans)
}

// hold makes answers wait until release is called.
func (f *fakeSCB) hold() (release func()) {
	ch := make(chan struct{})
	f.block.Store(&ch)
	var once sync.Once
	return func() {
		once.Do(func() {
			f.block.Store(nil)
			close(ch)
		})
	}
}

// redeemedTokens returns the refresh tokens redeemed so far.
func (f *fakeSCB) redeemedTokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.redeemed...)
}

// revoke forgets every refresh token, as if the user withdrew consent.
func (f *fakeSCB) revoke() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.live = map[string]bool{}
}

func mustRead(t testing.TB, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// selfSignedCert makes a client certificate for the mutual-TLS tests.
func selfSignedCert(t testing.TB) (certPEM, keyPEM []byte, cert tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "scboauth test client"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	cert, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, keyPEM, cert
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
