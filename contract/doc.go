// Package contract checks that a server answers SCB's OAuth API the way openapi.yaml says: the
// scboauth emulator (package sandbox), or SCB's live sandbox at
// https://api-sandbox.partners.scb/partners/sandbox.
//
// Run sends a catalogue of cases (Catalogue): the grants that must succeed, and the requests
// that must fail, each with the answer SCB's documentation or openapi.yaml's decisions call for.
// Every response is validated from the raw bytes on the wire by a Transport, with kin-openapi's
// openapi3filter: an undocumented status is a violation, every schema error is reported with its
// JSON path (not only the first), and error answers to invalid requests are validated as
// strictly as successes. Semantic checks add what a schema cannot say (the business code
// matches the HTTP status per SCB's code table, tokenType is exactly Bearer, expiresAt is the
// issue time plus expiresIn, refresh fields come exactly with the authorization-code grant).
// Fields the spec does not declare are drift: warnings, or violations with Config.Strict.
//
// Requests to a target that is not on a loopback address are paced under the sandbox's limit
// of 5 requests per second, each with a timeout. Reports (TableWriter, WriteJSON, WriteJUnit)
// never contain the application secret, tokens or authorization codes.
//
// SCB's documentation: https://developer.scb (API Reference > OAuth).
package contract
