package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// billerID is a biller id the emulator accepts.
const billerID = "012345678901234"

// payServer is the emulator with a fake clock, served over loopback HTTP, whose payment calls
// (every path but the token's) are counted and can be preceded by a hook.
type payServer struct {
	srv     *sandbox.Server
	clock   *sandboxtest.Clock
	environ map[string]string // the base URL and the plain demo application

	mu     sync.Mutex
	calls  int
	before func(r *http.Request, n int) // called before the nth payment call is served
}

// newPayServer starts a payServer whose clock reads 2026-04-01 17:30 UTC, 00:30 on 2 April in
// Bangkok.
func newPayServer(t *testing.T) *payServer {
	t.Helper()
	p := &payServer{clock: sandboxtest.NewClock(time.Date(2026, 4, 1, 17, 30, 0, 0, time.UTC))}
	p.srv = sandboxtest.New(t, sandbox.WithClock(p.clock.Now))
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/oauth/token" {
			p.mu.Lock()
			p.calls++
			n, before := p.calls, p.before
			p.mu.Unlock()
			if before != nil {
				before(r, n)
			}
		}
		p.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	app := sandboxtest.Demo(sandbox.KindPlain)
	p.environ = map[string]string{"SCB_BASE_URL": ts.URL, "SCB_APPLICATION_KEY": app.Key, "SCB_APPLICATION_SECRET": app.Secret}
	return p
}

// Calls returns the number of payment calls served so far.
func (p *payServer) Calls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}

// Before sets the hook run before each payment call.
func (p *payServer) Before(hook func(r *http.Request, n int)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.before = hook
}

// run runs "scboauth args..." with the server's environment plus extra.
func (p *payServer) run(t *testing.T, extra map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	environ := map[string]string{}
	for _, m := range []map[string]string{p.environ, extra} {
		for k, v := range m {
			environ[k] = v
		}
	}
	return runCmd(t, environ, args...)
}

// runJSON runs "scboauth args... --format json", wants exit 0, and decodes the output.
func (p *payServer) runJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	code, stdout, stderr := p.run(t, nil, append(args, "--format", "json")...)
	if code != exitOK || stderr != "" {
		t.Fatalf("%q: got exit %d, stderr %q; want 0 and nothing", args, code, stderr)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%q: got %q, want JSON: %v", args, stdout, err)
	}
	return out
}

// pp are the flags of a Thai QR 30 of 100.50 baht.
var pp = []string{"qr", "create", "--amount", "100.50", "--biller-id", billerID, "--ref1", "INV001", "--ref2", "CUST7", "--ref3", "SCB"}

// TestPaymentCommandsQRFlow: a QR 30 created, paid in the emulator, then found by slip verify
// and bill inquire on its Bangkok date, in text and JSON; unknown slips are SCB's 404 (exit 1),
// and an inquiry that finds nothing is an answer (exit 0).
func TestPaymentCommandsQRFlow(t *testing.T) {
	p := newPayServer(t)
	code, stdout, stderr := p.run(t, nil, pp...)
	if code != exitOK || stderr != "" || !strings.HasPrefix(stdout, "rawData  000201") || strings.Count(stdout, "\n") != 1 {
		t.Fatalf("got exit %d, stdout %q, stderr %q; want 0 and the raw data alone", code, stdout, stderr)
	}
	qr := p.runJSON(t, pp...)
	raw, _ := qr["rawData"].(string)
	if len(qr) != 1 || !strings.Contains(raw, billerID) {
		t.Fatalf("got %v, want the raw data alone, with the biller id", qr)
	}
	p.clock.Advance(time.Minute)
	paid, err := p.srv.SimulatePayment(raw, sandbox.Payer{Name: "Somchai", BankCode: "004"})
	if err != nil {
		t.Fatal(err)
	}

	slip := p.runJSON(t, "slip", "verify", "--trans-ref", paid.TransRef, "--sending-bank", "004")
	sender, _ := slip["sender"].(map[string]any)
	if slip["transRef"] != paid.TransRef || slip["amount"] != "100.50" || slip["paidAt"] != "2026-04-02T00:31:00+07:00" ||
		slip["ref2"] != "CUST7" || sender["name"] != "Somchai" {
		t.Errorf("slip: got %v", slip)
	}
	code, stdout, _ = p.run(t, nil, "slip", "verify", "--trans-ref", paid.TransRef, "--sending-bank", "004")
	aligned := regexp.MustCompile(`(?m)^transRef {16}` + paid.TransRef + `\n(.*\n)*sender\.name {13}Somchai\n(.*\n)*receiver\.account\.value  0987654321\n`)
	if code != exitOK || !aligned.MatchString(stdout) {
		t.Errorf("slip in text: got exit %d, %q; want aligned name and value lines", code, stdout)
	}
	code, stdout, stderr = p.run(t, nil, "slip", "verify", "--trans-ref", paid.TransRef) // paid from 004, not SCB
	if code != exitFail || stdout != "" || !strings.Contains(stderr, "scboauth slip verify: api: slip verification request: 404 1104 ") {
		t.Errorf("slip at the wrong bank: got exit %d, stdout %q, stderr %q; want 1 and SCB's 404", code, stdout, stderr)
	}

	found := p.runJSON(t, "bill", "inquire", "--date", "2026-04-02", "--biller-id", billerID, "--ref1", "INV001", "--amount", "100.5")
	list, _ := found["payments"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["transactionId"] != paid.TransRef || list[0].(map[string]any)["amount"] != "100.50" {
		t.Errorf("inquiry on the Bangkok date: got %v, want the payment", found)
	}
	if none := p.runJSON(t, "bill", "inquire", "--date", "2026-04-01", "--biller-id", billerID, "--ref1", "INV001"); len(none) != 1 || none["payments"] == nil || len(none["payments"].([]any)) != 0 {
		t.Errorf("inquiry on the UTC date: got %v, want an empty list", none)
	}
	code, stdout, _ = p.run(t, nil, "bill", "inquire", "--date", "2026-04-01", "--biller-id", billerID, "--ref1", "INV001")
	if code != exitOK || stdout != "payments  (none)\n" {
		t.Errorf("empty inquiry in text: got exit %d, %q", code, stdout)
	}
	// A shared variable that does not apply is ignored; the flag is not.
	code, _, stderr = p.run(t, map[string]string{"SCB_BILLER_ID": billerID}, "bill", "inquire", "--date", "2026-04-02", "--partner-transaction-id", "P1")
	if code != exitOK {
		t.Errorf("SCB_BILLER_ID with --partner-transaction-id: got exit %d (%s), want 0", code, stderr)
	}
}

// TestPaymentCommandCardQR: a PPCS QR prints its card part; SCB_BILLER_ID is ignored by a card
// QR and SCB_MERCHANT_ID by a QR 30, while the flags are refused.
func TestPaymentCommandCardQR(t *testing.T) {
	p := newPayServer(t)
	card := []string{"--merchant-id", "M1", "--terminal-id", "T1", "--invoice", "INV77", "--expires-in", "30m", "--note", "ข้าวมันไก่ & <tea>"}
	qr := p.runJSON(t, append(append([]string{}, pp...), append(card, "--type", "ppcs")...)...)
	c, _ := qr["card"].(map[string]any)
	if c["invoice"] != "INV77" || c["note"] != "ข้าวมันไก่ & <tea>" || c["expiresAt"] != "2026-04-02T01:00:00+07:00" || c["amount"] != "100.50" || len(c["channels"].([]any)) == 0 {
		t.Errorf("got %v, want the card part, the note unescaped", qr)
	}
	shared := map[string]string{"SCB_BILLER_ID": billerID, "SCB_MERCHANT_ID": "M1", "SCB_TERMINAL_ID": "T1"}
	if code, _, stderr := p.run(t, shared, "qr", "create", "--type", "CS", "--amount", "5", "--invoice", "I1"); code != exitOK {
		t.Errorf("a card QR with SCB_BILLER_ID set: got exit %d (%s), want 0", code, stderr)
	}
	if code, _, stderr := p.run(t, shared, "qr", "create", "--amount", "5", "--ref1", "A", "--ref3", "SCB"); code != exitOK {
		t.Errorf("a QR 30 with SCB_MERCHANT_ID set: got exit %d (%s), want 0", code, stderr)
	}
	code, _, stderr := p.run(t, shared, "qr", "create", "--type", "CS", "--amount", "5", "--invoice", "I1", "--biller-id", billerID)
	if code != exitUsage || !strings.Contains(stderr, "--biller-id (SCB_BILLER_ID): does not apply to a QR of type CS") {
		t.Errorf("a card QR with --biller-id: got exit %d, stderr %q; want 2 naming the flag", code, stderr)
	}
}

// TestPaymentCommandQRImage: --image writes SCB's GIF to a new file only, refuses what exists
// (before creating the QR) unless --force, which replaces a regular file and never a link or
// what it points to; a picture that cannot be written leaves the created QR printed, exit 1.
func TestPaymentCommandQRImage(t *testing.T) {
	p := newPayServer(t)
	dir := t.TempDir()
	img := filepath.Join(dir, "qr.gif")
	code, stdout, stderr := p.run(t, nil, append(pp, "--image", img)...)
	lines := strings.Split(stdout, "\n")
	if code != exitOK || len(lines) != 3 || lines[1] != "image    "+img {
		t.Fatalf("got exit %d, stdout %q, stderr %q; want the raw data and the file", code, stdout, stderr)
	}
	gif, err := os.ReadFile(img)
	if err != nil || !bytes.HasPrefix(gif, []byte("GIF8")) {
		t.Fatalf("the file holds %q (%v), want a GIF", gif, err)
	}
	if fi, _ := os.Stat(img); fi.Mode().Perm()&0o133 != 0 || fi.Mode().Perm()&0o600 != 0o600 {
		t.Errorf("the file's mode is %v, want 0644 less the umask", fi.Mode())
	}

	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.gif")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	calls := p.Calls()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--image", img}, `--image (SCB_QR_IMAGE): "` + img + `" exists; --force replaces it`},
		{[]string{"--image", link, "--force"}, "is not a regular file; it is never replaced"},
		{[]string{"--image", dir, "--force"}, "is not a regular file; it is never replaced"},
		{[]string{"--image", filepath.Join(dir, "no", "qr.gif")}, "--image (SCB_QR_IMAGE): no directory"},
		{[]string{"--image", "-"}, "never to stdout"},
		{[]string{"--force"}, "--force goes with --image"},
	} {
		code, stdout, stderr := p.run(t, nil, append(pp, tt.args...)...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, tt.want) {
			t.Errorf("%q: got exit %d, stdout %q, stderr %q; want 2 and %q", tt.args, code, stdout, stderr, tt.want)
		}
	}
	if got := p.Calls(); got != calls {
		t.Errorf("refused images created %d QRs, want none", got-calls)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("the link's target holds %q, want it untouched", b)
	}
	if code, _, stderr := p.run(t, nil, append(pp, "--image", img, "--force")...); code != exitOK {
		t.Errorf("--force: got exit %d (%s), want 0", code, stderr)
	}

	// The directory goes away after the check, before SCB answers: the QR exists, so it is
	// printed, and the failure is exit 1.
	gone := filepath.Join(dir, "gone")
	if err := os.Mkdir(gone, 0o700); err != nil {
		t.Fatal(err)
	}
	p.Before(func(*http.Request, int) { _ = os.Remove(gone) })
	code, stdout, stderr = p.run(t, nil, append(pp, "--image", filepath.Join(gone, "qr.gif"))...)
	if code != exitFail || !strings.HasPrefix(stdout, "rawData  000201") || strings.Contains(stdout, "image") ||
		!strings.Contains(stderr, "the QR was created, but its picture was not written: open ") {
		t.Errorf("got exit %d, stdout %q, stderr %q; want 1, the QR printed and why the picture is not", code, stdout, stderr)
	}
}

// TestWriteImageNeverFollowsLinks: a link placed where the picture goes, after the check, is
// refused with or without force, and what it points to is untouched.
func TestWriteImageNeverFollowsLinks(t *testing.T) {
	dir := t.TempDir()
	victim, link := filepath.Join(dir, "victim"), filepath.Join(dir, "qr.gif")
	if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{victim, filepath.Join(dir, "dangling")} {
		_ = os.Remove(link)
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		for _, force := range []bool{false, true} {
			if err := writeImage(link, []byte("GIF87a"), force); err == nil {
				t.Errorf("a link to %s, force %v: got no error", target, force)
			}
		}
		if _, err := os.Lstat(filepath.Join(dir, "dangling")); err == nil {
			t.Errorf("a dangling link's target was created")
		}
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("the target holds %q, want it untouched", b)
	}
	if err := writeImage(filepath.Join(dir, "none", "qr.gif"), []byte("GIF87a"), true); err == nil {
		t.Errorf("a missing directory: got no error")
	}
}

// TestPaymentCommandsDeeplink: a deeplink created, read pending, paid while transaction get
// --wait polls (paid before its second read), then read as paid; a deeplink that expired ends
// the wait at once with exit 1, and one still pending at --timeout prints its last state, exit 1.
func TestPaymentCommandsDeeplink(t *testing.T) {
	p := newPayServer(t)
	create := []string{"deeplink", "create", "--amount", "250", "--biller-id", billerID, "--ref1", "INV001", "--callback-url", "https://shop.example/back?a=1&b=2", "--merchant-name", "ร้าน"}
	dl := p.runJSON(t, create...)
	id, _ := dl["transactionId"].(string)
	if id == "" || dl["url"] != "scbeasysim://purchase/"+id {
		t.Fatalf("got %v, want the transaction id and its URL", dl)
	}
	tx := p.runJSON(t, "transaction", "get", "--id", id)
	if tx["id"] != id || tx["status"] != "pending" || tx["billPayment"].(map[string]any)["amount"] != "250.00" {
		t.Errorf("got %v, want it pending", tx)
	}

	calls := p.Calls()
	p.Before(func(_ *http.Request, n int) {
		if n == calls+2 {
			if _, err := p.srv.SimulatePayment(id, sandbox.Payer{Name: "Malee"}); err != nil {
				t.Error(err)
			}
		}
	})
	tx = p.runJSON(t, "transaction", "get", "--id", id, "--wait", "--poll-interval", "100ms")
	if tx["status"] != "paid" || tx["method"] != "BP" || p.Calls() != calls+2 {
		t.Errorf("after %d reads got %v, want it paid at the second", p.Calls()-calls, tx)
	}
	p.Before(nil)

	expiring := p.runJSON(t, append(create, "--valid-for", "1m")...)
	p.clock.Advance(2 * time.Minute)
	calls = p.Calls()
	code, stdout, stderr := p.run(t, nil, "transaction", "get", "--id", expiring["transactionId"].(string), "--wait")
	if code != exitFail || !strings.Contains(stdout, "\nstatus                expired\n") || stderr != "scboauth transaction get: the transaction is expired, not paid\n" || p.Calls() != calls+1 {
		t.Errorf("expired: got exit %d, stdout %q, stderr %q after %d reads; want 1 at the first", code, stdout, stderr, p.Calls()-calls)
	}

	pending := p.runJSON(t, create...)["transactionId"].(string)
	code, stdout, stderr = p.run(t, nil, "transaction", "get", "--id", pending, "--wait", "--timeout", "250ms", "--poll-interval", "100ms")
	if code != exitFail || !strings.Contains(stdout, "pending") ||
		stderr != "scboauth transaction get: the transaction is still pending after 250ms; raise --timeout (SCB_PAYMENT_TIMEOUT) to wait longer\n" {
		t.Errorf("still pending: got exit %d, stdout %q, stderr %q; want 1 and the last state", code, stdout, stderr)
	}
	code, stdout, stderr = p.run(t, nil, "transaction", "get", "--id", "no-such-id", "--wait")
	if code != exitFail || stdout != "" || !strings.Contains(stderr, "404 1104") {
		t.Errorf("unknown id: got exit %d, stdout %q, stderr %q; want 1 and SCB's 404", code, stdout, stderr)
	}
}
