package main

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/scboauth/scboauth/api"
)

var tokenHelp = help{
	synopsis: "[flags]",
	description: `Print an access token of an SCB application, for shell scripts and curl:

  export SCB_APPLICATION_KEY=l7... SCB_APPLICATION_SECRET=...
  curl -H "authorization: Bearer $(scboauth token --access-token-only)" ...

THE OUTPUT CONTAINS THE SECRET TOKEN: it is printed on purpose, for you; do not paste it
anywhere. By default it is a JSON object: accessToken, tokenType, expiresIn (seconds),
expiresAt (RFC 3339), and after an authorization-code exchange refreshToken and
refreshExpiresAt; resourceOwnerId when SCB sent one. --access-token-only prints the access
token alone. A token SCB answers with characters a header cannot carry (CR, LF, controls) is
refused as a malformed answer, never printed.

The client-credentials grant is used, unless an authorization code is given (--auth-code or
SCB_AUTH_CODE): it is then exchanged for a user's token (web applications add --state and
--code-challenge). --base-url defaults to SCB's sandbox; SCB's production needs a client
certificate (--client-cert and --client-key, mutual TLS).`,
	exit: [3]string{
		"a token was printed",
		"SCB answered with an error, or with an answer that is not a valid token",
		"bad flags or variables, missing credentials, or SCB could not be reached",
	},
}

// tokenFlags are the token command's settings.
type tokenFlags struct {
	caller
	state, challenge string
	accessOnly       bool
}

// tokenOutput is what the token command prints: the caller's own token, secrets included.
type tokenOutput struct {
	AccessToken      string `json:"accessToken"`
	TokenType        string `json:"tokenType"`
	ExpiresIn        int64  `json:"expiresIn"`
	ExpiresAt        string `json:"expiresAt"`
	RefreshToken     string `json:"refreshToken,omitempty"`
	RefreshExpiresAt string `json:"refreshExpiresAt,omitempty"`
	ResourceOwnerID  string `json:"resourceOwnerId,omitempty"`
}

// runToken prints a token for the application of the flags and environment.
func runToken(ctx context.Context, e *env, args []string) int {
	f, t := newFlags(e, "token", tokenHelp), &tokenFlags{}
	t.bind(f)
	if code, ok := f.Parse(args); !ok {
		return code
	}
	if err := t.check(f); err != nil {
		return f.fail(err)
	}
	client, err := t.client(f)
	if err != nil {
		return f.fail(err)
	}
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	var tok *api.Token
	if t.authCode != "" {
		tok, err = client.Exchange(ctx, t.authCode, api.WithState(t.state), api.WithCodeChallenge(t.challenge))
	} else {
		tok, err = client.Token(ctx)
	}
	if err != nil {
		return tokenFailed(f, err)
	}
	return printToken(f, tok, t.accessOnly)
}

// bind defines the token command's flags.
func (t *tokenFlags) bind(f *flags) {
	t.bindBaseURL(f)
	bindApplication(f, &t.credentials, "exchange this authorization code for a user's token instead of using the client-credentials grant")
	f.lookup("application-key").Alias("key")
	f.lookup("application-secret").Alias("secret")
	t.bindOwnerAndLanguage(f)
	f.String(&t.state, "state", "SCB_STATE", "", "state of the session, for a web application's exchange")
	f.Secret(&t.challenge, "code-challenge", "SCB_CODE_CHALLENGE", "code challenge of the session, for a web application's exchange")
	bindClientCertificate(f, &t.credentials)
	f.lookup("client-cert").Alias("cert")
	f.lookup("client-key").Alias("key-file")
	f.Duration(&t.timeout, "timeout", "SCB_TOKEN_TIMEOUT", 30*time.Second, time.Millisecond, 24*time.Hour, "give up after this long, retries included")
	f.Bool(&t.accessOnly, "access-token-only", "SCB_TOKEN_ACCESS_TOKEN_ONLY", "print only the access token, for $(...) in scripts")
}

// check returns an error for settings that do not go together.
func (t *tokenFlags) check(f *flags) error {
	if err := t.credentials.check(f); err != nil {
		return err
	}
	if t.authCode == "" && (t.state != "" || t.challenge != "") {
		return errors.New("--state and --code-challenge go with an authorization code: set " + f.Label("auth-code"))
	}
	return nil
}

// tokenFailed reports a failed token request and returns the exit status: 1 when SCB
// answered, 2 when it could not be reached.
func tokenFailed(f *flags, err error) int {
	f.errorf("%v", err)
	var ae *api.Error
	if !errors.As(err, &ae) || ae.HTTPStatus == 0 {
		return exitUsage // no answer: SCB could not be reached
	}
	if f.FromEnv("auth-code") {
		// The code may be a leftover of an earlier shell session.
		f.errorf("the authorization code came from SCB_AUTH_CODE; unset it for the client-credentials grant")
	}
	return exitFail // SCB answered
}

// printToken prints the token: the access token alone, or the JSON object.
func printToken(f *flags, tok *api.Token, accessOnly bool) int {
	var err error
	if accessOnly {
		_, err = f.e.stdout.Write([]byte(tok.AccessToken() + "\n"))
	} else {
		out := tokenOutput{
			AccessToken:     tok.AccessToken(),
			TokenType:       tok.TokenType,
			ExpiresIn:       int64(tok.Lifetime() / time.Second),
			ExpiresAt:       tok.Expiry.UTC().Format(time.RFC3339),
			RefreshToken:    tok.RefreshToken(),
			ResourceOwnerID: tok.ResourceOwnerID,
		}
		if !tok.RefreshExpiry.IsZero() {
			out.RefreshExpiresAt = tok.RefreshExpiry.UTC().Format(time.RFC3339)
		}
		enc := json.NewEncoder(f.e.stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(out)
	}
	if err != nil {
		f.errorf("write the token: %v", err)
		return exitFail
	}
	return exitOK
}
