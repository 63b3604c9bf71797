package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// paymentGroups are the payment commands, for the tests of every verb.
var paymentGroups = []*group{qrCommand, slipCommand, billCommand, deeplinkCommand, transactionCommand}

// goFieldName matches a Go name such as BillerID or PartnerTransactionID in a message.
var goFieldName = regexp.MustCompile(`\b[A-Z][a-z0-9]+[A-Z][A-Za-z0-9]*\b`)

// Arguments of the verbs for the usage errors, args appended.
func qrArgs(args ...string) []string { return append([]string{"qr", "create"}, args...) }
func ppWith(args ...string) []string { return append(append([]string{}, pp...), args...) }
func csArgs(args ...string) []string {
	return qrArgs(append([]string{"--type", "CS", "--amount", "5", "--merchant-id", "M1", "--terminal-id", "T1", "--invoice", "I1"}, args...)...)
}
func billArgs(args ...string) []string {
	return append([]string{"bill", "inquire", "--date", "2026-04-02", "--biller-id", billerID, "--ref1", "INV001"}, args...)
}
func dlArgs(args ...string) []string {
	return append([]string{"deeplink", "create", "--amount", "250", "--biller-id", billerID, "--ref1", "INV001"}, args...)
}

// paymentUsageCases are the usage errors of the payment verbs: what stderr must contain.
var paymentUsageCases = []struct {
	name    string
	environ map[string]string
	args    []string
	want    string
}{
	{"no amount", nil, qrArgs("--biller-id", billerID, "--ref1", "A", "--ref3", "SCB"), "scboauth qr create: --amount (SCB_QR_AMOUNT): required"},
	{"three decimals", nil, ppWith("--amount", "1.234"), `--amount "1.234": not an amount of baht such as 100 or 100.50`},
	{"negative amount", nil, ppWith("--amount", "-5"), `--amount "-5": not an amount`},
	{"exponent", nil, ppWith("--amount", "1e3"), `--amount "1e3": not an amount`},
	{"thousands separator", nil, ppWith("--amount", "1,000"), `--amount "1,000": not an amount`},
	{"sixteen digits", nil, ppWith("--amount", "1234567890123456"), `not an amount`},
	{"zero amount", nil, ppWith("--amount", "0"), "--amount (SCB_QR_AMOUNT): must be more than zero, got 0.00"},
	{"amount over the QR's limit", nil, ppWith("--amount", "10000000000"), "--amount (SCB_QR_AMOUNT): must be at most 9999999999.99 baht"},
	{"bad amount variable", map[string]string{"SCB_QR_AMOUNT": "ten"}, qrArgs("--biller-id", billerID), `SCB_QR_AMOUNT="ten" (--amount): not an amount`},
	{"lower-case ref1", nil, ppWith("--ref1", "inv001"), "--ref1 (SCB_QR_REF1): must be 1 to 20 of A-Z and 0-9"},
	{"ref1 too long", nil, ppWith("--ref1", strings.Repeat("A", 21)), "--ref1 (SCB_QR_REF1): must be 1 to 20"},
	{"empty ref3", nil, ppWith("--ref3", ""), "--ref3 (SCB_QR_REF3): required"},
	{"short biller id", nil, ppWith("--biller-id", "12345"), "--biller-id (SCB_BILLER_ID): must be 15 digits"},
	{"unknown type", nil, ppWith("--type", "XX"), `--type "XX": want PP, CS or PPCS (any case)`},
	{"ref3 on a card QR", nil, csArgs("--ref3", "SCB"), "--ref3 (SCB_QR_REF3): does not apply to a QR of type CS"},
	{"invoice on a QR 30", nil, ppWith("--invoice", "I1"), "--invoice (SCB_QR_INVOICE): does not apply to a QR of type PP"},
	{"note on a QR 30", nil, ppWith("--note", "hi"), "--note (SCB_QR_NOTE): does not apply to a QR of type PP"},
	{"card QR without invoice", nil, qrArgs("--type", "cs", "--amount", "5", "--merchant-id", "M1", "--terminal-id", "T1"), "--invoice (SCB_QR_INVOICE): required"},
	{"expiry not in minutes", nil, csArgs("--expires-in", "90s"), "--expires-in (SCB_QR_EXPIRES_IN): must be whole minutes from 1 to 9999, got 1m30s"},
	{"expiry too long", nil, csArgs("--expires-in", "10000m"), `--expires-in "10000m": must be between 0s and 166h39m`},
	{"note with CR LF", nil, csArgs("--note", "a\r\nInjected: b"), "--note (SCB_QR_NOTE): has control or invisible characters"},
	{"merchant id with a space", nil, qrArgs("--type", "CS", "--amount", "5", "--merchant-id", "M 1", "--terminal-id", "T1", "--invoice", "I1"), "--merchant-id (SCB_MERCHANT_ID): must be visible ASCII without spaces"},
	{"unknown format", nil, ppWith("--format", "yaml"), `--format "yaml": want text or json (any case)`},
	{"zero timeout", nil, ppWith("--timeout", "0s"), `--timeout "0s": must be between 1ms and 24h`},
	{"no credentials", map[string]string{"SCB_APPLICATION_KEY": "", "SCB_APPLICATION_SECRET": ""}, pp,
		"missing the application's credentials: set --application-key (SCB_APPLICATION_KEY) and --application-secret (SCB_APPLICATION_SECRET)"},
	{"http to a remote host", nil, ppWith("--base-url", "http://api.partners.scb/partners"), "--base-url (SCB_BASE_URL): https required"},
	{"stray argument", nil, ppWith("INV001"), `unexpected argument "INV001"`},

	{"no transRef", nil, []string{"slip", "verify"}, "scboauth slip verify: --trans-ref (SCB_SLIP_TRANS_REF): required"},
	{"transRef with a slash", nil, []string{"slip", "verify", "--trans-ref", "../x"}, "--trans-ref (SCB_SLIP_TRANS_REF): must be 1 to 64 letters and digits"},
	{"two-digit bank", nil, []string{"slip", "verify", "--trans-ref", "X1", "--sending-bank", "14"}, "--sending-bank (SCB_SLIP_SENDING_BANK): must be a bank code of 3 digits"},

	{"no date", nil, []string{"bill", "inquire", "--biller-id", billerID, "--ref1", "A"}, "scboauth bill inquire: --date (SCB_BILL_DATE): required"},
	{"no such month", nil, billArgs("--date", "2026-13-01"), `--date "2026-13-01": not a date such as 2026-04-01`},
	{"Thai date order", nil, billArgs("--date", "01/04/2026"), `--date "01/04/2026": not a date`},
	{"no biller id", nil, []string{"bill", "inquire", "--date", "2026-04-02", "--ref1", "A"}, "--biller-id (SCB_BILLER_ID): required"},
	{"partner id and biller id flags", nil, billArgs("--partner-transaction-id", "P1"),
		"--biller-id (SCB_BILLER_ID): does not apply with --partner-transaction-id (a My Prompt QR)"},
	{"partner id and ref1", nil, []string{"bill", "inquire", "--date", "2026-04-02", "--ref1", "A", "--partner-transaction-id", "P1"},
		"--ref1 (SCB_BILL_REF1): does not apply with --partner-transaction-id"},
	{"partner id too long", nil, []string{"bill", "inquire", "--date", "2026-04-02", "--partner-transaction-id", strings.Repeat("P", 36)},
		"--partner-transaction-id (SCB_BILL_PARTNER_TRANSACTION_ID): longer than 35 bytes"},
	{"inquiry amount with three decimals", nil, billArgs("--amount", "0.001"), `--amount "0.001": not an amount`},

	{"deeplink without amount", nil, []string{"deeplink", "create", "--biller-id", billerID, "--ref1", "A"}, "--amount (SCB_DEEPLINK_AMOUNT): required"},
	{"deeplink without biller id", nil, []string{"deeplink", "create", "--amount", "1", "--ref1", "A"}, "--biller-id (SCB_BILLER_ID): required"},
	{"deeplink ref2 lower-case", nil, dlArgs("--ref2", "x"), "--ref2 (SCB_DEEPLINK_REF2): must be 1 to 20 of A-Z and 0-9"},
	{"validity under a minute", nil, dlArgs("--valid-for", "30s"), "--valid-for (SCB_DEEPLINK_VALID_FOR): must be whole seconds from 1 to 30 minutes, got 30s"},
	{"validity not in seconds", nil, dlArgs("--valid-for", "90500ms"), "--valid-for (SCB_DEEPLINK_VALID_FOR): must be whole seconds"},
	{"validity over 30 minutes", nil, dlArgs("--valid-for", "31m"), `--valid-for "31m": must be between 0s and 30m`},
	{"javascript callback", nil, dlArgs("--callback-url", "javascript://alert(1)"), "--callback-url (SCB_DEEPLINK_CALLBACK_URL): has a scheme a browser runs"},
	{"relative callback", nil, dlArgs("--callback-url", "/back"), "--callback-url (SCB_DEEPLINK_CALLBACK_URL): is not an absolute URL"},
	{"merchant name with a bidi override", nil, dlArgs("--merchant-name", "shop\u202e"), "--merchant-name (SCB_DEEPLINK_MERCHANT_NAME): has control or invisible characters"},
	{"account too long", nil, dlArgs("--account-from", strings.Repeat("1", 16)), "--account-from (SCB_DEEPLINK_ACCOUNT_FROM): longer than 15 bytes"},

	{"no transaction id", nil, []string{"transaction", "get"}, "scboauth transaction get: --id (SCB_TRANSACTION_ID): required"},
	{"transaction id with a slash", nil, []string{"transaction", "get", "--id", "a/b"}, "--id (SCB_TRANSACTION_ID): must be 1 to 64 letters, digits and hyphens"},
	{"poll interval too short", nil, []string{"transaction", "get", "--id", "x", "--wait", "--poll-interval", "1ms"}, `--poll-interval "1ms": must be between 100ms and 1h`},
	{"bad wait variable", map[string]string{"SCB_TRANSACTION_WAIT": "maybe"}, []string{"transaction", "get", "--id", "x"}, `SCB_TRANSACTION_WAIT="maybe" (--wait): not a boolean`},

	{"group without a verb", nil, []string{"qr"}, "Usage: scboauth qr <verb> [flags]"},
	{"unknown verb", nil, []string{"qr", "scan"}, "scboauth qr: unknown verb \"scan\" (want create)\nRun \"scboauth qr --help\" for the verbs."},
	{"flag before the verb", nil, []string{"slip", "--trans-ref", "x"}, `scboauth slip: unknown verb "--trans-ref" (want verify)`},
	{"hostile verb", nil, []string{"bill", "\x1b[2J\u202e"}, `unknown verb "\x1b[2J\u202e"`},
}

// TestPaymentCommandUsageErrors: every bad flag, variable, combination and value SCB would
// refuse is exit 2 with a message naming the flag, before anything reaches SCB; no message
// names a Go field or shows the application secret.
func TestPaymentCommandUsageErrors(t *testing.T) {
	p := newPayServer(t)
	tests := paymentUsageCases
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := p.run(t, tt.environ, tt.args...)
			if code != exitUsage || stdout != "" {
				t.Errorf("got exit %d, stdout %q; want 2 and nothing", code, stdout)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("got stderr %q, want it to contain %q", stderr, tt.want)
			}
			messages := regexp.MustCompile(`(?m)^scboauth .*$`).FindAllString(stderr, -1) // not a group's help
			if strings.Contains(stderr, "demo-plain-secret") || goFieldName.MatchString(strings.Join(messages, "\n")) {
				t.Errorf("stderr shows the secret or a Go name: %q", stderr)
			}
			if r, ok := sandboxtest.UnsafeRune(stderr); ok {
				t.Errorf("stderr has %U: %q", r, stderr)
			}
		})
	}
	if n := p.Calls(); n != 0 {
		t.Errorf("%d payment calls reached SCB, want none", n)
	}
}

// TestPaymentCommandHelp: each payment command's help lists its verbs, and each verb's help
// (--help, "help VERB", "scboauth help CMD") names every flag with its variable, warns about the
// secret on the command line, says what each exit status means, and shows no secret of the
// environment.
func TestPaymentCommandHelp(t *testing.T) {
	environ := map[string]string{"SCB_APPLICATION_SECRET": "env-secret-x"}
	flagLine := regexp.MustCompile(`(?m)^  --([a-z0-9-]+)`)
	for _, g := range paymentGroups {
		for _, args := range [][]string{{g.name, "--help"}, {g.name, "help"}, {"help", g.name}} {
			code, stdout, stderr := runCmd(t, environ, args...)
			if code != exitOK || stderr != "" || !strings.Contains(stdout, "Usage: scboauth "+g.name+" <verb>") {
				t.Errorf("%q: got exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
			}
			for _, v := range g.verbs {
				if !strings.Contains(stdout, "\n  "+v.name+" ") {
					t.Errorf("%q: the help does not list %s:\n%s", args, v.name, stdout)
				}
			}
		}
		for _, v := range g.verbs {
			for _, args := range [][]string{{g.name, v.name, "--help"}, {g.name, "help", v.name}, {g.name, v.name, "-h"}} {
				code, stdout, stderr := runCmd(t, environ, args...)
				if code != exitOK || stderr != "" {
					t.Errorf("%q: got exit %d, stderr %q; want 0 and nothing", args, code, stderr)
				}
				for _, want := range []string{"Usage: scboauth " + g.name + " " + v.name + " ", "\n  0  ", "\n  1  SCB answered", "\n  2  bad flags",
					"prefer SCB_APPLICATION_SECRET", "--format text|json"} {
					if !strings.Contains(stdout, want) {
						t.Errorf("%q: the help does not say %q:\n%s", args, want, stdout)
					}
				}
				flags := flagLine.FindAllStringSubmatch(stdout, -1)
				if got := strings.Count(stdout, "\n        env SCB_"); got != len(flags) || len(flags) < 10 {
					t.Errorf("%q: %d flags, %d with their variable", args, len(flags), got)
				}
				if strings.Contains(stdout, "env-secret-x") {
					t.Errorf("%q: the help shows the secret", args)
				}
			}
		}
	}
}

// TestPaymentCommandsHostileServer: whatever a server answers to a payment call (values with
// terminal escapes, CR LF, bidirectional overrides or invalid UTF-8, descriptions quoting the
// access token and the secret, a huge or an HTML body), every verb exits 1 and prints nothing
// on stdout, no unsafe character, no token and no secret.
func TestPaymentCommandsHostileServer(t *testing.T) {
	app := sandboxtest.Demo(sandbox.KindPlain)
	srv := sandboxtest.New(t, sandbox.WithTokenGenerator(sandboxtest.Tokens("tok-hostile")))
	hostile := []string{"\x1b[2J\x1b]0;pwned\x07", "ok\r\nInjected: yes", "\u202egnp.exe", "\xff\xfe", "\U000E0001tag", "a\u2028b"}
	for i, h := range hostile {
		hj := fmt.Sprintf("%q", h) // a JSON string for the valid UTF-8 ones; the invalid ones get \x escapes, which JSON refuses
		if i == 3 {
			hj = "\"" + h + "\""
		}
		huge := fmt.Sprintf(`{"status":{"code":1000,"description":%q},"data":null}`, strings.Repeat(h, (2<<20)/len(h)))
		answers := map[string]func(w http.ResponseWriter, r *http.Request){
			"value": func(w http.ResponseWriter, r *http.Request) {
				data := `{"qrRawData":` + hj + `,"qrImage":"R0lGODdhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs=","transRef":` + hj +
					`,"amount":"1.00","transDate":"20260401","transTime":"10:00:00","transactionId":` + hj +
					`,"deeplinkUrl":"scbeasysim://x","transactionType":"PURCHASE","statusCode":3,"transactionDateandTime":"2026-04-01T10:00:00+07:00"}`
				if strings.Contains(r.URL.Path, "inquiry") {
					data = "[" + data + "]"
				}
				fmt.Fprintf(w, `{"status":{"code":1000,"description":"Success"},"data":%s}`, data)
			},
			"description": func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
				desc := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") + " " + app.Secret + " " + h
				fmt.Fprintf(w, `{"status":{"code":1102,"description":%q},"data":null}`, desc)
			},
			"huge": func(w http.ResponseWriter, r *http.Request) { // over the 1 MiB a QR's answer may have
				fmt.Fprint(w, huge)
			},
			"html": func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusBadRequest) // a 502 would be retried, slowly
				fmt.Fprint(w, "<html>"+h+"</html>")
			},
		}
		for kind, answer := range answers {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/v1/oauth/token" {
					srv.ServeHTTP(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				answer(w, r)
			}))
			environ := map[string]string{"SCB_BASE_URL": ts.URL, "SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": app.Secret}
			for _, args := range [][]string{
				pp, {"slip", "verify", "--trans-ref", "X1"}, {"bill", "inquire", "--date", "2026-04-01", "--biller-id", billerID, "--ref1", "A"},
				{"deeplink", "create", "--amount", "1", "--biller-id", billerID, "--ref1", "A"}, {"transaction", "get", "--id", "x", "--wait"},
			} {
				for _, format := range []string{"text", "json"} {
					code, stdout, stderr := runCmd(t, environ, append(args, "--format", format)...)
					out := stdout + stderr
					switch {
					case i == 3 && kind == "value": // JSON reads invalid UTF-8 as U+FFFD, which is printed or refused
						if !strings.Contains(stdout, "\uFFFD\uFFFD") && (code != exitFail || stdout != "") {
							t.Errorf("%d %s %q: got exit %d, stdout %q, stderr %q; want the replacement characters", i, kind, args, code, stdout, stderr)
						}
					case code != exitFail || stdout != "" || stderr == "":
						t.Errorf("%d %s %q: got exit %d, stdout %q, stderr %q; want 1, an error and nothing on stdout", i, kind, args, code, stdout, stderr)
					}
					if r, ok := sandboxtest.UnsafeRune(out); ok {
						t.Errorf("%d %s %q: the output has %U: %q", i, kind, args, r, out)
					}
					if strings.Contains(out, "tok-hostile") || strings.Contains(out, app.Secret) || regexp.MustCompile(`(?m)^Injected`).MatchString(out) || len(out) > 2000 {
						t.Errorf("%d %s %q: the output shows a token, the secret or an injected line, or is long: %q", i, kind, args, out)
					}
				}
			}
			ts.Close()
		}
	}
}

// TestPaymentCommandsHostileFlags: a hostile value in any flag of any payment verb (escapes,
// CR LF, bidi overrides, invalid UTF-8, invisible characters, NUL, a megabyte) is refused with a
// short message that shows no unsafe character, and never reaches SCB.
func TestPaymentCommandsHostileFlags(t *testing.T) {
	p := newPayServer(t)
	hostile := map[string]string{
		"bidi override": "\u202eevil", "escape": "\x1b[2J\x1b]0;title\x07", "CR LF": "x\r\nInjected: yes",
		"invalid UTF-8": "\xff\xfe", "zero width": "a\u200bb", "line separator": "a\u2028b", "NUL": "a\x00b",
		"huge": strings.Repeat("9", 1<<20) + "\u202e",
	}
	valid := map[string][]string{
		"qr create": pp[2:], "slip verify": {"--trans-ref", "X1"}, "bill inquire": {"--date", "2026-04-02", "--biller-id", billerID, "--ref1", "A"},
		"deeplink create": {"--amount", "1", "--biller-id", billerID, "--ref1", "A"}, "transaction get": {"--id", "x"},
	}
	flagLine := regexp.MustCompile(`(?m)^  --([a-z0-9-]+) (\S+)$`) // flags with a value
	for cmd, args := range valid {
		_, help, _ := runCmd(t, nil, append(strings.Fields(cmd), "--help")...)
		flags := flagLine.FindAllStringSubmatch(help, -1)
		if len(flags) < 10 {
			t.Fatalf("%s: found %d flags in the help", cmd, len(flags))
		}
		for _, fl := range flags {
			if fl[1] == "image" {
				continue // any name is a file name of the user's choice
			}
			for name, v := range hostile {
				code, stdout, stderr := p.run(t, nil, append(append(strings.Fields(cmd), args...), "--"+fl[1], v)...)
				if code == exitOK || stdout != "" || stderr == "" || len(stderr) > 2000 {
					t.Errorf("%s --%s %s: got exit %d, stdout %q, %d bytes on stderr; want a short error", cmd, fl[1], name, code, stdout, len(stderr))
				}
				if r, ok := sandboxtest.UnsafeRune(stderr); ok {
					t.Errorf("%s --%s %s: stderr has %U: %q", cmd, fl[1], name, r, stderr)
				}
			}
		}
	}
	if n := p.Calls(); n != 0 {
		t.Errorf("%d payment calls reached SCB, want none", n)
	}
}

// TestPaymentCommandSCBErrors: SCB's refusal of the credentials is exit 1 and shows no secret;
// no answer at all is exit 2.
func TestPaymentCommandSCBErrors(t *testing.T) {
	p := newPayServer(t)
	const secret = "wrong-secret-x"
	code, stdout, stderr := p.run(t, map[string]string{"SCB_APPLICATION_SECRET": secret}, "slip", "verify", "--trans-ref", "X1")
	if code != exitFail || stdout != "" || !strings.Contains(stderr, "scboauth slip verify: api: token request: 401 9500 ") || strings.Contains(stderr, secret) {
		t.Errorf("wrong secret: got exit %d, stdout %q, stderr %q; want 1 and SCB's 401 without the secret", code, stdout, stderr)
	}
	code, _, stderr = p.run(t, nil, "transaction", "get", "--id", "x", "--application-secret", secret, "--timeout", "soon")
	if code != exitUsage || strings.Contains(stderr, secret) {
		t.Errorf("a secret flag next to a bad one: got exit %d, stderr %q; want 2 without the secret", code, stderr)
	}
	// TLS spoken to a plain HTTP server: no answer, and a failure that is not retried.
	https := map[string]string{"SCB_BASE_URL": strings.Replace(p.environ["SCB_BASE_URL"], "http:", "https:", 1)}
	code, stdout, stderr = p.run(t, https, "deeplink", "create", "--amount", "1", "--biller-id", billerID, "--ref1", "A")
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, "server gave HTTP response to HTTPS client") {
		t.Errorf("no answer: got exit %d, stdout %q, stderr %q; want 2", code, stdout, stderr)
	}
}
