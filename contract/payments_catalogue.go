package contract

import "net/http"

// paymentCatalogue is the data of the payment cases, in the order Run sends them, after the
// OAuth cases (init in payments.go). No SCB page lists the payment calls' errors: the emulator
// is held to openapi.yaml's decisions, and a live target to any answer of the documented kind.
var paymentCatalogue = []Case{
	{
		ID: "qr-create-pp", Title: "create a QR 30 (PP): amount, biller id, ref1 and ref3",
		Source:       "[seen] 200 1000 with qrRawData and qrImage only",
		emulatorWant: []outcome{ok1000}, liveWant: []outcome{ok1000}, needs: needsBiller,
		call: call{op: pathQRCode, role: rolePlain},
	},
	{
		ID: "qr-create-cs", Title: "create a QR CS (CS): amount, merchant, terminal, invoice, 20 minutes",
		Source:       "[seen] 200 1000 with the QR CS fields (qrcodeId, csExtExpiryTime, channels...)",
		emulatorWant: []outcome{ok1000}, liveWant: []outcome{ok1000}, needs: needsMerchant,
		call: call{op: pathQRCode, role: rolePlain, field: []edit{set("qrType", "CS"), del("ppType"), del("ppId"), del("ref1"), del("ref3"),
			set("merchantId", configMerchantID), set("terminalId", configTerminalID), set("invoice", "INV001"), set("csExtExpiryTime", "20")}},
	},
	{
		ID: "qr-create-ppcs", Title: "create a QR 30 and QR CS in one code (PPCS)",
		Source:       "[seen] 200 1000 with both sets of fields",
		emulatorWant: []outcome{ok1000}, liveWant: []outcome{ok1000}, needs: needsBillerMerchant,
		call: call{op: pathQRCode, role: rolePlain, field: []edit{set("qrType", "PPCS"),
			set("merchantId", configMerchantID), set("terminalId", configTerminalID), set("invoice", "INV001")}},
	},
	{
		ID: "qr-create-number-amount", Title: "create a QR 30 with the amount as a JSON number",
		Source:       "[seen] the 2020 sandbox answered 200 1000 to \"amount\": 100.0",
		emulatorWant: []outcome{ok1000}, liveWant: []outcome{ok1000}, needs: needsBiller,
		call: call{op: pathQRCode, role: rolePlain, field: []edit{set("amount", 100.5)}},
	},
	{
		ID: "qr-create-lowercase-ref1", Title: "create a QR 30 whose ref1 has lower-case letters",
		Source:       "[seen] references are A-Z and 0-9; [decision] 400 1102; a live target: 4xx",
		emulatorWant: []outcome{{status: 400, code: 1102}}, liveWant: []outcome{anyClientError},
		call: call{op: pathQRCode, role: rolePlain, field: []edit{set("ref1", "inv001")}, check: requestBreaks},
	},
	{
		ID: "qr-create-three-decimals", Title: "create a QR 30 of 100.505 baht",
		Source:       "[seen] at most two decimals; [decision] 400 1102; a live target: 4xx",
		emulatorWant: []outcome{{status: 400, code: 1102}}, liveWant: []outcome{anyClientError},
		call: call{op: pathQRCode, role: rolePlain, field: []edit{set("amount", "100.505")}, check: requestBreaks},
	},
	{
		ID: "qr-create-missing-ref3", Title: "create a QR 30 without ref3",
		Source:       "[seen] PP requires ref3; [decision] 400 1101; a live target: 4xx",
		emulatorWant: []outcome{{status: 400, code: 1101}}, liveWant: []outcome{anyClientError},
		call: call{op: pathQRCode, role: rolePlain, field: []edit{del("ref3")}, check: requestBreaks},
	},
	{
		ID: "qr-create-unknown-field", Title: "create a QR with a field the spec does not declare",
		Source:       "[decision] 400 1105, as on the OAuth calls; a live target may ignore it and answer 200 1000",
		emulatorWant: []outcome{{status: 400, code: 1105}}, liveWant: []outcome{anyClientError, ok1000},
		call: call{op: pathQRCode, role: rolePlain, field: []edit{set("qrCurrency", "THB")}, check: requestBreaks},
	},
	{
		ID: "qr-create-without-token", Title: "create a QR without the authorization header",
		Source:       "[decision] 401 9100 \"Missing required authorization credentials\"; a live target: 401",
		emulatorWant: []outcome{{status: 401, code: 9100, desc: "Missing required authorization credentials"}}, liveWant: []outcome{{status: 401}},
		call: call{op: pathQRCode, role: rolePlain, header: []edit{del("Authorization")}, check: requestBreaks},
	},
	{
		ID: "qr-create-unknown-token", Title: "create a QR with a Bearer token SCB never issued",
		Source:       "[decision] 401 9300 \"Invalid/expired temporary token\"; a live target: 401",
		emulatorWant: []outcome{{status: 401, code: 9300, desc: "Invalid/expired temporary token"}}, liveWant: []outcome{{status: 401}},
		call: call{op: pathQRCode, role: rolePlain, header: []edit{set("Authorization", unknownToken)}},
	},
	{
		ID: "qr-create-wrong-content-type", Title: "create a QR with Content-Type: text/plain",
		Source:       "[doc] 415 9900 \"Unsupported content type defined\"; a live target: 4xx",
		emulatorWant: []outcome{{status: 415, code: 9900}}, liveWant: []outcome{anyClientError},
		call: call{op: pathQRCode, role: rolePlain, header: []edit{set("Content-Type", "text/plain")}, check: requestBreaks},
	},
	{
		ID: "qr-create-wrong-method", Title: "GET on the QR create path",
		Source:       "[doc] 405 9900 \"Wrong http method requested on endpoint\"; a live target: 405",
		emulatorWant: []outcome{{status: 405, code: 9900}}, liveWant: []outcome{{status: 405}},
		call: call{op: pathQRCode, role: rolePlain, method: http.MethodGet, header: []edit{del("Content-Type")}, raw: raw(""), check: requestBreaks},
	},
	{
		ID: "slip", Title: "verify the slip of a QR 30 the emulator paid",
		Source:       "[doc] 200 1000 with the slip's fields; the amount and references are the QR's",
		emulatorWant: []outcome{ok1000}, emulatorOnly: true, needs: needsPayer,
		call: call{op: pathSlip, role: rolePlain}, run: runSlip,
	},
	{
		ID: "slip-unknown", Title: "verify a slip that does not exist",
		Source:       "[decision] 404 1104 \"Requested entity record does not exist\"; a live target: 4xx",
		emulatorWant: []outcome{{status: 404, code: 1104}}, liveWant: []outcome{anyClientError},
		call: call{op: pathSlip, role: rolePlain},
	},
	{
		ID: "slip-without-sending-bank", Title: "verify a slip without the sendingBank parameter",
		Source:       "[doc] sendingBank is required; [decision] 400 1101; a live target: 4xx",
		emulatorWant: []outcome{{status: 400, code: 1101}}, liveWant: []outcome{anyClientError},
		call: call{op: pathSlip, role: rolePlain, path: pathSlip + unknownTransRef, check: requestBreaks},
	},
	{
		ID: "inquiry-paid", Title: "look up the bill payment of a QR 30 the emulator paid",
		Source:       "[seen] 200 1000 with an array holding the payment",
		emulatorWant: []outcome{ok1000}, emulatorOnly: true, needs: needsPayer,
		call: call{op: pathInquiry, role: rolePlain}, run: runInquiryPaid,
	},
	{
		ID: "inquiry-not-paid", Title: "look up the payments of a reference nobody paid",
		Source:       "[decision] 200 1000 with an empty array; a live target: 200 1000 or 4xx, as SCB's answer is not public",
		emulatorWant: []outcome{ok1000}, liveWant: []outcome{ok1000, anyClientError},
		call: call{op: pathInquiry, role: rolePlain},
	},
	{
		ID: "inquiry-without-event-code", Title: "look up payments without eventCode",
		Source:       "[doc] eventCode is required; [decision] 400 1101; a live target: 4xx",
		emulatorWant: []outcome{{status: 400, code: 1101}}, liveWant: []outcome{anyClientError},
		call: call{op: pathInquiry, role: rolePlain, path: pathInquiry + "?transactionDate=2020-01-01&billerId=" + emulatorBillerID + "&reference1=INV001", check: requestBreaks},
	},
	{
		ID: "deeplink", Title: "create a deeplink of a bill payment, valid 15 minutes",
		Source:       "[seen] 201 1000 \"Deeplink successfully created\" with transactionId and deeplinkUrl; a live target: 200 or 201",
		emulatorWant: []outcome{{status: 201, code: 1000, desc: "Deeplink successfully created"}}, liveWant: []outcome{created1000, ok1000}, needs: needsBiller,
		call: call{op: pathDeeplink, role: rolePlain},
	},
	{
		ID: "deeplink-without-channel", Title: "create a deeplink without the channel header",
		Source:       "[doc] channel is required; [decision] 400 9100 naming it; a live target: 4xx",
		emulatorWant: []outcome{{status: 400, code: 9100, desc: "channel"}}, liveWant: []outcome{anyClientError},
		call: call{op: pathDeeplink, role: rolePlain, header: []edit{del("channel")}, check: requestBreaks},
	},
	{
		ID: "deeplink-other-channel", Title: "create a deeplink with channel: line",
		Source:       "[seen] 501 4101 \"Current channel is not supported\"; a live target: 501 4101 or 4xx",
		emulatorWant: []outcome{{status: 501, code: 4101}}, liveWant: []outcome{{status: 501, code: 4101}, anyClientError},
		call: call{op: pathDeeplink, role: rolePlain, header: []edit{set("channel", "line")}, check: requestBreaks},
	},
	{
		ID: "deeplink-without-bill-payment", Title: "create a BP deeplink without its billPayment",
		Source:       "[doc] BP needs billPayment; [decision] 400 1101; a live target: 4xx",
		emulatorWant: []outcome{{status: 400, code: 1101}}, liveWant: []outcome{anyClientError},
		call: call{op: pathDeeplink, role: rolePlain, field: []edit{del("billPayment")}},
	},
	{
		ID: "transaction-pending", Title: "read a new deeplink's transaction",
		Source:       "[doc] 200 1000 with the transaction; [seen] statusCode 0 until paid",
		emulatorWant: []outcome{ok1000}, liveWant: []outcome{ok1000}, needs: needsBiller,
		call: call{op: pathTransaction, role: rolePlain}, run: runTransaction(false),
	},
	{
		ID: "transaction-paid", Title: "read a deeplink's transaction after the emulator paid it",
		Source:       "[seen] 200 1000 with statusCode 1 and transactionMethod BP",
		emulatorWant: []outcome{ok1000}, emulatorOnly: true, needs: needsPayer,
		call: call{op: pathTransaction, role: rolePlain}, run: runTransaction(true),
	},
	{
		ID: "transaction-unknown", Title: "read a transaction that does not exist",
		Source:       "[decision] 404 1104 \"Requested entity record does not exist\"; a live target: 4xx",
		emulatorWant: []outcome{{status: 404, code: 1104}}, liveWant: []outcome{anyClientError},
		call: call{op: pathTransaction, role: rolePlain},
	},
}
