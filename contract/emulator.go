package contract

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	adminapi "github.com/scboauth/scboauth/generated/admin"
)

// EmulatorConfig says where a served scboauth emulator's admin API is, for DialEmulator.
type EmulatorConfig struct {
	// AdminURL is the base URL of the admin API: the emulator's own (scboauth sandbox --admin)
	// or its --admin-addr. Required.
	AdminURL string
	// Token is the admin token, when the emulator was started with one.
	Token string
	// Transport sends the admin calls; nil means http.DefaultTransport.
	Transport http.RoundTripper
	// Timeout bounds each admin call; 0 means DefaultTimeout.
	Timeout time.Duration
}

// HTTPEmulator is an Emulator that drives a served scboauth emulator through its admin API
// (sandbox/admin.yaml): it registers an application of each kind with random credentials,
// consents through the consent endpoint, pays what the payment calls created (POST
// /sandbox/v1/payments; a PaymentEmulator), and reads strict mode from the health answer.
// Close removes its applications. It is safe for concurrent use.
type HTTPEmulator struct {
	client *adminapi.ClientWithResponses
	apps   map[string]Credentials // by kind
	names  []string
	strict bool
}

var (
	_ StrictEmulator  = (*HTTPEmulator)(nil)
	_ PaymentEmulator = (*HTTPEmulator)(nil)
)

// ErrNotEmulator is returned by DialEmulator when the target does not answer as the scboauth
// emulator's admin API: SCB itself, or an emulator without --admin.
var ErrNotEmulator = errors.New("contract: the target is not the scboauth emulator with its admin API on")

// DialEmulator recognises the scboauth emulator by its admin API (GET /sandbox/v1/health
// answering service scboauth-sandbox) and returns an HTTPEmulator that drives it, with an
// application of each kind registered. It returns ErrNotEmulator when the target is something
// else (or does not answer), and another error when it is the emulator but cannot be driven
// (an admin token missing or wrong, a registration refused).
func DialEmulator(ctx context.Context, cfg EmulatorConfig) (*HTTPEmulator, error) {
	base, err := checkBaseURL(cfg.AdminURL)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Transport: cfg.Transport, Timeout: orDefault(cfg.Timeout, DefaultTimeout),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	opts := []adminapi.ClientOption{adminapi.WithHTTPClient(hc)}
	if cfg.Token != "" {
		opts = append(opts, adminapi.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+cfg.Token)
			return nil
		}))
	}
	client, err := adminapi.NewClientWithResponses(strings.TrimSuffix(base.String(), "/"), opts...)
	if err != nil {
		return nil, fmt.Errorf("contract: the admin API's client: %w", err)
	}
	health, err := client.GetHealthWithResponse(ctx)
	switch {
	case err != nil:
		return nil, ErrNotEmulator
	case health.StatusCode() == http.StatusUnauthorized && strings.Contains(health.HTTPResponse.Header.Get("WWW-Authenticate"), "scboauth-sandbox"):
		return nil, errors.New("contract: the target is the scboauth emulator, and its admin API refused the admin token (set SCB_SANDBOX_ADMIN_TOKEN to the one it was started with)")
	case health.JSON200 == nil || health.JSON200.Service != adminapi.ScboauthSandbox:
		return nil, ErrNotEmulator
	}
	e := &HTTPEmulator{client: client, apps: map[string]Credentials{}, strict: health.JSON200.Strict}
	if err := e.register(ctx); err != nil {
		_ = e.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return e, nil
}

// register registers an application of each kind, with a random name, key and secret.
func (e *HTTPEmulator) register(ctx context.Context) error {
	run := randomHex(6)
	for _, kind := range []string{KindPlain, KindAuthorizationCode, KindWeb} {
		app := adminapi.NewApplication{Name: "contract-" + run + "-" + kind, Key: "l7" + randomHex(16), Kind: adminapi.Kind(kind)}
		secret := randomString(24)
		app.Secret = &secret
		resp, err := e.client.RegisterApplicationWithResponse(ctx, app)
		if err != nil {
			return fmt.Errorf("contract: register an application on the emulator: %w", unwrapURLError(err))
		}
		if resp.StatusCode() != http.StatusCreated {
			return fmt.Errorf("contract: the emulator refused an application: HTTP %d", resp.StatusCode())
		}
		e.names = append(e.names, app.Name)
		e.apps[kind] = Credentials{Key: app.Key, Secret: secret}
	}
	return nil
}

// Credentials returns the application of kind this emulator registered.
func (e *HTTPEmulator) Credentials(kind string) (key, secret string, ok bool) {
	c, ok := e.apps[kind]
	return c.Key, c.Secret, ok
}

// GrantConsent consents to callbackURL through the emulator's consent endpoint.
func (e *HTTPEmulator) GrantConsent(ctx context.Context, callbackURL, state, codeChallenge string) (string, error) {
	body := adminapi.ConsentRequest{CallbackUrl: callbackURL}
	if state != "" {
		body.State = &state
	}
	if codeChallenge != "" {
		body.CodeChallenge = &codeChallenge
	}
	resp, err := e.client.GrantConsentWithResponse(ctx, body)
	if err != nil {
		return "", fmt.Errorf("contract: the emulator's consent: %w", unwrapURLError(err))
	}
	if resp.JSON200 == nil || resp.JSON200.Data.AuthCode == "" {
		return "", fmt.Errorf("contract: the emulator's consent answered HTTP %d without a code", resp.StatusCode())
	}
	return resp.JSON200.Data.AuthCode, nil
}

// CompletePayment pays the QR or deeplink target names through the emulator's admin API, as
// the sandbox customer, and returns the bill payment's transRef ("" for a card payment).
func (e *HTTPEmulator) CompletePayment(ctx context.Context, target string) (string, error) {
	resp, err := e.client.SimulatePaymentWithResponse(ctx, adminapi.PaymentSimulation{Target: target})
	if err != nil {
		return "", fmt.Errorf("contract: the emulator's payment: %w", unwrapURLError(err))
	}
	if resp.JSON201 == nil {
		return "", fmt.Errorf("contract: the emulator refused the payment: HTTP %d", resp.StatusCode())
	}
	if ref := resp.JSON201.TransRef; ref != nil {
		return *ref, nil
	}
	return "", nil
}

// Strict reports whether the emulator runs in strict mode (its health answer's strict).
func (e *HTTPEmulator) Strict() bool { return e.strict }

// Close removes the applications the emulator registered, and returns the first error.
func (e *HTTPEmulator) Close(ctx context.Context) error {
	var first error
	for _, name := range e.names {
		resp, err := e.client.DeleteApplicationWithResponse(ctx, name)
		if err == nil && resp.StatusCode() != http.StatusNoContent {
			err = fmt.Errorf("HTTP %d", resp.StatusCode())
		}
		if err != nil && first == nil {
			first = fmt.Errorf("contract: remove an application from the emulator: %w", unwrapURLError(err))
		}
	}
	e.names = nil
	return first
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = io.ReadFull(rand.Reader, b)
	return hex.EncodeToString(b)
}
