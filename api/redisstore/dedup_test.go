package redisstore_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/api/redisstore"
	"github.com/scboauth/scboauth/api/storetest"
	"github.com/scboauth/scboauth/internal/redistest"
)

func newDedup(t testing.TB, rdb redis.UniversalClient, opts redisstore.DedupOptions) *redisstore.Deduplicator {
	t.Helper()
	d, err := redisstore.NewDeduplicator(rdb, opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDeduplicatorContractRedisServer(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	storetest.RunDeduplicator(t, storetest.DedupHarness{
		New: func(t *testing.T) api.Deduplicator {
			flushAll(t, rdb)
			return newDedup(t, rdb, redisstore.DedupOptions{Retention: time.Hour})
		},
		Retention: time.Hour,
		Advance:   func(t *testing.T, d time.Duration) { advanceTTLs(t, rdb, d) },
	})
}

func TestDeduplicatorContractMiniredis(t *testing.T) {
	var mr *miniredis.Miniredis
	storetest.RunDeduplicator(t, storetest.DedupHarness{
		New: func(t *testing.T) api.Deduplicator {
			var rdb *redis.Client
			mr, rdb = miniredisClient(t)
			return newDedup(t, rdb, redisstore.DedupOptions{Prefix: "shop:", Retention: time.Hour})
		},
		Retention: time.Hour,
		Advance:   func(_ *testing.T, d time.Duration) { mr.FastForward(d) },
	})
}

func TestNewDeduplicatorBadInput(t *testing.T) {
	noCtx := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = noCtx.Close() })
	good := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = good.Close() })
	for _, c := range []struct {
		name string
		rdb  redis.UniversalClient
		opts redisstore.DedupOptions
		want string
	}{
		{"nil client", nil, redisstore.DedupOptions{}, "nil Redis client"},
		{"no context timeouts", noCtx, redisstore.DedupOptions{}, "ContextTimeoutEnabled"},
		{"prefix with a space", good, redisstore.DedupOptions{Prefix: "a b"}, "Prefix"},
		{"prefix with CRLF", good, redisstore.DedupOptions{Prefix: "a\r\nFLUSHALL"}, "visible ASCII"},
		{"huge prefix", good, redisstore.DedupOptions{Prefix: strings.Repeat("p", 65)}, "at most 64 bytes"},
		{"negative timeout", good, redisstore.DedupOptions{Timeout: -time.Second}, "Timeout"},
		{"ten-year timeout", good, redisstore.DedupOptions{Timeout: 10 * 365 * 24 * time.Hour}, "up to 1m0s"},
		{"negative retention", good, redisstore.DedupOptions{Retention: -time.Second}, "Retention"},
	} {
		if _, err := redisstore.NewDeduplicator(c.rdb, c.opts); err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "redisstore: ") {
			t.Errorf("%s: got %v, want an error naming %s", c.name, err, c.want)
		}
	}
}

// confirmationBody is a payment confirmation of id.
func confirmationBody(id string) string {
	return `{"transactionId":"` + id + `","amount":"100.00","transactionDateandTime":"2026-04-01T10:31:05+07:00"}`
}

// post delivers the confirmation of id to url and returns the status.
func post(t *testing.T, url, id string) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(confirmationBody(id)))
	if err != nil {
		t.Error(err)
		return 0
	}
	defer resp.Body.Close()
	return resp.StatusCode
}

// receiverReplica is one process of a fleet receiving confirmations: a receiver on its own server,
// sharing Redis with the others.
type receiverReplica struct {
	url   string
	calls atomic.Int32
}

func newReceiverReplica(t *testing.T, rdb redis.UniversalClient, fn func(ctx context.Context) error, opts ...api.ReceiverOption) *receiverReplica {
	t.Helper()
	r := &receiverReplica{}
	opts = append([]api.ReceiverOption{api.WithDeduplicator(newDedup(t, rdb, redisstore.DedupOptions{}))}, opts...)
	rc, err := api.PaymentConfirmations(func(ctx context.Context, _ *api.PaymentConfirmation) error {
		r.calls.Add(1)
		return fn(ctx)
	}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	r.url = srv.URL
	return r
}

// TestFleetProcessesOnce: two replicas sharing one redis-server receive the same confirmation
// many times at once, as SCB's re-sends and a load balancer make them: the function runs once
// in the whole fleet, and every later re-send is acknowledged.
func TestFleetProcessesOnce(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	ok := func(context.Context) error { return nil }
	a, b := newReceiverReplica(t, rdb, ok), newReceiverReplica(t, rdb, ok)
	var wg sync.WaitGroup
	var acked atomic.Int32
	for i := range 40 {
		wg.Go(func() {
			url := a.url
			if i%2 == 1 {
				url = b.url
			}
			switch post(t, url, storetest.TxA) {
			case http.StatusOK:
				acked.Add(1)
			case http.StatusServiceUnavailable: // busy: SCB sends again
			default:
				t.Error("an answer other than the acknowledgement or busy")
			}
		})
	}
	wg.Wait()
	if n := a.calls.Load() + b.calls.Load(); n != 1 || acked.Load() < 1 {
		t.Fatalf("the fleet ran the function %d times and acknowledged %d deliveries, want once and at least one", n, acked.Load())
	}
	for _, r := range []*receiverReplica{a, b} {
		if status := post(t, r.url, storetest.TxA); status != http.StatusOK {
			t.Errorf("a later re-send: got %d, want the acknowledgement", status)
		}
	}
	if n := a.calls.Load() + b.calls.Load(); n != 1 {
		t.Errorf("after the re-sends: %d calls, want 1", n)
	}
}

// TestFleetCrashWindow: a receiverReplica that hangs (or dies) between claiming a confirmation and
// recording it holds the claim only for its lease: until then the others answer busy, after it
// SCB's next re-send is processed by another receiverReplica, and the hung receiverReplica's late failure does
// not undo that.
func TestFleetCrashWindow(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	hang, hung := make(chan struct{}), make(chan struct{})
	released := &releaseSignal{Deduplicator: newDedup(t, rdb, redisstore.DedupOptions{}), done: make(chan struct{})}
	dying := newReceiverReplica(t, rdb, func(context.Context) error {
		close(hung)
		<-hang
		return errors.New("the process was dying anyway")
	}, api.WithHandlerTimeout(100*time.Millisecond), api.WithClaimLease(time.Hour), api.WithDeduplicator(released))
	healthy := newReceiverReplica(t, rdb, func(context.Context) error { return nil })

	if status := post(t, dying.url, "T1"); status != http.StatusServiceUnavailable {
		t.Fatalf("the hung receiverReplica answered %d, want 503 at its timeout", status)
	}
	<-hung
	if status := post(t, healthy.url, "T1"); status != http.StatusServiceUnavailable || healthy.calls.Load() != 0 {
		t.Fatalf("while the claim holds: got %d after %d calls, want busy without a call", status, healthy.calls.Load())
	}
	advanceTTLs(t, rdb, time.Hour) // the lease ends, as it does when the holder dies
	if status := post(t, healthy.url, "T1"); status != http.StatusOK || healthy.calls.Load() != 1 {
		t.Fatalf("after the lease: got %d after %d calls, want processed once", status, healthy.calls.Load())
	}
	close(hang) // the hung receiverReplica fails late and releases its claim: it is no longer its
	<-released.done
	if status := post(t, dying.url, "T1"); status != http.StatusOK {
		t.Errorf("a re-send to the formerly hung receiverReplica: got %d, want the acknowledgement", status)
	}
	if n := dying.calls.Load() + healthy.calls.Load(); n != 2 {
		t.Errorf("%d calls, want the hung one and the processed one", n)
	}
}

// releaseSignal is a Deduplicator that says when Release has returned.
type releaseSignal struct {
	api.Deduplicator
	done chan struct{}
}

func (r *releaseSignal) Release(ctx context.Context, c api.Claim) error {
	defer close(r.done)
	return r.Deduplicator.Release(ctx, c)
}

// TestDeduplicatorRedisDown: with Redis down, Claim fails, and the receiver fails closed.
func TestDeduplicatorRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	r := newReceiverReplica(t, rdb, func(context.Context) error { return nil })
	srv.Kill()
	if status := post(t, r.url, "T1"); status != http.StatusServiceUnavailable || r.calls.Load() != 0 {
		t.Errorf("Redis down: got %d after %d calls, want 503 without a call", status, r.calls.Load())
	}
	srv.Restart()
	if status := post(t, r.url, "T1"); status != http.StatusOK || r.calls.Load() != 1 {
		t.Errorf("Redis back: got %d after %d calls, want processed", status, r.calls.Load())
	}
}
