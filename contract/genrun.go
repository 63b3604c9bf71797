package contract

import (
	"fmt"
	"net/http"
)

// runGenerated sends a generated case's request and holds the answer to what the spec says of
// the request: accepted, a documented answer but no server error (and, from the emulator, no
// 400: it would refuse what the spec accepts); refused, a 4xx; a fault, a wrong method or an
// unknown path, that one answer.
func runGenerated(c *caseRun, cs Case) {
	if cs.gen.kind == genSequence {
		runSequence(c, cs)
		return
	}
	in := c.send(c.build(cs.call))
	if in == nil {
		return
	}
	switch cs.gen.kind {
	case genValid:
		c.expectAccepted(in)
	case genInvalid:
		c.expectRefused(in, cs.gen.reason)
	case genFixed:
		c.expectCase(in, cs)
	}
}

// expectAccepted holds the answer to a request the spec accepts. An emulator in strict mode
// refuses by design shapes the spec accepts (a short requestUId, null), so it may answer 400.
func (c *caseRun) expectAccepted(in *Interaction) {
	switch {
	case in.Status >= 500:
		c.add(in, errorf(RuleExpect, pathStatus, "HTTP %d to a request openapi.yaml accepts; want an answer that is not a server error", in.Status))
	case in.Status == http.StatusBadRequest && c.r.emulator() && !c.r.strict:
		code, _, _ := envelope(in.value)
		if code == conditionalRequirement {
			return
		}
		msg := fmt.Sprintf("the emulator refused with 400 %d a request openapi.yaml accepts: it must accept what the spec (and SCB) accepts", code)
		if d := in.Header.Get("X-Sandbox-Detail"); d != "" {
			msg += fmt.Sprintf(" (it says %q)", d)
		}
		c.add(in, errorf(RuleExpect, pathStatus, "%s", msg))
	}
}

// conditionalRequirement is SCB's 1101 "Missing required parameters": the emulator may answer
// it to a request the spec accepts, for a field that another's value requires ("BP needs
// billPayment", "eventCode 00300100 needs billerId"): OpenAPI 3.0 cannot state such a rule,
// so openapi.yaml states it in words.
const conditionalRequirement = 1101

// expectRefused holds the answer to a request the spec refuses, for reason: a 4xx, or 501,
// the one 5xx that refuses (openapi.yaml answers a channel it does not support 501 4101).
func (c *caseRun) expectRefused(in *Interaction, reason string) {
	switch {
	case in.Status >= 200 && in.Status < 300:
		f := errorf(RuleAccepted, pathStatus, "HTTP %d to a request openapi.yaml refuses (%s)", in.Status, reason)
		if !c.r.emulator() {
			f = warnf(RuleAccepted, pathStatus, "HTTP %d to a request openapi.yaml refuses (%s): the target accepts more than the spec says; loosen the spec if clients need it", in.Status, reason)
		}
		c.add(in, f)
	case (in.Status < 400 || in.Status >= 500) && in.Status != http.StatusNotImplemented:
		c.add(in, errorf(RuleExpect, pathStatus, "HTTP %d to a request openapi.yaml refuses (%s); want a 4xx", in.Status, reason))
	}
}

// expectation says what the generated case expects of the target.
func (g *genCase) expectation(emulator bool, c Case) string {
	switch g.kind {
	case genValid:
		if emulator {
			return "a documented answer, not a server error nor a 400 but 1101 (openapi.yaml accepts the request)"
		}
		return "a documented answer, not a server error (openapi.yaml accepts the request)"
	case genInvalid:
		return "a documented 4xx or 501 (openapi.yaml refuses the request: " + g.reason + ")"
	case genSequence:
		return "each step a documented success, and each link's values in the answers"
	}
	return describeOutcomes(c.wants(emulator, false), emulator)
}
