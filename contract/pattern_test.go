package contract

import (
	"math/rand/v2"
	"testing"
)

// TestPatternGenerate: every length a pattern can match gets a string of that length that
// matches, and no other length gets one; a seed gives the same strings again.
func TestPatternGenerate(t *testing.T) {
	tests := []struct {
		expr    string
		matches func(n int) bool // whether some string of length n matches
		max     int              // the longest match, -1 unbounded
	}{
		{`^[ -~]+$`, func(n int) bool { return n >= 1 }, -1},
		{`^[0-9]{1,10}(\.[0-9]{1,2})?$`, func(n int) bool { return n >= 1 && n <= 13 }, 13},
		{`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`, func(n int) bool { return n == 10 }, 10},
		{`^[1-9][0-9]{0,3}$`, func(n int) bool { return n >= 1 && n <= 4 }, 4},
		{`^[0-9]{15}$`, func(n int) bool { return n == 15 }, 15},
		{`^([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|[0-9A-Za-z]{32})$`, func(n int) bool { return n == 32 || n == 36 }, 36},
		{`^(ab)*$`, func(n int) bool { return n%2 == 0 }, -1},
		{`^a(\.b{2,3})?$`, func(n int) bool { return n == 1 || n == 4 || n == 5 }, 5},
	}
	for _, tt := range tests {
		p := compilePattern(tt.expr)
		if p == nil {
			t.Fatalf("%s: does not compile", tt.expr)
		}
		for n := 0; n <= 40; n++ {
			s, ok := p.generate(n, rand.New(rand.NewPCG(1, uint64(n))))
			if ok != tt.matches(n) {
				t.Errorf("%s: length %d: got ok %v, want %v", tt.expr, n, ok, !ok)
			}
			if ok && (len(s) != n || !p.re.MatchString(s)) {
				t.Errorf("%s: length %d: got %q (length %d), which does not match", tt.expr, n, s, len(s))
			}
		}
		_, longest, _ := p.lengthsWithin(0, -1)
		if tt.max >= 0 && longest != tt.max {
			t.Errorf("%s: got longest %d, want %d", tt.expr, longest, tt.max)
		}
		a, _ := p.generate(10, rand.New(rand.NewPCG(7, 7)))
		b, _ := p.generate(10, rand.New(rand.NewPCG(7, 7)))
		if a != b {
			t.Errorf("%s: one seed gave %q and %q", tt.expr, a, b)
		}
	}
}

// FuzzPattern: any pattern Go compiles gives, for any length, either nothing or a string of
// that length that matches; never a panic or a hang.
func FuzzPattern(f *testing.F) {
	for _, s := range []string{`^[A-Z0-9]{1,20}$`, `a|bc|def`, `(x{2,3}y?)+`, `[^a]`, `\d+\.\d*`, `(?i)ab`, `^$`, `.{0,4096}`} {
		f.Add(s, 7, uint64(1))
	}
	f.Fuzz(func(t *testing.T, expr string, n int, seed uint64) {
		if len(expr) > 64 {
			return
		}
		p := compilePattern(expr)
		if p == nil {
			return
		}
		n = n % 200
		s, ok := p.generate(n, rand.New(rand.NewPCG(seed, 0)))
		if ok && (len(s) != n || !p.re.MatchString(s)) {
			t.Fatalf("%q at %d: got %q", expr, n, s)
		}
	})
}
