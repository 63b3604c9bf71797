package api

import "strings"

// redacted replaces a secret wherever one would be shown.
const redacted = "[redacted]"

// secret holds a credential (application secret, access or refresh token, authorization code,
// code challenge) behind a pointer. fmt cannot call methods on unexported fields and prints
// them by reflection instead; a pointer below the top level prints as an address, so a value
// holding a secret prints no secret however deep it is nested. encoding/json skips unexported
// fields. The zero secret is empty.
type secret struct{ p *string }

func newSecret(s string) secret {
	if s == "" {
		return secret{}
	}
	return secret{p: &s}
}

// reveal returns the raw value.
func (s secret) reveal() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

func (s secret) isSet() bool { return s.p != nil }

// scrub returns s with every occurrence of the non-empty values of secrets, in any case,
// replaced by [redacted]. It guards the strings that come from a server (descriptions,
// locations, headers) and go into errors and logs: a broken or hostile server may echo what it
// was sent.
func scrub(s string, secrets ...string) string {
	for _, v := range secrets {
		if v == "" {
			continue
		}
		for i := indexFold(s, v); i >= 0; i = indexFold(s, v) {
			s = s[:i] + redacted + s[i+len(v):]
		}
	}
	return s
}

// indexFold is strings.Index ignoring case.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}
