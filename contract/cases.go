package contract

import "slices"

// catalogue is the data of every case, in the order Run sends them: the OAuth cases, then the
// payment cases, which need a token. Each case names a well-formed request and its edits
// (requests.go), or a flow (flows.go) when it takes several steps; expectations are the
// emulator's exact answer and what a live target may answer.
var catalogue = slices.Concat(oauthCatalogue, paymentCatalogue)

// oauthCatalogue is the data of the OAuth cases.
var oauthCatalogue = []Case{
	{
		ID: "client-credentials", Title: "client-credentials grant: applicationKey and applicationSecret",
		Source:       "[doc] 200 1000, accessToken, tokenType Bearer, expiresIn, expiresAt = issue time + expiresIn, no refresh fields, a resourceOwnerId header",
		emulatorWant: []outcome{ok1000}, liveWant: []outcome{ok1000},
		call: call{op: pathToken, role: rolePlain},
	},
	{
		ID: "accept-language-th", Title: "client-credentials grant with accept-language: TH",
		Source:       "[doc] TH is accepted: 200 1000, the description in the language asked for; [decision] the emulator keeps English descriptions (SCB's Thai wording is not public), so a description without Thai is a warning on a live target only",
		emulatorWant: []outcome{ok1000}, liveWant: []outcome{ok1000},
		call: call{op: pathToken, role: rolePlain, header: []edit{set("accept-language", "TH")}}, run: runThai,
	},
	{
		ID: "authorization-code", Title: "authorization-code grant: authorize, consent, then the code",
		Source:       "[doc] 200 1000 with refreshToken, refreshExpiresIn, refreshExpiresAt; the emulator mints the code, a live run takes SCB_AUTH_CODE",
		emulatorWant: []outcome{ok1000}, liveWant: []outcome{ok1000},
		call: call{op: pathToken, role: roleCode}, run: runAuthorizationCode, needs: needsAuthCode,
	},
	{
		ID: "web-authorization-code", Title: "web application: authorize, consent with state and codeChallenge, then the code with both",
		Source:       "[doc] 200 1000 with refresh fields for a web application sending state and codeChallenge",
		emulatorWant: []outcome{ok1000}, emulatorOnly: true,
		call: call{op: pathToken, role: roleWeb}, run: runWeb(true),
	},
	{
		ID: "web-without-code-challenge", Title: "web application sends the code and state but no codeChallenge",
		Source:       "[doc] 401 9300 \"This application requires codeChallenge verification\"",
		emulatorWant: []outcome{{status: 401, code: 9300, desc: "This application requires codeChallenge verification"}}, emulatorOnly: true,
		call: call{op: pathToken, role: roleWeb}, run: runWeb(false),
	},
	{
		ID: "refresh", Title: "refresh the authorization-code grant's refresh token",
		Source:       "[doc] 200 1000; [seen] the refresh fields come back too",
		emulatorWant: []outcome{ok1000}, liveWant: []outcome{ok1000},
		call: call{op: pathRefresh, role: roleCode}, run: runRefresh, needs: needsRefreshToken,
	},
	{
		ID: "refresh-reuse", Title: "redeem the same refresh token a second time",
		Source:       "[decision] the emulator rotates refresh tokens and answers 401 9300; SCB does not document rotation, so a live target may also answer 200 1000",
		emulatorWant: []outcome{{status: 401, code: 9300}}, liveWant: []outcome{ok1000, {status: 401, code: 9300}},
		call:  call{op: pathRefresh, role: roleCode, field: []edit{set("refreshToken", redeemedRefreshToken)}},
		needs: needsRedeemedRefresh,
	},
	{
		ID: "invalid-authorization-code", Title: "authorization-code grant with a code that was never issued",
		Source:       "[doc] 401 9300 \"Invalid authorization code\"; a live application that may not use the code grant answers 403 9503 [doc]",
		emulatorWant: []outcome{{status: 401, code: 9300, desc: "Invalid authorization code"}},
		liveWant:     []outcome{{status: 401, code: 9300}, {status: 403, code: 9503}},
		call:         call{op: pathToken, role: roleCode, field: []edit{set("authCode", freshUUID)}},
	},
	{
		ID: "client-credentials-app-sends-code", Title: "a client-credentials-only application sends an authCode",
		Source:       "[doc] 403 9503 \"Invalid authorization method for current credentials\"",
		emulatorWant: []outcome{{status: 403, code: 9503}}, emulatorOnly: true,
		call: call{op: pathToken, role: rolePlain, field: []edit{set("authCode", freshUUID)}},
	},
	{
		ID: "refresh-client-credentials-app", Title: "a client-credentials-only application redeems a refresh token",
		Source:       "[doc] 403 9503 \"Invalid authorization method for current credentials\": the refresh belongs to the authorization-code grant",
		emulatorWant: []outcome{{status: 403, code: 9503, desc: "Invalid authorization method for current credentials"}}, emulatorOnly: true,
		call: call{op: pathRefresh, role: rolePlain},
	},
	{
		ID: "wrong-secret", Title: "a registered applicationKey with the wrong applicationSecret",
		Source:       "[doc] 401 9500 \"Invalid authorization credentials\" (generic table); a live target: 401 with a code of the table",
		emulatorWant: []outcome{{status: 401, code: 9500}}, liveWant: []outcome{{status: 401}},
		call: call{op: pathToken, role: rolePlain, field: []edit{set("applicationSecret", wrongSecret)}},
	},
	{
		ID: "unknown-key", Title: "an applicationKey that is not registered",
		Source:       "[doc] 401 9500 (generic table); a live target: 401 with a code of the table",
		emulatorWant: []outcome{{status: 401, code: 9500}}, liveWant: []outcome{{status: 401}},
		call: call{op: pathToken, role: rolePlain, field: []edit{set("applicationKey", freshUnknownKey), set("applicationSecret", wrongSecret)}},
	},
	{
		ID: "request-uid-short", Title: "client-credentials grant with requestUId 12345, neither a UUID nor 32 alphanumerics",
		Source:       "[seen] SCB answers requestUIds that public clients send (short numbers, words, template placeholders): 200 1000; [decision] the spec accepts 1 to 128 printable ASCII characters; an emulator in strict mode answers 400 1102",
		emulatorWant: []outcome{ok1000}, strictWant: []outcome{{status: 400, code: 1102}}, liveWant: []outcome{ok1000},
		call: call{op: pathToken, role: rolePlain, header: []edit{set("requestUId", "12345")}},
	},
	{
		ID: "null-optional-fields", Title: "client-credentials grant with authCode, state and codeChallenge sent as null",
		Source:       "[seen] SDKs that serialise every field send null, and SCB treats it as absent: 200 1000 without refresh fields; an emulator in strict mode answers 400 1102",
		emulatorWant: []outcome{ok1000}, strictWant: []outcome{{status: 400, code: 1102}}, liveWant: []outcome{ok1000},
		call: call{op: pathToken, role: rolePlain, field: []edit{set("authCode", nil), set("state", nil), set("codeChallenge", nil)}},
	},
	{
		ID: "missing-headers-token", Title: "the token call without the requestUId and resourceOwnerId headers",
		Source:       "[seen] 400 9100 \"Required standard headers (requestUId, resourceOwnerId) not found\": every missing header named; a live target: 4xx",
		emulatorWant: []outcome{{status: 400, code: 9100, desc: "Required standard headers (requestUId, resourceOwnerId) not found"}}, liveWant: []outcome{anyClientError},
		call: call{op: pathToken, role: rolePlain, header: []edit{del("requestUId"), del("resourceOwnerId")}, check: requestBreaks},
	},
	missingHeader(pathToken, "resourceOwnerId"),
	missingHeader(pathToken, "requestUId"),
	missingHeader(pathRefresh, "resourceOwnerId"),
	missingHeader(pathRefresh, "requestUId"),
	{
		ID: "authorize", Title: "authorize: start the user-consent flow, the application's key and secret in headers",
		Source:       "[seen] 200 1000 with data.callbackUrl, a deep link into the SCB app; a live application that may not use the code grant answers 403 9503 [doc]",
		emulatorWant: []outcome{ok1000}, liveWant: []outcome{ok1000, {status: 403, code: 9503}},
		call: call{op: pathAuthorize, role: roleCode},
	},
	{
		ID: "authorize-client-credentials-app", Title: "authorize with a client-credentials-only application",
		Source:       "[doc] 403 9503 \"Invalid authorization method for current credentials\"",
		emulatorWant: []outcome{{status: 403, code: 9503}}, emulatorOnly: true,
		call: call{op: pathAuthorize, role: rolePlain},
	},
	{
		ID: "authorize-wrong-secret", Title: "authorize with a registered apikey and the wrong apisecret",
		Source:       "[doc] 401 9500 \"Invalid authorization credentials\" (generic table); a live target: 401 with a code of the table",
		emulatorWant: []outcome{{status: 401, code: 9500, desc: "Invalid authorization credentials"}}, liveWant: []outcome{{status: 401}},
		call: call{op: pathAuthorize, role: roleCode, header: []edit{set("apisecret", wrongSecret)}},
	},
	{
		ID: "authorize-unknown-key", Title: "authorize with an apikey that is not registered",
		Source:       "[doc] 401 9500 \"Invalid apikey provided\" (generic table); a live target: 401 with a code of the table",
		emulatorWant: []outcome{{status: 401, code: 9500, desc: "Invalid apikey provided"}}, liveWant: []outcome{{status: 401}},
		call: call{op: pathAuthorize, role: roleCode, header: []edit{set("apikey", freshUnknownKey), set("apisecret", wrongSecret)}},
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
		call: call{op: pathAuthorize, role: roleCode, header: []edit{set("response-channel", "sms")}, check: requestBreaks},
	},
	malformed("missing-body-field", "the token call without applicationSecret",
		"[doc] 400 1101 \"Missing required parameters\"", outcome{status: 400, code: 1101},
		call{field: []edit{del("applicationSecret")}}),
	malformed("empty-string", "the token call with applicationKey \"\"",
		"[doc] 400 1103 \"Empty string input not supported\"", outcome{status: 400, code: 1103},
		call{field: []edit{set("applicationKey", "")}}),
	malformed("wrong-type", "the token call with a number as applicationKey",
		"[doc] 400 1102 \"Invalid parameters entered\"", outcome{status: 400, code: 1102},
		call{field: []edit{set("applicationKey", 12345)}}),
	malformed("invalid-json", "the token call with a body that is not JSON",
		"[decision] 400 1102 for a body that does not parse", outcome{status: 400, code: 1102},
		call{raw: raw(`{"applicationKey": "l7`)}),
	{
		ID: "unrecognized-field", Title: "the token call with a field the spec does not declare",
		Source:       "[decision] 400 1105 \"Unrecognized field name...\"; a live target may ignore the field and answer 200 1000",
		emulatorWant: []outcome{{status: 400, code: 1105}}, liveWant: []outcome{anyClientError, ok1000},
		call: call{op: pathToken, role: rolePlain, field: []edit{set("grantType", "client_credentials")}, check: requestBreaks},
	},
	malformed("wrong-content-type", "the token call with Content-Type: text/plain",
		"[doc] 415 9900 \"Unsupported content type defined\"", outcome{status: 415, code: 9900},
		call{header: []edit{set("Content-Type", "text/plain")}}),
	wrongMethod(pathToken, "wrong-method", "GET on the token path", "405 with a code of the table"),
	{
		ID: "unknown-path", Title: "POST to a path SCB does not serve",
		Source:       "[doc] 404 1104 \"Requested entity record does not exist\" (openapi.yaml's NotFound response); a live target: 404 with a code of the table",
		emulatorWant: []outcome{{status: 404, code: 1104}}, liveWant: []outcome{{status: 404}},
		call: call{op: pathToken, role: rolePlain, path: "/v1/oauth/no-such-path", check: requestBreaks},
	},
}
