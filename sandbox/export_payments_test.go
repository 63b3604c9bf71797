package sandbox

// What the external tests need of the payment emulator's insides.

// The payment paths; the slip and transaction paths take an id after them.
const (
	PathQRCode            = pathQRCode
	PathSlipPrefix        = pathSlipPrefix
	PathInquiry           = pathInquiry
	PathDeeplink          = pathDeeplink
	PathTransactionPrefix = pathTransactionPrefix
)

// SCBMethod returns the method the emulator serves one of SCB's paths with, or "" for a path
// that is not SCB's (unknown, or the consent endpoint).
func SCBMethod(path string) string {
	if rt := lookupRoute(path); rt.isSCB() {
		return rt.method
	}
	return ""
}

// PaymentStoreLen returns the number of access tokens, QRs, deeplinks and paid bill payments s
// holds.
func (s *Server) PaymentStoreLen() (tokens, qrs, deeplinks, slips int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tokens.m), len(s.qrs.m), len(s.deeplinks.m), len(s.slips.m)
}
