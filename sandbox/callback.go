package sandbox

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// MaxCallbackURLBytes bounds an application's CallbackURL.
const MaxCallbackURLBytes = 2048

// callbackURLProblem says what is wrong with a callback URL, without quoting it, or "" when
// nothing is: it is empty (none), or an absolute http or https URL of at most
// MaxCallbackURLBytes of visible ASCII, with a host. SCB requires https with a CA-signed
// certificate [seen]; the emulator also takes http, for a receiver on the developer's machine.
func callbackURLProblem(s string) string {
	if s == "" {
		return ""
	}
	if len(s) > MaxCallbackURLBytes || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return fmt.Sprintf("a callback URL that is not at most %d bytes of visible ASCII", MaxCallbackURLBytes)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return "a callback URL that is not an absolute http or https URL"
	}
	return ""
}

// shownURL returns a callback URL as the emulator shows it (the admin API, the request log,
// the banner): its password and the values of its query redacted, since a receiver may take
// its shared secret there (api.WithSecretParam).
func shownURL(s string) string {
	u, err := url.Parse(s)
	if s == "" || err != nil {
		return ""
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), redacted)
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			q[k] = []string{redacted}
		}
		u.RawQuery = q.Encode() // keys sorted and escaped; redacted needs no escaping
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// ErrNoCallbackURL: the application has no callback URL to deliver to.
var ErrNoCallbackURL = errors.New("sandbox: the application has no callback URL")

// SetCallbackURL sets the URL the emulator posts the payment confirmations of the application
// named name to ("" for none), as registering the URL with SCB does. Deliveries already
// scheduled keep their URL; replays take the new one. Its errors: ErrUnknownApplication, an
// *ApplicationError for an invalid URL.
func (s *Server) SetCallbackURL(name, callbackURL string) error {
	if p := callbackURLProblem(callbackURL); p != "" {
		return &ApplicationError{Field: "callbackUrl", Problem: p}
	}
	a := s.appNamed(name)
	if a == nil {
		return ErrUnknownApplication
	}
	a.callback.Store(&callbackURL)
	return nil
}
