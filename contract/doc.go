// Package contract checks that a server answers SCB's OAuth and payment APIs the way
// openapi.yaml says: the scboauth emulator (package sandbox), or SCB's live sandbox at
// https://api-sandbox.partners.scb/partners/sandbox.
//
// # A run
//
// Run sends a catalogue of cases (Catalogue), in order, then the generated ones (below): the grants that must succeed, and the
// requests that must fail, each with the answer SCB's documentation or openapi.yaml's decisions
// call for. A case is data: a well-formed request of one operation and the edits that make the
// case (a header dropped, a field of the wrong type); the few that take several steps
// (authorize, consent, then the code) run a named flow. Config says what is checked (BaseURL,
// a live Application or an Emulator) and how: requests to a target that is not on a loopback
// address are paced under the sandbox's limit of 5 requests per second (Limiter), each request
// has a Timeout, and the whole run a Deadline; the cases the deadline leaves no time for are
// reported as not run, and such a report does not conform.
//
// # Generated cases
//
// With Config.Generated, the run adds the cases Spec.Generate makes from openapi.yaml's
// schemas, for every operation: its well-formed request; each optional parameter or field
// absent and present; each value at its bounds (minLength, maxLength, minimum, maximum,
// minItems, maxItems), each enum value and each oneOf alternative; and the request broken in
// one way (a required header or field missing, a JSON type wrong, a string too short or too
// long, outside its enum or its pattern, null where null is not allowed, a field an object does
// not declare, another content type, no Bearer token). Each generated request is checked
// against the spec as it is made: one the spec accepts must be answered without a server error
// (and, by the emulator, not 400 but 1101, a rule OpenAPI 3.0 cannot state); one it refuses
// must be answered 4xx (or 501), and a 2xx is a finding (RuleAccepted: a violation of the
// emulator, a warning of a live target). Fields that hold the run's state (keys, secrets,
// tokens, ids, the application's biller) are varied only to break the spec. Per path, another
// method (405) and a trailing slash (404); per operation, the faults the emulator answers on
// demand (X-Sandbox-Fault). Stateful sequences follow the spec's links (authorize, the user's
// consent, the token call, two refreshes; a QR, its payment, its slip or inquiry; a deeplink and
// its transaction), the consent and the payment made by the Emulator (x-scboauth-step). The
// same Generation.Seed gives the same cases; Generation.MaxCases bounds them with a sample.
//
// # Coverage, reproducers, recordings
//
// A report says what of the spec the run exercised (Report.Coverage): operations, documented
// statuses, business codes, request and response properties; Config.MinCoverage fails a run
// below a threshold, and against the emulator the report lists the statuses it cannot produce,
// and why. Each interaction with a finding carries a curl command line that sends its request
// again (InteractionResult.Reproduce), secrets and tokens read from environment variables.
// Config.Recorder keeps every interaction, redacted, as a go-vcr cassette beside run.json;
// Replay checks a recording against the spec as it is now (ParseSpec for a changed copy),
// offline.
//
// # What is checked
//
// Every answer is validated from the raw bytes on the wire, with kin-openapi's openapi3filter,
// against the operation its request resolves to (Spec): an undocumented status is a violation,
// every schema error is reported with its JSON path (not only the first), and error answers to
// invalid requests are validated as strictly as successes. Semantic checks add what a schema
// cannot say: tokenType is exactly Bearer, expiresAt is the issue time plus expiresIn, refresh
// fields come exactly with the authorization-code grant. Fields the spec does not declare are
// drift: warnings, or violations with Config.Strict. Each problem is a Finding, with the Rule
// that found it.
//
// SCB's code table (which business codes each HTTP status may carry) is written once, as the
// enums openapi.yaml puts on status.code; Spec.Codes and Spec.CodeTable read it back for the
// checks here and for tests elsewhere.
//
// The same checks serve other tests: LoadSpec, Spec.ValidateResponse and Spec.ValidateRequest
// check single messages, and Transport validates every answer an http.Client receives.
//
// # Reports
//
// A Report holds a CaseResult per case: its verdict, its interactions (status, business code,
// latency; never headers or bodies) and its findings. TableWriter streams a readable table as
// cases finish; WriteJSON and WriteJUnit write the whole report for machines and CI. No report
// shows the application secret, a token, an authorization code or a code challenge, in any form
// (JSON, Go or URL escaped, any length): everything a target or the configuration can put in a
// report goes through the module's one redaction (internal/redact).
//
// SCB's documentation: https://developer.scb (API Reference > OAuth).
package contract
