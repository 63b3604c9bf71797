package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// FuzzDecodeToken feeds the token call any answer (status, content type, resourceOwnerId
// header, body): it never panics, and returns either a valid, clean token or an *Error that
// shows no secret and no invisible character. The seeds run with every go test; make fuzz runs
// it longer.
func FuzzDecodeToken(f *testing.F) {
	f.Add(200, "application/json", "owner-1", []byte(`{"status":{"code":1000,"description":"Success"},"data":{"accessToken":"7aa3e8fc-3ff4-4a8b-9a16-9d2aab3a1a5b","tokenType":"Bearer","expiresIn":1800,"expiresAt":1550133185,"refreshToken":"r-1","refreshExpiresIn":3600}}`))
	f.Add(200, "application/json", "", []byte(`{"status":{"code":1000},"data":{"accessToken":"t","expiresIn":9223372036854775807}}`))
	f.Add(200, "application/json", "", []byte(`{"status":{"code":1000},"data":{"accessToken":"t\r\nX: 1","expiresIn":1}}`))
	f.Add(200, "application/json", "", []byte(`{"status":{"code":9700,"description":"quoting fuzz-secret-Q7 and t-1"},"data":{"accessToken":"t-1"}}`))
	f.Add(401, "application/json", "", []byte(`{"status":{"code":9500,"description":"FUZZ-SECRET-q7 \u202e"}}`))
	f.Add(429, "text/html", "", []byte("<html>slow down</html>"))
	f.Add(302, "", "", []byte(nil))
	f.Add(200, "application/json", "x\x00y", []byte(`{"status":{"code":1000},"data":{"accessToken":"e","tokenType":"e","expiresIn":2,"refreshToken":"","refreshExpiresIn":-1}}`))
	const appSecret = "fuzz-secret-Q7"
	f.Fuzz(func(t *testing.T, status int, contentType, owner string, body []byte) {
		if status < 100 || status > 999 {
			status = 200 + (status%800+800)%800
		}
		c := newTestClientConfig(t, Config{ApplicationSecret: appSecret, Retry: RetryPolicy{MaxAttempts: 1},
			HTTPClient: &http.Client{Transport: rtFunc(func(r *http.Request) (*http.Response, error) {
				h := http.Header{"Content-Type": {contentType}, "Resourceownerid": {owner}, "Location": {"https://" + owner + "/"}}
				return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(string(body))), Request: r}, nil
			})}})
		tok, err := c.Token(context.Background())
		if err == nil {
			if !tok.Valid() || tokenProblem(tok.AccessToken()) != "" || tokenProblem(tok.RefreshToken()) != "" ||
				strings.ContainsFunc(tok.ResourceOwnerID, invisible) {
				t.Fatalf("got a token that is stale or not clean: %v", tok)
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("got %T %v, want an *Error", err, err)
		}
		msg := err.Error()
		if strings.ContainsFunc(msg, invisible) {
			t.Fatalf("got %q, which has an invisible character", msg)
		}
		secrets := []string{appSecret}
		for _, s := range answerTokens(body) {
			if len(s) >= 4 && tokenProblem(s) == "" { // shorter ones occur in any text
				secrets = append(secrets, s)
			}
		}
		for _, s := range secrets {
			if leaks(e.Description, s) || (e.Err != nil && leaks(e.Err.Error(), s)) {
				t.Fatalf("got %q, which shows the secret %q", msg, s)
			}
		}
	})
}
