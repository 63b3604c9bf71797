package contract

import (
	"fmt"
	"regexp"
	"strings"
)

// Severity tells a contract violation from a warning.
type Severity string

// Severities of a Finding.
const (
	// SeverityError is a contract violation: the run does not conform.
	SeverityError Severity = "error"
	// SeverityWarning is drift worth knowing about (a field the spec does not declare); it
	// becomes an error with Config.Strict.
	SeverityWarning Severity = "warning"
)

// Rule names the kind of check that produced a Finding.
type Rule string

// Rules of a Finding.
const (
	// RuleStatus: the HTTP status is not documented for the operation.
	RuleStatus Rule = "status"
	// RuleSchema: a body or header does not match openapi.yaml (including a body that is not
	// JSON, or not declared as JSON).
	RuleSchema Rule = "schema"
	// RuleSemantic: a rule openapi.yaml's schemas cannot express (the generic code table,
	// expiresAt = issue time + expiresIn, refresh fields only on the authorization-code grant...).
	RuleSemantic Rule = "semantic"
	// RuleExpect: the answer is valid but not the one the case expects (wrong secret must be
	// 401 9500, not 401 9300).
	RuleExpect Rule = "expect"
	// RuleDrift: the answer carries a field openapi.yaml does not declare.
	RuleDrift Rule = "drift"
	// RuleRequest: the catalogue's own request does not do what the case says (a positive case
	// that breaks the spec, or a negative case that does not).
	RuleRequest Rule = "request"
	// RuleTransport: no usable answer (connection error, timeout, unreadable body).
	RuleTransport Rule = "transport"
	// RuleAccepted: the target answered 2xx to a request openapi.yaml refuses. A violation of
	// the emulator, which must refuse it; a warning of a live target (the spec may be
	// stricter than SCB), a violation with Config.Strict.
	RuleAccepted Rule = "accepted"
)

// Finding is one problem found in one interaction: where it is (a JSON path into the body such as
// "$.data.expiresAt", "header resourceOwnerId", or "HTTP status") and what is wrong.
type Finding struct {
	Severity Severity `json:"severity"`
	Rule     Rule     `json:"rule"`
	Path     string   `json:"path"`
	Message  string   `json:"message"`
}

// String formats f as "error $.data.expiresAt: number must be at most 9999999999 (schema)".
func (f Finding) String() string {
	return fmt.Sprintf("%s %s: %s (%s)", f.Severity, f.Path, f.Message, f.Rule)
}

// Paths used by findings that are not inside the JSON body.
const (
	pathStatus = "HTTP status"
	pathBody   = "$"
)

func headerPath(name string) string { return "header " + name }

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// jsonPath turns a JSON pointer's tokens into a JSONPath such as $.data.expiresAt.
func jsonPath(tokens []string) string {
	var b strings.Builder
	b.WriteString("$")
	for _, t := range tokens {
		if identRE.MatchString(t) {
			b.WriteString(".")
			b.WriteString(t)
			continue
		}
		fmt.Fprintf(&b, "[%q]", t)
	}
	return b.String()
}

func errorf(rule Rule, path, format string, args ...any) Finding {
	return Finding{Severity: SeverityError, Rule: rule, Path: path, Message: fmt.Sprintf(format, args...)}
}

func warnf(rule Rule, path, format string, args ...any) Finding {
	return Finding{Severity: SeverityWarning, Rule: rule, Path: path, Message: fmt.Sprintf(format, args...)}
}
