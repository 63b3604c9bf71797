package api

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"
)

// Amount is an amount of Thai baht in satang, hundredths of a baht: Amount(10050) is 100.50
// baht. It is exact, as money must be (a float64 is not). Write one with Baht, Satang or
// ParseAmount.
//
// SCB writes amounts as text ("100", "100.00", "750.45") and, on some calls, as JSON numbers
// (100.5); Amount's UnmarshalJSON reads both, with at most two decimals. MarshalJSON writes
// text with two decimals ("100.50"), as the client sends amounts to SCB.
type Amount int64

// Bounds of amounts.
const (
	// MaxAmount is the largest amount of a QR: 9,999,999,999.99 baht, the 13 characters SCB
	// allows [seen: "up to 13 characters including '.'"].
	MaxAmount Amount = 999_999_999_999
	// MaxDeeplinkAmount is the largest amount of a deeplink: 999,999,999,999.99 baht, SCB's
	// Decimal(14,2) [seen].
	MaxDeeplinkAmount Amount = 99_999_999_999_999
	// maxAmountDigits bounds the baht digits of an amount read from SCB's answers: 15, far
	// beyond any real payment and far from overflowing int64.
	maxAmountDigits = 15
)

// ErrInvalidAmount is the error of ParseAmount and Amount.UnmarshalJSON for text that is not an
// amount.
var ErrInvalidAmount = errors.New("api: invalid amount")

// Baht returns the amount of whole baht b. A b whose satang pass the int64 range gives the
// largest (or least) Amount, which every call refuses as over its limit (or not above zero),
// never a wrapped-around small amount.
func Baht(b int64) Amount {
	const most = math.MaxInt64 / 100
	switch {
	case b > most:
		return Amount(math.MaxInt64)
	case b < -most:
		return Amount(-math.MaxInt64)
	}
	return Amount(b * 100)
}

// Satang returns the amount of s satang.
func Satang(s int64) Amount { return Amount(s) }

// Satang returns a in satang.
func (a Amount) Satang() int64 { return int64(a) }

// String returns a in baht with two decimals, such as "100.50" or "-3.05".
func (a Amount) String() string {
	sign, n := "", int64(a)
	if n < 0 {
		sign, n = "-", -n // MinInt64 stays negative; it is never a valid amount anyway
	}
	frac := strconv.FormatInt(n%100, 10)
	if len(frac) == 1 {
		frac = "0" + frac
	}
	return sign + strconv.FormatInt(n/100, 10) + "." + frac
}

// ParseAmount reads an amount of baht written as SCB writes them: digits, then at most two
// decimals after a point ("100", "100.5", "100.50"), at most 15 digits before it. Signs,
// exponents, spaces, commas and other forms fail with ErrInvalidAmount.
func ParseAmount(s string) (Amount, error) {
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || len(whole) > maxAmountDigits || dot && (frac == "" || len(frac) > 2) {
		return 0, ErrInvalidAmount
	}
	var n int64
	for _, part := range [2]string{whole, frac + "00"[len(frac):]} {
		for i := 0; i < len(part); i++ {
			c := part[i]
			if c < '0' || c > '9' {
				return 0, ErrInvalidAmount
			}
			n = n*10 + int64(c-'0')
		}
	}
	return Amount(n), nil
}

// MarshalJSON writes a as JSON text with two decimals, "100.50".
func (a Amount) MarshalJSON() ([]byte, error) { return strconv.AppendQuote(nil, a.String()), nil }

// UnmarshalJSON reads an amount written as JSON text or a JSON number, as ParseAmount reads it
// (a number may not have an exponent either).
func (a *Amount) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		b = b[1 : len(b)-1]
	}
	v, err := ParseAmount(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}
