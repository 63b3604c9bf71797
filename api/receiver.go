package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/scboauth/scboauth/generated"
	"github.com/scboauth/scboauth/internal/redact"
)

// ConfirmationFunc processes one payment confirmation: book the payment, ship the order. It
// returns nil once the payment is processed, and the receiver then acknowledges it to SCB; an
// error (or a panic, or running past the receiver's timeout) makes the receiver answer SCB
// that it must send the confirmation again. ctx ends at the receiver's timeout.
type ConfirmationFunc func(ctx context.Context, c *PaymentConfirmation) error

// Defaults and bounds of a ConfirmationReceiver's options.
const (
	// DefaultConfirmationTimeout bounds reading a confirmation and your function, so that the
	// answer reaches SCB before it gives up [decision: SCB's timeout is not public; its
	// re-sends are 12 seconds apart].
	DefaultConfirmationTimeout = 10 * time.Second
	// DefaultConfirmationBodyBytes bounds a confirmation's body: SCB's are under 2 KiB.
	DefaultConfirmationBodyBytes = 64 << 10
	// MaxConfirmationBodyBytes bounds WithBodyLimit.
	MaxConfirmationBodyBytes = 1 << 20
	// MaxConfirmationTimeout bounds WithHandlerTimeout.
	MaxConfirmationTimeout = 5 * time.Minute
	// claimMargin is how much longer than the timeout a claim lasts by default: a replica that
	// died holding a claim frees it before SCB's last re-send (about 36 seconds after the
	// first delivery).
	claimMargin = 20 * time.Second
)

// A ReceiverOption configures a ConfirmationReceiver.
type ReceiverOption func(*receiverConfig)

type receiverConfig struct {
	dedup          Deduplicator
	dedupSet       bool
	maxBody        int64
	timeout, lease time.Duration
	allowed        []netip.Prefix
	proxies        []netip.Prefix
	secretHeader   string
	secretParam    string
	headerSecret   redact.Secret
	paramSecret    redact.Secret
	log            *slog.Logger
	problems       []string
}

// WithDeduplicator shares the record of processed confirmations, such as api/redisstore's
// Deduplicator for a fleet of replicas; the default is a MemoryDeduplicator of this receiver.
func WithDeduplicator(d Deduplicator) ReceiverOption {
	return func(c *receiverConfig) { c.dedup, c.dedupSet = d, true }
}

// WithBodyLimit bounds the body read (DefaultConfirmationBodyBytes, at most
// MaxConfirmationBodyBytes); a longer one is answered 413.
func WithBodyLimit(n int64) ReceiverOption {
	return func(c *receiverConfig) { c.maxBody = n }
}

// WithHandlerTimeout bounds reading a confirmation and running your function
// (DefaultConfirmationTimeout, at most MaxConfirmationTimeout). Past it, the receiver answers
// 503 (SCB sends again) and your function's context ends; if it still returns nil, the
// payment is recorded as processed and SCB's re-send acknowledged.
func WithHandlerTimeout(d time.Duration) ReceiverOption {
	return func(c *receiverConfig) { c.timeout = d }
}

// WithClaimLease sets how long a claim lasts when its holder dies before it finishes (the
// timeout plus 20 seconds by default); it must exceed the timeout.
func WithClaimLease(d time.Duration) ReceiverOption {
	return func(c *receiverConfig) { c.lease = d }
}

// WithAllowedSources accepts confirmations only from these addresses (403 otherwise). SCB
// publishes no source addresses: use the ones your SCB contact gives you, or your proxy's. The
// source is the connection's peer, or with WithTrustedProxies, the client X-Forwarded-For
// names.
func WithAllowedSources(prefixes ...netip.Prefix) ReceiverOption {
	return func(c *receiverConfig) { c.allowed = append(c.allowed, prefixes...) }
}

// WithTrustedProxies says which peers are your own reverse proxies: when the peer is one, the
// source checked by WithAllowedSources is the last address of X-Forwarded-For that is not a
// trusted proxy. Without it, X-Forwarded-For is ignored, since anyone can send it.
func WithTrustedProxies(prefixes ...netip.Prefix) ReceiverOption {
	return func(c *receiverConfig) { c.proxies = append(c.proxies, prefixes...) }
}

// WithSecretHeader requires the header name to carry secret (401 otherwise), compared in
// constant time: for a proxy or gateway in front of the receiver that adds it. SCB sends no
// such header.
func WithSecretHeader(name, secret string) ReceiverOption {
	return func(c *receiverConfig) { c.secretHeader, c.headerSecret = name, redact.New(secret) }
}

// WithSecretParam requires the URL's query parameter name to carry secret (401 otherwise),
// compared in constant time: register https://shop.example/scb?token=<secret> as your
// confirmation URL with SCB. The secret then shows in your access logs: keep them private.
func WithSecretParam(name, secret string) ReceiverOption {
	return func(c *receiverConfig) { c.secretParam, c.paramSecret = name, redact.New(secret) }
}

// WithReceiverLogger logs refused and failed confirmations at level Warn and processed ones at
// Info (default: no log). No secret or body is logged.
func WithReceiverLogger(l *slog.Logger) ReceiverOption {
	return func(c *receiverConfig) { c.log = l }
}

// ReceiverStats counts what a ConfirmationReceiver answered since it was made; every field only
// grows.
type ReceiverStats struct {
	Processed  uint64 // your function returned nil: acknowledged
	Duplicates uint64 // processed before: acknowledged without calling your function
	Busy       uint64 // being processed by another request or replica: answered 503
	Failed     uint64 // your function failed, panicked or ran past the timeout, or the deduplicator failed: answered 500 or 503
	Refused    uint64 // not a confirmation, not POST, too large, or not from an allowed source or without the secret: answered 4xx
}

// ConfirmationReceiver is the http.Handler PaymentConfirmations returns. It is safe for
// concurrent use.
type ConfirmationReceiver struct {
	fn    ConfirmationFunc
	cfg   receiverConfig
	stats struct{ processed, duplicates, busy, failed, refused atomic.Uint64 }
}

// PaymentConfirmations returns an http.Handler that receives SCB's payment confirmations, to
// mount at the URL registered with SCB:
//
//	receiver, err := api.PaymentConfirmations(func(ctx context.Context, c *api.PaymentConfirmation) error {
//		return shop.MarkPaid(ctx, c.TransactionID, c.Ref1, c.Amount) // idempotent by TransactionID
//	})
//	http.Handle("POST /scb/payment-confirmation", receiver)
//
// Like stripe-go's webhook package, it verifies, decodes and hands over a typed event: it
// checks the request (POST, the allowed sources and the secret, when set), reads at most the
// body limit, decodes and validates it (ParsePaymentConfirmation; garbage is answered 400),
// and claims its transactionId (Deduplicator). It calls fn once per transactionId, and answers
// SCB's acknowledgement ({"resCode":"00","resDesc":"success","transactionId":...}) only once fn
// has returned nil. A re-send of a processed confirmation is acknowledged without calling fn;
// one that another request or replica is processing is answered 503, as are fn's errors
// (500), so SCB sends it again.
//
// SCB signs nothing and publishes no source addresses: a confirmation proves nothing by itself.
// Check the payment with Client.VerifySlip or Client.InquireBillPayment before you hand goods
// over, and use WithSecretParam or WithAllowedSources to keep strangers out.
func PaymentConfirmations(fn ConfirmationFunc, opts ...ReceiverOption) (*ConfirmationReceiver, error) {
	cfg := receiverConfig{maxBody: DefaultConfirmationBodyBytes, timeout: DefaultConfirmationTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	if fn == nil {
		cfg.problems = append(cfg.problems, "the function is nil")
	}
	if cfg.dedupSet && cfg.dedup == nil {
		cfg.problems = append(cfg.problems, "the deduplicator is nil")
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.dedup == nil {
		cfg.dedup, _ = NewMemoryDeduplicator(MemoryDeduplicatorOptions{})
	}
	if cfg.log == nil {
		cfg.log = slog.New(slog.DiscardHandler)
	}
	return &ConfirmationReceiver{fn: fn, cfg: cfg}, nil
}

// check validates the options and fills in the claim lease.
func (c *receiverConfig) check() error {
	if c.lease == 0 {
		c.lease = c.timeout + claimMargin
	}
	for _, p := range append(c.allowed, c.proxies...) {
		if !p.IsValid() {
			c.problems = append(c.problems, "an address prefix is invalid")
			break
		}
	}
	switch {
	case c.maxBody < 1 || c.maxBody > MaxConfirmationBodyBytes:
		c.problems = append(c.problems, fmt.Sprintf("the body limit must be 1 to %d bytes", MaxConfirmationBodyBytes))
	case c.timeout <= 0 || c.timeout > MaxConfirmationTimeout:
		c.problems = append(c.problems, fmt.Sprintf("the timeout must be above 0 and at most %s", MaxConfirmationTimeout))
	case c.lease <= c.timeout:
		c.problems = append(c.problems, "the claim lease must exceed the timeout")
	}
	for _, s := range []struct{ what, name string }{{"header", c.secretHeader}, {"parameter", c.secretParam}} {
		if s.name != "" && !tokenChars(s.name) {
			c.problems = append(c.problems, "the secret's "+s.what+" name must be visible ASCII")
		}
	}
	if c.secretHeader != "" && !c.headerSecret.IsSet() || c.secretParam != "" && !c.paramSecret.IsSet() {
		c.problems = append(c.problems, "a shared secret is empty")
	}
	if len(c.problems) > 0 {
		return errors.New("api: payment confirmations: " + strings.Join(c.problems, "; "))
	}
	return nil
}

// Stats returns the receiver's counters.
func (rc *ConfirmationReceiver) Stats() ReceiverStats {
	s := &rc.stats
	return ReceiverStats{Processed: s.processed.Load(), Duplicates: s.duplicates.Load(), Busy: s.busy.Load(),
		Failed: s.failed.Load(), Refused: s.refused.Load()}
}

// ServeHTTP receives one payment confirmation.
func (rc *ConfirmationReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if status, why := rc.verify(r); status != 0 {
		if status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", http.MethodPost)
		}
		rc.refuse(w, r, status, why)
		return
	}
	deadline := time.Now().Add(rc.cfg.timeout)
	_ = http.NewResponseController(w).SetReadDeadline(deadline) // the body too; unsupported by some writers
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, rc.cfg.maxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		rc.refuse(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes", rc.cfg.maxBody))
		return
	case err != nil:
		rc.refuse(w, r, http.StatusBadRequest, "body unreadable or too slow")
		return
	}
	c, err := ParsePaymentConfirmation(body)
	if err != nil {
		rc.refuse(w, r, http.StatusBadRequest, strings.TrimPrefix(err.Error(), "api: "))
		return
	}
	ctx, cancel := context.WithDeadline(context.WithoutCancel(r.Context()), deadline)
	defer cancel()
	rc.process(ctx, w, r, c)
}

// verify checks the method, the source and the secret: 0, or the status to refuse with.
func (rc *ConfirmationReceiver) verify(r *http.Request) (int, string) {
	switch {
	case r.Method != http.MethodPost:
		return http.StatusMethodNotAllowed, "payment confirmations are POSTed"
	case len(rc.cfg.allowed) > 0 && !rc.allowedSource(r):
		return http.StatusForbidden, "source address not allowed"
	case rc.cfg.secretHeader != "" && !sameSecret(r.Header.Values(rc.cfg.secretHeader), rc.cfg.headerSecret):
		return http.StatusUnauthorized, "shared secret missing or wrong"
	case rc.cfg.secretParam != "" && !sameSecret(r.URL.Query()[rc.cfg.secretParam], rc.cfg.paramSecret):
		return http.StatusUnauthorized, "shared secret missing or wrong"
	}
	return 0, ""
}

// sameSecret reports whether got is exactly one value equal to want, in constant time
// (through SHA-256, so that the length does not show either).
func sameSecret(got []string, want redact.Secret) bool {
	if len(got) != 1 {
		return false
	}
	g, w := sha256.Sum256([]byte(got[0])), sha256.Sum256([]byte(want.Reveal()))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// allowedSource reports whether the request's source is in an allowed prefix.
func (rc *ConfirmationReceiver) allowedSource(r *http.Request) bool {
	src, ok := rc.source(r)
	if !ok {
		return false
	}
	for _, p := range rc.cfg.allowed {
		if p.Contains(src) {
			return true
		}
	}
	return false
}

// source returns the request's source: its peer, or when the peer is a trusted proxy, the
// last address of X-Forwarded-For that is not one (the first when all are). A header that
// does not parse gives no source.
func (rc *ConfirmationReceiver) source(r *http.Request) (netip.Addr, bool) {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	src := peer.Addr().Unmap()
	forwarded := r.Header.Values("X-Forwarded-For")
	if len(forwarded) == 0 || !rc.trusted(src) {
		return src, true
	}
	hops := strings.Split(strings.Join(forwarded, ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return netip.Addr{}, false
		}
		if src = a.Unmap(); !rc.trusted(src) {
			break
		}
	}
	return src, true
}

func (rc *ConfirmationReceiver) trusted(a netip.Addr) bool {
	for _, p := range rc.cfg.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// process claims c's transactionId, calls fn when the claim is acquired, and answers.
func (rc *ConfirmationReceiver) process(ctx context.Context, w http.ResponseWriter, r *http.Request, c *PaymentConfirmation) {
	claim, err := rc.cfg.dedup.Claim(ctx, c.TransactionID, rc.cfg.lease)
	switch {
	case err != nil:
		rc.stats.failed.Add(1)
		rc.answerFailure(w, r, http.StatusServiceUnavailable, c.TransactionID, "deduplicator failed", err)
		return
	case claim.State == ClaimProcessed:
		rc.stats.duplicates.Add(1)
		rc.acknowledge(w, c.TransactionID)
		return
	case claim.State != ClaimAcquired:
		rc.stats.busy.Add(1)
		rc.answerFailure(w, r, http.StatusServiceUnavailable, c.TransactionID, "being processed, send again later", nil)
		return
	}
	done := make(chan error, 1)
	go func() { done <- rc.call(ctx, c) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		// Answer now; finish the claim when fn returns, so that a late success is remembered.
		go func() { rc.finish(context.WithoutCancel(ctx), claim, <-done) }()
		rc.stats.failed.Add(1)
		rc.answerFailure(w, r, http.StatusServiceUnavailable, c.TransactionID, "not processed in time, send again", ctx.Err())
		return
	}
	if rc.finish(ctx, claim, err) {
		rc.stats.failed.Add(1)
		rc.answerFailure(w, r, http.StatusInternalServerError, c.TransactionID, "not processed, send again", err)
		return
	}
	rc.stats.processed.Add(1)
	rc.cfg.log.LogAttrs(ctx, slog.LevelInfo, "api: payment confirmation processed",
		slog.String("transactionId", c.TransactionID), slog.String("amount", c.Amount.String()))
	rc.acknowledge(w, c.TransactionID)
}

// call runs fn, turning a panic into an error.
func (rc *ConfirmationReceiver) call(ctx context.Context, c *PaymentConfirmation) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("api: payment confirmation function panicked: %v", p)
		}
	}()
	return rc.fn(ctx, c)
}

// finish records the outcome of fn (err) with the deduplicator: Done after a success, Release
// after a failure. It reports whether fn failed.
func (rc *ConfirmationReceiver) finish(ctx context.Context, claim Claim, err error) (failed bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rc.cfg.timeout)
	defer cancel()
	if err != nil {
		if rerr := rc.cfg.dedup.Release(ctx, claim); rerr != nil {
			rc.cfg.log.LogAttrs(ctx, slog.LevelWarn, "api: payment confirmation claim not released; it ends with its lease",
				slog.String("transactionId", claim.ID), slog.String("error", rerr.Error()))
		}
		return true
	}
	if derr := rc.cfg.dedup.Done(ctx, claim); derr != nil {
		rc.cfg.log.LogAttrs(ctx, slog.LevelWarn, "api: payment confirmation processed but not recorded; a re-send after the claim's lease would be processed again",
			slog.String("transactionId", claim.ID), slog.String("error", derr.Error()))
	}
	return false
}

// acknowledge answers SCB's acknowledgement of transactionID.
func (rc *ConfirmationReceiver) acknowledge(w http.ResponseWriter, transactionID string) {
	desc := "success"
	writeConfirmationAnswer(w, http.StatusOK, generated.PaymentConfirmationAck{
		ResCode: generated.ResCodeAcknowledged, ResDesc: &desc, TransactionId: transactionID})
}

// answerFailure answers that the confirmation was not processed, and logs why (err is the
// cause, never sent to SCB).
func (rc *ConfirmationReceiver) answerFailure(w http.ResponseWriter, r *http.Request, status int, transactionID, why string, err error) {
	attrs := []slog.Attr{slog.String("transactionId", transactionID), slog.Int("status", status), slog.String("reason", why)}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	rc.cfg.log.LogAttrs(r.Context(), slog.LevelWarn, "api: payment confirmation not processed", attrs...)
	writeConfirmationAnswer(w, status, generated.PaymentConfirmationRefusal{
		ResCode: generated.ResCodeRefused, ResDesc: why, TransactionId: &transactionID})
}

// refuse answers a request that is not a confirmation the receiver may process.
func (rc *ConfirmationReceiver) refuse(w http.ResponseWriter, r *http.Request, status int, why string) {
	rc.stats.refused.Add(1)
	if len(why) > maxConfirmationText {
		why = strings.ToValidUTF8(why[:maxConfirmationText-3], "") + "..."
	}
	rc.cfg.log.LogAttrs(r.Context(), slog.LevelWarn, "api: payment confirmation refused",
		slog.Int("status", status), slog.String("reason", why), slog.String("remoteAddr", r.RemoteAddr))
	writeConfirmationAnswer(w, status, generated.PaymentConfirmationRefusal{ResCode: generated.ResCodeRefused, ResDesc: why})
}

// writeConfirmationAnswer writes v as the JSON answer.
func writeConfirmationAnswer(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v) // generated types of strings: they always encode
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
