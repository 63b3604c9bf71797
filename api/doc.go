// Package api is a client of the OAuth and payment APIs of the Siam Commercial Bank (SCB)
// Developer Platform (https://developer.scb, API Reference > OAuth): access tokens for the client-credentials and
// authorization-code grants, refresh, the authorize call, a token source that caches tokens and
// renews them ahead of expiry, and an HTTP client for SCB's other APIs that carries them; the
// payment calls, and a receiver of SCB's payment confirmations.
//
// # Quick start
//
// A Config describes the application; NewClient checks it and returns a Client to share:
//
//	client, err := api.NewClient(api.Config{
//		BaseURL:           api.SandboxURL, // or api.UATURL, api.ProductionURL (needs CertFile/KeyFile)
//		ApplicationKey:    os.Getenv("SCB_APPLICATION_KEY"),
//		ApplicationSecret: os.Getenv("SCB_APPLICATION_SECRET"),
//	})
//	if err != nil {
//		return err // a *api.ConfigError names the Config field
//	}
//	// Calls to SCB's other APIs, with authorization, resourceOwnerId, requestUId and
//	// accept-language set, and one retry with a newer token after a 401:
//	hc := client.TokenSource().APIClient()
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
// # Configuration
//
// Everything that holds for all the calls of a Client is a field of Config: the base URL and
// credentials, the HTTP client it sends with (Config.HTTPClient), timeouts, the retry policy
// (Config.Retry), limits, the client certificate SCB's production requires, a logger. What
// varies from call to call is a CallOption (WithState, WithCodeChallenge, WithResponseChannel...)
// of the call it belongs to, as in golang.org/x/oauth2.
//
// # Calls
//
// Client.Token uses the client-credentials grant. For a user's token, start the consent flow
// with Client.AuthorizeURL, trade the code your redirect URL receives with Client.Exchange, and
// keep it fresh with Client.UserTokenSource (or redeem its refresh token with Client.Refresh).
//
// # What the token source guarantees
//
// A cache hit is lock-free and allocation-free. Tokens are renewed in the background once
// within min(5 minutes, a third of their life) of expiry, so callers never wait for a renewal
// while the token is valid; a token within 30 seconds of expiry is never handed out. Renewals
// are single-flight (10,000 waiting goroutines make one request, without a lock or a channel
// each), have their own deadline, start at least half a second apart, and back off with jitter
// after a failure, so an outage of SCB, or any answer it may give, costs a handful of requests,
// not one per caller. 401s from other APIs renew the token at most once per backoff step.
// Expiry is computed from the local send time (monotonic clock) plus expiresIn; SCB's
// expiresAt only measures clock skew (Token.ClockSkew).
//
// # Running a fleet
//
// Replicas of a service each keep their own token unless they share a Store (Config.Store;
// api/redisstore keeps it in Redis): then a cold start or a renewal of N processes makes one
// request to SCB instead of N (SCB's sandbox allows 5 a second), and a user's refresh token,
// which works once, is redeemed once for the fleet; if SCB refuses it, it is asked once for the
// fleet too, and every process fails with ErrReauthorizationRequired until a new consent's pair
// reaches the store. Share a user's pair with
// Client.UserTokenSource(tok, WithUserID(id)) in the process that made the exchange and
// UserTokenSource(nil, WithUserID(id)) in the others. A cache hit never touches the store. When
// the store is down, every process keeps serving its cached token and fetches for itself when
// it must (one request for all its goroutines, one warning per outage), and shares again once
// the store answers. TokenSource.Stats counts shared hits, upstream requests, lock waits,
// fallbacks and store failures, for metrics, and cache hits with Config.CountHits.
//
// # Payments
//
// The payment calls are methods of Client, on the token of its TokenSource: CreateQR (a Thai QR
// 30, a card QR or both), VerifySlip (a slip a customer shows), InquireBillPayment (the payments
// of a QR on a day), CreateDeeplink (a payment the customer makes in the SCB app) and
// Transaction (its state). Amounts are Amount, satang in an int64, never a float; times are
// time.Time in Bangkok, each field saying how SCB wrote it. Requests are checked before they
// are sent (an *InvalidRequestError names the field); a 401 renews the token and tries once
// more; a call that creates something is retried only when SCB cannot have processed it.
//
//	qr, err := client.CreateQR(ctx, api.QRRequest{Amount: api.Baht(100), BillerID: billerID, Ref1: "INV001", Ref3: "SCB"})
//	// ... the customer pays; the slip they show:
//	slip, err := client.VerifySlip(ctx, transRef, api.BankSCB)
//
// # Payment confirmations
//
// Once a customer has paid, SCB posts a payment confirmation to the URL registered with the
// application, and re-sends it up to 3 times, 12 seconds apart, until it gets the
// acknowledgement; then it e-mails the merchant. PaymentConfirmations returns the
// http.Handler to mount there. It hands each payment to your function as a typed
// PaymentConfirmation (Amount in satang, PaidAt in Bangkok, whether SCB wrote it on Bangkok's
// clock or, for a QR CS, in GMT), and answers SCB's acknowledgement only once your function
// has returned nil:
//
//	receiver, err := api.PaymentConfirmations(func(ctx context.Context, c *api.PaymentConfirmation) error {
//		slip, err := client.VerifySlip(ctx, c.TransactionID, c.Payer.BankCode) // SCB signs nothing: check
//		if err != nil || slip.Amount != c.Amount {
//			return fmt.Errorf("payment %s not confirmed: %w", c.TransactionID, err) // SCB sends it again
//		}
//		return shop.MarkPaid(ctx, c.TransactionID, c.Ref1, c.Amount) // idempotent by TransactionID
//	}, api.WithSecretParam("token", os.Getenv("SCB_CONFIRMATION_SECRET")))
//	http.Handle("POST /scb/payment-confirmation", receiver)
//
// Delivery is at least once: SCB re-sends after an error, a slow answer or a lost one, and may
// reach two replicas at once. The receiver calls your function once per transactionId: it
// claims the id with a Deduplicator (in memory by default; api/redisstore's for a fleet),
// answers 503 to a re-send while the first is processed, and acknowledges re-sends of a
// processed payment without calling your function. Only a crash (or a lost write to the
// deduplicator) between your function's success and the record of it can make it run twice,
// once the claim's lease has ended: book the payment idempotently too (a unique key on
// TransactionID in the transaction that books it). An error or a panic of your function, or
// running past the timeout, answers 500 or 503, and SCB sends the confirmation again.
//
// SCB documents no signature, token or source addresses for confirmations: anyone who knows the
// URL can post one. Check every payment with VerifySlip or InquireBillPayment before handing
// anything over, and keep strangers out with a secret in the URL you register
// (WithSecretParam), a header your gateway adds (WithSecretHeader), or the addresses you expect
// (WithAllowedSources, with WithTrustedProxies behind a proxy), all compared in constant time.
// Bodies are bounded (WithBodyLimit) and so is the handling time (WithHandlerTimeout).
//
// # Calling SCB's other APIs
//
// TokenSource.APIClient (or a Transport in a client of your own) adds the token and SCB's
// headers. The token goes only to the host of the request you make and, on a redirect, to
// that host or the base URL's; over plain http only to a loopback address, never through a
// proxy.
//
// # Errors
//
// Every failed call returns an *Error with the HTTP status, SCB's business code and description
// and the requestUId; errors.Is matches the documented cases (ErrBadCredentials,
// ErrInvalidAuthorizationCode, ErrCodeChallengeRequired, ErrInvalidAuthorizationMethod,
// ErrMissingHeader, ErrReauthorizationRequired, ErrRateLimited) and malformed answers
// (ErrMalformedResponse, ErrResponseTooLarge, ErrRedirect). Requests are retried at most 3
// times on connection errors and 408, 429, 500, 502, 503, 504, honouring Retry-After; never on
// credential errors. A Config that NewClient refuses gives a *ConfigError naming the field.
//
// Every value of an answer is checked before it is used: lifetimes are bounded, tokens must be
// visible ASCII that can travel in a header, the callbackUrl must be a deep link a phone can
// open safely; anything else is ErrMalformedResponse.
//
// # Secrets
//
// The application secret, tokens, authorization codes and code challenges never appear in an
// error, a log line, fmt output of any verb or JSON: the Client and Token hold them where
// reflection cannot print them, Config redacts its own, and text from a server is cleared of
// every secret the client knows (the tokens it received lately included) and of invisible
// characters before it is shown. Token.AccessToken and Token.RefreshToken return the raw values
// on purpose. The client never follows a redirect, so a request body carrying the secret never
// goes anywhere but the configured host.
package api
