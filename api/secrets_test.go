package api

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/scboauth/scboauth/internal/redact"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Canaries: if any of these shows up in an error, a log line, fmt output or JSON, a secret
// leaked.
const (
	canarySecret    = "CANARY-SECRET-4b1d9e"
	canaryAccess    = "CANARY-ACCESS-8c2f71"
	canaryRefresh   = "CANARY-REFRESH-d03a5c"
	canaryCode      = "CANARY-CODE-61e7b0"
	canaryChallenge = "CANARY-CHALLENGE-a9f442"
)

var canaries = []string{canarySecret, canaryAccess, canaryRefresh, canaryCode, canaryChallenge}

// echoSCB is a hostile SCB: it hands out canary tokens, and puts whatever secret it was sent
// into its error descriptions, headers, HTML pages and odd fields.
func echoSCB(w http.ResponseWriter, r *http.Request) {
	var body map[string]string
	_ = json.NewDecoder(r.Body).Decode(&body)
	echo := strings.Join([]string{body["applicationSecret"], body["authCode"], body["codeChallenge"], body["refreshToken"], r.Header.Get("apisecret")}, " ")
	w.Header().Set("resourceOwnerId", "owner "+echo)
	switch r.Header.Get("X-Case") {
	case "success":
		w.Header().Set("resourceOwnerId", "owner-1") // one quoting a secret is refused (case "owner")
		writeJSON(w, 200, tokenAnswer(canaryAccess, 30*time.Minute, canaryRefresh))
	case "owner":
		writeJSON(w, 200, tokenAnswer(canaryAccess, 30*time.Minute, canaryRefresh))
	case "description":
		writeSCBError(w, 401, 9500, "Invalid authorization credentials: "+echo)
	case "html":
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(502)
		fmt.Fprintf(w, "<html>%s</html>", echo)
	case "non-1000":
		writeJSON(w, 200, map[string]any{"status": map[string]any{"code": 9700, "description": "bad " + echo}})
	case "token type":
		writeJSON(w, 200, map[string]any{"status": map[string]any{"code": 1000}, "data": map[string]any{
			"accessToken": canaryAccess, "tokenType": "Weird " + canaryAccess + " " + echo, "expiresIn": 60}})
	case "wrong shape":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":{"code":1000},"data":{"accessToken":%q,"expiresIn":"%s"}}`, canaryAccess, echo)
	case "truncated":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":{"code":1000},"data":{"accessToken":%q,"x":"%s`, canaryAccess, echo)
	case "redirect":
		w.Header().Set("Location", "https://"+strings.ToLower(canarySecret)+".example/")
		w.WriteHeader(307)
	case "oversized":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":{"code":1000,"description":%q}}`, strings.Repeat(echo, 10000))
	}
}

// TestSecretsNeverShow is the canary test: after every kind of call and failure, no secret
// appears in any error, log line (slog text and JSON, client logs at debug level), fmt verb,
// or JSON, for the values on their own and nested in exported and unexported fields.
func TestSecretsNeverShow(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := Config{
		ApplicationSecret: canarySecret,
		HTTPClient:        sandboxtest.Client(http.HandlerFunc(echoSCB)),
		Logger:            logger,
	}
	c := newTestClientConfig(t, cfg)
	ctx := context.Background()
	withCase := func(name string) context.Context { return context.WithValue(ctx, caseKey{}, name) }
	c.hc.Transport = caseTransport{c.hc.Transport}

	var values []any
	var errs []error
	for _, name := range []string{"description", "html", "non-1000", "token type", "wrong shape", "truncated", "redirect", "oversized", "owner"} {
		_, err := c.Token(withCase(name))
		errs = append(errs, err)
		_, err = c.Exchange(withCase(name), canaryCode, WithCodeChallenge(canaryChallenge), WithState("state"))
		errs = append(errs, err)
		_, err = c.Refresh(withCase(name), canaryRefresh)
		errs = append(errs, err)
		_, err = c.AuthorizeURL(withCase(name))
		errs = append(errs, err)
	}
	for _, err := range errs {
		if err == nil {
			t.Fatal("a hostile answer was accepted")
		}
		values = append(values, err)
	}
	tok, err := c.Exchange(withCase("success"), canaryCode, WithCodeChallenge(canaryChallenge))
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken() != canaryAccess || tok.RefreshToken() != canaryRefresh {
		t.Fatal("the accessors must give the raw values")
	}
	ts := c.UserTokenSource(tok)
	values = append(values, tok, *tok, c, ts, cfg, Error{Op: "x", Description: "y"})

	values = append(values, nestings(tok, c, ts, cfg, errs[:4], ts.OAuth2TokenSource(ctx))...)

	var out strings.Builder
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%X"} {
			fmt.Fprintf(&out, verb+"\n", v)
		}
		if b, err := json.Marshal(v); err == nil {
			out.Write(b)
		}
		logger.Info("value", "v", v)
		slog.New(slog.NewTextHandler(&out, nil)).Info("value", "v", v)
	}
	for _, e := range errs {
		out.WriteString(e.Error())
	}
	all := out.String() + logs.String()
	for _, canary := range canaries {
		for _, form := range []string{canary, strings.ToLower(canary), hex.EncodeToString([]byte(canary)), strings.ToUpper(hex.EncodeToString([]byte(canary)))} {
			if i := strings.Index(all, form); i >= 0 {
				t.Errorf("secret %s leaked: ...%s...", canary, all[max(0, i-200):min(len(all), i+100)])
			}
		}
	}
	if !strings.Contains(logs.String(), `"msg":"api: attempt"`) || !strings.Contains(all, redact.Marker) {
		t.Errorf("the test saw no client logs or no redaction: it checks nothing")
	}
	if len(all) < 10000 {
		t.Errorf("only %d bytes of output checked", len(all))
	}
}

// caseKey carries the echoSCB case in a request's context; caseTransport copies it into the
// X-Case header.
type caseKey struct{}

type caseTransport struct{ base http.RoundTripper }

func (c caseTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if name, ok := r.Context().Value(caseKey{}).(string); ok {
		r = r.Clone(r.Context())
		r.Header.Set("X-Case", name)
	}
	return c.base.RoundTrip(r)
}

// TestSecretsInFormats pins the redacted forms.
func TestSecretsInFormats(t *testing.T) {
	tok := &Token{TokenType: "Bearer", Expiry: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), access: redact.New(canaryAccess), refresh: redact.New(canaryRefresh), lifetime: time.Minute}
	want := "api.Token{TokenType: Bearer, AccessToken: [redacted], Expiry: 2026-01-02T03:04:05Z, RefreshToken: [redacted], RefreshExpiry: none}"
	for _, verb := range []string{"%v", "%+v", "%s"} {
		if got := fmt.Sprintf(verb, tok); got != want {
			t.Errorf("%s: got %q, want %q", verb, got, want)
		}
	}
	if got := fmt.Sprintf("%q", tok); got != fmt.Sprintf("%q", want) {
		t.Errorf("%%q: got %s", got)
	}
	// Go syntax and JSON show the fields, the secrets behind pointers only as addresses.
	if got := fmt.Sprintf("%#v", tok); !strings.Contains(got, `TokenType:"Bearer"`) || !strings.Contains(got, "access:redact.Secret{p:(*string)(0x") || strings.Contains(got, "CANARY") {
		t.Errorf("%%#v: got %s", got)
	}
	b, _ := json.Marshal(tok)
	if got := string(b); got != `{"TokenType":"Bearer","Expiry":"2026-01-02T03:04:05Z","RefreshExpiry":"0001-01-01T00:00:00Z","ResourceOwnerID":"","ClockSkew":0}` {
		t.Errorf("got JSON %s", got)
	}
	cfg := Config{ApplicationKey: "k", ApplicationSecret: canarySecret}
	want = "api.Config{BaseURL: , ApplicationKey: k, ApplicationSecret: [redacted]}"
	for _, verb := range []string{"%v", "%+v", "%s", "%d"} {
		if got := fmt.Sprintf(verb, cfg); got != want {
			t.Errorf("%s: got %q, want %q", verb, got, want)
		}
	}
	if got := fmt.Sprintf("%#v", cfg); got != strconv.Quote(want) {
		t.Errorf("%%#v: got %s, want %q quoted", got, want)
	}
	if b, _ := json.Marshal(cfg); string(b) != `{"applicationKey":"k","applicationSecret":"[redacted]"}` {
		t.Errorf("got JSON %s", b)
	}
	cfg.Store = newMemStore() // a store is shown by its type only: another module's may print more
	if got, want := fmt.Sprintf("%v", cfg), "api.Config{BaseURL: , ApplicationKey: k, ApplicationSecret: [redacted], Store: *api.memStore}"; got != want {
		t.Errorf("with a store: got %q, want %q", got, want)
	}
	for _, base := range []string{"https://user:pa55word@example.com", "https://user:pa55word@exa mple.com/%zz"} {
		cfg.BaseURL = base
		if got := fmt.Sprintf("%v", cfg); strings.Contains(got, "pa55word") {
			t.Errorf("got %s, want the URL's password hidden", got)
		}
	}
	if got := fmt.Sprintf("%v", (*Token)(nil)); got != "<nil>" {
		t.Errorf("got %q for a nil token, want <nil>", got)
	}
}

// nestings returns the values nested in exported and unexported fields, slices, maps and
// interfaces, as a program might hold them.
func nestings(tok *Token, c *Client, ts *TokenSource, cfg Config, errs []error, adapter any) []any {
	type exported struct {
		Token   Token
		PToken  *Token
		Client  *Client
		Source  *TokenSource
		Config  Config
		Err     error
		Tokens  []Token
		ByName  map[string]*Token
		Adapter any
	}
	type unexported struct {
		token  Token
		ptoken *Token
		client *Client
		source *TokenSource
		err    error
		tokens []Token
		byName map[string]Token
		entry  *entry
		adapt  any
	}
	var values []any
	for _, err := range errs {
		values = append(values,
			exported{*tok, tok, c, ts, cfg, err, []Token{*tok}, map[string]*Token{"a": tok}, adapter},
			unexported{*tok, tok, c, ts, err, []Token{*tok}, map[string]Token{"a": *tok}, ts.cur.Load(), adapter},
			&unexported{token: *tok, err: err},
			[]any{tok, err, c},
		)
	}

	return values
}
