package contract

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"
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

	emulatorWant []outcome // the emulator's exact answer
	liveWant     []outcome // what a live target may answer
	emulatorOnly bool      // needs the emulator's demo applications or consent
	needs        func(*runner) string
	run          func(*caseRun, Case)
}

// Expect states what the case expects from an emulator target (emulator true) or a live one.
func (c Case) Expect(emulator bool) string {
	want := c.liveWant
	if emulator {
		want = c.emulatorWant
	}
	var ws []string
	for _, w := range want {
		switch {
		case w == anyClientError:
			ws = append(ws, "4xx (a row of SCB's table)")
		case w.desc != "" && emulator:
			ws = append(ws, fmt.Sprintf("%s %q", w, w.desc))
		default:
			ws = append(ws, w.String())
		}
	}
	return strings.Join(ws, " or ")
}

// role is which application a case uses; on a live target every role is Config.Application.
type role int

const (
	rolePlain role = iota
	roleCode
	roleWeb
)

func (r *runner) app(ro role) Credentials {
	if r.cfg.Emulator == nil {
		return r.cfg.Application
	}
	return r.emulated[ro]
}

const (
	pathToken     = "/v1/oauth/token"
	pathRefresh   = "/v1/oauth/token/refresh"
	pathAuthorize = "/v2/oauth/authorize"
)

// ok1000 is a success.
var ok1000 = outcome{status: 200, code: 1000}

// Catalogue returns the cases Run runs, in order. Later cases use what earlier ones obtained
// (the refresh cases redeem the authorization-code case's refresh token).
func Catalogue() []Case {
	return []Case{
		{
			ID: "client-credentials", Title: "client-credentials grant: applicationKey and applicationSecret",
			Source:       "[doc] 200 1000, accessToken, tokenType Bearer, expiresIn, expiresAt = issue time + expiresIn, no refresh fields, a resourceOwnerId header",
			emulatorWant: []outcome{ok1000}, liveWant: []outcome{ok1000},
			run: single(rolePlain, func(app Credentials) request {
				return request{method: http.MethodPost, path: pathToken, header: tokenHeaders(app.Key), body: credBody(app), grant: grantClientCredentials}
			}),
		},
		{
			ID: "accept-language-th", Title: "client-credentials grant with accept-language: TH",
			Source:       "[doc] TH is accepted: 200 1000, the description in the language asked for; [decision] the emulator keeps English descriptions (SCB's Thai wording is not public), so a description without Thai is a warning on a live target only",
			emulatorWant: []outcome{ok1000}, liveWant: []outcome{ok1000},
			run: runThai,
		},
		{
			ID: "authorization-code", Title: "authorization-code grant: authorize, consent, then the code",
			Source:       "[doc] 200 1000 with refreshToken, refreshExpiresIn, refreshExpiresAt; the emulator mints the code, a live run takes SCB_AUTH_CODE",
			emulatorWant: []outcome{ok1000}, liveWant: []outcome{ok1000},
			needs: func(r *runner) string {
				if !r.emulator() && r.cfg.AuthCode == "" {
					return "needs an authorization code: set SCB_AUTH_CODE to a code for this application (valid one minute, single use)"
				}
				return ""
			},
			run: runAuthorizationCode,
		},
		{
			ID: "web-authorization-code", Title: "web application: authorize, consent with state and codeChallenge, then the code with both",
			Source:       "[doc] 200 1000 with refresh fields for a web application sending state and codeChallenge",
			emulatorWant: []outcome{ok1000}, emulatorOnly: true,
			run: runWeb(true),
		},
		{
			ID: "web-without-code-challenge", Title: "web application sends the code and state but no codeChallenge",
			Source:       "[doc] 401 9300 \"This application requires codeChallenge verification\"",
			emulatorWant: []outcome{{status: 401, code: 9300, desc: "This application requires codeChallenge verification"}}, emulatorOnly: true,
			run: runWeb(false),
		},
		{
			ID: "refresh", Title: "refresh the authorization-code grant's refresh token",
			Source:       "[doc] 200 1000; [seen] the refresh fields come back too",
			emulatorWant: []outcome{ok1000}, liveWant: []outcome{ok1000},
			needs: func(r *runner) string {
				if r.refreshToken == "" {
					return "needs the refresh token of case authorization-code, which did not obtain one"
				}
				return ""
			},
			run: runRefresh,
		},
		{
			ID: "refresh-reuse", Title: "redeem the same refresh token a second time",
			Source:       "[decision] the emulator rotates refresh tokens and answers 401 9300; SCB does not document rotation, so a live target may also answer 200 1000",
			emulatorWant: []outcome{{status: 401, code: 9300}}, liveWant: []outcome{ok1000, {status: 401, code: 9300}},
			needs: func(r *runner) string {
				if r.redeemedRefresh == "" {
					return "needs a refresh token already redeemed by case refresh, which did not run"
				}
				return ""
			},
			run: func(c *caseRun, cs Case) {
				app := c.r.app(roleCode)
				ex := c.send(request{method: http.MethodPost, path: pathRefresh, header: tokenHeaders(app.Key), body: refreshBody(app, c.r.redeemedRefresh), grant: grantRefresh})
				c.expectCase(ex, cs)
			},
		},
		{
			ID: "invalid-authorization-code", Title: "authorization-code grant with a code that was never issued",
			Source:       "[doc] 401 9300 \"Invalid authorization code\"; a live application that may not use the code grant answers 403 9503 [doc]",
			emulatorWant: []outcome{{status: 401, code: 9300, desc: "Invalid authorization code"}},
			liveWant:     []outcome{{status: 401, code: 9300}, {status: 403, code: 9503}},
			run: single(roleCode, func(app Credentials) request {
				return request{method: http.MethodPost, path: pathToken, header: tokenHeaders(app.Key), body: jsonBody(map[string]any{"applicationKey": app.Key, "applicationSecret": app.Secret, "authCode": uuid.NewString()}), grant: grantAuthorizationCode}
			}),
		},
		{
			ID: "client-credentials-app-sends-code", Title: "a client-credentials-only application sends an authCode",
			Source:       "[doc] 403 9503 \"Invalid authorization method for current credentials\"",
			emulatorWant: []outcome{{status: 403, code: 9503}}, emulatorOnly: true,
			run: single(rolePlain, func(app Credentials) request {
				return request{method: http.MethodPost, path: pathToken, header: tokenHeaders(app.Key), body: jsonBody(map[string]any{"applicationKey": app.Key, "applicationSecret": app.Secret, "authCode": uuid.NewString()}), grant: grantAuthorizationCode}
			}),
		},
		{
			ID: "wrong-secret", Title: "a registered applicationKey with the wrong applicationSecret",
			Source:       "[doc] 401 9500 \"Invalid authorization credentials\" (generic table); a live target: 401 with a code of the table",
			emulatorWant: []outcome{{status: 401, code: 9500}}, liveWant: []outcome{{status: 401}},
			run: single(rolePlain, func(app Credentials) request {
				return request{method: http.MethodPost, path: pathToken, header: tokenHeaders(app.Key), body: credBody(Credentials{Key: app.Key, Secret: "not-the-secret-0000"}), grant: grantClientCredentials}
			}),
		},
		{
			ID: "unknown-key", Title: "an applicationKey that is not registered",
			Source:       "[doc] 401 9500 (generic table); a live target: 401 with a code of the table",
			emulatorWant: []outcome{{status: 401, code: 9500}}, liveWant: []outcome{{status: 401}},
			run: single(rolePlain, func(Credentials) request {
				key := unknownKey()
				return request{method: http.MethodPost, path: pathToken, header: tokenHeaders(key), body: credBody(Credentials{Key: key, Secret: "not-the-secret-0000"}), grant: grantClientCredentials}
			}),
		},
		missingHeader(pathToken, "resourceOwnerId"),
		missingHeader(pathToken, "requestUId"),
		missingHeader(pathRefresh, "resourceOwnerId"),
		missingHeader(pathRefresh, "requestUId"),
		{
			ID: "authorize", Title: "authorize: start the user-consent flow, the application's key and secret in headers",
			Source:       "[seen] 200 1000 with data.callbackUrl, a deep link into the SCB app; a live application that may not use the code grant answers 403 9503 [doc]",
			emulatorWant: []outcome{ok1000}, liveWant: []outcome{ok1000, {status: 403, code: 9503}},
			run: single(roleCode, func(app Credentials) request {
				return request{method: http.MethodGet, path: pathAuthorize, header: authorizeHeaders(app)}
			}),
		},
		{
			ID: "authorize-client-credentials-app", Title: "authorize with a client-credentials-only application",
			Source:       "[doc] 403 9503 \"Invalid authorization method for current credentials\"",
			emulatorWant: []outcome{{status: 403, code: 9503}}, emulatorOnly: true,
			run: single(rolePlain, func(app Credentials) request {
				return request{method: http.MethodGet, path: pathAuthorize, header: authorizeHeaders(app)}
			}),
		},
		{
			ID: "authorize-wrong-secret", Title: "authorize with a registered apikey and the wrong apisecret",
			Source:       "[doc] 401 9500 \"Invalid authorization credentials\" (generic table); a live target: 401 with a code of the table",
			emulatorWant: []outcome{{status: 401, code: 9500, desc: "Invalid authorization credentials"}}, liveWant: []outcome{{status: 401}},
			run: single(roleCode, func(app Credentials) request {
				return request{method: http.MethodGet, path: pathAuthorize, header: authorizeHeaders(Credentials{Key: app.Key, Secret: "not-the-secret-0000"})}
			}),
		},
		{
			ID: "authorize-unknown-key", Title: "authorize with an apikey that is not registered",
			Source:       "[doc] 401 9500 \"Invalid apikey provided\" (generic table); a live target: 401 with a code of the table",
			emulatorWant: []outcome{{status: 401, code: 9500, desc: "Invalid apikey provided"}}, liveWant: []outcome{{status: 401}},
			run: single(roleCode, func(Credentials) request {
				return request{method: http.MethodGet, path: pathAuthorize, header: authorizeHeaders(Credentials{Key: unknownKey(), Secret: "not-the-secret-0000"})}
			}),
		},
		missingHeader(pathAuthorize, "apikey"),
		missingHeader(pathAuthorize, "apisecret"),
		missingHeader(pathAuthorize, "resourceOwnerId"),
		missingHeader(pathAuthorize, "requestUId"),
		missingHeader(pathAuthorize, "response-channel"),
		missingHeader(pathAuthorize, "endState"),
		{
			ID: "authorize-wrong-channel", Title: "authorize with a response-channel that is not mobile or mobile_mma",
			Source:       "[decision] 400 1102 \"Invalid parameters entered\" for a value outside the enum; a live target: 4xx, or 501 4101 \"Current channel is not supported\" [doc]",
			emulatorWant: []outcome{{status: 400, code: 1102}}, liveWant: []outcome{anyClientError, {status: 501, code: 4101}},
			run: single(roleCode, func(app Credentials) request {
				h := authorizeHeaders(app)
				h.Set("response-channel", "sms")
				return request{method: http.MethodGet, path: pathAuthorize, header: h, check: requestBreaks}
			}),
		},
		malformed("missing-body-field", "the token call without applicationSecret",
			"[doc] 400 1101 \"Missing required parameters\"", outcome{status: 400, code: 1101},
			func(app Credentials) []byte { return jsonBody(map[string]any{"applicationKey": app.Key}) }),
		malformed("empty-string", "the token call with applicationKey \"\"",
			"[doc] 400 1103 \"Empty string input not supported\"", outcome{status: 400, code: 1103},
			func(app Credentials) []byte {
				return jsonBody(map[string]any{"applicationKey": "", "applicationSecret": app.Secret})
			}),
		malformed("wrong-type", "the token call with a number as applicationKey",
			"[doc] 400 1102 \"Invalid parameters entered\"", outcome{status: 400, code: 1102},
			func(app Credentials) []byte {
				return jsonBody(map[string]any{"applicationKey": 12345, "applicationSecret": app.Secret})
			}),
		malformed("invalid-json", "the token call with a body that is not JSON",
			"[decision] 400 1102 for a body that does not parse", outcome{status: 400, code: 1102},
			func(app Credentials) []byte { return []byte(`{"applicationKey": "` + app.Key + `", `) }),
		{
			ID: "unrecognized-field", Title: "the token call with a field the spec does not declare",
			Source:       "[decision] 400 1105 \"Unrecognized field name...\"; a live target may ignore the field and answer 200 1000",
			emulatorWant: []outcome{{status: 400, code: 1105}}, liveWant: []outcome{anyClientError, ok1000},
			run: single(rolePlain, func(app Credentials) request {
				return request{method: http.MethodPost, path: pathToken, header: tokenHeaders(app.Key), check: requestBreaks, grant: grantClientCredentials,
					body: jsonBody(map[string]any{"applicationKey": app.Key, "applicationSecret": app.Secret, "grantType": "client_credentials"})}
			}),
		},
		{
			ID: "wrong-content-type", Title: "the token call with Content-Type: text/plain",
			Source:       "[doc] 415 9900 \"Unsupported content type defined\"; a live target: 4xx",
			emulatorWant: []outcome{{status: 415, code: 9900}}, liveWant: []outcome{anyClientError},
			run: single(rolePlain, func(app Credentials) request {
				h := tokenHeaders(app.Key)
				h.Set("Content-Type", "text/plain")
				return request{method: http.MethodPost, path: pathToken, header: h, body: credBody(app), check: requestBreaks}
			}),
		},
		{
			ID: "wrong-method", Title: "GET on the token path",
			Source:       "[doc] 405 9900 \"Wrong http method requested on endpoint\"; a live target: 405 with a code of the table",
			emulatorWant: []outcome{{status: 405, code: 9900}}, liveWant: []outcome{{status: 405}},
			run: single(rolePlain, func(app Credentials) request {
				h := tokenHeaders(app.Key)
				h.Del("Content-Type")
				return request{method: http.MethodGet, path: pathToken, header: h, check: requestBreaks}
			}),
		},
		{
			ID: "unknown-path", Title: "POST to a path SCB does not serve",
			Source:       "[doc] 404 1104 \"Requested entity record does not exist\" (openapi.yaml's NotFound response); a live target: 404 with a code of the table",
			emulatorWant: []outcome{{status: 404, code: 1104}}, liveWant: []outcome{{status: 404}},
			run: single(rolePlain, func(app Credentials) request {
				return request{method: http.MethodPost, path: "/v1/oauth/no-such-path", header: tokenHeaders(app.Key), body: credBody(app), check: requestBreaks}
			}),
		},
	}
}

func (c Case) wants(emulator bool) []outcome {
	if emulator {
		return c.emulatorWant
	}
	return c.liveWant
}

// expectCase checks ex against the case's expectations for the target.
func (c *caseRun) expectCase(ex *Exchange, cs Case) {
	c.expect(ex, cs.wants(c.r.emulator())...)
}

// single is a case of one request built for the role's application.
func single(ro role, build func(app Credentials) request) func(*caseRun, Case) {
	return func(c *caseRun, cs Case) {
		rq := build(c.r.app(ro))
		c.expectCase(c.send(rq), cs)
	}
}

func credBody(app Credentials) []byte {
	return jsonBody(map[string]any{"applicationKey": app.Key, "applicationSecret": app.Secret})
}

func refreshBody(app Credentials, refreshToken string) []byte {
	return jsonBody(map[string]any{"applicationKey": app.Key, "applicationSecret": app.Secret, "refreshToken": refreshToken})
}

// unknownKey looks like an SCB key ("l7" and 32 hex characters) but is not registered.
func unknownKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "l7" + hex.EncodeToString(b)
}

func missingHeader(path, header string) Case {
	op := map[string]string{pathToken: "token", pathRefresh: "refresh", pathAuthorize: "authorize"}[path]
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
	return Case{
		ID: fmt.Sprintf("missing-header-%s-%s", op, header), Title: fmt.Sprintf("the %s call without the %s header", op, header),
		Source:       source,
		emulatorWant: []outcome{want}, liveWant: live,
		run: func(c *caseRun, cs Case) {
			rq := request{method: http.MethodPost, path: path, check: requestBreaks}
			switch path {
			case pathAuthorize:
				rq.method, rq.header = http.MethodGet, authorizeHeaders(c.r.app(roleCode))
			case pathRefresh:
				app := c.r.app(rolePlain)
				rq.header, rq.body, rq.grant = tokenHeaders(app.Key), refreshBody(app, uuid.NewString()), grantRefresh
			default:
				app := c.r.app(rolePlain)
				rq.header, rq.body, rq.grant = tokenHeaders(app.Key), credBody(app), grantClientCredentials
			}
			rq.header.Del(header)
			c.expectCase(c.send(rq), cs)
		},
	}
}

func malformed(id, title, source string, want outcome, body func(app Credentials) []byte) Case {
	return Case{
		ID: id, Title: title, Source: source + "; a live target: 4xx",
		emulatorWant: []outcome{want}, liveWant: []outcome{anyClientError},
		run: single(rolePlain, func(app Credentials) request {
			return request{method: http.MethodPost, path: pathToken, header: tokenHeaders(app.Key), body: body(app), check: requestBreaks, grant: grantClientCredentials}
		}),
	}
}

func runThai(c *caseRun, cs Case) {
	app := c.r.app(rolePlain)
	h := tokenHeaders(app.Key)
	h.Set("accept-language", "TH")
	ex := c.send(request{method: http.MethodPost, path: pathToken, header: h, body: credBody(app), grant: grantClientCredentials})
	c.expectCase(ex, cs)
	if ex == nil || ex.Status != http.StatusOK {
		return
	}
	if _, _, desc := envelope(ex.value); !c.r.emulator() && !containsThai(desc) {
		c.add(ex, warnf(RuleExpect, "$.status.description", "description %q is not in Thai although accept-language is TH", desc))
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

// authorizeHeaders are the headers of GET /v2/oauth/authorize.
func authorizeHeaders(app Credentials) http.Header {
	h := http.Header{}
	h.Set("apikey", app.Key)
	h.Set("apisecret", app.Secret)
	h.Set("resourceOwnerId", app.Key)
	h.Set("requestUId", uuid.NewString())
	h.Set("response-channel", "mobile")
	h.Set("endState", "mobile_app")
	return h
}

// mintCode obtains an authorization code from the emulator: the authorize call (checked like
// any other), then the user's consent. It returns "" after recording why it failed.
func (c *caseRun) mintCode(app Credentials, state, codeChallenge string) string {
	ex := c.send(request{method: http.MethodGet, path: pathAuthorize, header: authorizeHeaders(app)})
	c.expect(ex, ok1000)
	if ex == nil || ex.Status != http.StatusOK {
		return ""
	}
	obj, _ := ex.value.(map[string]any)
	data, _ := obj["data"].(map[string]any)
	cb, _ := data["callbackUrl"].(string)
	if cb == "" {
		c.add(ex, errorf(RuleExpect, "$.data.callbackUrl", "no callbackUrl to consent to"))
		return ""
	}
	code, err := c.r.cfg.Emulator.GrantConsent(c.ctx, cb, state, codeChallenge)
	if err != nil || code == "" {
		c.add(nil, errorf(RuleTransport, pathStatus, "the emulator's consent failed: %v", err))
		return ""
	}
	c.r.addSecret(code)
	return code
}

func runAuthorizationCode(c *caseRun, cs Case) {
	app := c.r.app(roleCode)
	code := c.r.cfg.AuthCode
	if c.r.emulator() {
		if code = c.mintCode(app, "", ""); code == "" {
			return
		}
	}
	ex := c.send(request{method: http.MethodPost, path: pathToken, header: tokenHeaders(app.Key), grant: grantAuthorizationCode,
		body: jsonBody(map[string]any{"applicationKey": app.Key, "applicationSecret": app.Secret, "authCode": code})})
	c.expectCase(ex, cs)
	c.r.keepRefreshToken(ex)
}

func runWeb(withChallenge bool) func(*caseRun, Case) {
	return func(c *caseRun, cs Case) {
		app := c.r.app(roleWeb)
		state, challenge := randomString(12), randomString(32)
		c.r.addSecret(challenge)
		code := c.mintCode(app, state, challenge)
		if code == "" {
			return
		}
		fields := map[string]any{"applicationKey": app.Key, "applicationSecret": app.Secret, "authCode": code, "state": state}
		if withChallenge {
			fields["codeChallenge"] = challenge
		}
		ex := c.send(request{method: http.MethodPost, path: pathToken, header: tokenHeaders(app.Key), body: jsonBody(fields), grant: grantAuthorizationCode})
		c.expectCase(ex, cs)
	}
}

func runRefresh(c *caseRun, cs Case) {
	app := c.r.app(roleCode)
	old := c.r.refreshToken
	ex := c.send(request{method: http.MethodPost, path: pathRefresh, header: tokenHeaders(app.Key), body: refreshBody(app, old), grant: grantRefresh})
	c.expectCase(ex, cs)
	if ex != nil && ex.Status == http.StatusOK {
		c.r.redeemedRefresh = old
		c.r.keepRefreshToken(ex)
	}
}

// keepRefreshToken stores the refresh token of a successful answer for the refresh cases.
func (r *runner) keepRefreshToken(ex *Exchange) {
	if ex == nil || ex.Status != http.StatusOK {
		return
	}
	obj, _ := ex.value.(map[string]any)
	data, _ := obj["data"].(map[string]any)
	if rt, ok := data["refreshToken"].(string); ok && rt != "" {
		r.refreshToken = rt
	}
}
