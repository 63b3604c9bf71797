package redistest

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	Main(map[string]Role{
		"echo": func(_ context.Context, w *Worker) error {
			w.Report(map[string]any{"index": w.Index, "value": w.Env("ECHO")})
			return nil
		},
		"chatty": func(context.Context, *Worker) error {
			_, err := os.Stdout.WriteString("not JSON\n")
			return err
		},
		"fails": func(context.Context, *Worker) error { return errors.New("it went wrong") },
		"block": func(ctx context.Context, w *Worker) error {
			w.Report(true)
			<-ctx.Done()
			w.Report("stopped")
			return nil
		},
		"needs": func(_ context.Context, w *Worker) error {
			w.Env("MISSING_VARIABLE")
			return nil
		},
	})
	os.Exit(m.Run())
}

func TestLookupMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := lookup()
	if err == nil || !strings.Contains(err.Error(), "apt-get install redis-server") {
		t.Fatalf("lookup without redis-server: err %v, want how to install it", err)
	}
}

func TestServer(t *testing.T) {
	s := Start(t)
	c := s.Client(t)
	ctx := t.Context()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s.Kill()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("PING after Kill worked")
	}
	s.Restart()
	if n, err := c.Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Fatalf("after Restart: EXISTS k = %d, %v; want an empty server", n, err)
	}
	s.Pause()
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := c.Ping(short).Err(); err == nil {
		t.Fatal("PING during Pause worked")
	}
	s.Resume()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING after Resume: %v", err)
	}
}

func TestWorkers(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	procs := Spawn(t, "echo", 3, "ECHO=hello")
	for i, p := range procs {
		var got struct {
			Index int    `json:"index"`
			Value string `json:"value"`
		}
		if err := p.Next(ctx, &got); err != nil {
			t.Fatal(err)
		}
		if got.Index != i || got.Value != "hello" {
			t.Errorf("worker %d reported %+v", i, got)
		}
		if err := p.Wait(ctx); err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
	}
}

func TestWorkerFailures(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var v any
	if err := Spawn(t, "chatty", 1)[0].Next(ctx, &v); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("a line that is not JSON: err %v", err)
	}
	for role, want := range map[string]string{
		"fails":   "it went wrong",
		"needs":   "MISSING_VARIABLE is not set",
		"no-such": `unknown worker role "no-such"`,
	} {
		p := Spawn(t, role, 1)[0]
		if err := p.Next(ctx, &v); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: Next: err %v, want the worker's stderr with %q", role, err, want)
		}
		if err := p.Wait(ctx); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: Wait: err %v, want %q", role, err, want)
		}
	}
}

func TestWorkerKilled(t *testing.T) {
	p := Spawn(t, "block", 1)[0]
	var started bool
	if err := p.Next(t.Context(), &started); err != nil || !started {
		t.Fatal(started, err)
	}
	p.Kill()
	if !p.Killed() {
		t.Fatal("Killed() = false after Kill")
	}
	if err := p.Wait(t.Context()); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("Wait after Kill: err %v, want the signal", err)
	}
}

func TestWorkerStopped(t *testing.T) {
	p := Spawn(t, "block", 1)[0]
	var started bool
	if err := p.Next(t.Context(), &started); err != nil || !started {
		t.Fatal(started, err)
	}
	p.Stop()
	var last string
	if err := p.Next(t.Context(), &last); err != nil || last != "stopped" {
		t.Fatalf("after Stop: %q, %v; want the report of a role whose context ended", last, err)
	}
	if err := p.Wait(t.Context()); err != nil {
		t.Fatalf("Wait after Stop: %v, want a clean exit", err)
	}
}
