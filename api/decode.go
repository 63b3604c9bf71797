package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/scboauth/scboauth/generated"
	"github.com/scboauth/scboauth/internal/redact"
)

const (
	// maxLifetime bounds expiresIn and refreshExpiresIn, before any arithmetic; SCB's are 30
	// and 60 minutes.
	maxLifetime = 366 * 24 * time.Hour
	// maxTokenBytes bounds a token: it travels in a header on every call (SCB's are UUIDs).
	maxTokenBytes = 4096
	// maxExpiresAt is the largest expiresAt the spec allows (the year 2286, in seconds); a
	// larger one is not used to estimate the clock skew.
	maxExpiresAt = 9_999_999_999
	// maxCallbackBytes bounds the callbackUrl AuthorizeURL returns.
	maxCallbackBytes = 2048
)

// errorAnswer turns a non-success answer into an *Error: SCB's envelope gives Code and
// Description; anything else is described, never quoted.
func (c *Client) errorAnswer(k *call, a *answer) *Error {
	e := a.fail(k, nil)
	e.RetryAfter = retryAfter(a.header.Get("Retry-After"))
	var env generated.ErrorResponse
	if looksJSON(a.body) && json.Unmarshal(a.body, &env) == nil && env.Status.Code != 0 {
		e.Code = env.Status.Code
		e.Description = c.shown(env.Status.Description, append(answerTokens(a.body), k.secrets...)...)
		e.kind = classify(k.op, a.status, e.Code, env.Status.Description) // before redaction changes its words
		return e
	}
	e.Err = malformed(c.describeBody(k, a), nil)
	if a.status == http.StatusTooManyRequests {
		e.kind = ErrRateLimited
	}
	return e
}

// decodeSuccess decodes a 2xx answer into v, whose status is status, and checks that the
// business code is 1000.
func (c *Client) decodeSuccess(k *call, a *answer, v any, status *generated.Status) *Error {
	if !looksJSON(a.body) {
		return a.fail(k, malformed(c.describeBody(k, a), nil))
	}
	if err := json.Unmarshal(a.body, v); err != nil {
		return a.fail(k, jsonProblem(err, len(a.body)))
	}
	if status.Code != 1000 {
		e := a.fail(k, malformed(fmt.Sprintf("success answer with business code %d, want 1000", status.Code), nil))
		e.Code = status.Code
		e.Description = c.shown(status.Description, append(answerTokens(a.body), k.secrets...)...)
		return e
	}
	return nil
}

// answerTokens returns the tokens an answer carries in data, if any, so that its own text
// quoting them is redacted.
func answerTokens(body []byte) []string {
	var r struct {
		Data struct {
			AccessToken  string `json:"accessToken"`
			RefreshToken string `json:"refreshToken"`
		} `json:"data"`
	}
	_ = json.Unmarshal(body, &r) // whatever decodes is enough
	return []string{r.Data.AccessToken, r.Data.RefreshToken}
}

// decodeToken turns a token or refresh answer into a Token. Expiry is the send time (with its
// monotonic reading) plus expiresIn; expiresAt only measures the clock skew. Every value is
// checked before it is used: a lifetime out of range, a token that could not travel in a
// header, or one that would be stale on arrival is ErrMalformedResponse.
func (c *Client) decodeToken(k *call, a *answer) (*Token, error) {
	var r generated.TokenResponse
	if e := c.decodeSuccess(k, a, &r, &r.Status); e != nil {
		return nil, e
	}
	d := &r.Data
	access, refresh := redact.New(d.AccessToken), redact.New(deref(d.RefreshToken))
	for _, s := range [...]redact.Secret{access, refresh} {
		if tokenProblem(s.Reveal()) == "" {
			c.recent.add(s) // redacted from now on, whatever else is wrong with the answer
		}
	}
	owner := a.header.Get("resourceOwnerId")
	if problem := c.tokenDataProblem(k, d, owner); problem != "" {
		return nil, a.fail(k, malformed("wrong shape: "+problem, nil))
	}
	life := time.Duration(d.ExpiresIn) * time.Second // bounded by tokenDataProblem
	tok := &Token{
		TokenType:       "Bearer",
		Expiry:          a.sent.Add(life),
		ResourceOwnerID: owner,
		access:          access,
		lifetime:        life,
	}
	if d.RefreshToken != nil {
		tok.refresh = refresh
		if d.RefreshExpiresIn != nil {
			tok.RefreshExpiry = a.sent.Add(time.Duration(*d.RefreshExpiresIn) * time.Second)
		}
	}
	if now := time.Now(); !now.Before(tok.staleAt()) {
		return nil, a.fail(k, malformed(fmt.Sprintf("token stale on arrival: expiresIn %ds, answered after %s",
			d.ExpiresIn, now.Sub(a.sent).Round(time.Millisecond)), nil))
	}
	if d.ExpiresAt > 0 && d.ExpiresAt <= maxExpiresAt {
		serverIssue := time.Unix(d.ExpiresAt-int64(d.ExpiresIn), 0)
		tok.ClockSkew = serverIssue.Sub(a.sent).Round(time.Second)
		if tok.ClockSkew > skewWarning || tok.ClockSkew < -skewWarning {
			c.log.LogAttrs(context.Background(), slog.LevelWarn, "api: clock skew between SCB and this machine",
				slog.String("op", k.op), slog.Duration("skew", tok.ClockSkew), slog.String("requestUId", a.uid))
		}
	}
	return tok, nil
}

// tokenDataProblem says what is wrong with a token answer's data and resourceOwnerId header,
// or "" when nothing is. Lifetimes are compared in seconds, before any arithmetic can overflow.
func (c *Client) tokenDataProblem(k *call, d *generated.Token, owner string) string {
	const maxSeconds = int64(maxLifetime / time.Second)
	switch {
	case d.AccessToken == "":
		return "data.accessToken missing or empty"
	case tokenProblem(d.AccessToken) != "":
		return "data.accessToken " + tokenProblem(d.AccessToken)
	case d.ExpiresIn <= 0 || int64(d.ExpiresIn) > maxSeconds:
		return fmt.Sprintf("data.expiresIn %d out of range (1 to %d)", d.ExpiresIn, maxSeconds)
	case d.TokenType != "" && !strings.EqualFold(string(d.TokenType), "Bearer"):
		return fmt.Sprintf("data.tokenType %q, want Bearer", c.shown(string(d.TokenType), append(k.secrets, d.AccessToken, deref(d.RefreshToken))...))
	case d.RefreshToken != nil && *d.RefreshToken == "":
		return "data.refreshToken empty"
	case d.RefreshToken != nil && tokenProblem(*d.RefreshToken) != "":
		return "data.refreshToken " + tokenProblem(*d.RefreshToken)
	case d.RefreshExpiresIn != nil && (*d.RefreshExpiresIn <= 0 || int64(*d.RefreshExpiresIn) > maxSeconds):
		return fmt.Sprintf("data.refreshExpiresIn %d out of range (1 to %d)", *d.RefreshExpiresIn, maxSeconds)
	case len(owner) > maxTokenBytes || strings.ContainsFunc(owner, func(r rune) bool { return r < ' ' || r > '~' }):
		return "resourceOwnerId header is not printable ASCII of at most 4096 bytes"
	case quotesAny(owner, k.secrets...) || quotesAny(owner, d.AccessToken, deref(d.RefreshToken)):
		return "resourceOwnerId header quotes a secret"
	}
	return ""
}

// tokenProblem says why s cannot be a token, or "" when it can: a token travels as is in a
// header ("authorization: Bearer <token>") and on a command line, so it must be at most
// maxTokenBytes of visible ASCII: no space, CR, LF or other control.
func tokenProblem(s string) string {
	switch {
	case len(s) > maxTokenBytes:
		return fmt.Sprintf("longer than %d bytes", maxTokenBytes)
	case !visibleASCII(s):
		return "has characters a token cannot have (spaces, controls or non-ASCII)"
	}
	return ""
}

// quotesAny reports whether s contains one of the non-empty secrets, in any ASCII case.
func quotesAny(s string, secrets ...string) bool {
	if s == "" {
		return false
	}
	s = strings.ToLower(s)
	for _, v := range secrets {
		if v != "" && strings.Contains(s, strings.ToLower(v)) {
			return true
		}
	}
	return false
}

// checkCallbackURL says what is wrong with a callbackUrl, or "" when nothing is: it must be a
// deep link a phone can open safely (see AuthorizeURL).
func checkCallbackURL(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	switch {
	case s == "":
		return "missing or empty"
	case len(s) > maxCallbackBytes:
		return fmt.Sprintf("longer than %d bytes", maxCallbackBytes)
	case !visibleASCII(s):
		return "has characters a URL cannot have (spaces, controls or non-ASCII)"
	case !ok || !validScheme(scheme) || rest == "":
		return "is not an absolute URL of the form scheme://..."
	}
	switch strings.ToLower(scheme) {
	case "javascript", "vbscript", "data", "file", "blob", "about":
		return "has a scheme a browser runs or reads locally"
	}
	if _, err := url.Parse(s); err != nil {
		return "does not parse as a URL"
	}
	return ""
}

// validScheme reports whether s is a URL scheme (RFC 3986: a letter, then letters, digits,
// "+", "-" or ".").
func validScheme(s string) bool {
	for i, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
		case i > 0 && ('0' <= r && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return s != ""
}

func looksJSON(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// jsonProblem describes a decoding error without quoting the body.
func jsonProblem(err error, n int) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se) && se.Offset >= int64(n):
		return malformed(fmt.Sprintf("JSON cut short after %d bytes", n), err)
	case errors.As(err, &se):
		return malformed(fmt.Sprintf("invalid JSON at byte %d of %d", se.Offset, n), err)
	case errors.As(err, &te):
		return malformed(fmt.Sprintf("wrong shape: %s is a JSON %s, want %s", te.Field, strings.SplitN(te.Value, " ", 2)[0], te.Type), err)
	}
	return malformed("invalid JSON", err)
}

// describeBody says what a body that is not SCB's envelope was: its media type and size.
func (c *Client) describeBody(k *call, a *answer) string {
	if len(a.body) == 0 {
		return "empty body"
	}
	contentType := a.header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(contentType)
	switch {
	case contentType == "":
		mt = "body without content type"
	case err != nil || len(mt) > 64:
		mt = "body with an invalid content type"
	default:
		mt = c.shown(mt, k.secrets...) + " body"
	}
	return fmt.Sprintf("unexpected %s of %d bytes, not SCB's envelope", mt, len(a.body))
}

// describeLocation names the host a redirect pointed to, or says it had none.
func (c *Client) describeLocation(loc string, secrets []string) string {
	u, err := url.Parse(loc)
	if loc == "" || err != nil {
		return "an invalid location"
	}
	if u.Host == "" {
		return "another path on the same host"
	}
	return "host " + c.shown(u.Host, secrets...)
}
