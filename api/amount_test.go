package api

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want Amount
		ok   bool
	}{
		{"100", 10000, true},
		{"100.5", 10050, true},
		{"100.50", 10050, true},
		{"0.01", 1, true},
		{"0", 0, true},
		{"007", 700, true},
		{"999999999999999.99", 99999999999999999, true},
		{"1000000000000000", 0, false}, // 16 digits
		{"100.505", 0, false},
		{"100.", 0, false},
		{".5", 0, false},
		{"-1", 0, false},
		{"+1", 0, false},
		{"1e2", 0, false},
		{"1,000", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"1\n", 0, false},
		{"", 0, false},
		{"٣", 0, false}, // an Arabic-Indic digit
		{"NaN", 0, false},
		{"9223372036854775807", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseAmount(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseAmount(%q): got %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidAmount) {
			t.Errorf("ParseAmount(%q): got %v, want ErrInvalidAmount", tt.in, err)
		}
	}
}

func TestAmountString(t *testing.T) {
	for a, want := range map[Amount]string{0: "0.00", 1: "0.01", 10: "0.10", 10050: "100.50", Baht(7): "7.00", -305: "-3.05", MaxAmount: "9999999999.99"} {
		if got := a.String(); got != want {
			t.Errorf("Amount(%d).String(): got %q, want %q", int64(a), got, want)
		}
	}
	if Satang(5).Satang() != 5 || Baht(2) != 200 {
		t.Error("Baht, Satang")
	}
}

func TestAmountJSON(t *testing.T) {
	b, err := json.Marshal(struct{ A Amount }{Baht(100) + 5})
	if err != nil || string(b) != `{"A":"100.05"}` {
		t.Errorf("marshal: got %s, %v", b, err)
	}
	for in, want := range map[string]Amount{`"100"`: 10000, `100.5`: 10050, `"0.5"`: 50, ` 12 `: 1200} {
		var a Amount
		if err := json.Unmarshal([]byte(in), &a); err != nil || a != want {
			t.Errorf("unmarshal %s: got %d, %v; want %d", in, a, err, want)
		}
	}
	for _, in := range []string{`null`, `true`, `"1e2"`, `1e2`, `"100.005"`, `{}`, `"\u0031"`, `-1`} {
		var a Amount
		if err := json.Unmarshal([]byte(in), &a); err == nil {
			t.Errorf("unmarshal %s: got %d, want an error", in, a)
		}
	}
}

// FuzzParseAmount: whatever the text, ParseAmount never panics, and an amount it reads prints
// back as the same value.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"100", "100.50", "0.01", "999999999999999.99", "1e2", "-0", "."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAmount(s)
		if err != nil {
			return
		}
		if a < 0 {
			t.Fatalf("ParseAmount(%q) = %d, negative", s, a)
		}
		back, err := ParseAmount(a.String())
		if err != nil || back != a {
			t.Fatalf("ParseAmount(%q) = %d, whose String %q reads back as %d, %v", s, a, a.String(), back, err)
		}
		if strings.TrimLeft(s, "0") == "" && a != 0 {
			t.Fatalf("ParseAmount(%q) = %d, want 0", s, a)
		}
	})
}
