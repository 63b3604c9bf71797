package sandbox

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	adminapi "github.com/scboauth/scboauth/generated/admin"
)

// FaultRule answers matching requests to SCB's paths with a fault, as the X-Sandbox-Fault
// header would: "the next N requests to this path get this fault", "this share of this
// application's requests get this fault". Add one with Server.AddFaultRule or POST
// /sandbox/v1/faults.
type FaultRule struct {
	// ID is assigned by AddFaultRule.
	ID string
	// Fault is what a matching request gets: 429, 500, 502, 503, 504, timeout, truncate or html.
	Fault string
	// Path, when set, limits the rule to one of SCB's paths (/v1/oauth/token,
	// /v1/oauth/token/refresh, /v2/oauth/authorize).
	Path string
	// Application, when set, limits the rule to requests that authenticate as the application
	// of this name; the rule then fires once the request authenticated. A rule without it fires
	// before the request is read.
	Application string
	// Count, when positive, is how many more matching requests the rule answers; it is removed
	// when spent. Zero: until cleared. At most MaxFaultCount.
	Count int
	// Probability, when positive, is the share of matching requests the rule answers (at most
	// 1); zero means every one.
	Probability float64
	// Fired is how many requests the rule has answered (set by FaultRules).
	Fired int64
}

// The bounds of fault rules.
const (
	MaxFaultRules = 256       // rules in force at once
	MaxFaultCount = 1_000_000 // FaultRule.Count
)

// faultNames lists the faults X-Sandbox-Fault and fault rules can ask for, for messages: the
// Fault enum of admin.yaml, which validFault checks.
const faultNames = "429, 500, 502, 503, 504, timeout, truncate, html"

// validFault reports whether f is one of the faults of admin.yaml's Fault enum.
func validFault(f string) bool { return adminapi.Fault(f).Valid() }

// FaultRuleError is AddFaultRule's error: which field is wrong, and why.
type FaultRuleError struct {
	Field  string // fault, path, application, count or probability; "" for the rule as a whole
	Reason string
}

func (e *FaultRuleError) Error() string {
	if e.Field == "" {
		return "sandbox: fault rule: " + e.Reason
	}
	return "sandbox: fault rule: " + e.Field + ": " + e.Reason
}

// faultRules are the rules in force. any is their number, read without the lock on every
// request.
type faultRules struct {
	mu     sync.Mutex
	rules  []*FaultRule
	nextID int64
	any    atomic.Int32
}

// scbPaths names the paths a fault rule may name, for its error.
var scbPaths = strings.Join([]string{pathToken, pathRefresh, pathAuthorize, pathQRCode, pathInquiry, pathDeeplink,
	pathSlipPrefix + "{transRef}", pathTransactionPrefix + "{transactionId}"}, ", ")

// check returns r's problem, or nil.
func (r *FaultRule) check() error {
	switch {
	case !validFault(r.Fault):
		return &FaultRuleError{"fault", "not one of " + faultNames}
	case r.Path != "" && !lookupRoute(r.Path).isSCB():
		return &FaultRuleError{"path", "not one of SCB's paths: " + scbPaths}
	case len(r.Application) > maxField || !printable(r.Application):
		return &FaultRuleError{"application", fmt.Sprintf("longer than %d bytes or not printable", maxField)}
	case r.Count < 0 || r.Count > MaxFaultCount:
		return &FaultRuleError{"count", fmt.Sprintf("must be between 0 (no limit) and %d", MaxFaultCount)}
	case !(r.Probability >= 0 && r.Probability <= 1):
		return &FaultRuleError{"probability", "must be between 0 (every request) and 1"}
	}
	return nil
}

// AddFaultRule adds r (its ID and Fired are ignored) and returns it with its ID. Its errors are
// *FaultRuleError values.
func (s *Server) AddFaultRule(r FaultRule) (FaultRule, error) {
	r.Fault = strings.ToLower(strings.TrimSpace(r.Fault))
	if err := r.check(); err != nil {
		return FaultRule{}, err
	}
	fr := &s.rules
	fr.mu.Lock()
	defer fr.mu.Unlock()
	if len(fr.rules) >= MaxFaultRules {
		return FaultRule{}, &FaultRuleError{"", fmt.Sprintf("%d rules are in force already", MaxFaultRules)}
	}
	fr.nextID++
	r.ID, r.Fired = "f"+strconv.FormatInt(fr.nextID, 10), 0
	r.Application = strings.Clone(r.Application)
	fr.rules = append(fr.rules, &r)
	fr.any.Store(int32(len(fr.rules)))
	return r, nil
}

// FaultRules returns the rules in force, in the order they were added.
func (s *Server) FaultRules() []FaultRule {
	fr := &s.rules
	fr.mu.Lock()
	defer fr.mu.Unlock()
	out := make([]FaultRule, len(fr.rules))
	for i, r := range fr.rules {
		out[i] = *r
	}
	return out
}

// ClearFaultRules removes every rule and returns how many there were.
func (s *Server) ClearFaultRules() int {
	fr := &s.rules
	fr.mu.Lock()
	defer fr.mu.Unlock()
	n := len(fr.rules)
	fr.rules = nil
	fr.any.Store(0)
	return n
}

// fire returns the fault of the oldest rule that matches a request to path of the application
// app ("" before authentication: the rules without an application), and the rule's id; "" when
// none fires. A rule whose count is spent is removed.
func (fr *faultRules) fire(path, app string) (fault, id string) {
	if fr.any.Load() == 0 {
		return "", ""
	}
	fr.mu.Lock()
	defer fr.mu.Unlock()
	for i, r := range fr.rules {
		if r.Application != app || (r.Path != "" && r.Path != path) {
			continue
		}
		if r.Probability > 0 && r.Probability < 1 && rand.Float64() >= r.Probability {
			continue
		}
		r.Fired++
		if r.Count > 0 {
			if r.Count--; r.Count == 0 {
				fr.rules = slices.Delete(fr.rules, i, i+1)
				fr.any.Store(int32(len(fr.rules)))
			}
		}
		return r.Fault, r.ID
	}
	return "", ""
}
