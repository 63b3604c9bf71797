// Package redact keeps secrets (application secrets, tokens, authorization codes, code
// challenges) out of everything the module shows: a Secret type that prints, logs and marshals
// itself redacted, and String and Set, which remove known secret values from text a server or a
// user gave, in one pass that never looks at its own output.
package redact

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Marker replaces a secret wherever one would be shown.
const Marker = "[redacted]"

// Secret holds a credential behind a pointer. Its methods show Marker (or nothing, when it is
// empty) for every fmt verb, in JSON and in slog. fmt cannot call methods on unexported fields
// and prints them by reflection instead; a pointer below the top level prints as an address, so
// a value holding a Secret, however deeply, prints no secret either. The zero Secret is empty.
type Secret struct{ p *string }

// New returns a Secret holding s; the empty string gives the empty Secret.
func New(s string) Secret {
	if s == "" {
		return Secret{}
	}
	return Secret{p: &s}
}

// Reveal returns the raw value, for the one place that must send it.
func (s Secret) Reveal() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

// IsSet reports whether s holds a non-empty value.
func (s Secret) IsSet() bool { return s.p != nil }

// String returns Marker, or "" for the empty Secret.
func (s Secret) String() string {
	if s.p == nil {
		return ""
	}
	return Marker
}

// GoString returns the same as String, quoted.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// Format prints String for every verb (quoted for %q and %#v).
func (s Secret) Format(f fmt.State, verb rune) { Format(f, verb, s.String()) }

// MarshalJSON encodes String.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText encodes String, so that encoders of map keys and text formats redact too.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue logs String.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Format writes description, which holds no secret, for any verb: quoted for %q and %#v, as is
// otherwise. Types that redact their own String use it in their Format method, so that no verb
// (%x, %d...) falls back to printing their fields.
func Format(f fmt.State, verb rune, description string) {
	if verb == 'q' || (verb == 'v' && f.Flag('#')) {
		description = strconv.Quote(description)
	}
	_, _ = io.WriteString(f, description)
}

// String returns text with every occurrence of each non-empty secret replaced by Marker: with
// ASCII letters in any case, and also in the forms a secret takes once escaped for JSON, a Go
// string literal or a URL.
// It scans text once, from the left, replacing the longest secret that starts at each position;
// what it wrote is never searched again, so a secret that occurs inside Marker (such as "e" or
// "red") cannot make it loop. Short secrets are replaced too: a one-letter secret costs
// readability, never the secret.
func String(text string, secrets ...string) string {
	return replace(text, func(string) string { return Marker }, variants(secrets))
}

// variants returns each non-empty secret with its escaped forms, longest first (so that where
// several match at one position the longest is replaced), without duplicates.
func variants(secrets []string) []string {
	seen := make(map[string]bool)
	var vs []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		js, _ := json.Marshal(s) // a string always marshals
		q := strconv.Quote(s)
		for _, v := range []string{s, string(js[1 : len(js)-1]), q[1 : len(q)-1], url.QueryEscape(s), url.PathEscape(s)} {
			if !seen[v] {
				seen[v] = true
				vs = append(vs, v)
			}
		}
	}
	slices.SortStableFunc(vs, func(a, b string) int { return len(b) - len(a) })
	return vs
}

// replace is String's single pass with the secret variants vs, longest first, each replaced by
// marker(variant). It
// compares ASCII letters without case (non-ASCII bytes exactly) and runs in time linear in text
// for each variant, apart from overlapping occurrences: for each variant it keeps the next place
// it occurs, found with strings.Index, and searches again only once the scan has passed it.
func replace(text string, marker func(variant string) string, vs []string) string {
	if len(vs) == 0 || text == "" {
		return text
	}
	low := lowerASCII(text)
	next := make([]int, len(vs)) // next[j]: where vs[j] occurs from the scan position on, or -1
	lows := make([]string, len(vs))
	for j, v := range vs {
		lows[j] = lowerASCII(v)
		next[j] = strings.Index(low, lows[j])
	}
	var b strings.Builder
	last := 0 // text[last:] is not written yet
	for {
		best := -1 // the variant that occurs first; the longest of those (vs is longest first)
		for j := range vs {
			if next[j] < 0 {
				continue
			}
			if next[j] < last { // passed over by the last replacement: look again from there
				if k := strings.Index(low[last:], lows[j]); k >= 0 {
					next[j] = last + k
				} else {
					next[j] = -1
					continue
				}
			}
			if best < 0 || next[j] < next[best] {
				best = j
			}
		}
		if best < 0 {
			break
		}
		at := next[best]
		if b.Len() == 0 {
			b.Grow(len(text) + len(Marker))
		}
		b.WriteString(text[last:at])
		b.WriteString(marker(vs[best]))
		last = at + len(vs[best])
	}
	if last == 0 && b.Len() == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// lowerASCII returns s with ASCII letters in lower case and every other byte as it is, so that
// byte offsets in the result are offsets in s.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// Set is a growing set of secrets to redact, safe for concurrent use: a run that learns tokens
// as it goes adds them, and everything it reports passes through Redact.
type Set struct {
	mu    sync.RWMutex
	vs    []string          // variants, longest first
	in    []string          // the secrets added
	names map[string]string // the marker of each variant of a secret added with AddAs
}

// Add adds non-empty secrets to the set.
func (s *Set) Add(secrets ...string) { s.AddAs(Marker, secrets...) }

// AddAs adds non-empty secrets to the set, each to be replaced by marker instead of Marker:
// a name such as "$SCB_ACCESS_TOKEN" where a reproducer or a recording must say which secret
// stood there. A secret added again takes the latest marker.
func (s *Set) AddAs(marker string, secrets ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range secrets {
		if v == "" {
			continue
		}
		s.in = append(s.in, v)
		if s.names == nil {
			s.names = map[string]string{}
		}
		for _, form := range variants([]string{v}) {
			s.names[form] = marker
		}
	}
	s.vs = variants(s.in)
}

// Redact returns text with every secret of the set replaced, as String does.
func (s *Set) Redact(text string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return replace(text, s.marker, s.vs)
}

// marker returns the marker of a variant.
func (s *Set) marker(variant string) string {
	if m, ok := s.names[variant]; ok {
		return m
	}
	return Marker
}
