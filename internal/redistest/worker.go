package redistest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"testing"
)

// Environment of a worker process: the role it plays and its index among its peers.
const (
	roleEnv  = "REDISTEST_WORKER_ROLE"
	indexEnv = "REDISTEST_WORKER_INDEX"
)

// A Role is the body of a worker process. It reads its configuration from the environment
// Spawn gave it (w.Env), reports what it saw with w.Report, and returns an error to fail: the
// process then exits with status 1 and the error on stderr. ctx ends on SIGTERM or SIGINT.
type Role func(ctx context.Context, w *Worker) error

// Worker is the running worker process, as its Role sees it.
type Worker struct {
	// Index is the worker's number among those Spawn started together, from 0.
	Index int

	mu  sync.Mutex
	enc *json.Encoder
}

// Env returns the environment variable name; it fails the worker when it is missing, so a
// test that forgot to pass it gets a clear message.
func (w *Worker) Env(name string) string {
	v, ok := os.LookupEnv(name)
	if !ok {
		fmt.Fprintf(os.Stderr, "redistest: worker %d: environment variable %s is not set\n", w.Index, name)
		os.Exit(2)
	}
	return v
}

// Report writes v to stdout as one JSON line, for the test to read with Proc.Next.
func (w *Worker) Report(v any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.enc.Encode(v); err != nil {
		fmt.Fprintf(os.Stderr, "redistest: worker %d: report: %v\n", w.Index, err)
		os.Exit(2)
	}
}

// Main runs the role named by the environment when the test binary was started by Spawn,
// and exits; otherwise it returns at once. Call it first in TestMain:
//
//	func TestMain(m *testing.M) {
//		redistest.Main(map[string]redistest.Role{"locker": locker})
//		os.Exit(m.Run())
//	}
func Main(roles map[string]Role) {
	name, ok := os.LookupEnv(roleEnv)
	if !ok {
		return
	}
	role := roles[name]
	index, err := strconv.Atoi(os.Getenv(indexEnv))
	if role == nil || err != nil {
		fmt.Fprintf(os.Stderr, "redistest: unknown worker role %q or index %q\n", name, os.Getenv(indexEnv))
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := role(ctx, &Worker{Index: index, enc: json.NewEncoder(os.Stdout)}); err != nil {
		fmt.Fprintf(os.Stderr, "redistest: worker %s %d: %v\n", name, index, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// Proc is a worker process seen from the test.
type Proc struct {
	// Index is the worker's number, as Worker.Index.
	Index int

	cmd    *exec.Cmd
	lines  chan []byte // stdout, one JSON line each; closed at EOF
	stderr *lockedBuffer
	done   chan struct{} // closed once the process has exited
	err    error         // its exit status, once done is closed
	drain  sync.Once
}

// Spawn starts n workers of role: the running test binary again, with env ("NAME=value"
// entries) added to the environment. The test's cleanup kills those still running.
func Spawn(t testing.TB, role string, n int, env ...string) []*Proc {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	procs := make([]*Proc, n)
	for i := range procs {
		// -test.run=^$: should Main not be called, the worker runs no test (and starts no workers).
		cmd := exec.Command(self, "-test.run=^$")
		cmd.Env = append(os.Environ(), append(env, roleEnv+"="+role, indexEnv+"="+strconv.Itoa(i))...)
		cmd.SysProcAttr = dieWithParent()
		p, err := start(i, cmd)
		if err != nil {
			t.Fatalf("redistest: worker %s %d: %v", role, i, err)
		}
		t.Cleanup(p.Kill)
		procs[i] = p
	}
	return procs
}

func start(index int, cmd *exec.Cmd) (*Proc, error) {
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &Proc{Index: index, cmd: cmd, lines: make(chan []byte, 1024), stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go p.read(stdout)
	return p, nil
}

// read passes stdout's lines to p.lines, then waits for the process to exit.
func (p *Proc) read(stdout io.Reader) {
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		p.lines <- append([]byte(nil), sc.Bytes()...)
	}
	close(p.lines)
	p.err = p.cmd.Wait()
	close(p.done)
}

// Next decodes the worker's next report into v. It fails when the worker has exited without
// one more, wrote something other than JSON, or ctx ends first.
func (p *Proc) Next(ctx context.Context, v any) error {
	select {
	case line, ok := <-p.lines:
		if !ok {
			<-p.done
			return fmt.Errorf("worker %d: exited (%v) without another report; stderr:\n%s", p.Index, p.err, p.stderr.String())
		}
		if err := json.Unmarshal(line, v); err != nil {
			return fmt.Errorf("worker %d: report %q: %w", p.Index, line, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("worker %d: no report: %w; stderr so far:\n%s", p.Index, ctx.Err(), p.stderr.String())
	}
}

// dropReports discards the reports not read yet, and those to come, so that a worker that
// reports more than the test reads can exit.
func (p *Proc) dropReports() {
	p.drain.Do(func() {
		go func() {
			for range p.lines {
			}
		}()
	})
}

// Wait waits for the worker to exit and returns an error unless it exited with status 0, or
// when ctx ends first. Reports not read with Next by then are dropped.
func (p *Proc) Wait(ctx context.Context) error {
	p.dropReports()
	select {
	case <-p.done:
		if p.err != nil {
			return fmt.Errorf("worker %d: %w; stderr:\n%s", p.Index, p.err, p.stderr.String())
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("worker %d: still running: %w", p.Index, ctx.Err())
	}
}

// Stop asks the worker to end (SIGTERM): its Role's context ends, so that it can report what
// it saw before it returns. Read those reports with Next, then Wait.
func (p *Proc) Stop() { _ = p.cmd.Process.Signal(syscall.SIGTERM) }

// Kill ends the worker at once (SIGKILL), as a crash would, and waits for it to exit. Its
// reports not read with Next by then are dropped.
func (p *Proc) Kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	p.dropReports()
	<-p.done
}

// Killed reports whether the worker ended by SIGKILL.
func (p *Proc) Killed() bool {
	<-p.done
	var ee *exec.ExitError
	if !errors.As(p.err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}
