package sandbox_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/scboauth/scboauth/sandbox"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// TestDateFollowsTheClock: an answer's Date and its expiresAt - expiresIn tell the same time,
// whether the emulator reads the machine's clock, a test's clock (WithClock), or a clock moved
// forward (AdvanceClock); a checker comparing them (the contract check does) sees no skew.
func TestDateFollowsTheClock(t *testing.T) {
	fake := sandboxtest.NewClock(time.Unix(1_700_000_000, 0))
	tests := []struct {
		name    string
		opts    []sandbox.Option
		advance time.Duration
	}{
		{"machine clock", nil, 0},
		{"machine clock moved 31m", nil, 31 * time.Minute},
		{"test clock", []sandbox.Option{sandbox.WithClock(fake.Now)}, 0},
		{"test clock moved 10 years", []sandbox.Option{sandbox.WithClock(fake.Now)}, sandbox.MaxLifetime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, ts := sandboxtest.NewServer(t, tt.opts...)
			if tt.advance > 0 {
				if _, err := srv.AdvanceClock(tt.advance); err != nil {
					t.Fatal(err)
				}
			}
			h := &harness{t: t, url: ts.URL, client: ts.Client()}
			r := h.do(http.MethodPost, pathToken, stdHeaders(), credentials(demoPlain))
			tok := r.token(t)
			date, err := http.ParseTime(r.header.Get("Date"))
			if err != nil {
				t.Fatalf("Date %q: %v", r.header.Get("Date"), err)
			}
			issued := time.Unix(tok.ExpiresAt-int64(tok.ExpiresIn), 0)
			if d := issued.Sub(date); d < -2*time.Second || d > 2*time.Second {
				t.Errorf("Date %s, but the token was issued at %s (expiresAt - expiresIn): off by %s", date, issued, d)
			}
		})
	}
}
