package sandbox

import (
	"strconv"
	"strings"
)

// The EMVCo merchant-presented QR ("Thai QR") the emulator writes as qrRawData [seen: SCB's QR 30
// example decoded in scb-payments.md section 2]: tag 00 payload format, 01 point of initiation
// ("12": an amount is set), 30 the PromptPay bill payment (00 the AID, 01 the biller id, 02 ref1,
// 03 ref2), 02 a card merchant (QR CS), 52 the merchant category, 53 the currency (764), 54 the
// amount, 58 the country, 60 the city, 62 additional data (05 the QR CS id, 07 ref3), 63 the
// CRC. Only the emulator reads it back, by the whole string, so its exact tags are a
// [decision] within what SCB's examples show.

// promptPayBillAID is the application id of a PromptPay bill payment in tag 30 [seen].
const promptPayBillAID = "A000000677010112"

// qrFields is what a QR's raw data encodes.
type qrFields struct {
	billerID, ref1, ref2, ref3 string // QR 30; billerID empty for a QR CS only
	merchantID, terminalID     string // QR CS; empty for a QR 30 only
	qrID                       string // QR CS id
	amount                     int64  // satang
}

// emvQR returns the EMVCo string of f, with its CRC.
func emvQR(f qrFields) string {
	var b strings.Builder
	tlv(&b, "00", "01")
	tlv(&b, "01", "12")
	if f.billerID != "" {
		var t strings.Builder
		tlv(&t, "00", promptPayBillAID)
		tlv(&t, "01", f.billerID)
		tlv(&t, "02", f.ref1)
		if f.ref2 != "" {
			tlv(&t, "03", f.ref2)
		}
		tlv(&b, "30", t.String())
	}
	if f.merchantID != "" {
		tlv(&b, "02", f.merchantID+f.terminalID)
	}
	tlv(&b, "52", "7011")
	tlv(&b, "53", "764")
	tlv(&b, "54", formatAmount(f.amount, true))
	tlv(&b, "58", "TH")
	tlv(&b, "60", "BANGKOK")
	var add strings.Builder
	if f.qrID != "" {
		tlv(&add, "05", f.qrID)
	}
	if f.ref3 != "" {
		tlv(&add, "07", f.ref3)
	}
	if add.Len() > 0 {
		tlv(&b, "62", add.String())
	}
	b.WriteString("6304")
	return b.String() + crc16(b.String())
}

// tlv writes one EMVCo data object: the tag, the value's length in two digits, the value. The
// emulator's values are validated to fit (at most 99 bytes each).
func tlv(b *strings.Builder, tag, value string) {
	b.WriteString(tag)
	if len(value) < 10 {
		b.WriteByte('0')
	}
	b.WriteString(strconv.Itoa(len(value)))
	b.WriteString(value)
}

// crc16 returns the CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF) of s in four
// upper-case hex digits, as EMVCo's tag 63 carries it.
func crc16(s string) string {
	crc := uint16(0xFFFF)
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	const hex = "0123456789ABCDEF"
	return string([]byte{hex[crc>>12], hex[crc>>8&0xF], hex[crc>>4&0xF], hex[crc&0xF]})
}

// formatAmount writes satang as baht: with two decimals when fixed, else as SCB's answers write
// them [seen: "100", "750.45"], without decimals for whole baht.
func formatAmount(satang int64, fixed bool) string {
	baht, rest := satang/100, satang%100
	s := strconv.FormatInt(baht, 10)
	if rest == 0 && !fixed {
		return s
	}
	if rest < 10 {
		return s + ".0" + strconv.FormatInt(rest, 10)
	}
	return s + "." + strconv.FormatInt(rest, 10)
}

// parseAmount reads an amount written as digits with at most two decimals ("100", "100.5",
// "100.50"), with at most maxDigits before the point, into satang. It refuses signs,
// exponents, spaces and zero [decision].
func parseAmount(s string, maxDigits int) (int64, bool) {
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || len(whole) > maxDigits || dot && (frac == "" || len(frac) > 2) {
		return 0, false
	}
	var n int64
	for _, part := range []string{whole, frac + "00"[len(frac):]} {
		for i := 0; i < len(part); i++ {
			c := part[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int64(c-'0')
		}
	}
	return n, n > 0
}
