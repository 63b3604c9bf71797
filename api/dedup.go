package api

import (
	"container/list"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"
)

// A Deduplicator remembers which payment confirmations have been processed, so that a
// ConfirmationReceiver hands each transactionId to your function once although SCB re-sends
// confirmations and may reach two replicas at once. NewMemoryDeduplicator keeps them in the
// process (the receiver's default); api/redisstore's Deduplicator shares them between the
// replicas of a fleet. The conformance checks of api/storetest tell whether another
// implementation keeps this contract. Its methods are safe for concurrent use and bound every
// call with ctx.
//
// A confirmation goes claim, process, confirm: Claim takes the transactionId for a lease; the
// holder runs your function, then calls Done (processed: remember it for the retention) or
// Release (failed: forget the claim, so that SCB's re-send is processed). A holder that dies
// between Claim and Done stops holding once the lease ends, and SCB's next re-send is
// processed: your function may then see the payment a second time, which only an idempotent
// function (a unique key on transactionId in the transaction that books the payment) makes
// harmless. The same holds when Done fails after your function succeeded.
type Deduplicator interface {
	// Claim claims id for lease. It returns a Claim of state ClaimAcquired (with a fresh
	// token) when the caller must process the confirmation, ClaimProcessed when a holder
	// called Done for id within the retention, and ClaimBusy when another holder's claim has
	// not ended. A lease that is not positive is an error; an error means the store could not
	// be asked.
	Claim(ctx context.Context, id string, lease time.Duration) (Claim, error)
	// Done records that the confirmation of c.ID was processed, for the deduplicator's
	// retention, whoever holds its claim now.
	Done(ctx context.Context, c Claim) error
	// Release ends the claim c if it is still c's (its token), so that the next re-send is
	// processed; a claim that ended already, or is another holder's, is left alone.
	Release(ctx context.Context, c Claim) error
}

// ClaimState is the answer of Deduplicator.Claim.
type ClaimState int

// The states of a claim.
const (
	ClaimAcquired  ClaimState = iota + 1 // the caller holds the claim and must process the confirmation
	ClaimProcessed                       // the confirmation was processed already: acknowledge it
	ClaimBusy                            // another holder is processing it now: ask SCB to send it again
)

// String returns "acquired", "processed" or "busy".
func (s ClaimState) String() string {
	switch s {
	case ClaimAcquired:
		return "acquired"
	case ClaimProcessed:
		return "processed"
	case ClaimBusy:
		return "busy"
	}
	return fmt.Sprintf("ClaimState(%d)", int(s))
}

// A Claim is the answer of Deduplicator.Claim.
type Claim struct {
	ID    string     // the transactionId claimed
	State ClaimState // what the caller must do
	Token string     // identifies the holder of an acquired claim; random, not a secret
}

// NewClaimToken returns a random token for an acquired claim, for Deduplicator
// implementations.
func NewClaimToken() string { return rand.Text() }

// ValidClaimID reports whether id can be claimed: 1 to 128 visible ASCII characters, the
// transactionIds ParsePaymentConfirmation accepts. A Deduplicator may use such an id verbatim in
// its own key names.
func ValidClaimID(id string) bool {
	return id != "" && len(id) <= maxTransactionID && visibleASCII(id)
}

// Defaults and bounds of MemoryDeduplicatorOptions.
const (
	// DefaultDedupEntries is how many transactionIds a memory deduplicator keeps at most.
	DefaultDedupEntries = 100_000
	// DefaultDedupRetention is how long a deduplicator remembers a processed confirmation:
	// SCB's re-sends come within about a minute [doc: 3 re-sends, 12 seconds apart]; a week
	// also covers a confirmation replayed by hand.
	DefaultDedupRetention = 7 * 24 * time.Hour
)

// MemoryDeduplicatorOptions configures NewMemoryDeduplicator; zero fields take the defaults.
type MemoryDeduplicatorOptions struct {
	// MaxEntries bounds the transactionIds kept (DefaultDedupEntries): when full, the oldest
	// is forgotten first, and a re-send of it would be processed again.
	MaxEntries int
	// Retention is how long a processed transactionId is remembered (DefaultDedupRetention).
	Retention time.Duration
	// Now is the clock of leases and retention (time.Now), for tests.
	Now func() time.Time
}

// MemoryDeduplicator is a Deduplicator within one process, bounded in entries. It is safe for
// concurrent use.
type MemoryDeduplicator struct {
	max       int
	retention time.Duration
	now       func() time.Time

	mu    sync.Mutex
	byID  map[string]*list.Element // of *dedupEntry
	order *list.List               // least recently written first
}

// dedupEntry is what a MemoryDeduplicator keeps of one transactionId.
type dedupEntry struct {
	id      string
	token   string // the holder's, while processing
	done    bool
	expires time.Time
}

var _ Deduplicator = (*MemoryDeduplicator)(nil)

// NewMemoryDeduplicator returns a deduplicator for one process. It fails on negative options.
func NewMemoryDeduplicator(opts MemoryDeduplicatorOptions) (*MemoryDeduplicator, error) {
	if opts.MaxEntries < 0 || opts.Retention < 0 {
		return nil, errors.New("api: memory deduplicator: MaxEntries and Retention must not be negative")
	}
	d := &MemoryDeduplicator{max: opts.MaxEntries, retention: opts.Retention, now: opts.Now, byID: map[string]*list.Element{}, order: list.New()}
	if d.max == 0 {
		d.max = DefaultDedupEntries
	}
	if d.retention == 0 {
		d.retention = DefaultDedupRetention
	}
	if d.now == nil {
		d.now = time.Now
	}
	return d, nil
}

// Claim claims id for lease; see Deduplicator.
func (d *MemoryDeduplicator) Claim(ctx context.Context, id string, lease time.Duration) (Claim, error) {
	if err := checkClaim(ctx, id, lease); err != nil {
		return Claim{}, err
	}
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if el, ok := d.byID[id]; ok {
		e := el.Value.(*dedupEntry)
		switch {
		case !now.Before(e.expires): // a processed id past its retention, or a dead holder's claim
		case e.done:
			return Claim{ID: id, State: ClaimProcessed}, nil
		default:
			return Claim{ID: id, State: ClaimBusy}, nil
		}
	}
	c := Claim{ID: id, State: ClaimAcquired, Token: NewClaimToken()}
	d.put(&dedupEntry{id: id, token: c.Token, expires: now.Add(lease)}, now)
	return c, nil
}

// Done records c.ID as processed; see Deduplicator.
func (d *MemoryDeduplicator) Done(ctx context.Context, c Claim) error {
	if err := checkClaim(ctx, c.ID, time.Second); err != nil {
		return err
	}
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.put(&dedupEntry{id: c.ID, done: true, expires: now.Add(d.retention)}, now)
	return nil
}

// Release ends the claim c if it is still c's; see Deduplicator.
func (d *MemoryDeduplicator) Release(ctx context.Context, c Claim) error {
	if err := checkClaim(ctx, c.ID, time.Second); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if el, ok := d.byID[c.ID]; ok {
		if e := el.Value.(*dedupEntry); !e.done && e.token == c.Token {
			d.order.Remove(el)
			delete(d.byID, c.ID)
		}
	}
	return nil
}

// Len returns how many transactionIds d keeps, expired ones not yet swept included.
func (d *MemoryDeduplicator) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.byID)
}

// put writes e, last in the order, sweeping the expired entries at the front and forgetting
// the oldest when d is full. d.mu is held.
func (d *MemoryDeduplicator) put(e *dedupEntry, now time.Time) {
	if el, ok := d.byID[e.id]; ok {
		d.order.Remove(el)
		delete(d.byID, e.id)
	}
	for front := d.order.Front(); front != nil; front = d.order.Front() {
		old := front.Value.(*dedupEntry)
		if now.Before(old.expires) && len(d.byID) < d.max {
			break
		}
		d.order.Remove(front)
		delete(d.byID, old.id)
	}
	d.byID[e.id] = d.order.PushBack(e)
}

// checkClaim returns an error for an id no confirmation has, a lease that is not positive, or
// a context that has ended.
func checkClaim(ctx context.Context, id string, lease time.Duration) error {
	switch {
	case !ValidClaimID(id):
		return errors.New("api: deduplicator: the id is not 1 to 128 visible ASCII characters")
	case lease <= 0:
		return fmt.Errorf("api: deduplicator: lease %s is not positive", lease)
	}
	return ctx.Err()
}
