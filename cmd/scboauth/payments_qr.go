package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/scboauth/scboauth/api"
)

// qrCommand is "scboauth qr".
var qrCommand = &group{
	name: "qr",
	description: `Create a payment QR with SCB (POST /v1/payment/qrcode/create): a Thai QR 30 that a customer
pays from a bank account with PromptPay, a card QR (QR CS), or both in one code.`,
	verbs: []verb{{"create", "create a payment QR and print its raw data", runQRCreate}},
}

var qrCreateHelp = help{
	synopsis: "--amount BAHT [flags]",
	description: `Create a payment QR and print what a phone scans (rawData), with the card QR's details:

  scboauth qr create --amount 100.00 --biller-id 012345678901234 --ref1 INV001 --ref3 SCB --image qr.gif

--type PP (the default), a Thai QR 30, needs --biller-id, --ref1 and --ref3 (and --ref2 when
the merchant profile has two references). --type CS, a card QR, needs --merchant-id,
--terminal-id and --invoice; --expires-in, --note and --user-defined are optional. PPCS needs
both sets. A flag of the other type is refused, but SCB_BILLER_ID, SCB_MERCHANT_ID and
SCB_TERMINAL_ID, which other commands share, are ignored where they do not apply. The request
is checked before it is sent: a value SCB would refuse is named by its flag (exit 2) and
nothing is sent. A QR is not created twice: the call is not retried once SCB may have
processed it.

--image writes SCB's picture of the QR (a GIF) to the file named, created with mode 0644 less
the umask. An existing file is refused before the QR is created, unless --force, which
replaces a regular file and nothing else (never what a link points to). The picture is never
printed; the output names the file.` + paymentNotes,
	exit: [3]string{paymentExit[0], paymentExit[1] + "; or the picture could not be written (the QR, created, is printed)", paymentExit[2]},
}

// qrFields maps the fields of an api.QRRequest to qr create's flags.
var qrFields = fieldFlags{
	"Type": {"type"}, "Amount": {"amount"}, "BillerID": {"biller-id"},
	"Ref1": {"ref1", "ref2", "ref3"}, "Ref2": {"ref2"}, "Ref3": {"ref3"},
	"MerchantID": {"merchant-id", "terminal-id", "invoice"}, "TerminalID": {"terminal-id"}, "Invoice": {"invoice"},
	"ExpiresIn": {"expires-in", "note", "user-defined"}, "Note": {"note"}, "UserDefined": {"user-defined"},
}

// qrFlags are qr create's settings.
type qrFlags struct {
	payment
	req   api.QRRequest
	typ   string
	image string
	force bool
}

func (q *qrFlags) bind(f *flags) {
	r := &q.req
	f.Enum(&q.typ, "type", "SCB_QR_TYPE", "PP", "kind of QR: PP (Thai QR 30), CS (card) or PPCS (both)", "PP", "CS", "PPCS")
	bindAmount(f, &r.Amount, "amount", "SCB_QR_AMOUNT", true, "amount to pay in baht, such as 100 or 100.50; required")
	f.String(&r.BillerID, "biller-id", "SCB_BILLER_ID", "", "PromptPay biller id of the merchant profile, 15 digits (PP, PPCS)")
	f.String(&r.Ref1, "ref1", "SCB_QR_REF1", "", "first reference of the bill, 1 to 20 of A-Z and 0-9 (PP, PPCS)")
	f.String(&r.Ref2, "ref2", "SCB_QR_REF2", "", "second reference, when the merchant profile has two (PP, PPCS)")
	f.String(&r.Ref3, "ref3", "SCB_QR_REF3", "", "third reference, starting with the application's registered prefix (PP, PPCS)")
	f.String(&r.MerchantID, "merchant-id", "SCB_MERCHANT_ID", "", "card merchant id of the merchant profile (CS, PPCS)")
	f.String(&r.TerminalID, "terminal-id", "SCB_TERMINAL_ID", "", "card terminal id of the merchant profile (CS, PPCS)")
	f.String(&r.Invoice, "invoice", "SCB_QR_INVOICE", "", "invoice number, unique per transaction: 1 to 64 of A-Z and 0-9 (CS, PPCS)")
	f.Duration(&r.ExpiresIn, "expires-in", "SCB_QR_EXPIRES_IN", 0, 0, 9999*time.Minute, "how long the card QR stays payable, whole minutes; 0 is SCB's default, 15m (CS, PPCS)")
	f.String(&r.Note, "note", "SCB_QR_NOTE", "", "description of the card transaction, at most 256 bytes (CS, PPCS)")
	f.String(&r.UserDefined, "user-defined", "SCB_QR_USER_DEFINED", "", "any value of yours, at most 256 bytes (CS, PPCS)")
	f.String(&q.image, "image", "SCB_QR_IMAGE", "", "write SCB's picture of the QR (a GIF) to this new file")
	f.Bool(&q.force, "force", "SCB_QR_FORCE", "let --image replace an existing regular file")
	q.payment.bind(f)
}

// runQRCreate creates a payment QR.
func runQRCreate(ctx context.Context, e *env, args []string) int {
	f, q := newFlags(e, "qr create", qrCreateHelp), &qrFlags{}
	q.bind(f)
	return q.call(ctx, f, args, qrFields, func(ctx context.Context, c *api.Client) (any, error) {
		if err := q.checkImage(f); err != nil {
			return nil, usageError{err}
		}
		q.req.Type = api.QRType(q.typ)
		// Variables other commands share do not apply to every type; a flag always does.
		if q.req.Type == api.QRCard && f.FromEnv("biller-id") {
			q.req.BillerID = ""
		}
		if q.req.Type == api.QRPromptPay && f.FromEnv("merchant-id") {
			q.req.MerchantID = ""
		}
		if q.req.Type == api.QRPromptPay && f.FromEnv("terminal-id") {
			q.req.TerminalID = ""
		}
		qr, err := c.CreateQR(ctx, q.req)
		if err != nil {
			return nil, err
		}
		out := outputOf(reflect.ValueOf(qr)).(object)
		if q.image == "" {
			return out, nil
		}
		if err := writeImage(q.image, qr.Image, q.force); err != nil {
			return out, fmt.Errorf("the QR was created, but its picture was not written: %w", err)
		}
		return append(object{out[0], {"image", q.image}}, out[1:]...), nil
	})
}

// checkImage returns why the picture cannot go where --image says, before the QR is created.
func (q *qrFlags) checkImage(f *flags) error {
	label := f.Label("image")
	switch {
	case q.image == "" && f.lookup("force").from == "--force":
		return errors.New("--force goes with --image")
	case q.image == "":
		return nil
	case q.image == "-":
		return fmt.Errorf("%s: the picture goes to a file, never to stdout: name a file", label)
	}
	fi, err := os.Lstat(q.image)
	switch {
	case err == nil && !q.force:
		return fmt.Errorf("%s: %s exists; --force replaces it", label, quote(q.image))
	case err == nil && !fi.Mode().IsRegular():
		return fmt.Errorf("%s: %s is not a regular file; it is never replaced", label, quote(q.image))
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: %w", label, err)
	}
	if dir, err := os.Stat(filepath.Dir(q.image)); err != nil || !dir.IsDir() {
		return fmt.Errorf("%s: no directory %s", label, quote(filepath.Dir(q.image)))
	}
	return nil
}

// writeImage writes img to a new file at path, mode 0644 less the umask; with force, a regular
// file there is removed first (a link itself, never what it points to). A failed write leaves
// no file behind.
func writeImage(path string, img []byte, force bool) error {
	if fi, err := os.Lstat(path); err == nil && force && fi.Mode().IsRegular() {
		if err := os.Remove(path); err != nil {
			return err
		}
	}
	// O_EXCL: the file must be new; a link, even one placed since the check, is refused.
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = file.Write(img)
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
	}
	return err
}
