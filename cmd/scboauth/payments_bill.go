package main

import (
	"context"
	"errors"
	"reflect"
	"time"

	"github.com/scboauth/scboauth/api"
)

// slipCommand is "scboauth slip".
var slipCommand = &group{
	name: "slip",
	description: `Verify a payment slip with SCB (GET /v1/payment/billpayment/transactions/{transRef}): the bill
payment a slip names, as SCB recorded it. Check a slip a customer shows before trusting it.`,
	verbs: []verb{{"verify", "print the bill payment a slip's transRef names", runSlipVerify}},
}

var slipVerifyHelp = help{
	synopsis: "--trans-ref REF [flags]",
	description: `Print the bill payment a slip's transaction reference names: when and by whom it was paid,
the amount and the bill's references. A slip SCB does not know, or that was not paid from
--sending-bank, is SCB's 404 (exit 1):

  scboauth slip verify --trans-ref 20260401Gt8DabG5S3Rz2Kq --sending-bank 014` + paymentNotes,
	exit: paymentExit,
}

// slipFlags are slip verify's settings.
type slipFlags struct {
	payment
	transRef, bank string
}

// runSlipVerify verifies a slip.
func runSlipVerify(ctx context.Context, e *env, args []string) int {
	f, s := newFlags(e, "slip verify", slipVerifyHelp), &slipFlags{}
	f.String(&s.transRef, "trans-ref", "SCB_SLIP_TRANS_REF", "", "the slip's transaction reference (transRef), 1 to 64 letters and digits; required")
	f.String(&s.bank, "sending-bank", "SCB_SLIP_SENDING_BANK", api.BankSCB, "code of the payer's bank, 3 digits (014 is SCB)")
	s.payment.bind(f)
	fields := fieldFlags{"transRef": {"trans-ref"}, "sendingBank": {"sending-bank"}}
	return s.call(ctx, f, args, fields, func(ctx context.Context, c *api.Client) (any, error) {
		return answer(c.VerifySlip(ctx, s.transRef, s.bank))
	})
}

// billCommand is "scboauth bill".
var billCommand = &group{
	name: "bill",
	description: `Look up bill payments with SCB (GET /v1/payment/billpayment/inquiry): the payments of a Thai
QR 30 on a day, or a My Prompt QR payment. Use it when a customer says they paid and no
payment confirmation came.`,
	verbs: []verb{{"inquire", "print the bill payments of a QR or a My Prompt QR payment on a day", runBillInquire}},
}

var billInquireHelp = help{
	synopsis: "--date YYYY-MM-DD (--biller-id ID --ref1 REF | --partner-transaction-id ID) [flags]",
	description: `Print the bill payments made on --date (a day on the Bangkok clock) to a Thai QR 30, found by
--biller-id and --ref1 (narrowed by --ref2 and --amount), or the My Prompt QR payment of
--partner-transaction-id (SCB_BILLER_ID, which other commands share, is then ignored):

  scboauth bill inquire --date 2026-04-01 --biller-id 012345678901234 --ref1 INV001

The output is a list, "payments" (each "payments[0].transactionId ..." in text), empty when
nothing was paid: that is an answer, exit 0.` + paymentNotes,
	exit: paymentExit,
}

// billFields maps the fields of an api.BillPaymentQuery to bill inquire's flags.
var billFields = fieldFlags{
	"Date": {"date"}, "BillerID": {"biller-id", "ref1", "ref2", "amount"}, "Ref1": {"ref1"}, "Ref2": {"ref2"},
	"Amount": {"amount"}, "PartnerTransactionID": {"partner-transaction-id"},
}

// billFlags are bill inquire's settings.
type billFlags struct {
	payment
	q api.BillPaymentQuery
}

func (b *billFlags) bind(f *flags) {
	q := &b.q
	bind(f, &q.Date, "date", "SCB_BILL_DATE", time.Time{}, "YYYY-MM-DD", "day of the payments, on the Bangkok clock; required",
		func(s string) (time.Time, error) {
			d, err := time.ParseInLocation(time.DateOnly, s, api.Bangkok)
			if err != nil {
				return d, errors.New("not a date such as 2026-04-01")
			}
			return d, nil
		})
	f.String(&q.BillerID, "biller-id", "SCB_BILLER_ID", "", "PromptPay biller id of the QR, 15 digits")
	f.String(&q.Ref1, "ref1", "SCB_BILL_REF1", "", "first reference of the bill, 1 to 20 of A-Z and 0-9")
	f.String(&q.Ref2, "ref2", "SCB_BILL_REF2", "", "second reference, to narrow the search")
	bindAmount(f, &q.Amount, "amount", "SCB_BILL_AMOUNT", false, "amount paid in baht, to narrow the search")
	f.String(&q.PartnerTransactionID, "partner-transaction-id", "SCB_BILL_PARTNER_TRANSACTION_ID", "", "id of a My Prompt QR payment, instead of --biller-id and --ref1")
	b.payment.bind(f)
}

// runBillInquire looks up bill payments.
func runBillInquire(ctx context.Context, e *env, args []string) int {
	f, b := newFlags(e, "bill inquire", billInquireHelp), &billFlags{}
	b.bind(f)
	return b.call(ctx, f, args, billFields, func(ctx context.Context, c *api.Client) (any, error) {
		if b.q.PartnerTransactionID != "" && f.FromEnv("biller-id") {
			b.q.BillerID = "" // a variable other commands share; a flag is refused
		}
		list, err := c.InquireBillPayment(ctx, b.q)
		if err != nil {
			return nil, err
		}
		return object{{"payments", outputOf(reflect.ValueOf(list))}}, nil
	})
}
