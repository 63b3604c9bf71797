package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	adminapi "github.com/scboauth/scboauth/generated/admin"
)

// The admin API of payments and their confirmations: pay a QR or deeplink, set an
// application's callback URL, list, wait for and replay deliveries (sandbox/admin.yaml).

// maxDeliveryWait bounds the wait parameter of GET /sandbox/v1/deliveries/{id}.
const maxDeliveryWait = 5 * time.Minute

func (a adminServer) SimulatePayment(w http.ResponseWriter, r *http.Request) {
	var in adminapi.PaymentSimulation
	if !decodeAdminBody(w, r, &in) {
		return
	}
	payer, faults, field, msg := paymentOptions(&in)
	if msg != "" {
		writeAdminError(w, http.StatusBadRequest, msg, field)
		return
	}
	pay, err := a.s.SimulatePaymentWith(in.Target, payer, faults)
	switch {
	case errors.Is(err, ErrUnknownPayment):
		writeAdminError(w, http.StatusNotFound, "no QR or deeplink with this target (or it was forgotten)", "target")
	case errors.Is(err, ErrAlreadyPaid):
		writeAdminError(w, http.StatusConflict, "the QR or deeplink was paid already", "target")
	case errors.Is(err, ErrPaymentExpired):
		writeAdminError(w, http.StatusGone, "the QR or deeplink has expired", "target")
	case errors.Is(err, ErrPaymentMethod):
		writeAdminError(w, http.StatusBadRequest, "the method does not apply to this QR or deeplink", "method")
	case err != nil:
		writeAdminError(w, http.StatusBadRequest, strings.TrimPrefix(err.Error(), "sandbox: "), "")
	default:
		writeAdminJSON(w, http.StatusCreated, a.simulated(pay))
	}
}

// paymentOptions reads the payer and the delivery faults of a simulation; msg says what is
// wrong with them, and field where.
func paymentOptions(in *adminapi.PaymentSimulation) (payer Payer, faults DeliveryFaults, field, msg string) {
	if in.Method != nil {
		if !in.Method.Valid() {
			return payer, faults, "method", "method must be QR30, QRCS, BP, CCFA or CCIPP"
		}
		payer.Method = PaymentMethod(*in.Method)
	}
	if p := in.Payer; p != nil {
		payer.Name, payer.BankCode, payer.ProxyType = deref(p.Name), deref(p.BankCode), deref(p.ProxyType)
		payer.ProxyValue, payer.AccountNumber = deref(p.ProxyValue), deref(p.AccountNumber)
		if payer.problem() {
			return payer, faults, "payer", "a payer field is longer than 64 bytes or has a control or format character"
		}
	}
	if d := in.Delivery; d != nil {
		faults.Duplicate, faults.AfterNext = d.Duplicate != nil && *d.Duplicate, d.AfterNext != nil && *d.AfterNext
		if d.Delay != nil {
			delay, err := time.ParseDuration(*d.Delay)
			if err != nil || delay < 0 || delay > MaxWait {
				return payer, faults, "delivery.delay", "delay must be a duration such as 5s, at most 1h"
			}
			faults.Delay = delay
		}
	}
	return payer, faults, "", ""
}

// simulated is the admin answer of a simulated payment, with the deliveries as they stand.
func (a adminServer) simulated(pay Payment) adminapi.SimulatedPayment {
	out := adminapi.SimulatedPayment{
		Application: pay.Application, Method: adminapi.PaymentMethod(pay.Method), TransactionId: pay.TransactionID,
		TransRef: orNil(pay.TransRef), QrCodeId: orNil(pay.QRCodeID), DeeplinkId: orNil(pay.DeeplinkID),
		Amount: formatAmount(pay.AmountSatang, true), PaidAt: pay.PaidAt.UTC(), Deliveries: []adminapi.Delivery{},
	}
	for _, id := range pay.Deliveries {
		if d, err := a.s.Delivery(id); err == nil {
			out.Deliveries = append(out.Deliveries, adminDelivery(d))
		}
	}
	return out
}

// adminDelivery is a Delivery as the admin API shows it.
func adminDelivery(d Delivery) adminapi.Delivery {
	out := adminapi.Delivery{Id: d.ID, Application: d.Application, TransactionId: d.TransactionID, Url: d.URL,
		Fault: orNil(d.Fault), State: adminapi.DeliveryState(d.State), Created: d.Created.UTC(), Body: json.RawMessage(d.Body),
		Attempts: make([]adminapi.DeliveryAttempt, len(d.Attempts))}
	for i, at := range d.Attempts {
		out.Attempts[i] = adminapi.DeliveryAttempt{At: at.At.UTC(), Status: at.Status, Outcome: adminapi.DeliveryAttemptOutcome(at.Outcome),
			Detail: orNil(at.Detail), LatencyMs: float64(at.Latency) / float64(time.Millisecond)}
	}
	return out
}

func (a adminServer) ListDeliveries(w http.ResponseWriter, _ *http.Request, p adminapi.ListDeliveriesParams) {
	app, tx := deref(p.Application), deref(p.TransactionId)
	if len(app) > 256 || len(tx) > 128 {
		writeAdminError(w, http.StatusBadRequest, "a filter is too long", "")
		return
	}
	list := a.s.Deliveries(app, tx)
	out := adminapi.DeliveryList{Deliveries: make([]adminapi.Delivery, len(list))}
	for i, d := range list {
		out.Deliveries[i] = adminDelivery(d)
	}
	writeAdminJSON(w, http.StatusOK, out)
}

func (a adminServer) GetDelivery(w http.ResponseWriter, r *http.Request, id adminapi.DeliveryID, p adminapi.GetDeliveryParams) {
	var wait time.Duration
	if p.Wait != nil {
		d, err := time.ParseDuration(*p.Wait)
		if err != nil || d < 0 || d > maxDeliveryWait {
			writeAdminError(w, http.StatusBadRequest, "wait must be a duration such as 30s, at most 5m", "wait")
			return
		}
		wait = d
	}
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	d, err := a.s.WaitDelivery(ctx, id)
	if errors.Is(err, ErrUnknownDelivery) {
		writeAdminError(w, http.StatusNotFound, "no delivery of that id (the emulator keeps the last 1000)", "id")
		return
	}
	writeAdminJSON(w, http.StatusOK, adminDelivery(d)) // as it stands, finished or not
}

func (a adminServer) ReplayDelivery(w http.ResponseWriter, _ *http.Request, id adminapi.DeliveryID) {
	d, err := a.s.ReplayDelivery(id)
	switch {
	case errors.Is(err, ErrUnknownDelivery):
		writeAdminError(w, http.StatusNotFound, "no delivery of that id (the emulator keeps the last 1000)", "id")
	case err != nil:
		writeAdminError(w, http.StatusConflict, strings.TrimPrefix(err.Error(), "sandbox: "), "")
	default:
		writeAdminJSON(w, http.StatusCreated, adminDelivery(d))
	}
}

func (a adminServer) SetCallbackUrl(w http.ResponseWriter, r *http.Request, name adminapi.ApplicationName) {
	var in struct {
		CallbackURL json.RawMessage `json:"callbackUrl"`
	}
	if !decodeAdminBody(w, r, &in) {
		return
	}
	var url *string
	if in.CallbackURL == nil || json.Unmarshal(in.CallbackURL, &url) != nil {
		writeAdminError(w, http.StatusBadRequest, "callbackUrl is required: a URL, or null for none", "callbackUrl")
		return
	}
	err := a.s.SetCallbackURL(name, deref(url))
	var invalid *ApplicationError
	switch {
	case errors.As(err, &invalid):
		writeAdminError(w, http.StatusBadRequest, "the application would have "+invalid.Problem, invalid.Field)
	case err != nil:
		writeAdminError(w, http.StatusNotFound, "no application of that name", "name")
	default:
		writeAdminJSON(w, http.StatusOK, adminApplication(a.s.appNamed(name)))
	}
}

// adminApplication is an application as the admin API shows it: no secret, the callback URL
// redacted.
func adminApplication(a *app) adminapi.Application {
	if a == nil { // removed meanwhile
		return adminapi.Application{}
	}
	return adminapi.Application{Name: a.Name, Key: a.Key, Kind: adminapi.Kind(a.Kind), CallbackUrl: orNil(shownURL(a.callbackURL()))}
}
