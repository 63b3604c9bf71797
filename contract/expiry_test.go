package contract

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestExpiryCheckAnyInteger: expiresAt must be issue time + expiresIn, whatever integers a
// server sends: a lifetime of one second or ten years that adds up conforms; one that passes
// the int64 range, or whose difference would overflow a time.Duration, is a finding (it was
// once waved through as "off by 0s").
func TestExpiryCheckAnyInteger(t *testing.T) {
	issued := time.Unix(1_800_000_000, 0)
	tenYears := int64(10 * 365 * 24 * 3600)
	tests := []struct {
		at, in int64
		want   string // a part of the finding; "" for none
	}{
		{issued.Unix() + 1, 1, ""},
		{issued.Unix() + tenYears, tenYears, ""},
		{issued.Unix() + 1800 + 5, 1800, ""},
		{issued.Unix() + 1800, 255<<55 + 1800, "off by"},
		{issued.Unix() + 1800, math.MaxInt64, "passes the largest int64"},
		{issued.Unix() + 1800, math.MinInt64, "off by more seconds than an int64 holds"},
		{math.MaxInt64, 1800, "off by"},
		{math.MinInt64, 1800, "off by"},
		{(issued.Unix() + 1800) * 1000, 1800, "in milliseconds"},
		{issued.Unix() + 3600, 1800, "off by 30m0s"},
	}
	for _, tt := range tests {
		data := map[string]any{
			"expiresAt": json.Number(strconv.FormatInt(tt.at, 10)),
			"expiresIn": json.Number(strconv.FormatInt(tt.in, 10)),
		}
		fs := expiryCheck(data, "expiresAt", "expiresIn", issued, "Date", 10*time.Second)
		switch {
		case tt.want == "" && len(fs) != 0:
			t.Errorf("at %d, in %d: got %v, want no finding", tt.at, tt.in, fs)
		case tt.want != "" && (len(fs) != 1 || !strings.Contains(fs[0].Message, tt.want)):
			t.Errorf("at %d, in %d: got %v, want one finding saying %q", tt.at, tt.in, fs, tt.want)
		}
	}
}
