package redisstore_test

// The multi-process tests of issue 10 (and of a refused pair): replica processes (replica_test.go) on one
// redis-server and one emulator with SCB's sandbox rate limit, with short token lifetimes and
// leases so that the whole run stays within seconds.

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/api/redisstore"
	"github.com/scboauth/scboauth/internal/redistest"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// coldFigures are the figures of a cold start.
type coldFigures struct {
	requests, rateLimited, tokens, errors int
	slowest                               time.Duration
}

// coldStart starts n replicas with or without the store, lets them ask at the same moment, and
// returns what the emulator and the replicas saw.
func coldStart(t *testing.T, srv *redistest.Server, n int, store bool) coldFigures {
	em := startEmulator(t, sandbox.Lifetimes{}, false)
	rdb := srv.Client(t)
	flushAll(t, rdb)
	f := spawnFleet(t, n, replicaEnv(srv, em, store, "once", sandbox.KindPlain, ""))
	f.waitFor(t, "every replica ready", time.Minute, func() bool { return f.count("ready") == n })
	for range n {
		if err := rdb.RPush(t.Context(), barrierKey, "go").Err(); err != nil {
			t.Fatal(err)
		}
	}
	f.waitFor(t, "every replica's answer", time.Minute, func() bool { return f.count("token")+f.count("error") == n })
	var fig coldFigures
	hashes := map[string]bool{}
	for _, evs := range f.snapshot() {
		for _, ev := range evs {
			switch ev.Event {
			case "token":
				hashes[ev.Hash] = true
				fig.slowest = max(fig.slowest, ev.Waited)
			case "error":
				fig.errors++
			}
		}
	}
	fig.tokens = len(hashes)
	for _, u := range em.requests(false) {
		fig.requests++
		if u.status == http.StatusTooManyRequests {
			fig.rateLimited++
		}
	}
	return fig
}

// TestFleetColdStart (issue 10, proof 1): 20 processes start at once. With the store, they make
// exactly one upstream token request, all hold the same token, and none is answered 429.
// Without it, they make 20 requests, and SCB's rate limit answers the excess 429.
func TestFleetColdStart(t *testing.T) {
	const n = 20
	srv := redistest.Start(t)
	with := coldStart(t, srv, n, true)
	without := coldStart(t, srv, n, false)
	t.Logf("cold start of %d processes, with the store: %d token request(s), %d answered 429, %d distinct token(s), %d caller errors, slowest caller %s",
		n, with.requests, with.rateLimited, with.tokens, with.errors, with.slowest.Round(time.Millisecond))
	t.Logf("cold start of %d processes, without it:   %d token request(s), %d answered 429, %d distinct token(s), %d caller errors",
		n, without.requests, without.rateLimited, without.tokens, without.errors)
	if with.requests != 1 || with.rateLimited != 0 || with.tokens != 1 || with.errors != 0 {
		t.Errorf("with the store: %+v; want 1 request, no 429, 1 token, no error", with)
	}
	if without.requests != n || without.rateLimited == 0 {
		t.Errorf("without the store: %+v; want %d requests and some answered 429", without, n)
	}
}

// TestFleetRenewals (proof 2): 10 processes call continuously through three lifetimes of a
// 2-second token (renewed when it has a second left): each renewal is exactly one upstream
// request for the fleet, a lifetime's usable part after the last, and every process gets every
// token.
func TestFleetRenewals(t *testing.T) {
	const workers, renewals, life = 10, 3, 2 * time.Second
	srv, em := redistest.Start(t), startEmulator(t, sandbox.Lifetimes{AccessToken: life}, false)
	f := spawnFleet(t, workers, replicaEnv(srv, em, true, "loop", sandbox.KindPlain, ""))
	f.waitFor(t, "the first token and three renewals at every process", time.Minute, func() bool {
		h := answered(em.requests(false))
		return len(h) >= 1+renewals && f.allSaw(h[:1+renewals]...)
	})
	done := f.stop(t)
	reqs := em.requests(false)
	hashes := answered(reqs)
	if len(hashes) != len(reqs) {
		t.Errorf("%d requests, %d answered with a token; want every request answered", len(reqs), len(hashes))
	}
	for i := 1; i < len(reqs); i++ {
		if gap := reqs[i].at.Sub(reqs[i-1].at); gap < life/2-100*time.Millisecond {
			t.Errorf("requests %d and %d came %s apart: two requests for one renewal", i-1, i, gap)
		}
	}
	// Every token but possibly the last (fetched as the fleet stopped) reached every process.
	if !f.allSaw(hashes[:len(hashes)-1]...) {
		t.Errorf("a token fetched was not used by every process: requests %d", len(reqs))
	}
	if errs := f.errorsBetween(time.Time{}, time.Now()); len(errs) != 0 {
		t.Errorf("caller errors: %q", errs)
	}
	var total api.SourceStats
	for _, d := range done {
		total.SharedHits += d.Stats.SharedHits
		total.UpstreamFetches += d.Stats.UpstreamFetches
		total.LockWaits += d.Stats.LockWaits
	}
	t.Logf("%d processes, %d tokens of %s: %d upstream requests (%d by the clients' count), %d shared hits, %d lock waits",
		workers, len(hashes), life, len(reqs), total.UpstreamFetches, total.SharedHits, total.LockWaits)
}

// TestFleetUserPair (proof 3): one process trades the user's code and writes the pair; 10
// processes serve that user from the store, calling continuously through 5 refresh rotations:
// each refresh token is redeemed exactly once, none is refused, and no caller gets
// ErrReauthorizationRequired.
func TestFleetUserPair(t *testing.T) {
	const workers, rotations = 10, 5
	srv, em := redistest.Start(t), startEmulator(t, sandbox.Lifetimes{AccessToken: 2 * time.Second}, false)
	seedUser(t, srv, em, "user-1")
	f := spawnFleet(t, workers, replicaEnv(srv, em, true, "loop", sandbox.KindAuthorizationCode, "user-1"))
	f.waitFor(t, "five rotations at every process", time.Minute, func() bool {
		h := answered(em.requests(true))
		return len(h) >= rotations && f.allSaw(h[:rotations]...)
	})
	done := f.stop(t)
	refreshes := em.requests(true)
	redeemed := map[string]int{}
	for i, u := range refreshes {
		redeemed[u.redeemed]++
		if u.status != http.StatusOK {
			t.Errorf("refresh %d answered %d %d, want 200", i, u.status, u.code)
		}
	}
	for h, n := range redeemed {
		if n != 1 {
			t.Errorf("refresh token %s redeemed %d times, want once", h, n)
		}
	}
	reauth := 0
	for _, d := range done {
		reauth += d.Errors
	}
	if errs := f.errorsBetween(time.Time{}, time.Now()); len(errs) != 0 || reauth != 0 {
		t.Errorf("caller errors (%d): %q", reauth, errs)
	}
	t.Logf("%d processes sharing one user's pair: %d refresh requests, %d refresh tokens each redeemed once, 0 refused, %d caller errors",
		workers, len(refreshes), len(redeemed), reauth)
}

// TestFleetRefusedPair: one process writes the user's pair, then the user withdraws consent
// (the emulator forgets every refresh token). 5 processes ask at the same moment once the
// access token is stale: one refresh request for the fleet, refused; the process refused
// writes a tombstone, and every process fails with ErrReauthorizationRequired.
func TestFleetRefusedPair(t *testing.T) {
	const n, life = 5, 2 * time.Second
	srv, em := redistest.Start(t), startEmulator(t, sandbox.Lifetimes{AccessToken: life}, false)
	seedUser(t, srv, em, "user-1")
	stale := time.Now().Add(life / 2) // the safety margin of a 2-second token is half of it
	em.srv.ResetState()
	f := spawnFleet(t, n, replicaEnv(srv, em, true, "once", sandbox.KindAuthorizationCode, "user-1"))
	f.waitFor(t, "every replica ready", time.Minute, func() bool { return f.count("ready") == n })
	time.Sleep(time.Until(stale) + 100*time.Millisecond) // real processes: no clock to inject
	rdb := srv.Client(t)
	for range n {
		if err := rdb.RPush(t.Context(), barrierKey, "go").Err(); err != nil {
			t.Fatal(err)
		}
	}
	f.waitFor(t, "every replica's answer", time.Minute, func() bool { return f.count("token")+f.count("error") == n })
	refreshes := em.requests(true)
	if len(refreshes) != 1 || refreshes[0].status != http.StatusUnauthorized {
		t.Errorf("%d refresh requests, want 1, refused (401)", len(refreshes))
	}
	var fetches uint64
	for i, evs := range f.snapshot() {
		ev := evs[slices.IndexFunc(evs, func(ev replicaEvent) bool { return ev.Event == "token" || ev.Event == "error" })]
		if ev.Event != "error" || !ev.Reauth {
			t.Errorf("process %d: %+v, want ErrReauthorizationRequired", i, ev)
		}
		fetches += ev.Stats.UpstreamFetches
	}
	if fetches != 1 {
		t.Errorf("%d upstream fetches by the processes' count, want 1", fetches)
	}
	t.Logf("%d processes sharing a refused pair: %d refresh request(s), %d processes told to re-authorize", n, len(refreshes), f.count("error"))
}

// seedUser makes the user's consent and code exchange in this process, and writes the pair to
// the store under user, as the process that handles the redirect would.
func seedUser(t *testing.T, srv *redistest.Server, em *emulator, user string) {
	t.Helper()
	store, err := redisstore.New(srv.Client(t), redisstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	app := sandboxtest.Demo(sandbox.KindAuthorizationCode)
	c, err := api.NewClient(api.Config{BaseURL: em.url, ApplicationKey: app.Key, ApplicationSecret: app.Secret, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	callback, err := c.AuthorizeURL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	code, err := em.srv.Consent(callback, sandbox.Consent{})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.Exchange(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if s := c.UserTokenSource(tok, api.WithUserID(user)).Stats(); s.Failures != 0 {
		t.Fatalf("writing the pair: %+v", s)
	}
}

// storePollMax is the longest poll interval of a process waiting for the store's lock (api's
// storePollMax); slack is what a loaded machine may add to the processes' reactions.
const (
	storePollMax = 200 * time.Millisecond
	slack        = 500 * time.Millisecond
)

// TestFleetRenewerKilled (proof 5): a process holding the store's lock, its token request in
// flight, is killed with SIGKILL. Four processes waiting for its token wait for its lease to
// end (no request meanwhile), then one of them fetches and all get that token: each caller
// waits at most the lease plus one request (and a poll interval) after the kill.
func TestFleetRenewerKilled(t *testing.T) {
	const waiters = 4
	srv, em := redistest.Start(t), startEmulator(t, sandbox.Lifetimes{}, true)
	env := replicaEnv(srv, em, true, "once", sandbox.KindPlain, "")
	rdb := srv.Client(t)
	holder := spawnFleet(t, 1, env)
	holder.waitFor(t, "the holder ready", time.Minute, func() bool { return holder.count("ready") == 1 })
	if err := rdb.RPush(t.Context(), barrierKey, "go").Err(); err != nil {
		t.Fatal(err)
	}
	<-em.held
	if keys := rdb.Keys(t.Context(), redisstore.DefaultPrefix+"lock:*").Val(); len(keys) != 1 {
		t.Fatalf("lock keys %q while the holder's request is in flight, want 1", keys)
	}
	f := spawnFleet(t, waiters, env)
	f.waitFor(t, "the waiters ready", time.Minute, func() bool { return f.count("ready") == waiters })
	for range waiters {
		rdb.RPush(t.Context(), barrierKey, "go")
	}
	time.Sleep(300 * time.Millisecond) // the waiters poll the lock (their LockWaits below prove it)
	holder.procs[0].Kill()
	killed := time.Now()
	if !holder.procs[0].Killed() {
		t.Fatal("the holder did not die of SIGKILL")
	}
	f.waitFor(t, "the waiters' tokens", time.Minute, func() bool { return f.count("token")+f.count("error") == waiters })
	reqs := em.requests(false)
	if len(reqs) != 2 || reqs[0].status != 0 || reqs[1].status != http.StatusOK {
		t.Fatalf("requests %+v, want the holder's (never answered) and one more", reqs)
	}
	after := reqs[1].at.Sub(killed)
	if after < 2*fleetLease/3-50*time.Millisecond || after > fleetLease+storePollMax+slack {
		t.Errorf("the second request came %s after the kill, want after the rest of the lease (%s at most, two thirds at least)", after, fleetLease)
	}
	var slowest time.Duration
	for i, evs := range f.snapshot() {
		ev := evs[slices.IndexFunc(evs, func(ev replicaEvent) bool { return ev.Event == "token" || ev.Event == "error" })]
		if ev.Event != "token" || ev.Hash != reqs[1].hash || ev.Stats.LockWaits != 1 {
			t.Errorf("waiter %d: %+v, want the second request's token after one lock wait", i, ev)
		}
		slowest = max(slowest, ev.At.Sub(killed))
	}
	if bound := fleetLease + storePollMax + reqs[1].took + slack; slowest > bound {
		t.Errorf("a waiter got its token %s after the kill, want at most %s (lease, poll, request, slack)", slowest, bound)
	}
	t.Logf("lease %s: the next request came %s after the kill; the last waiter had its token %s after the kill",
		fleetLease, after.Round(time.Millisecond), slowest.Round(time.Millisecond))
}

// Log messages of a TokenSource whose store fails and comes back.
const (
	msgStoreDown = "api: token store unavailable; fetching tokens directly until it answers"
	msgStoreUp   = "api: token store available again"
)

// TestFleetRedisDown (proof 4): 6 processes call continuously on 2-second tokens. Redis is
// killed just after a renewal: while that token is valid, no caller gets an error. Once it
// expires, each process fetches for itself, at most once per backoff step (requests of one
// process at least the least step apart), logging one warning. Redis is restarted: the fleet
// converges back to one request per renewal, and each process logs that the store is back.
func TestFleetRedisDown(t *testing.T) {
	const workers, life, usable = 6, 2 * time.Second, time.Second
	srv, em := redistest.Start(t), startEmulator(t, sandbox.Lifetimes{AccessToken: life}, false)
	f := spawnFleet(t, workers, replicaEnv(srv, em, true, "loop", sandbox.KindPlain, ""))
	// Kill Redis just after a renewal reached every process, while its token has more than
	// 300ms of use left (a renewal that reached them late does not count).
	var validUntil time.Time
	for k := 1; ; k++ {
		f.waitFor(t, "a renewal at every process", time.Minute, func() bool {
			ok := answeredRequests(em.requests(false))
			return len(ok) > k && f.allSaw(ok[k].hash)
		})
		validUntil = answeredRequests(em.requests(false))[k].at.Add(usable)
		if time.Until(validUntil) > 300*time.Millisecond {
			break
		}
		if k == 10 {
			t.Fatal("no renewal reached every process with 300ms of its token left: the processes are too slow")
		}
	}
	srv.Kill()
	killed := time.Now()
	f.waitFor(t, "two direct fetches by every process", time.Minute, func() bool { return minPerOwner(em.requests(false), killed, workers) >= 2 })
	srv.Restart()
	restarted := time.Now()
	var converged upstream
	f.waitFor(t, "one request per renewal again, for two renewals", time.Minute, func() bool {
		var ok bool
		converged, ok = convergedAfter(f, em.requests(false), restarted)
		return ok
	})
	done := f.stop(t)

	if errs := f.errorsBetween(killed, validUntil); len(errs) != 0 {
		t.Errorf("caller errors while the token was valid: %q", errs)
	}
	outage := byOwner(em.requests(false), killed, restarted)
	rateLimited := 0
	for owner, reqs := range outage {
		for i := 1; i < len(reqs); i++ {
			if gap := reqs[i].at.Sub(reqs[i-1].at); gap < 500*time.Millisecond {
				t.Errorf("%s: direct requests %d and %d %s apart, want at least the least backoff step (500ms)", owner, i-1, i, gap)
			}
		}
		for _, u := range reqs {
			if u.status == http.StatusTooManyRequests {
				rateLimited++
			}
		}
	}
	for i, d := range done {
		if d.Logs[msgStoreDown] != 1 || d.Logs[msgStoreUp] != 1 || d.Stats.Fallbacks == 0 {
			t.Errorf("process %d: logged %d outage warnings and %d recoveries, %d fallbacks; want 1, 1, some", i, d.Logs[msgStoreDown], d.Logs[msgStoreUp], d.Stats.Fallbacks)
		}
	}
	t.Logf("Redis down %s: 0 caller errors while the token was valid (%s of it left at the kill); %d direct requests from %d processes (%d answered 429), %d caller errors once it expired; converged to one request per renewal %s after the restart",
		restarted.Sub(killed).Round(time.Millisecond), validUntil.Sub(killed).Round(time.Millisecond), countAll(outage), len(outage), rateLimited,
		len(f.errorsBetween(validUntil, restarted)), converged.at.Sub(restarted).Round(time.Millisecond))
}

// byOwner returns the requests from from to to, by the process that sent them.
func byOwner(reqs []upstream, from, to time.Time) map[string][]upstream {
	out := map[string][]upstream{}
	for _, u := range reqs {
		if !u.at.Before(from) && u.at.Before(to) {
			out[u.owner] = append(out[u.owner], u)
		}
	}
	return out
}

// minPerOwner returns the fewest requests any of n processes sent since from.
func minPerOwner(reqs []upstream, from time.Time, n int) int {
	by := byOwner(reqs, from, time.Now().Add(time.Hour))
	if len(by) < n {
		return 0
	}
	least := len(reqs)
	for _, r := range by {
		least = min(least, len(r))
	}
	return least
}

func countAll(by map[string][]upstream) int {
	n := 0
	for _, r := range by {
		n += len(r)
	}
	return n
}

// convergedAfter finds, among the requests after from, one whose token every process used and
// the two requests that followed it, each also used by every process: the fleet is back to one
// request per renewal. It returns the first of the three.
func convergedAfter(f *fleet, reqs []upstream, from time.Time) (upstream, bool) {
	var after []upstream
	for _, u := range reqs {
		if u.at.After(from) {
			after = append(after, u)
		}
	}
	for i := range after {
		if after[i].hash != "" && f.allSaw(after[i].hash) {
			if len(after) < i+3 {
				return upstream{}, false
			}
			next := after[i+1 : i+3]
			return after[i], next[0].hash != "" && next[1].hash != "" && f.allSaw(next[0].hash, next[1].hash)
		}
	}
	return upstream{}, false
}
