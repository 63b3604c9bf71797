package redisstore_test

// The fleet tests run the test binary as worker processes (redistest.Spawn), all pointed at
// one redis-server, each reporting JSON lines. Round 2 adds the TokenSource fleet roles here.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/api/redisstore"
	"github.com/scboauth/scboauth/api/storetest"
	"github.com/scboauth/scboauth/internal/redistest"
)

// Environment of the workers.
const (
	envAddr   = "FLEET_REDIS_ADDR" // the redis-server's host:port
	envRounds = "FLEET_ROUNDS"     // rounds of the locker role
	envLease  = "FLEET_LEASE"      // a lease, as a time.Duration string
)

var workerRoles = map[string]redistest.Role{
	"locker":  locker,
	"holder":  holder,
	"taker":   taker,
	"replica": replica,
}

// workerStore returns the store of a worker process, on the Redis named by envAddr.
func workerStore(w *redistest.Worker) (*redisstore.Store, *redis.Client, error) {
	rdb := redis.NewClient(&redis.Options{Addr: w.Env(envAddr), ContextTimeoutEnabled: true})
	s, err := redisstore.New(rdb, redisstore.Options{})
	return s, rdb, err
}

// leaseStore returns the store of a worker process and the lease FLEET_LEASE. The process
// closes the client when it exits.
func leaseStore(w *redistest.Worker) (*redisstore.Store, time.Duration, error) {
	s, _, err := workerStore(w)
	if err != nil {
		return nil, 0, err
	}
	lease, err := time.ParseDuration(w.Env(envLease))
	return s, lease, err
}

// waitLock takes the lock on key, polling TryLock (1ms doubling to 16ms, with jitter) until
// it succeeds or ctx ends; it returns the lock and the number of tries.
func waitLock(ctx context.Context, s api.Store, key api.StoreKey, lease time.Duration) (api.StoreLock, int, error) {
	for tries, wait := 1, time.Millisecond; ; tries, wait = tries+1, min(2*wait, 16*time.Millisecond) {
		l, err := s.TryLock(ctx, key, lease)
		if !errors.Is(err, api.ErrStoreLocked) {
			return l, tries, err
		}
		select {
		case <-ctx.Done():
			return nil, tries, ctx.Err()
		case <-time.After(wait/2 + rand.N(wait/2)):
		}
	}
}

// lockerReport is what a locker reports once done.
type lockerReport struct {
	Rounds   int `json:"rounds"`
	Overlaps int `json:"overlaps"` // rounds in which another holder was inside too, or took the lock
	Waits    int `json:"waits"`    // rounds that found the lock taken
}

// locker takes the lock FLEET_ROUNDS times; each time it checks that nobody else is inside,
// and adds one to a counter by a read and a later write, which loses updates unless the lock
// excludes the others.
func locker(ctx context.Context, w *redistest.Worker) error {
	s, rdb, err := workerStore(w)
	if err != nil {
		return err
	}
	defer rdb.Close()
	rounds, err := strconv.Atoi(w.Env(envRounds))
	if err != nil {
		return err
	}
	var rep lockerReport
	for range rounds {
		l, tries, err := waitLock(ctx, s, storetest.AppA, 10*time.Second)
		if err != nil {
			return err
		}
		if tries > 1 {
			rep.Waits++
		}
		if err := critical(ctx, rdb, &rep); err != nil {
			return err
		}
		if err := l.Unlock(ctx); errors.Is(err, api.ErrStoreLockLost) {
			rep.Overlaps++ // someone took it over while we held it
		} else if err != nil {
			return err
		}
		rep.Rounds++
	}
	w.Report(rep)
	return nil
}

// critical is a locker's turn inside the lock: INCR of "inside" must find nobody, and the
// counter goes up by one through a GET, a pause and a SET.
func critical(ctx context.Context, rdb *redis.Client, rep *lockerReport) error {
	inside, err := rdb.Incr(ctx, "fleet:inside").Result()
	if err != nil {
		return err
	}
	if inside != 1 {
		rep.Overlaps++
	}
	n, err := rdb.Get(ctx, "fleet:counter").Int()
	if err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	time.Sleep(time.Millisecond) // widen the window a missing lock would leave open
	if err := rdb.Set(ctx, "fleet:counter", n+1, 0).Err(); err != nil {
		return err
	}
	return rdb.Decr(ctx, "fleet:inside").Err()
}

// holderReport is what a holder reports once it holds the lock.
type holderReport struct {
	Locked bool `json:"locked"`
}

// holder takes the lock with the lease FLEET_LEASE, reports it, and holds it until it is
// killed: a replica that dies in the middle of a renewal.
func holder(ctx context.Context, w *redistest.Worker) error {
	s, lease, err := leaseStore(w)
	if err != nil {
		return err
	}
	if _, err := s.TryLock(ctx, storetest.AppA, lease); err != nil {
		return err
	}
	w.Report(holderReport{Locked: true})
	<-ctx.Done() // SIGKILL ends it first
	return errors.New("holder: stopped without being killed")
}

// takerReport is what a taker reports once it holds the lock.
type takerReport struct {
	Tries    int   `json:"tries"`
	WaitedMs int64 `json:"waitedMs"`
}

// taker waits for the lock (within FLEET_LEASE twice over) and reports how long it took.
func taker(ctx context.Context, w *redistest.Worker) error {
	s, lease, err := leaseStore(w)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*lease+5*time.Second)
	defer cancel()
	start := time.Now()
	l, tries, err := waitLock(ctx, s, storetest.AppA, lease)
	if err != nil {
		return fmt.Errorf("taker: after %d tries: %w", tries, err)
	}
	w.Report(takerReport{Tries: tries, WaitedMs: time.Since(start).Milliseconds()})
	return l.Unlock(ctx)
}

// TestFleetMutualExclusion proves the harness and the lock across processes: 6 worker
// processes take the store's lock 15 times each; nobody is ever inside with another, and a
// counter updated by read-pause-write, which would lose updates without the lock, ends at 90.
func TestFleetMutualExclusion(t *testing.T) {
	srv := redistest.Start(t)
	const workers, rounds = 6, 15
	procs := redistest.Spawn(t, "locker", workers, envAddr+"="+srv.Addr, envRounds+"="+strconv.Itoa(rounds))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	waits := 0
	for _, p := range procs {
		var rep lockerReport
		if err := p.Next(ctx, &rep); err != nil {
			t.Fatal(err)
		}
		if err := p.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		if rep.Rounds != rounds || rep.Overlaps != 0 {
			t.Errorf("worker %d: %+v, want %d rounds and no overlap", p.Index, rep, rounds)
		}
		waits += rep.Waits
	}
	n, err := srv.Client(t).Get(ctx, "fleet:counter").Int()
	if err != nil || n != workers*rounds {
		t.Fatalf("counter = %d, %v; want %d", n, err, workers*rounds)
	}
	if waits == 0 {
		t.Errorf("no worker ever found the lock taken: the workers did not run at the same time")
	}
	t.Logf("%d processes x %d rounds: counter %d, %d rounds waited for the lock", workers, rounds, n, waits)
}

// TestFleetHolderKilled: a process holding the lock is killed with SIGKILL. The lock outlives
// it until its lease ends (no one else takes it before), then another process takes it,
// having waited no more than the lease (plus slack for starting a process).
func TestFleetHolderKilled(t *testing.T) {
	srv := redistest.Start(t)
	const lease = 500 * time.Millisecond
	env := []string{envAddr + "=" + srv.Addr, envLease + "=" + lease.String()}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	holders := redistest.Spawn(t, "holder", 1, env...)
	var held holderReport
	if err := holders[0].Next(ctx, &held); err != nil || !held.Locked {
		t.Fatalf("holder: %+v, %v", held, err)
	}
	holders[0].Kill()
	killedAt := time.Now()
	if !holders[0].Killed() {
		t.Fatal("the holder did not die of SIGKILL")
	}
	s := newStore(t, srv.Client(t), redisstore.Options{})
	if _, err := s.TryLock(ctx, storetest.AppA, lease); !errors.Is(err, api.ErrStoreLocked) {
		t.Fatalf("TryLock right after the holder died: err %v, want ErrStoreLocked (its lease runs on)", err)
	}
	var took takerReport
	if err := redistest.Spawn(t, "taker", 1, env...)[0].Next(ctx, &took); err != nil {
		t.Fatal(err)
	}
	sinceKill := time.Since(killedAt)
	if took.Tries < 2 || sinceKill > lease+5*time.Second {
		t.Fatalf("taker: %+v, %s after the kill; want it to wait for the lease (%s), then take the lock", took, sinceKill, lease)
	}
	t.Logf("lease %s: the lock was taken %dms after the taker started, %s after the holder was killed", lease, took.WaitedMs, sinceKill.Round(time.Millisecond))
}
