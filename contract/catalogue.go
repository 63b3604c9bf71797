package contract

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
)

// Case is one entry of the catalogue: a request (or a short sequence, such as authorize,
// consent and token) and what must come back.
type Case struct {
	// ID names the case in reports, such as "wrong-secret".
	ID string
	// Title says what the case sends.
	Title string
	// Source says which expectations SCB documents ([doc]), which are seen in others' code
	// ([seen]) and which are openapi.yaml's decisions ([decision]), and how a live target is
	// held to them.
	Source string

	call         call                 // the request, as data
	run          func(*caseRun, Case) // a flow of several steps (flows.go); nil: send call
	emulatorWant []outcome            // the emulator's exact answer
	strictWant   []outcome            // the answer of an emulator in strict mode, when it differs
	liveWant     []outcome            // what a live target may answer
	needs        precondition         // what an earlier case or the configuration must provide
	emulatorOnly bool                 // needs the emulator's demo applications or consent
	gen          *genCase             // a case generated from the spec (Spec.Generate); nil for the catalogue's
}

// Expect states what the case expects from an emulator target (emulator true) or a live one.
func (c Case) Expect(emulator bool) string { return c.expectation(emulator, false) }

// expectation states what the case expects from the target.
func (c Case) expectation(emulator, strict bool) string {
	if c.gen != nil {
		return c.gen.expectation(emulator, c)
	}
	return describeOutcomes(c.wants(emulator, strict), emulator)
}

// Generated reports whether the case was generated from the spec (Spec.Generate), and, when
// it was, whether the spec accepts its request ("valid"), refuses it ("invalid"), or it
// expects one answer ("fixed": a fault asked of the emulator, a wrong method, an unknown path)
// or follows the spec's links ("sequence").
func (c Case) Generated() (kind string, ok bool) {
	if c.gen == nil {
		return "", false
	}
	return map[genKind]string{genValid: "valid", genInvalid: "invalid", genFixed: "fixed", genSequence: "sequence"}[c.gen.kind], true
}

// wants returns the case's expectations of the target: a live one, the emulator, or the
// emulator in strict mode (sandbox.WithStrict), which refuses shapes SCB accepts.
func (c Case) wants(emulator, strict bool) []outcome {
	switch {
	case !emulator:
		return c.liveWant
	case strict && len(c.strictWant) > 0:
		return c.strictWant
	}
	return c.emulatorWant
}

// expectCase checks in against the case's expectations for the target.
func (c *caseRun) expectCase(in *Interaction, cs Case) {
	c.expect(in, cs.wants(c.r.emulator(), c.r.strict)...)
}

// precondition is what a case needs before it can run.
type precondition int

const (
	needsNothing         precondition = iota
	needsAuthCode                     // a live target needs Config.AuthCode
	needsRefreshToken                 // case authorization-code obtained a refresh token
	needsRedeemedRefresh              // case refresh redeemed one
	needsBiller                       // a live target needs Config.Payments.BillerID
	needsMerchant                     // a live target needs Config.Payments.MerchantID and TerminalID
	needsBillerMerchant               // both
	needsPayer                        // the emulator pays (a PaymentEmulator)
)

// skipReason says why c cannot run against this target, or "".
func (c Case) skipReason(r *runner) string {
	switch {
	case c.emulatorOnly && !r.emulator():
		return "needs the scboauth emulator (its demo applications and consent); not run against a live target"
	case c.needs == needsAuthCode && !r.emulator() && r.cfg.AuthCode == "":
		return "needs an authorization code: set SCB_AUTH_CODE to a code for this application (valid one minute, single use)"
	case c.needs == needsRefreshToken && r.refreshToken == "":
		return "needs the refresh token of case authorization-code, which did not obtain one"
	case c.needs == needsRedeemedRefresh && r.redeemedRefresh == "":
		return "needs a refresh token already redeemed by case refresh, which did not run"
	}
	return c.paymentSkipReason(r)
}

// Catalogue returns the cases Run runs, in order. Later cases use what earlier ones obtained
// (the refresh cases redeem the authorization-code case's refresh token).
func Catalogue() []Case { return slices.Clone(catalogue) }

// missingHeader is the case of a call to op without header.
func missingHeader(op, header string) Case {
	name := map[string]string{pathToken: "token", pathRefresh: "refresh", pathAuthorize: "authorize"}[op]
	live := []outcome{anyClientError}
	liveNote := "a live target: 4xx"
	if header == "resourceOwnerId" {
		// [seen] the sandbox appears not to check resourceOwnerId.
		live = append(live, ok1000)
		liveNote = "a live target: 4xx, or 200 1000 since the sandbox appears not to check this header [seen]"
	}
	want := outcome{status: 400, code: 9100, desc: header}
	source := fmt.Sprintf("[doc] 400 9100 \"Required standard headers (%s) not found\"; %s", header, liveNote)
	if header == "apikey" || header == "apisecret" {
		// The generic table's row for missing credentials.
		want = outcome{status: 401, code: 9100, desc: "Authorization credentials required"}
		source = "[doc] 401 9100 \"Authorization credentials required\" (generic table); " + liveNote
	}
	ro := rolePlain
	if op == pathAuthorize {
		ro = roleCode
	}
	return Case{
		ID: fmt.Sprintf("missing-header-%s-%s", name, header), Title: fmt.Sprintf("the %s call without the %s header", name, header),
		Source: source, emulatorWant: []outcome{want}, liveWant: live,
		call: call{op: op, role: ro, header: []edit{del(header)}, check: requestBreaks},
	}
}

// malformed is the case of a call (to k.op, the token call when unset) whose request breaks
// the spec, which a live target answers with any 4xx.
func malformed(id, title, source string, want outcome, k call) Case {
	k.op, k.role, k.check = cmp.Or(k.op, pathToken), rolePlain, requestBreaks
	return Case{ID: id, Title: title, Source: source + "; a live target: 4xx",
		emulatorWant: []outcome{want}, liveWant: []outcome{anyClientError}, call: k}
}

// wrongMethod is the case of GET on op's path, which serves POST only.
func wrongMethod(op, id, title, liveNote string) Case {
	return Case{
		ID: id, Title: title, Source: "[doc] 405 9900 \"Wrong http method requested on endpoint\"; a live target: " + liveNote,
		emulatorWant: []outcome{{status: 405, code: 9900}}, liveWant: []outcome{{status: 405}},
		call: call{op: op, role: rolePlain, method: http.MethodGet, header: []edit{del("Content-Type")}, raw: raw(""), check: requestBreaks},
	}
}
