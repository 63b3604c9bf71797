package redisstore_test

// The replica role of the fleet tests (fleet_tokens_test.go): the test binary re-executed as a
// process with its own api.Client and TokenSource, on one redis-server and one emulator that
// the test serves with SCB's sandbox rate limit (5 requests per second), behind a recorder that
// counts upstream requests where they arrive, never by the clients.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/scboauth/scboauth/api"
	"github.com/scboauth/scboauth/api/redisstore"
	"github.com/scboauth/scboauth/internal/redistest"
	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// Environment of a replica.
const (
	envBase     = "FLEET_BASE"     // the emulator's base URL
	envKind     = "FLEET_KIND"     // the demo application: plain or authorization-code
	envStore    = "FLEET_STORE"    // "on": share tokens through Redis; "off": each for itself
	envUser     = "FLEET_USER"     // a user id: serve that user's pair from the store; "": the application's token
	envMode     = "FLEET_MODE"     // once: one Token call after the barrier; loop: call until stopped
	envAttempts = "FLEET_ATTEMPTS" // Config.Retry.MaxAttempts

	barrierKey = "fleet:go" // replicas in once mode wait for an element of this list
	fleetLease = time.Second
	rateLimit  = 5 // requests per second, SCB's sandbox
)

// replicaEvent is what a replica reports: ready (built, about to ask), token (a token it did
// not hold before; in once mode, the one it got), error (a Token call failed), done (stopped,
// with its totals).
type replicaEvent struct {
	Event  string          `json:"event"`
	Hash   string          `json:"hash,omitempty"` // of the access token
	Err    string          `json:"err,omitempty"`
	Reauth bool            `json:"reauth,omitempty"` // the error matches ErrReauthorizationRequired
	At     time.Time       `json:"at"`
	Waited time.Duration   `json:"waited,omitempty"` // once mode: how long the Token call took
	Stats  api.SourceStats `json:"stats"`
	Errors int             `json:"errors,omitempty"`
	Logs   map[string]int  `json:"logs,omitempty"` // log messages, counted
}

// hashOf names a token in reports and logs without showing it.
func hashOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:6])
}

// replica is a process of the fleet: a TokenSource on the emulator, sharing through Redis or
// not, asked once or continuously.
func replica(ctx context.Context, w *redistest.Worker) error {
	ts, logs, err := replicaSource(w)
	if err != nil {
		return err
	}
	w.Report(replicaEvent{Event: "ready", At: time.Now()})
	if w.Env(envMode) == "once" {
		return askOnce(ctx, w, ts)
	}
	return askLoop(ctx, w, ts, logs)
}

// replicaSource builds the TokenSource a replica's environment describes.
func replicaSource(w *redistest.Worker) (*api.TokenSource, *logCounter, error) {
	app := sandboxtest.Demo(sandbox.Kind(w.Env(envKind)))
	attempts, err := strconv.Atoi(w.Env(envAttempts))
	if err != nil {
		return nil, nil, err
	}
	logs := &logCounter{counts: map[string]int{}}
	cfg := api.Config{BaseURL: w.Env(envBase), ApplicationKey: app.Key, ApplicationSecret: app.Secret,
		ResourceOwnerID: "worker-" + strconv.Itoa(w.Index), Retry: api.RetryPolicy{MaxAttempts: attempts}, Logger: slog.New(logs)}
	if w.Env(envStore) == "on" {
		rdb := redis.NewClient(&redis.Options{Addr: w.Env(envAddr), ContextTimeoutEnabled: true, MaxRetries: -1, DialerRetries: 1})
		if cfg.Store, err = redisstore.New(rdb, redisstore.Options{}); err != nil {
			return nil, nil, err
		}
		if cfg.StoreLease, err = time.ParseDuration(w.Env(envLease)); err != nil {
			return nil, nil, err
		}
	}
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, nil, err
	}
	if user := w.Env(envUser); user != "" {
		return c.UserTokenSource(nil, api.WithUserID(user)), logs, nil
	}
	return c.TokenSource(), logs, nil
}

// askOnce waits at the barrier (an element of the list barrierKey), so that the replicas ask
// at the same moment, then asks for a token and reports what it got.
func askOnce(ctx context.Context, w *redistest.Worker, ts *api.TokenSource) error {
	rdb := redis.NewClient(&redis.Options{Addr: w.Env(envAddr)})
	defer rdb.Close()
	if err := rdb.BLPop(ctx, 30*time.Second, barrierKey).Err(); err != nil {
		return fmt.Errorf("barrier: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	start := time.Now()
	tok, err := ts.Token(ctx)
	ev := replicaEvent{Event: "token", At: time.Now(), Waited: time.Since(start), Stats: ts.Stats()}
	if err != nil {
		ev.Event, ev.Err, ev.Reauth = "error", err.Error(), errors.Is(err, api.ErrReauthorizationRequired)
	} else {
		ev.Hash = hashOf(tok.AccessToken())
	}
	w.Report(ev)
	return nil
}

// askLoop asks for a token every 5ms until the replica is stopped, reporting each new token
// and each error, then its totals.
func askLoop(ctx context.Context, w *redistest.Worker, ts *api.TokenSource, logs *logCounter) error {
	last, errs := "", 0
	for ctx.Err() == nil {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		tok, err := ts.Token(cctx)
		cancel()
		switch {
		case ctx.Err() != nil: // stopped during the call
		case err != nil:
			errs++
			w.Report(replicaEvent{Event: "error", Err: err.Error(), Reauth: errors.Is(err, api.ErrReauthorizationRequired), At: time.Now()})
		case hashOf(tok.AccessToken()) != last:
			last = hashOf(tok.AccessToken())
			w.Report(replicaEvent{Event: "token", Hash: last, At: time.Now()})
		}
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Millisecond):
		}
	}
	w.Report(replicaEvent{Event: "done", At: time.Now(), Stats: ts.Stats(), Errors: errs, Logs: logs.snapshot()})
	return nil
}

// logCounter is a slog handler that counts messages; warnings also go to stderr, which a
// failed test shows.
type logCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (l *logCounter) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCounter) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counts[r.Message]++
	if r.Level >= slog.LevelWarn {
		fmt.Fprintf(os.Stderr, "%s %s %s\n", r.Time.Format("15:04:05.000"), r.Level, r.Message)
	}
	return nil
}
func (l *logCounter) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logCounter) WithGroup(string) slog.Handler      { return l }

func (l *logCounter) snapshot() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.counts)
}

// upstream is a request that reached the emulator's token endpoints.
type upstream struct {
	at       time.Time
	refresh  bool   // POST /v1/oauth/token/refresh; else /v1/oauth/token
	owner    string // resourceOwnerId: the replica that sent it
	redeemed string // hash of the refresh token it redeemed
	status   int    // 0: the client went away before an answer
	code     int    // SCB's business code of the answer
	hash     string // hash of the access token it answered
	took     time.Duration
}

// emulator is the upstream of a fleet test: the sandbox with SCB's rate limit, served on
// loopback behind a recorder of every token request. With holdFirst, the first token request
// gets no answer until its client goes away.
type emulator struct {
	srv       *sandbox.Server
	url       string
	holdFirst bool
	held      chan struct{} // closed when the held request has arrived

	mu   sync.Mutex
	reqs []upstream
	seen int
}

func startEmulator(t *testing.T, lifetimes sandbox.Lifetimes, holdFirst bool) *emulator {
	t.Helper()
	srv, err := sandbox.New(sandbox.WithFaults(sandbox.Faults{RateLimit: rateLimit}), sandbox.WithLifetimes(lifetimes))
	if err != nil {
		t.Fatal(err)
	}
	em := &emulator{srv: srv, holdFirst: holdFirst, held: make(chan struct{})}
	hs := httptest.NewServer(em)
	t.Cleanup(hs.Close)
	em.url = hs.URL
	return em
}

func (em *emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/v1/oauth/token") {
		em.srv.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	r.Body = io.NopCloser(bytes.NewReader(body))
	u := upstream{at: time.Now(), refresh: strings.HasSuffix(r.URL.Path, "/refresh"), owner: r.Header.Get("resourceOwnerId")}
	var in struct{ RefreshToken string }
	if json.Unmarshal(body, &in) == nil && in.RefreshToken != "" {
		u.redeemed = hashOf(in.RefreshToken)
	}
	em.mu.Lock()
	em.seen++
	hold := em.holdFirst && em.seen == 1
	em.mu.Unlock()
	if hold {
		close(em.held)
		<-r.Context().Done()
	} else {
		rec := &recorder{ResponseWriter: w}
		em.srv.ServeHTTP(rec, r)
		var out struct {
			Status struct{ Code int }
			Data   struct{ AccessToken string }
		}
		_ = json.Unmarshal(rec.body.Bytes(), &out)
		u.status, u.code = rec.status, out.Status.Code
		if out.Data.AccessToken != "" {
			u.hash = hashOf(out.Data.AccessToken)
		}
	}
	u.took = time.Since(u.at)
	em.mu.Lock()
	defer em.mu.Unlock()
	em.reqs = append(em.reqs, u)
}

// requests returns the token requests so far, in the order they arrived, those of refresh
// tokens or not.
func (em *emulator) requests(refresh bool) []upstream {
	em.mu.Lock()
	defer em.mu.Unlock()
	var out []upstream
	for _, u := range em.reqs {
		if u.refresh == refresh {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b upstream) int { return a.at.Compare(b.at) })
	return out
}

// answered returns the hashes of the tokens answered to requests.
func answered(reqs []upstream) []string {
	var out []string
	for _, u := range answeredRequests(reqs) {
		out = append(out, u.hash)
	}
	return out
}

// answeredRequests returns the requests answered with a token.
func answeredRequests(reqs []upstream) []upstream {
	var out []upstream
	for _, u := range reqs {
		if u.hash != "" {
			out = append(out, u)
		}
	}
	return out
}

// recorder keeps the status and body of an answer on its way to the client.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// replicaEnv is the environment of replicas on srv and em.
func replicaEnv(srv *redistest.Server, em *emulator, store bool, mode string, kind sandbox.Kind, user string) []string {
	onOff := map[bool]string{true: "on", false: "off"}[store]
	return []string{envAddr + "=" + srv.Addr, envBase + "=" + em.url, envKind + "=" + string(kind), envStore + "=" + onOff,
		envUser + "=" + user, envMode + "=" + mode, envLease + "=" + fleetLease.String(), envAttempts + "=1"}
}

// fleet is the replicas of a test, as their reports show them.
type fleet struct {
	procs   []*redistest.Proc
	changed chan struct{} // a report arrived

	mu     sync.Mutex
	events [][]replicaEvent // by replica
}

func spawnFleet(t *testing.T, n int, env []string) *fleet {
	t.Helper()
	f := &fleet{procs: redistest.Spawn(t, "replica", n, env...), changed: make(chan struct{}, 1), events: make([][]replicaEvent, n)}
	for i, p := range f.procs {
		go f.read(i, p)
	}
	return f
}

// read keeps the reports of replica i until it exits; its exit is an event too, whose Err is
// empty for a clean exit.
func (f *fleet) read(i int, p *redistest.Proc) {
	for {
		var ev replicaEvent
		err := p.Next(context.Background(), &ev)
		if err != nil {
			ev = replicaEvent{Event: "exit", At: time.Now()}
			if werr := p.Wait(context.Background()); werr != nil {
				ev.Err = werr.Error()
			}
		}
		f.mu.Lock()
		f.events[i] = append(f.events[i], ev)
		f.mu.Unlock()
		select {
		case f.changed <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

// snapshot returns the reports so far, by replica.
func (f *fleet) snapshot() [][]replicaEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([][]replicaEvent, len(f.events))
	for i, evs := range f.events {
		out[i] = slices.Clone(evs)
	}
	return out
}

// count returns the number of reports of kind event.
func (f *fleet) count(event string) int {
	n := 0
	for _, evs := range f.snapshot() {
		for _, ev := range evs {
			if ev.Event == event {
				n++
			}
		}
	}
	return n
}

// allSaw reports whether every replica has reported each of the tokens hashes.
func (f *fleet) allSaw(hashes ...string) bool {
	for _, evs := range f.snapshot() {
		for _, h := range hashes {
			if !slices.ContainsFunc(evs, func(ev replicaEvent) bool { return ev.Event == "token" && ev.Hash == h }) {
				return false
			}
		}
	}
	return true
}

// waitFor waits until cond holds, checking at each report and every 20ms; it fails the test
// after timeout, or when a replica failed.
func (f *fleet) waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.After(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		for i, evs := range f.snapshot() {
			if len(evs) > 0 && evs[len(evs)-1].Event == "exit" && evs[len(evs)-1].Err != "" {
				t.Fatalf("waiting for %s: replica %d exited: %s", what, i, evs[len(evs)-1].Err)
			}
		}
		select {
		case <-deadline:
			t.Fatalf("waiting for %s: not after %s", what, timeout)
		case <-f.changed:
		case <-tick.C:
		}
	}
}

// stop stops the replicas and returns their final reports.
func (f *fleet) stop(t *testing.T) []replicaEvent {
	t.Helper()
	for _, p := range f.procs {
		p.Stop()
	}
	f.waitFor(t, "the replicas' totals", 30*time.Second, func() bool { return f.count("done") == len(f.procs) })
	done := make([]replicaEvent, len(f.procs))
	for i, evs := range f.snapshot() {
		for _, ev := range evs {
			if ev.Event == "done" {
				done[i] = ev
			}
		}
	}
	return done
}

// errorsBetween returns the errors replicas reported from from to to.
func (f *fleet) errorsBetween(from, to time.Time) []string {
	var out []string
	for i, evs := range f.snapshot() {
		for _, ev := range evs {
			if ev.Event == "error" && !ev.At.Before(from) && ev.At.Before(to) {
				out = append(out, fmt.Sprintf("replica %d at %s: %s", i, ev.At.Format("15:04:05.000"), ev.Err))
			}
		}
	}
	return out
}
