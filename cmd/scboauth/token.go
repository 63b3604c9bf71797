package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/scboauth/scboauth/api"
)

const tokenDescription = `Print an access token of an SCB application, for shell scripts and curl:

  export SCB_APPLICATION_KEY=l7... SCB_APPLICATION_SECRET=...
  curl -H "authorization: Bearer $(scboauth token --access-token-only)" ...

THE OUTPUT CONTAINS THE SECRET TOKEN: it is printed on purpose, for you; do not paste it
anywhere. By default it is a JSON object: accessToken, tokenType, expiresIn (seconds),
expiresAt (RFC 3339), and after an authorization-code exchange refreshToken and
refreshExpiresAt; resourceOwnerId when SCB sent one. --access-token-only prints the access
token alone.

The client-credentials grant is used, unless an authorization code is given (--auth-code or
SCB_AUTH_CODE): it is then exchanged for a user's token (web applications add --state and
--code-challenge). Prefer the environment variables for the secret, the code and the challenge:
flags show in process lists. --base-url defaults to SCB's sandbox; SCB's production needs a
client certificate (--cert and --key-file, mutual TLS).

Exit status: 0 a token was printed; 1 SCB answered with an error; 2 bad flags, missing
credentials, or SCB could not be reached.`

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
	fs := newFlagSet(e, "token", "[flags]", tokenDescription)
	baseURL := fs.String("base-url", envOr(e, "SCB_BASE_URL", api.SandboxURL), "base URL of SCB's API (UAT "+api.UATURL+", production "+api.ProductionURL+") or of an emulator (env SCB_BASE_URL)")
	key := fs.String("key", envOr(e, "SCB_APPLICATION_KEY", ""), "the application's API key (env SCB_APPLICATION_KEY)")
	// Secrets get no flag default: the help would print it.
	secret := fs.String("secret", "", "the application's API secret; prefer the environment variable (env SCB_APPLICATION_SECRET)")
	owner := fs.String("resource-owner-id", envOr(e, "SCB_RESOURCE_OWNER_ID", ""), "resourceOwnerId header; empty sends the API key (env SCB_RESOURCE_OWNER_ID)")
	authCode := fs.String("auth-code", "", "exchange this authorization code instead of using the client-credentials grant (env SCB_AUTH_CODE)")
	state := fs.String("state", envOr(e, "SCB_STATE", ""), "state of the session, for a web application's exchange (env SCB_STATE)")
	challenge := fs.String("code-challenge", "", "code challenge of the session, for a web application's exchange (env SCB_CODE_CHALLENGE)")
	certFile := fs.String("cert", envOr(e, "SCB_CLIENT_CERT", ""), "PEM file of the client certificate, for mutual TLS (env SCB_CLIENT_CERT)")
	keyFile := fs.String("key-file", envOr(e, "SCB_CLIENT_KEY", ""), "PEM file of the client certificate's key (env SCB_CLIENT_KEY)")
	language := fs.String("language", envOr(e, "SCB_LANGUAGE", ""), "accept-language of SCB's descriptions: EN or TH (env SCB_LANGUAGE)")
	accessOnly := fs.Bool("access-token-only", false, "print only the access token, for $(...) in scripts")
	defTimeout := 30 * time.Second
	if v := e.getenv("SCB_TOKEN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			fmt.Fprintf(e.stderr, "scboauth token: SCB_TOKEN_TIMEOUT=%q is not a duration such as 30s\n", v)
			return exitUsage
		}
		defTimeout = d
	}
	timeout := fs.Duration("timeout", defTimeout, "give up after this long, retries included (env SCB_TOKEN_TIMEOUT)")
	if code, ok := parseFlags(e, fs, args); !ok {
		return code
	}
	fromEnv := func(p *string, name string) {
		if *p == "" {
			*p = e.getenv(name)
		}
	}
	fromEnv(secret, "SCB_APPLICATION_SECRET")
	fromEnv(authCode, "SCB_AUTH_CODE")
	fromEnv(challenge, "SCB_CODE_CHALLENGE")

	var missing []string
	if *key == "" {
		missing = append(missing, "an application key (SCB_APPLICATION_KEY or --key)")
	}
	if *secret == "" {
		missing = append(missing, "an application secret (SCB_APPLICATION_SECRET or --secret)")
	}
	if len(missing) > 0 {
		for _, m := range missing {
			fmt.Fprintf(e.stderr, "scboauth token: missing %s\n", m)
		}
		fmt.Fprintln(e.stderr, "Run \"scboauth token --help\" for the flags.")
		return exitUsage
	}
	if *timeout <= 0 {
		fmt.Fprintln(e.stderr, "scboauth token: --timeout must be positive")
		return exitUsage
	}
	if *authCode == "" && (*state != "" || *challenge != "") {
		fmt.Fprintln(e.stderr, "scboauth token: --state and --code-challenge go with an authorization code (--auth-code or SCB_AUTH_CODE)")
		return exitUsage
	}

	client, err := api.NewClient(api.Config{
		BaseURL:           *baseURL,
		ApplicationKey:    *key,
		ApplicationSecret: *secret,
		ResourceOwnerID:   *owner,
		Language:          api.Language(*language),
		Timeout:           min(*timeout, api.DefaultTimeout),
		CertFile:          *certFile,
		KeyFile:           *keyFile,
	})
	if err != nil {
		fmt.Fprintf(e.stderr, "scboauth token: %v\n", err)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	var tok *api.Token
	if *authCode != "" {
		tok, err = client.Exchange(ctx, *authCode, api.WithState(*state), api.WithCodeChallenge(*challenge))
	} else {
		tok, err = client.Token(ctx)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "scboauth token: %v\n", err)
		var ae *api.Error
		if errors.As(err, &ae) && ae.HTTPStatus != 0 {
			return exitFail // SCB answered
		}
		return exitUsage // no answer: SCB could not be reached
	}

	if *accessOnly {
		fmt.Fprintln(e.stdout, tok.AccessToken())
		return exitOK
	}
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
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(e.stderr, "scboauth token: %v\n", err)
		return exitFail
	}
	return exitOK
}
