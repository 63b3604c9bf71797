package contract

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/scboauth/scboauth/internal/redact"
)

// Config is what Run checks and how.
type Config struct {
	// BaseURL is the target, such as https://api-sandbox.partners.scb/partners/sandbox or the
	// emulator's http://127.0.0.1:PORT. Required.
	BaseURL string
	// Application is the application checked on a live target. Required unless Emulator is set.
	Application Credentials
	// AuthCode is an authorization code for Application on a live target (valid one minute,
	// single use). Empty: the authorization-code cases are skipped with the reason.
	AuthCode string
	// Emulator, when set, says the target is the scboauth emulator (such as a *sandbox.Server).
	Emulator Emulator
	// Transport sends the requests; nil means http.DefaultTransport. Every response is validated
	// from the raw bytes it returns.
	Transport http.RoundTripper
	// Timeout bounds each request; 0 means DefaultTimeout.
	Timeout time.Duration
	// Deadline bounds the whole run; 0 means DefaultDeadline. The cases it leaves no time for
	// are reported as not run (VerdictNotRun), and the report then does not conform.
	Deadline time.Duration
	// Strict turns drift (fields the spec does not declare) from warnings into violations.
	Strict bool
	// Tolerance bounds |expiresAt - (issue time + expiresIn)|; 0 means DefaultTolerance.
	Tolerance time.Duration
	// Limiter paces requests; nil means DefaultLimiter(BaseURL): none on loopback, SCBRate
	// otherwise.
	Limiter Limiter
	// Now is the clock of issue times and latencies; nil means time.Now.
	Now func() time.Time
	// Spec is the contract; nil means LoadSpec().
	Spec *Spec
	// Payments are the live application's biller and merchant for the payment cases; the
	// emulator needs none.
	Payments Payments
	// Generated, when set, adds the cases generated from the spec (Spec.Generate) after the
	// catalogue's; nil runs the catalogue only.
	Generated *Generation
	// MinCoverage fails the run (Report.Conforms) when a coverage figure is below its
	// percentage: by kind, one of CoverageKinds.
	MinCoverage map[string]float64
	// Recorder, when set, keeps every interaction of the run, secrets and tokens redacted, to
	// be saved with Recorder.Save once Run returns (see Replay).
	Recorder *Recorder
}

// DefaultTimeout bounds each request when Config.Timeout is 0.
const DefaultTimeout = 10 * time.Second

// DefaultDeadline bounds a run when Config.Deadline is 0: the catalogue paced for SCB's sandbox
// takes about ten seconds, so this leaves room for a slow target without letting one that
// hangs hold a CI job for a timeout per case.
const DefaultDeadline = 5 * time.Minute

// DefaultTolerance bounds the expiry check when Config.Tolerance is 0: the Date header has a
// one-second resolution and the server stamps it a moment after issuing the token.
const DefaultTolerance = 5 * time.Second

// Credentials are an SCB application's key and secret. The secret never appears when the value
// is printed, logged or marshalled.
type Credentials struct {
	Key    string
	Secret string
}

// String returns the key with the secret redacted.
func (c Credentials) String() string {
	return fmt.Sprintf("{Key:%s Secret:%s}", c.Key, redact.Marker)
}

// GoString returns the key with the secret redacted.
func (c Credentials) GoString() string {
	return fmt.Sprintf("contract.Credentials{Key:%q, Secret:%q}", c.Key, redact.Marker)
}

// Format prints String, or GoString for %#v, for every verb, so that no verb shows the secret.
func (c Credentials) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, c.GoString())
		return
	}
	fmt.Fprint(f, c.String())
}

// LogValue keeps the secret out of slog output.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("key", c.Key), slog.String("secret", redact.Marker))
}

// MarshalJSON keeps the secret out of JSON.
func (c Credentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"key": c.Key, "secret": redact.Marker})
}

// Emulator is a target known to be the scboauth emulator. With it, Run uses the emulator's own
// applications, one per kind, mints authorization codes itself, and holds the target to the
// emulator's exact answers, which are openapi.yaml's decisions where SCB's documentation is
// silent. A *sandbox.Server satisfies it, so the contract engine needs no import of the emulator.
type Emulator interface {
	// Credentials returns the key and secret of an application of kind "plain" (client
	// credentials only), "authorization-code" or "web" (the code grant with state and
	// codeChallenge); ok is false when the emulator has none.
	Credentials(kind string) (key, secret string, ok bool)
	// GrantConsent completes the user's consent for the callbackUrl an authorize call returned
	// and returns the authorization code, bound to state and codeChallenge.
	GrantConsent(ctx context.Context, callbackURL, state, codeChallenge string) (authCode string, err error)
}

// StrictEmulator is an Emulator that can say whether it runs in strict mode
// (sandbox.WithStrict): then it refuses request shapes SCB accepts (a requestUId that is neither
// a UUID nor 32 alphanumerics, optional fields sent as null), and Run expects it to.
type StrictEmulator interface {
	Emulator
	Strict() bool
}

// The application kinds an Emulator is asked for.
const (
	KindPlain             = "plain"
	KindAuthorizationCode = "authorization-code"
	KindWeb               = "web"
)
