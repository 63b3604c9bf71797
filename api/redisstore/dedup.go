package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/scboauth/scboauth/api"
)

// DedupOptions configures a Deduplicator. The zero DedupOptions has the default prefix,
// timeout and retention.
type DedupOptions struct {
	// Prefix starts every key the deduplicator writes: DefaultPrefix when empty; the same rules
	// as Options.Prefix. Its keys are Prefix+"confirm:"+transactionId, apart from the tokens'.
	Prefix string
	// Timeout bounds each Redis call (on top of the caller's context): DefaultTimeout when
	// zero, at most MaxTimeout.
	Timeout time.Duration
	// Retention is how long a processed transactionId is remembered: api.DefaultDedupRetention
	// when zero.
	Retention time.Duration
}

// Deduplicator is an api.Deduplicator on Redis: the record of processed payment confirmations
// shared by the replicas of a fleet, so that a confirmation SCB re-sends to another replica,
// or sends to two at once, reaches your function once. It is safe for concurrent use.
//
// A transactionId's key holds "p" and the claim's token while a replica processes it, with
// the claim's lease as TTL (PX), so that the claim of a replica that dies ends by itself; then
// "d" with the retention as TTL once processed. Claim and Release are scripts, atomic in Redis;
// each command touches one key, so it works on Redis Cluster as well.
type Deduplicator struct {
	s         *Store // its client, prefix and timeout, checked as New checks them
	retention time.Duration
}

var _ api.Deduplicator = (*Deduplicator)(nil)

// NewDeduplicator returns a Deduplicator on rdb. It fails as New does on the client, the
// prefix and the timeout, and on a negative retention.
func NewDeduplicator(rdb redis.UniversalClient, opts DedupOptions) (*Deduplicator, error) {
	s, err := New(rdb, Options{Prefix: opts.Prefix, Timeout: opts.Timeout})
	if err != nil {
		return nil, err
	}
	d := &Deduplicator{s: s, retention: opts.Retention}
	switch {
	case d.retention < 0:
		return nil, errors.New("redisstore: DedupOptions.Retention must not be negative")
	case d.retention == 0:
		d.retention = api.DefaultDedupRetention
	}
	return d, nil
}

// String describes d.
func (d *Deduplicator) String() string {
	return fmt.Sprintf("redisstore.Deduplicator{Prefix: %q, Timeout: %s, Retention: %s}", d.s.prefix, d.s.timeout, d.retention)
}

// claimScript claims KEYS[1] for the token ARGV[1] for ARGV[2] ms: 1 acquired, 2 processed, 3
// busy (another holder's claim, or a value the script did not write).
var claimScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then
	redis.call('SET', KEYS[1], 'p' .. ARGV[1], 'PX', ARGV[2])
	return 1
end
if v == 'd' then return 2 end
return 3`)

// releaseScript deletes KEYS[1] if it holds the claim of the token ARGV[1].
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == 'p' .. ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// key returns the Redis key of id.
func (d *Deduplicator) key(id string) (string, error) {
	if !api.ValidClaimID(id) {
		return "", errors.New("redisstore: deduplicator: the id is not 1 to 128 visible ASCII characters")
	}
	return d.s.prefix + "confirm:" + id, nil
}

// Claim claims id for lease; see api.Deduplicator.
func (d *Deduplicator) Claim(ctx context.Context, id string, lease time.Duration) (api.Claim, error) {
	name, err := d.key(id)
	if err != nil {
		return api.Claim{}, err
	}
	if lease <= 0 {
		return api.Claim{}, fmt.Errorf("redisstore: claim %s: lease %s is not positive", name, lease)
	}
	token := api.NewClaimToken()
	ctx, cancel := d.s.call(ctx)
	defer cancel()
	n, err := claimScript.Run(ctx, d.s.rdb, []string{name}, token, ceilMillis(lease)).Int()
	switch {
	case err != nil && strings.HasPrefix(err.Error(), "WRONGTYPE"):
		return api.Claim{}, fmt.Errorf("redisstore: claim %s: a key of another type", name)
	case err != nil:
		return api.Claim{}, failed(ctx, "claim", name, err)
	case n == 1:
		return api.Claim{ID: id, State: api.ClaimAcquired, Token: token}, nil
	case n == 2:
		return api.Claim{ID: id, State: api.ClaimProcessed}, nil
	}
	return api.Claim{ID: id, State: api.ClaimBusy}, nil
}

// Done records c.ID as processed for the retention; see api.Deduplicator.
func (d *Deduplicator) Done(ctx context.Context, c api.Claim) error {
	name, err := d.key(c.ID)
	if err != nil {
		return err
	}
	ctx, cancel := d.s.call(ctx)
	defer cancel()
	if err := d.s.rdb.Set(ctx, name, "d", d.retention).Err(); err != nil {
		return failed(ctx, "done", name, err)
	}
	return nil
}

// Release ends the claim c if it is still c's; see api.Deduplicator.
func (d *Deduplicator) Release(ctx context.Context, c api.Claim) error {
	name, err := d.key(c.ID)
	if err != nil {
		return err
	}
	ctx, cancel := d.s.call(ctx)
	defer cancel()
	if err := releaseScript.Run(ctx, d.s.rdb, []string{name}, c.Token).Err(); err != nil {
		return failed(ctx, "release", name, err)
	}
	return nil
}
