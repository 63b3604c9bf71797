// Package sandbox is a local emulator of the OAuth and payment APIs of SCB's Developer Platform,
// built on the strict server interface generated from openapi.yaml. It answers SCB's OAuth
// operations and payment calls as SCB documents them, statefully (a QR becomes a pending
// transaction that a simulated payment settles, and its confirmation is delivered to the
// application's callback URL), in process for Go tests (httptest.NewServer(srv), or package
// sandboxtest) or served with Server.Serve, as the "scboauth sandbox" command does, with an
// admin API that tests in any language can drive, and it produces SCB's faults on demand.
//
// New builds a Server from options (WithApplications, WithClock, WithTokenGenerator,
// WithLifetimes, WithFaults, WithLogger, WithMaxBodyBytes, WithStrict, WithAdmin,
// WithAdminToken, WithRequestLogSize, WithDeliveryPolicy); every option is checked
// against its bounds (MaxLifetime, MaxWait, MaxRateLimit, MaxBodyBytes). A Server is an
// http.Handler; Close stops its deliveries of payment confirmations.
//
// # What it accepts
//
// By default the emulator accepts what SCB accepts, which is more than SCB documents, so that
// the requests of real clients work against it as they do against SCB: a requestUId of any
// printable ASCII up to MaxRequestUIDBytes (short numbers, words, an unexpanded template
// placeholder), and optional body fields sent as JSON null, which count as absent. WithStrict
// holds clients to the documented forms instead: a hyphenated UUID or 32 alphanumerics, and
// no null.
//
// # Operations
//
//   - POST /v1/oauth/token: the client-credentials grant (applicationKey and
//     applicationSecret) answers an access token (a UUID, Bearer, expiresIn 1800, expiresAt the
//     issue time plus expiresIn) without refresh fields; with an authCode, the
//     authorization-code grant answers the refresh fields too (3600 s). The resourceOwnerId
//     header of the answer is the request's on the client-credentials grant, and the
//     consenting user's identifier (ResourceOwnerID) on the authorization-code grant.
//   - POST /v1/oauth/token/refresh: a new pair; the refresh token rotates and a spent or expired
//     one is refused (401 9300).
//   - GET /v2/oauth/authorize: answers a callbackUrl, scbeasysim://login/<id>.
//
// Authorization codes come from the consent a phone would give: Server.Consent in process, or
// POST /sandbox/v1/consent over HTTP, outside SCB's paths:
//
//	POST /sandbox/v1/consent
//	{"callbackUrl": "scbeasysim://login/...", "state": "...", "codeChallenge": "..."}
//	-> 200 {"status":{"code":1000,"description":"Success"},"data":{"authCode":"...","state":"..."}}
//
// A code lives Lifetimes.AuthCode (1 minute) and is single use. A web application's consent
// needs a codeChallenge, and its token request must present the same codeChallenge (else 401
// 9300 "This application requires codeChallenge verification") and, when the consent had one,
// the same state (else 401 9300 "Invalid authorization code"). A failed attempt does not spend
// the code.
//
// # The admin API
//
// With WithAdmin (the sandbox command's --admin), the emulator serves its control plane under
// /sandbox/v1/, described by sandbox/admin.yaml (AdminOpenAPI; GET /sandbox/v1/openapi.yaml)
// and built on the server interface generated from it (package generated/admin):
//
//	GET    /sandbox/v1/health             the emulator, its strict mode and clock
//	GET    /sandbox/v1/requests           the request log (Requests): filter by path, application, status, requestUId, kind
//	DELETE /sandbox/v1/state              forget tokens, codes, consents, fault rules, the log (ResetState)
//	GET    /sandbox/v1/applications       the applications, never their secrets (Applications)
//	POST   /sandbox/v1/applications       register one at runtime (RegisterApplication)
//	DELETE /sandbox/v1/applications/NAME  remove one (RemoveApplication)
//	GET, POST, DELETE /sandbox/v1/faults  fault rules: the next N requests to a path, a share of an application's (AddFaultRule)
//	GET, POST /sandbox/v1/clock           move the clock forward, so that tokens expire without a wait (AdvanceClock)
//	POST   /sandbox/v1/tokens/introspect  is a token still active (Introspect)
//	PUT    /sandbox/v1/applications/NAME/callback-url  where its payment confirmations go (SetCallbackURL)
//	POST   /sandbox/v1/payments           pay a QR or deeplink, with delivery faults (SimulatePaymentWith)
//	GET    /sandbox/v1/deliveries         the deliveries of payment confirmations (Deliveries); /ID?wait=30s one (WaitDelivery)
//	POST   /sandbox/v1/deliveries/ID/replay  deliver a confirmation again (ReplayDelivery)
//
// AdminHandler serves the same API alone, on an address of its own (--admin-addr; ServeAdmin).
// WithAdminToken requires "Authorization: Bearer <token>" on every admin call but the consent.
// Admin calls are never in the request log, which keeps the last WithRequestLogSize requests
// to SCB's paths and the consent endpoint, and the emulator's delivery attempts, redacted as the
// stderr log is; each entry has a kind (KindSCB, KindConsent, KindDelivery).
//
// # Payments
//
// The emulator serves SCB's payment calls too (openapi.yaml, tag Payments), statefully, with the
// Bearer tokens it issued (a missing one is 401 9100, an unknown or expired one 401 9300): POST
// /v1/payment/qrcode/create makes a QR pending (QRLifetime, or a QR CS's csExtExpiryTime), POST
// /v3/deeplink/transactions a deeplink transaction (201). Server.SimulatePayment pays one, as a
// customer would: slip verification and the bill-payment inquiry then find the bill payment, and
// GET /v2/transactions/{id} reads the deeplink as paid. Requests are validated against the spec
// itself, with SCB's codes (1101, 1102, 1103, 1105). Payment records are kept PaymentRetention,
// in stores bounded like the OAuth ones.
//
// # Payment confirmations
//
// When a payment is simulated and its application has a callback URL (Application.CallbackURL:
// the sandbox command's --app name:key:secret:kind:URL, the applications file's callbackUrl,
// SetCallbackURL), the emulator posts its payment confirmation there, as SCB posts it to the URL
// registered with the application (openapi.yaml, the callback paymentConfirmation; the
// request generated from it): a bill payment's payee, payer and references, or a card
// payment's merchant and card, a QR CS's time in GMT. It follows SCB's policy
// (DefaultDeliveryPolicy: the first post and 3 re-sends, 12 s apart, each waiting 10 s for the
// answer; WithDeliveryPolicy shortens them for tests): anything but the acknowledgement (an HTTP
// 2xx whose JSON object has resCode "00" and, if any, the same transactionId; "resDesc " with
// SCB's typo is accepted) is re-sent. Faults on demand (DeliveryFaults): a duplicate posted at
// once, a delivery held until the application's next one (out of order), a delay during which
// slip verification and the inquiry already show the payment. Every attempt is in the request
// log (KindDelivery), a delivery can be waited for (WaitDelivery) and replayed (ReplayDelivery).
//
// Deliveries cannot be turned against others: only http and https URLs, no redirect followed
// (a 3xx is a non-acknowledgement), no proxy, every attempt bounded by the policy's Timeout, at
// most 64 KiB of an answer read, DeliveryPolicy.MaxInFlight attempts in flight at once, and at
// most MaxDeliveries unfinished. The URL's password and query values (where a receiver may take
// its secret) are redacted wherever the emulator shows it.
//
// # Errors
//
// Every answer of the emulator is SCB's envelope, {"status":{"code":...,"description":...},
// "data":null} (see Serving for what net/http answers before it), with the status and business
// code of SCB's generic table: missing standard headers 400 9100 naming them all (missing apikey
// or apisecret: 401 9100); missing body field 400 1101; a value of the wrong type or not allowed,
// an invalid requestUId, invalid JSON or a body over the size limit 400 1102; empty string 400
// 1103; unknown body field 400 1105; wrong key or secret 401 9500; a grant the application's
// kind does not allow 403 9503; unknown path 404 1104; wrong method 405 9900; wrong content
// type 415 9900; a panic in code the emulator calls (WithTokenGenerator, WithClock) 500 9700.
// Checks run in that order: path, method, headers, content type, body (syntax, then fields in
// document order, then missing, then empty), credentials, rate limit, grant.
//
// accept-language EN and TH are accepted in any case; descriptions stay English, since SCB's
// Thai wording is not public.
//
// SCB's envelope says no more than SCB's would; what was wrong (the header or field, and why)
// is named in the emulator's own response header X-Sandbox-Detail (DetailHeader) and in the
// request log.
//
// # Faults
//
// Faults (WithFaults) add latency to every answer, answer a share of SCB-path requests 503 9900
// with Retry-After, and rate-limit each application (429 9900 with Retry-After; SCB's sandbox
// allows 5 requests per second). The rate limit counts a request against the application that
// authenticated it, never against a key the request merely names; requests whose credentials
// fail share one budget of the same rate [decision], so that a flood of them neither spends an
// application's budget nor goes unlimited. A request to one of SCB's paths can ask for a fault
// with the X-Sandbox-Fault header:
//
//	429       429 9900 "Too many requests", Retry-After: 1, as the rate limit answers
//	500       500 9700 "Generic server side error"
//	502       502 9900 "Invalid response from upstream server"
//	503       503 9900, Retry-After: 1
//	504       504 9900 "API Request Timeout"
//	timeout   held until the client gives up (or Faults.TimeoutHold, 30 s), then 504 9900
//	truncate  a 200 success body cut in half (Content-Length announces the whole body)
//	html      a 502 HTML gateway page (text/html)
//
// Any other value is answered 400 1102. Fault rules (AddFaultRule, POST /sandbox/v1/faults)
// give the same faults to matching requests without the header.
//
// # Serving
//
// Server.Serve serves the emulator on a listener within Limits (DefaultLimits): how long a
// client may take to send its headers (10 s) and its whole request (30 s; a body still arriving
// then is answered 504 9900), how long an idle keep-alive connection stays open (60 s), how
// long writing an answer may take, how large the headers may be (64 KiB), and how many
// connections are served at once (256; more wait in the listen backlog). When its context
// ends it shuts down: held requests and requests whose body is still arriving are answered 504
// 9900, and answers in flight get Limits.ShutdownTimeout (10 s). A Server served any other way
// (httptest, your own http.Server) gets none of these limits but the body limit.
//
// Some malformed requests never reach the emulator: Go's net/http answers them itself, in
// plain text, before any handler runs, and the emulator cannot give them SCB's envelope. They
// are a request line that does not parse or an HTTP version other than 1.x (400, 505), an
// invalid header name or value or a missing Host (400), headers over Limits.HeaderBytes (431),
// a Transfer-Encoding other than chunked (501), and an Expect other than 100-continue (417).
// "OPTIONS *" does reach it (404 1104). SCB's own gateway answers such requests with its own
// pages, which its documentation does not describe.
//
// # Bounds on what clients leave behind
//
// The emulator keeps pending consents, authorization codes and refresh tokens until they are
// used or expire. A consent's state is at most MaxStateBytes (a longer one is answered 400
// 1102), a code challenge is kept as its SHA-256, and each of the three stores holds at most
// 131,072 entries and 32 MiB: when one is full, expired entries are swept and, if it is still
// full, arbitrary live ones are forgotten. Expired entries are swept every 10 seconds (on the
// next store, and by Serve's clock when nothing is stored), and a store that held a flood
// gives its memory back. The request log escapes what a client sent (method, path, requestUId,
// fault) so that no control or format character, such as U+202E, reaches a terminal.
package sandbox
