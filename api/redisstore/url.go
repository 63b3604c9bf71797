package redisstore

import (
	"errors"
	"net/url"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/scboauth/scboauth/internal/redact"
)

// ParseURL reads a Redis URL (redis://user:password@host:6379/0, rediss:// for TLS, unix://)
// with go-redis's redis.ParseURL and returns client options ready for New:
// ContextTimeoutEnabled (which New requires, so that the store's timeouts bound every call)
// and DialerRetries 1 (a Redis that is down costs one dial per call, not five). A URL that does
// not parse gives an error that says why without showing the URL's password: go-redis's own
// errors quote the whole URL.
func ParseURL(rawURL string) (*redis.Options, error) {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, errors.New("redisstore: Redis URL: " + urlProblem(rawURL, err))
	}
	opts.ContextTimeoutEnabled = true
	opts.DialerRetries = 1
	return opts, nil
}

// urlProblem describes err, go-redis's error for rawURL, without rawURL's user information.
func urlProblem(rawURL string, err error) string {
	msg := err.Error()
	var ue *url.Error
	var ee url.EscapeError
	switch {
	case errors.As(err, &ee):
		msg = "an invalid %-escape" // it quotes the escape, which may be part of the password
	case errors.As(err, &ue):
		msg = "does not parse: " + ue.Err.Error() // without ue.URL
	}
	var secrets []string
	if _, rest, ok := strings.Cut(rawURL, "://"); ok {
		rest, _, _ = strings.Cut(rest, "/")
		if i := strings.LastIndex(rest, "@"); i >= 0 {
			_, password, _ := strings.Cut(rest[:i], ":")
			secrets = append(secrets, rest[:i], password)
		}
	}
	return strings.ToValidUTF8(strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, redact.String(msg, secrets...)), "")
}
