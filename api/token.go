package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/scboauth/scboauth/internal/redact"
)

// Token is an access token of SCB's OAuth API and, on the authorization-code grant, its refresh
// token. A Token is immutable and safe to share between goroutines.
//
// Its secrets never show: String prints "[redacted]" in their place, and since they are held
// behind pointers, no fmt verb, encoding/json (which sees only the exported fields) or slog
// prints them, even for a Token nested in an unexported field. Call AccessToken or
// RefreshToken for the raw values.
type Token struct {
	// TokenType is the prefix of the authorization header: "Bearer".
	TokenType string
	// Expiry is when the access token expires by this machine's clock: the time the request
	// was sent plus SCB's expiresIn. It carries a monotonic clock reading, so changes of the
	// wall clock do not move it; SCB's expiresAt is only used for ClockSkew.
	Expiry time.Time
	// RefreshExpiry is when the refresh token expires, computed the same way; zero when there
	// is no refresh token or SCB gave no lifetime for it.
	RefreshExpiry time.Time
	// ResourceOwnerID is the resourceOwnerId header of SCB's answer, if any: the value to send
	// as resourceOwnerId on later user-specific calls.
	ResourceOwnerID string
	// ClockSkew is how far SCB's clock is ahead of this machine's (negative: behind), estimated
	// at one-second resolution from expiresAt - expiresIn and the send time. It is reported,
	// never used to lengthen a token's life.
	ClockSkew time.Duration

	access   redact.Secret
	refresh  redact.Secret
	lifetime time.Duration // expiresIn
}

// AccessToken returns the raw access token: the secret to send as "authorization: Bearer ...".
func (t *Token) AccessToken() string {
	if t == nil {
		return ""
	}
	return t.access.Reveal()
}

// RefreshToken returns the raw refresh token, or "" when there is none (client-credentials
// grant). Keep the latest one: SCB may rotate it on every refresh.
func (t *Token) RefreshToken() string {
	if t == nil {
		return ""
	}
	return t.refresh.Reveal()
}

// Lifetime returns the lifetime SCB gave the access token (expiresIn).
func (t *Token) Lifetime() time.Duration {
	if t == nil {
		return 0
	}
	return t.lifetime
}

// Valid reports whether t is non-nil, has an access token and is more than its safety margin
// (30 seconds; half the lifetime for tokens shorter than a minute) away from expiry: the rule a
// TokenSource applies before handing a token out.
func (t *Token) Valid() bool {
	return t != nil && t.access.IsSet() && time.Now().Before(t.staleAt())
}

// staleAt is when t stops being handed out: its safety margin before expiry.
func (t *Token) staleAt() time.Time { return t.Expiry.Add(-safetyMargin(t.lifetime)) }

// SetAuthHeader sets the authorization header of r to "<type> <access token>".
func (t *Token) SetAuthHeader(r *http.Request) {
	r.Header.Set("Authorization", t.authorization())
}

func (t *Token) authorization() string {
	typ := t.TokenType
	if typ == "" {
		typ = "Bearer"
	}
	return typ + " " + t.access.Reveal()
}

// String returns a description of t with its secrets redacted.
func (t Token) String() string {
	var b strings.Builder
	b.WriteString("api.Token{TokenType: ")
	b.WriteString(t.TokenType)
	b.WriteString(", AccessToken: ")
	b.WriteString(t.access.String())
	b.WriteString(", Expiry: ")
	b.WriteString(formatTime(t.Expiry))
	if t.refresh.IsSet() {
		b.WriteString(", RefreshToken: ")
		b.WriteString(t.refresh.String())
		b.WriteString(", RefreshExpiry: ")
		b.WriteString(formatTime(t.RefreshExpiry))
	}
	if t.ResourceOwnerID != "" {
		b.WriteString(", ResourceOwnerID: ")
		b.WriteString(t.ResourceOwnerID)
	}
	if t.ClockSkew != 0 {
		b.WriteString(", ClockSkew: ")
		b.WriteString(t.ClockSkew.String())
	}
	b.WriteString("}")
	return b.String()
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.Round(0).Format(time.RFC3339)
}

// safetyMargin is how close to expiry a token is never handed out: 30 seconds, or half the
// lifetime for a token that lives less than a minute (SCB's live 30 minutes).
func safetyMargin(lifetime time.Duration) time.Duration {
	return min(30*time.Second, lifetime/2)
}
