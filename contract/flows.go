package contract

import (
	"net/http"
)

// The cases that are more than one request, or that carry state to later cases, run a flow:
// a named function over the same building blocks (build, send, expect).

// runThai is a client-credentials call in Thai: on a live target, a description without Thai
// is a warning.
func runThai(c *caseRun, cs Case) {
	in := c.send(c.build(cs.call))
	c.expectCase(in, cs)
	if in == nil || in.Status != http.StatusOK || c.r.emulator() {
		return
	}
	if _, _, desc := envelope(in.value); !containsThai(desc) {
		c.add(in, warnf(RuleExpect, "$.status.description", "description %q is not in Thai although accept-language is TH", desc))
	}
}

func containsThai(s string) bool {
	for _, r := range s {
		if r >= 0x0E00 && r <= 0x0E7F {
			return true
		}
	}
	return false
}

// runAuthorizationCode trades an authorization code (minted by the emulator, or Config.AuthCode
// on a live target) and keeps the refresh token for the refresh cases.
func runAuthorizationCode(c *caseRun, cs Case) {
	code := c.r.cfg.AuthCode
	if c.r.emulator() {
		if code = c.mintCode(roleCode, "", ""); code == "" {
			return
		}
	}
	k := cs.call
	k.field = []edit{set("authCode", code)}
	in := c.send(c.build(k))
	c.expectCase(in, cs)
	c.r.keepRefreshToken(in)
}

// runWeb is the web application's grant: state and codeChallenge at consent, then the code
// with state and, when withChallenge, the codeChallenge.
func runWeb(withChallenge bool) func(*caseRun, Case) {
	return func(c *caseRun, cs Case) {
		state, challenge := randomString(12), randomString(32)
		c.r.secrets.addAs("SCB_CODE_CHALLENGE", challenge)
		code := c.mintCode(roleWeb, state, challenge)
		if code == "" {
			return
		}
		k := cs.call
		k.field = []edit{set("authCode", code), set("state", state)}
		if withChallenge {
			k.field = append(k.field, set("codeChallenge", challenge))
		}
		c.expectCase(c.send(c.build(k)), cs)
	}
}

// mintCode obtains an authorization code from the emulator: the authorize call (checked like
// any other), then the user's consent. It returns "" after recording why it failed.
func (c *caseRun) mintCode(ro role, state, codeChallenge string) string {
	in := c.send(c.build(call{op: pathAuthorize, role: ro}))
	c.expect(in, ok1000)
	if in == nil || in.Status != http.StatusOK {
		return ""
	}
	cb, _ := dataOf(in)["callbackUrl"].(string)
	if cb == "" {
		c.add(in, errorf(RuleExpect, "$.data.callbackUrl", "no callbackUrl to consent to"))
		return ""
	}
	return c.consent(cb, state, codeChallenge)
}

// consent has the emulator's user consent to callbackURL, with state and codeChallenge, and
// returns the authorization code; "" after recording why there is none.
func (c *caseRun) consent(callbackURL, state, codeChallenge string) string {
	c.r.secrets.addAs("SCB_CALLBACK_URL", callbackURL)
	code, err := c.r.cfg.Emulator.GrantConsent(c.ctx, callbackURL, state, codeChallenge)
	if c.ctx.Err() != nil {
		c.stopped("the emulator's consent")
		return ""
	}
	if err != nil || code == "" {
		c.add(nil, errorf(RuleTransport, pathStatus, "the emulator's consent failed: %v", err))
		return ""
	}
	c.r.secrets.addAs("SCB_AUTH_CODE", code)
	return code
}

// runRefresh redeems the refresh token of case authorization-code, and keeps the new one.
func runRefresh(c *caseRun, cs Case) {
	old := c.r.refreshToken
	k := cs.call
	k.field = []edit{set("refreshToken", old)}
	in := c.send(c.build(k))
	c.expectCase(in, cs)
	if in != nil && in.Status == http.StatusOK {
		c.r.redeemedRefresh = old
		c.r.keepRefreshToken(in)
	}
}

// keepRefreshToken stores the refresh token of a successful answer for the refresh cases.
func (r *runner) keepRefreshToken(in *Interaction) {
	if in == nil || in.Status != http.StatusOK {
		return
	}
	if rt, ok := dataOf(in)["refreshToken"].(string); ok && rt != "" {
		r.refreshToken, r.refreshOwner = rt, in.Header.Get("resourceOwnerId")
	}
}
