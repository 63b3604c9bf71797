package api

import (
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/scboauth/scboauth/internal/redact"
)

// visibleASCII reports whether s is all visible ASCII, '!' to '~': no space, control or
// non-ASCII character (an invalid UTF-8 byte reads as U+FFFD, which is none of them).
func visibleASCII(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r > '~' })
}

// maxShown bounds a server-given text (a description, a host) in an error or a log line.
const maxShown = 200

// maxRecent is how many of the latest tokens a Client remembers to redact from what servers
// say, besides the application secret and the values of the call at hand.
const maxRecent = 128

// recentSecrets remembers the latest tokens a Client received or was given, so that an answer
// quoting one (an earlier token in a 401, say) is redacted too. It holds them as redact.Secret,
// which no reflection prints. It is safe for concurrent use.
type recentSecrets struct {
	mu   sync.Mutex
	ring [maxRecent]redact.Secret
	next int
}

// add remembers the non-empty secrets.
func (r *recentSecrets) add(secrets ...redact.Secret) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if s.IsSet() {
			r.ring[r.next%maxRecent] = s
			r.next++
		}
	}
}

// appendTo appends the remembered values to dst.
func (r *recentSecrets) appendTo(dst []string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.ring[:min(r.next, maxRecent)] {
		dst = append(dst, s.Reveal())
	}
	return dst
}

// shown prepares a server-given text for an error or a log line: characters that do not show
// as themselves (CR, LF, U+202E...) become spaces, every secret the client knows and extra are
// redacted, and the result is bounded. Invisible characters go first, so that none can split a
// secret and hide it from the redaction; the bound comes last, so that it never leaves a piece
// of a secret.
func (c *Client) shown(text string, extra ...string) string {
	text = strings.TrimSpace(c.shownFull(text, extra...))
	if len(text) > maxShown {
		cut := maxShown
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "..."
	}
	return text
}

// shownFull is shown without the bound.
func (c *Client) shownFull(text string, extra ...string) string {
	text = strings.Map(func(r rune) rune {
		if invisible(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(text, "\uFFFD"))
	secrets := make([]string, 0, len(extra)+1+maxRecent)
	secrets = append(append(secrets, extra...), c.secret.Reveal())
	return redact.String(text, c.recent.appendTo(secrets)...)
}

// shownError returns err, or when its message needs what shown does, an error with the shown
// message that unwraps to err: a transport error may quote what a server sent (a malformed
// status line, say).
func (c *Client) shownError(err error, extra ...string) error {
	msg := err.Error()
	if s := c.shownFull(msg, extra...); s != msg {
		return &detailError{msg: s, err: err}
	}
	return err
}
