package api

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Token is an access token of SCB's OAuth API and, on the authorization-code grant, its refresh
// token. A Token is immutable and safe to share between goroutines.
//
// Its secrets are redacted wherever it is shown: String, GoString, every fmt verb, MarshalJSON
// and slog all print "[redacted]" in their place, and since they are held behind pointers even
// a Token nested in an unexported field prints none. Call AccessToken or RefreshToken for the raw
// values.
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

	access   secret
	refresh  secret
	lifetime time.Duration // expiresIn
}

// AccessToken returns the raw access token: the secret to send as "authorization: Bearer ...".
func (t *Token) AccessToken() string {
	if t == nil {
		return ""
	}
	return t.access.reveal()
}

// RefreshToken returns the raw refresh token, or "" when there is none (client-credentials
// grant). Keep the latest one: SCB may rotate it on every refresh.
func (t *Token) RefreshToken() string {
	if t == nil {
		return ""
	}
	return t.refresh.reveal()
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
	return t != nil && t.access.isSet() && time.Now().Before(t.Expiry.Add(-safetyMargin(t.lifetime)))
}

// SetAuthHeader sets the authorization header of r to "<type> <access token>".
func (t *Token) SetAuthHeader(r *http.Request) {
	r.Header.Set("Authorization", t.authorization())
}

func (t *Token) authorization() string {
	typ := t.TokenType
	if typ == "" {
		typ = "Bearer"
	}
	return typ + " " + t.access.reveal()
}

// String returns a description of t with its secrets redacted.
func (t Token) String() string {
	var b strings.Builder
	b.WriteString("api.Token{TokenType: ")
	b.WriteString(t.TokenType)
	b.WriteString(", AccessToken: ")
	b.WriteString(shown(t.access))
	b.WriteString(", Expiry: ")
	b.WriteString(formatTime(t.Expiry))
	if t.refresh.isSet() {
		b.WriteString(", RefreshToken: ")
		b.WriteString(redacted)
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

// GoString returns the same redacted description for %#v.
func (t Token) GoString() string { return t.String() }

// Format prints the redacted description for every verb (%v, %+v, %#v, %s, %q, %d...).
func (t Token) Format(f fmt.State, verb rune) { formatRedacted(f, verb, t.String()) }

// MarshalJSON encodes t with its secrets redacted; store tokens with AccessToken and
// RefreshToken, on purpose, not by marshalling.
func (t Token) MarshalJSON() ([]byte, error) {
	type out struct {
		TokenType       string     `json:"tokenType"`
		AccessToken     string     `json:"accessToken"`
		Expiry          time.Time  `json:"expiry"`
		RefreshToken    string     `json:"refreshToken,omitempty"`
		RefreshExpiry   *time.Time `json:"refreshExpiry,omitempty"`
		ResourceOwnerID string     `json:"resourceOwnerId,omitempty"`
		ClockSkew       string     `json:"clockSkew,omitempty"`
	}
	o := out{TokenType: t.TokenType, AccessToken: shown(t.access), Expiry: t.Expiry.Round(0), ResourceOwnerID: t.ResourceOwnerID}
	if t.refresh.isSet() {
		o.RefreshToken = redacted
	}
	if !t.RefreshExpiry.IsZero() {
		re := t.RefreshExpiry.Round(0)
		o.RefreshExpiry = &re
	}
	if t.ClockSkew != 0 {
		o.ClockSkew = t.ClockSkew.String()
	}
	return json.Marshal(o)
}

// LogValue logs t as a group with its secrets redacted.
func (t Token) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("tokenType", t.TokenType),
		slog.String("accessToken", shown(t.access)),
		slog.Time("expiry", t.Expiry.Round(0)),
	}
	if t.refresh.isSet() {
		attrs = append(attrs, slog.String("refreshToken", redacted), slog.Time("refreshExpiry", t.RefreshExpiry.Round(0)))
	}
	if t.ClockSkew != 0 {
		attrs = append(attrs, slog.Duration("clockSkew", t.ClockSkew))
	}
	return slog.GroupValue(attrs...)
}

func shown(s secret) string {
	if s.isSet() {
		return redacted
	}
	return ""
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.Round(0).Format(time.RFC3339)
}

// formatRedacted writes s, a redacted description, for any verb: quoted for %q, as is otherwise.
func formatRedacted(f fmt.State, verb rune, s string) {
	if verb == 'q' {
		s = strconv.Quote(s)
	}
	_, _ = io.WriteString(f, s)
}

// safetyMargin is how close to expiry a token is never handed out: 30 seconds, or half the
// lifetime for a token that lives less than a minute (SCB's live 30 minutes).
func safetyMargin(lifetime time.Duration) time.Duration {
	return min(30*time.Second, lifetime/2)
}

// refreshAhead is how long before expiry a token source starts renewing a token in the
// background: min(5 minutes, lifetime/3).
func refreshAhead(lifetime time.Duration) time.Duration {
	return min(5*time.Minute, lifetime/3)
}
