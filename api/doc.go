// Package api is a client of the OAuth API of the Siam Commercial Bank (SCB) Developer Platform
// (https://developer.scb, API Reference > OAuth): access tokens for the client-credentials and
// authorization-code grants, refresh, the authorize call, and a token source that caches tokens
// and renews them ahead of expiry.
//
// # Quick start
//
//	client, err := api.NewClient(api.Config{
//		BaseURL:           api.SandboxURL, // or api.UATURL, api.ProductionURL (needs CertFile/KeyFile)
//		ApplicationKey:    os.Getenv("SCB_APPLICATION_KEY"),
//		ApplicationSecret: os.Getenv("SCB_APPLICATION_SECRET"),
//	})
//	if err != nil {
//		return err
//	}
//	// Calls to SCB's other APIs, with authorization, resourceOwnerId, requestUId and
//	// accept-language set, and one retry with a new token after a 401:
//	hc := client.HTTPClient()
//	resp, err := hc.Post("https://api-sandbox.partners.scb/partners/sandbox/v1/...", "application/json", body)
//
// Or take tokens yourself from the shared, caching token source:
//
//	tok, err := client.TokenSource().Token(ctx)
//	if err != nil {
//		return err
//	}
//	tok.SetAuthHeader(req) // authorization: Bearer <access token>
//
// For a user's token, start the consent flow with Client.AuthorizeURL, trade the code your
// redirect URL receives with Client.Exchange, and keep it fresh with Client.UserTokenSource.
//
// # What the token source guarantees
//
// A cache hit is lock-free and allocation-free. Tokens are renewed in the background once
// within min(5 minutes, lifetime/3) of expiry, so callers never wait for a renewal while the
// token is valid; a token within 30 seconds of expiry is never handed out. Renewals are
// single-flight (1,000 waiting goroutines make one request), have their own deadline, and back
// off with jitter after a failure, so an outage of SCB costs a handful of requests, not one per
// caller. Expiry is computed from the local send time (monotonic clock) plus expiresIn; SCB's
// expiresAt only measures clock skew (Token.ClockSkew).
//
// # Errors
//
// Every failed call returns an *Error with the HTTP status, SCB's business code and description
// and the requestUId; errors.Is matches the documented cases (ErrBadCredentials,
// ErrInvalidAuthorizationCode, ErrCodeChallengeRequired, ErrInvalidAuthorizationMethod,
// ErrMissingHeader, ErrReauthorizationRequired) and malformed answers (ErrMalformedResponse,
// ErrResponseTooLarge, ErrRedirect). Requests are retried at most 3 times on connection errors
// and 408, 429, 500, 502, 503, 504, honouring Retry-After; never on credential errors.
//
// # Secrets
//
// The application secret, tokens, authorization codes and code challenges never appear in an
// error, a log line, fmt output of any verb or JSON: Token, Client, TokenSource and Config
// redact them, and the Client keeps them where reflection cannot print them. Token.AccessToken
// and Token.RefreshToken return the raw values on purpose. The client never follows a
// redirect, so a request body carrying the secret never goes anywhere but the configured host.
package api
