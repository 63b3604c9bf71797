package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/scboauth/scboauth/generated"
)

// attempt posts dl's confirmation (attempt n of the policy's), records the outcome, schedules
// the next attempt when the receiver did not acknowledge, and releases the application's
// deliveries held until its next one.
func (d *deliverer) attempt(s *Server, dl *delivery, n int) {
	d.mu.Lock()
	if dl.State == DeliveryHeld {
		dl.State = DeliveryPending
	}
	pending := dl.State == DeliveryPending
	d.mu.Unlock()
	if !pending { // finished meanwhile: closed or reset
		return
	}
	select {
	case d.slots <- struct{}{}:
	case <-d.ctx.Done():
		d.mu.Lock()
		d.finish(dl, DeliveryFailed)
		d.mu.Unlock()
		return
	}
	at, start := s.safeNow(), time.Now()
	a := d.post(dl)
	<-d.slots
	a.At, a.Latency = at, time.Since(start)

	d.mu.Lock()
	dl.Attempts = append(dl.Attempts, a)
	switch {
	case dl.State != DeliveryPending:
	case a.Outcome == outcomeAcknowledged:
		d.finish(dl, DeliveryAcknowledged)
	case n >= d.policy.Attempts:
		d.finish(dl, DeliveryFailed)
	default:
		d.later(s, dl, d.policy.Interval, n+1)
	}
	if !dl.started && !dl.held.AfterNext {
		for _, w := range d.waiting[dl.Application] {
			if w.State == DeliveryHeld {
				d.later(s, w, 0, 1)
			}
		}
		delete(d.waiting, dl.Application)
	}
	dl.started = true
	e := RequestEntry{Time: a.At, Kind: KindDelivery, Method: http.MethodPost, Path: logText(dl.URL, 128), Status: a.Status,
		Application: dl.Application, Fault: logText(dl.Fault, 32), Detail: logText(deliveryDetail(a), maxDetail),
		Latency: a.Latency, Delivery: dl.ID}
	d.mu.Unlock()
	s.log.record(&e)
	s.logDelivery(&e)
}

// deliveryDetail is what the request log says of an attempt.
func deliveryDetail(a DeliveryAttempt) string {
	if a.Detail == "" {
		return a.Outcome
	}
	return a.Outcome + ": " + a.Detail
}

// post sends dl's confirmation once and reads the answer, within the policy's timeout.
func (d *deliverer) post(dl *delivery) DeliveryAttempt {
	ctx, cancel := context.WithTimeout(d.ctx, d.policy.Timeout)
	defer cancel()
	newRequest := generated.NewConfirmQRPaymentCallbackRequestWithBody
	if dl.deeplink {
		newRequest = generated.NewConfirmDeeplinkPaymentCallbackRequestWithBody
	}
	req, err := newRequest(dl.url, "application/json", bytes.NewReader(dl.Body))
	if err != nil {
		return DeliveryAttempt{Outcome: outcomeError, Detail: "the callback URL does not parse"}
	}
	req.Header.Set("User-Agent", "scboauth-sandbox")
	resp, err := d.client.Do(req.WithContext(ctx))
	if err != nil {
		return d.failed(ctx, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	a := DeliveryAttempt{Status: resp.StatusCode}
	switch {
	case err != nil:
		f := d.failed(ctx, err)
		a.Outcome, a.Detail = f.Outcome, "reading the answer: "+f.Detail
	case len(answer) > maxAnswerBytes:
		a.Outcome, a.Detail = outcomeNotAcknowledged, fmt.Sprintf("an answer over %d bytes", maxAnswerBytes)
	default:
		a.Outcome, a.Detail = acknowledgement(resp.StatusCode, resp.Header.Get("Location"), answer, dl.TransactionID)
	}
	return a
}

// failed describes an attempt that got no answer: a timeout, or an error without the URL
// (whose query may hold a secret).
func (d *deliverer) failed(ctx context.Context, err error) DeliveryAttempt {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return DeliveryAttempt{Outcome: outcomeTimeout, Detail: "no answer within " + d.policy.Timeout.String()}
	}
	if d.ctx.Err() != nil {
		return DeliveryAttempt{Outcome: outcomeError, Detail: "the emulator is closed"}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return DeliveryAttempt{Outcome: outcomeError, Detail: logText(err.Error(), maxDeliveryDetail)}
}

// acknowledgement reads a receiver's answer: SCB's acknowledgement is an HTTP 2xx whose JSON
// object has resCode "00" and, when it has a transactionId, the confirmation's [decision:
// openapi.yaml, PaymentConfirmationAcknowledged]. resDesc, "resDesc " (the typo receivers
// send) and confirmId may be there or not.
func acknowledgement(status int, location string, body []byte, transactionID string) (outcome, detail string) {
	if status < 200 || status > 299 {
		if location != "" {
			return outcomeNotAcknowledged, fmt.Sprintf("HTTP %d, a redirect (never followed)", status)
		}
		return outcomeNotAcknowledged, fmt.Sprintf("HTTP %d", status)
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil || fields == nil {
		return outcomeNotAcknowledged, fmt.Sprintf("HTTP %d with a body that is not a JSON object", status)
	}
	var code, id string
	if json.Unmarshal(fields["resCode"], &code) != nil || code != "00" {
		return outcomeNotAcknowledged, fmt.Sprintf("HTTP %d without resCode \"00\"", status)
	}
	if raw, ok := fields["transactionId"]; ok && (json.Unmarshal(raw, &id) != nil || id != transactionID) {
		return outcomeNotAcknowledged, fmt.Sprintf("HTTP %d acknowledging another transactionId", status)
	}
	return outcomeAcknowledged, ""
}

// logDelivery writes a delivery attempt on the logger, at level Info.
func (s *Server) logDelivery(e *RequestEntry) {
	if s.logger == nil || !s.logger.Enabled(context.Background(), slog.LevelInfo) {
		return
	}
	s.logger.LogAttrs(context.Background(), slog.LevelInfo, "delivery",
		slog.String("delivery", e.Delivery), slog.String("app", e.Application), slog.String("url", e.Path),
		slog.Int("status", e.Status), slog.String("detail", e.Detail), slog.Duration("latency", e.Latency))
}
