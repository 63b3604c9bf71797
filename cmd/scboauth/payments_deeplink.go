package main

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/scboauth/scboauth/api"
)

// deeplinkCommand is "scboauth deeplink".
var deeplinkCommand = &group{
	name: "deeplink",
	description: `Create a payment the customer makes in the SCB app (POST /v3/deeplink/transactions): a bill
payment behind a link that opens the app. Follow it with "scboauth transaction get".`,
	verbs: []verb{{"create", "create a bill payment deeplink and print its transaction id and URL", runDeeplinkCreate}},
}

var deeplinkCreateHelp = help{
	synopsis: "--amount BAHT --biller-id ID --ref1 REF [flags]",
	description: `Create a bill payment for the customer to make in the SCB app, and print its transaction id
(for "scboauth transaction get") and the URL that opens it in the app:

  scboauth deeplink create --amount 250 --biller-id 012345678901234 --ref1 INV001 --valid-for 15m

The request is checked before it is sent: a value SCB would refuse is named by its flag (exit
2) and nothing is sent. A deeplink is not created twice: the call is not retried once SCB may
have processed it. Card and instalment deeplinks are made with the Go client
(api.Client.CreateDeeplink).` + paymentNotes,
	exit: paymentExit,
}

// deeplinkFields maps the fields of an api.DeeplinkRequest to deeplink create's flags.
var deeplinkFields = fieldFlags{
	"BillPayment.Amount": {"amount"}, "BillPayment.BillerID": {"biller-id"}, "BillPayment.AccountFrom": {"account-from"},
	"BillPayment.Ref1": {"ref1"}, "BillPayment.Ref2": {"ref2"}, "BillPayment.Ref3": {"ref3"},
	"ValidFor": {"valid-for"}, "Merchant.CallbackURL": {"callback-url"}, "Merchant.Name": {"merchant-name"},
}

// deeplinkFlags are deeplink create's settings.
type deeplinkFlags struct {
	payment
	bill     api.DeeplinkBillPayment
	merchant api.DeeplinkMerchant
	validFor time.Duration
}

func (d *deeplinkFlags) bind(f *flags) {
	b := &d.bill
	bindAmount(f, &b.Amount, "amount", "SCB_DEEPLINK_AMOUNT", true, "amount to pay in baht, such as 250 or 250.50; required")
	f.String(&b.BillerID, "biller-id", "SCB_BILLER_ID", "", "biller id to pay, 15 digits; required")
	f.String(&b.Ref1, "ref1", "SCB_DEEPLINK_REF1", "", "first reference of the bill, 1 to 20 of A-Z and 0-9; required")
	f.String(&b.Ref2, "ref2", "SCB_DEEPLINK_REF2", "", "second reference of the bill")
	f.String(&b.Ref3, "ref3", "SCB_DEEPLINK_REF3", "", "third reference of the bill")
	f.String(&b.AccountFrom, "account-from", "SCB_DEEPLINK_ACCOUNT_FROM", "", "the customer's account to pay from, at most 15 characters")
	f.Duration(&d.validFor, "valid-for", "SCB_DEEPLINK_VALID_FOR", 0, 0, 30*time.Minute, "how long the deeplink stays payable, whole seconds from 1m; 0 sets no limit")
	f.String(&d.merchant.CallbackURL, "callback-url", "SCB_DEEPLINK_CALLBACK_URL", "", "where the app's \"Return to Partner App\" sends the customer, an absolute URL")
	f.String(&d.merchant.Name, "merchant-name", "SCB_DEEPLINK_MERCHANT_NAME", "", "the merchant's name the app shows, at most 100 bytes")
	d.payment.bind(f)
}

// runDeeplinkCreate creates a bill payment deeplink.
func runDeeplinkCreate(ctx context.Context, e *env, args []string) int {
	f, d := newFlags(e, "deeplink create", deeplinkCreateHelp), &deeplinkFlags{}
	d.bind(f)
	return d.call(ctx, f, args, deeplinkFields, func(ctx context.Context, c *api.Client) (any, error) {
		req := api.DeeplinkRequest{BillPayment: &d.bill, ValidFor: d.validFor}
		if d.merchant.CallbackURL != "" || d.merchant.Name != "" {
			req.Merchant = &d.merchant
		}
		return answer(c.CreateDeeplink(ctx, req))
	})
}

// transactionCommand is "scboauth transaction".
var transactionCommand = &group{
	name: "transaction",
	description: `Read a deeplink's transaction with SCB (GET /v2/transactions/{transactionId}): whether the
customer paid, and how.`,
	verbs: []verb{{"get", "print a deeplink's transaction, or wait until it is paid", runTransactionGet}},
}

var transactionGetHelp = help{
	synopsis: "--id ID [--wait] [flags]",
	description: `Print a deeplink's transaction: its status (pending, paid, cancelled, invalid, partial,
expired, or "status N" for another code), the amount paid and the bill payment:

  scboauth transaction get --id "$ID" --wait --timeout 10m --format json

Without --wait, the transaction is read once and printed whatever its status (exit 0). With
--wait, it is read every --poll-interval until it is no longer pending, within --timeout: exit
0 once paid; exit 1 when it ends in another status, or is still pending when --timeout passes
(its last status is printed in both cases).` + paymentNotes,
	exit: [3]string{
		"the transaction was printed; with --wait, it is paid",
		paymentExit[1] + "; with --wait, the transaction ended unpaid or was still pending at --timeout",
		paymentExit[2],
	},
}

// transactionFlags are transaction get's settings.
type transactionFlags struct {
	payment
	id       string
	wait     bool
	interval time.Duration
}

// runTransactionGet reads a deeplink's transaction, or waits until it is paid.
func runTransactionGet(ctx context.Context, e *env, args []string) int {
	f, t := newFlags(e, "transaction get", transactionGetHelp), &transactionFlags{}
	f.String(&t.id, "id", "SCB_TRANSACTION_ID", "", "the transaction's id, as deeplink create printed it; required")
	f.Bool(&t.wait, "wait", "SCB_TRANSACTION_WAIT", "read it until it is no longer pending, within --timeout")
	f.Duration(&t.interval, "poll-interval", "SCB_TRANSACTION_POLL_INTERVAL", 2*time.Second, 100*time.Millisecond, time.Hour, "with --wait, the time between two reads")
	t.payment.bind(f)
	return t.call(ctx, f, args, fieldFlags{"id": {"id"}}, func(ctx context.Context, c *api.Client) (any, error) {
		read := func(ctx context.Context) (*api.Transaction, error) { return c.Transaction(ctx, t.id) }
		if !t.wait {
			return answer(read(ctx))
		}
		tx, err := waitPaid(ctx, read, t.interval)
		if errors.Is(err, errStillPending) {
			err = fmt.Errorf("the transaction is still pending after %s; raise %s to wait longer", show(t.timeout), f.Label("timeout"))
		}
		if tx == nil {
			return nil, err
		}
		return outputOf(reflect.ValueOf(tx)), err
	})
}

// errStillPending: the wait ended with the transaction still pending.
var errStillPending = errors.New("still pending")

// waitPaid reads a transaction with read every interval until it is no longer pending, or ctx
// ends. It returns the last transaction read, with an error unless it is paid: one that says
// the status it ended in, errStillPending when ctx ended first (a read it cut short included),
// or the error of a read, with no transaction.
func waitPaid(ctx context.Context, read func(context.Context) (*api.Transaction, error), interval time.Duration) (*api.Transaction, error) {
	var last *api.Transaction
	for {
		t, err := read(ctx)
		switch {
		case err != nil && last != nil && ctx.Err() != nil:
			return last, errStillPending
		case err != nil:
			return nil, err
		case t.Status == api.StatusPaid:
			return t, nil
		case t.Status != api.StatusPending:
			return t, fmt.Errorf("the transaction is %s, not paid", t.Status)
		}
		last = t
		timer := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			timer.Stop()
			return last, errStillPending
		case <-timer.C:
		}
	}
}
