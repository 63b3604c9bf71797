package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	adminapi "github.com/scboauth/scboauth/generated/admin"
)

var payHelp = help{
	synopsis: "--target QR|DEEPLINK [flags]",
	description: `Pay a QR or a deeplink on a running scboauth emulator, as a customer would, through its admin API
(scboauth sandbox --admin), and show how its payment confirmation was delivered to the
application's callback URL:

  scboauth sandbox --admin --app 'shop:l7shop:secret:plain:http://127.0.0.1:9000/scb/confirm' &
  # ... your code creates a QR on the emulator and prints its qrRawData ...
  scboauth pay --target "$QR_RAW_DATA"

--target is the qrRawData of a QR (what a phone scans), or the transactionId or deeplinkUrl of a
deeplink; "-" reads it from standard input. Slip verification and the bill-payment inquiry then
find the payment. The emulator posts the confirmation with SCB's policy (re-sent on anything but
the acknowledgement, 12 s apart unless its --delivery-interval says otherwise); the command waits
up to --wait for the outcome and prints every attempt. --duplicate, --after-next and --delay ask
for a duplicate, an out-of-order or a late delivery.`,
	exit: [3]string{
		"paid, and its confirmation acknowledged (or not sent: the application has no callback URL, or --wait 0)",
		"the emulator refused the payment (unknown, paid already, expired), or the confirmation was not acknowledged by --wait",
		"bad flags or variables, or no scboauth emulator's admin API answers at --admin-url",
	},
}

// payFlags are the pay command's settings.
type payFlags struct {
	adminURL, token, target, method, payerName, format string
	duplicate, afterNext                               bool
	delay, wait, timeout                               time.Duration
}

// maxTarget bounds --target (admin.yaml's PaymentSimulation.target).
const maxTarget = 4096

// runPay pays --target on the emulator and reports the payment and its deliveries.
func runPay(ctx context.Context, e *env, args []string) int {
	f, p := newFlags(e, "pay", payHelp), &payFlags{}
	p.bind(f)
	if code, ok := f.Parse(args); !ok {
		return code
	}
	if err := p.readTarget(f, e.stdin); err != nil {
		return f.fail(err)
	}
	client, err := p.client()
	if err != nil {
		return f.fail(err)
	}
	pay, code := p.pay(ctx, f, client)
	if code != exitOK {
		return code
	}
	pay.Deliveries, code = p.await(ctx, f, client, pay.Deliveries)
	if err := p.print(f, pay); err != nil {
		f.errorf("write the result: %v", err)
		return exitFail
	}
	return code
}

// bind defines the pay command's flags.
func (p *payFlags) bind(f *flags) {
	f.URL(&p.adminURL, "admin-url", "SCB_SANDBOX_ADMIN_URL", "http://127.0.0.1:8080", "base URL of the emulator's admin API: its --addr with --admin, or its --admin-addr")
	f.Secret(&p.token, "admin-token", "SCB_SANDBOX_ADMIN_TOKEN", "the emulator's admin token, when it was started with one")
	f.String(&p.target, "target", "SCB_PAY_TARGET", "", `the qrRawData of a QR, or the transactionId or deeplinkUrl of a deeplink; "-" reads it from standard input`).Check(p.checkTarget)
	f.Enum(&p.method, "method", "SCB_PAY_METHOD", "", "how the customer pays; default the QR's first kind or the deeplink's first sub type", "QR30", "QRCS", "BP", "CCFA", "CCIPP")
	f.String(&p.payerName, "payer-name", "SCB_PAY_PAYER_NAME", "", "the customer's name; default Sandbox Customer").Check(func() error {
		if len(p.payerName) > 64 || strings.IndexFunc(p.payerName, unsafe) >= 0 {
			return errors.New("must be at most 64 bytes without control characters")
		}
		return nil
	})
	f.Bool(&p.duplicate, "duplicate", "SCB_PAY_DUPLICATE", "deliver the confirmation twice at once")
	f.Bool(&p.afterNext, "after-next", "SCB_PAY_AFTER_NEXT", "hold the confirmation until the application's next one has been delivered (out of order)")
	f.Duration(&p.delay, "delay", "SCB_PAY_DELAY", 0, 0, time.Hour, "hold the confirmation this long: the slip and the inquiry show the payment first")
	f.Duration(&p.wait, "wait", "SCB_PAY_WAIT", time.Minute, 0, 5*time.Minute, "how long to wait for the delivery's outcome; 0 does not wait")
	f.Enum(&p.format, "format", "SCB_PAY_FORMAT", "text", "output format", "text", "json")
	f.Duration(&p.timeout, "timeout", "SCB_PAY_TIMEOUT", 10*time.Second, time.Millisecond, time.Hour, "timeout of each admin call, on top of --wait")
}

// checkTarget refuses a missing or oversized --target.
func (p *payFlags) checkTarget() error {
	switch {
	case p.target == "":
		return errors.New("required: the qrRawData of a QR, or a deeplink's transactionId or deeplinkUrl")
	case len(p.target) > maxTarget:
		return fmt.Errorf("longer than %d bytes", maxTarget)
	}
	return nil
}

// readTarget reads --target from stdin when it is "-".
func (p *payFlags) readTarget(f *flags, stdin io.Reader) error {
	if p.target != "-" {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(stdin, maxTarget+1))
	p.target = strings.TrimSpace(string(b))
	switch {
	case err != nil:
		return fmt.Errorf("%s: reading standard input: %v", f.Label("target"), err)
	case p.target == "" || len(p.target) > maxTarget:
		return fmt.Errorf("%s: standard input holds no target, or one over %d bytes", f.Label("target"), maxTarget)
	}
	return nil
}

// client returns a client of the admin API that sends the token and never follows a redirect.
func (p *payFlags) client() (*adminapi.ClientWithResponses, error) {
	hc := &http.Client{Timeout: p.timeout + p.wait,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	opts := []adminapi.ClientOption{adminapi.WithHTTPClient(hc)}
	if p.token != "" {
		opts = append(opts, adminapi.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+p.token)
			return nil
		}))
	}
	c, err := adminapi.NewClientWithResponses(strings.TrimSuffix(p.adminURL, "/"), opts...)
	if err != nil {
		return nil, fmt.Errorf("the admin API's client: %w", err)
	}
	return c, nil
}

// pay asks the emulator to pay, and returns the payment or the exit code of a failure.
func (p *payFlags) pay(ctx context.Context, f *flags, c *adminapi.ClientWithResponses) (*adminapi.SimulatedPayment, int) {
	in := adminapi.PaymentSimulation{Target: p.target}
	if p.method != "" {
		m := adminapi.PaymentMethod(p.method)
		in.Method = &m
	}
	if p.payerName != "" {
		in.Payer = &adminapi.Payer{Name: &p.payerName}
	}
	if p.duplicate || p.afterNext || p.delay > 0 {
		delay := p.delay.String()
		in.Delivery = &adminapi.DeliveryFaults{Duplicate: &p.duplicate, AfterNext: &p.afterNext, Delay: &delay}
	}
	cctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	resp, err := c.SimulatePaymentWithResponse(cctx, in)
	switch {
	case err != nil:
		f.errorf("%s: no answer: %v", f.Label("admin-url"), unwrapURL(err))
		return nil, exitUsage
	case resp.JSON201 != nil:
		return resp.JSON201, exitOK
	case resp.StatusCode() == http.StatusUnauthorized:
		f.errorf("the emulator's admin API wants its admin token: set SCB_SANDBOX_ADMIN_TOKEN (--admin-token)")
		return nil, exitUsage
	}
	var e adminapi.Error
	if json.Unmarshal(resp.Body, &e) != nil || e.Error == "" || resp.StatusCode() == http.StatusNotFound && e.Field == nil {
		f.errorf("%s: HTTP %d, not the scboauth emulator's admin API (start it with --admin)", f.Label("admin-url"), resp.StatusCode())
		return nil, exitUsage
	}
	f.errorf("the emulator refused the payment: %s", e.Error)
	return nil, exitFail
}

// await waits for each delivery to finish, up to --wait in all, and returns them as they
// stand with the exit code: 0 when every one was acknowledged (or --wait is 0).
func (p *payFlags) await(ctx context.Context, f *flags, c *adminapi.ClientWithResponses, ds []adminapi.Delivery) ([]adminapi.Delivery, int) {
	if p.wait == 0 {
		return ds, exitOK
	}
	deadline := time.Now().Add(p.wait)
	code := exitOK
	for i, d := range ds {
		wait := max(time.Until(deadline), time.Millisecond).Round(time.Millisecond).String()
		cctx, cancel := context.WithTimeout(ctx, p.timeout+p.wait)
		resp, err := c.GetDeliveryWithResponse(cctx, d.Id, &adminapi.GetDeliveryParams{Wait: &wait})
		cancel()
		if err != nil || resp.JSON200 == nil {
			f.errorf("delivery %s: could not be read from the emulator", escape(d.Id))
			code = exitFail
			continue
		}
		ds[i] = *resp.JSON200
		if ds[i].State != adminapi.Acknowledged {
			code = exitFail
		}
	}
	return ds, code
}

// print writes the payment and its deliveries, in --format.
func (p *payFlags) print(f *flags, pay *adminapi.SimulatedPayment) error {
	if p.format == "json" {
		return writeJSON(f.e.stdout, pay)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "paid: %s baht by %s (%s), transactionId %s\n", escape(pay.Amount), escape(pay.Application), escape(string(pay.Method)), escape(pay.TransactionId))
	if pay.TransRef != nil {
		fmt.Fprintf(&b, "  slip transRef %s\n", escape(*pay.TransRef))
	}
	if len(pay.Deliveries) == 0 {
		b.WriteString("no payment confirmation sent: the application has no callback URL (scboauth sandbox --app name:key:secret:kind:URL)\n")
	}
	for _, d := range pay.Deliveries {
		fault := ""
		if d.Fault != nil {
			fault = " [" + escape(*d.Fault) + "]"
		}
		fmt.Fprintf(&b, "delivery %s to %s%s: %s\n", escape(d.Id), escape(d.Url), fault, escape(string(d.State)))
		for n, a := range d.Attempts {
			detail := ""
			if a.Detail != nil && *a.Detail != fmt.Sprintf("HTTP %d", a.Status) {
				detail = ": " + escape(*a.Detail)
			}
			fmt.Fprintf(&b, "  attempt %d at %s: HTTP %d, %s%s (%.0f ms)\n", n+1, a.At.Format(time.RFC3339), a.Status, escape(string(a.Outcome)), detail, a.LatencyMs)
		}
	}
	_, err := io.WriteString(f.e.stdout, b.String())
	return err
}

// unwrapURL returns the error under a *url.Error, whose message would repeat the URL.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
