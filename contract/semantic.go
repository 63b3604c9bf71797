package contract

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// envelope pulls the business code and description out of a decoded body.
func envelope(v any) (code int, hasCode bool, description string) {
	obj, _ := v.(map[string]any)
	st, _ := obj["status"].(map[string]any)
	if n, ok := st["code"].(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			code, hasCode = int(i), true
		}
	}
	description, _ = st["description"].(string)
	return code, hasCode, description
}

func hasFindingAt(fs []Finding, path string) bool {
	for _, f := range fs {
		if f.Path == path {
			return true
		}
	}
	return false
}

// answerChecks are the semantic checks of an answer to rq: the general ones, and for a
// successful grant the token checks and (emulator only) the echoed resourceOwnerId.
func (r *runner) answerChecks(rq request, in *Interaction) []Finding {
	fs := generalChecks(in)
	if in.Status != http.StatusOK || rq.grant == grantNone {
		return fs
	}
	fs = append(fs, tokenChecks(in, rq.grant, r.tolerance)...)
	if r.emulator() {
		fs = append(fs, r.ownerCheck(rq, in)...)
	}
	return fs
}

// ownerCheck holds the emulator to its resourceOwnerId [decision; SCB only documents that the
// header is there]: on the client-credentials grant, the request's; on the authorization-code
// grant, the consenting user's identifier, which is not the request's (the application's key);
// on a refresh, the same identifier as the grant whose refresh token it redeems.
func (r *runner) ownerCheck(rq request, in *Interaction) []Finding {
	sent, got := rq.header.Get("resourceOwnerId"), in.Header.Get("resourceOwnerId")
	path := headerPath("resourceOwnerId")
	switch {
	case rq.grant == grantClientCredentials && got != sent:
		return []Finding{errorf(RuleExpect, path, "got %q, want the request's resourceOwnerId %q on the client-credentials grant", got, sent)}
	case rq.grant == grantAuthorizationCode && (got == "" || got == sent):
		return []Finding{errorf(RuleExpect, path, "got %q, want the consenting user's identifier, not the request's %q", got, sent)}
	case rq.grant == grantRefresh && got != r.refreshOwner:
		return []Finding{errorf(RuleExpect, path, "got %q, want %q, the resourceOwnerId of the grant whose refresh token this redeems", got, r.refreshOwner)}
	}
	return nil
}

// generalChecks are the semantic checks every answer gets: a JSON body declared as JSON, and a
// business code that openapi.yaml allows with the HTTP status. The schema says the latter
// already, unless it could not look (a body sent as text/plain, say).
func generalChecks(in *Interaction) []Finding {
	var fs []Finding
	ctPath := headerPath("Content-Type")
	if ct := in.Header.Get("Content-Type"); !isJSON(ct) && !hasFindingAt(in.Findings, ctPath) {
		if ct == "" {
			fs = append(fs, errorf(RuleSemantic, ctPath, "missing; every SCB answer is JSON"))
		} else {
			fs = append(fs, errorf(RuleSemantic, ctPath, "%q is not application/json; every SCB answer is JSON", ct))
		}
	}
	if in.value == nil {
		if !hasFindingAt(in.Findings, pathBody) {
			fs = append(fs, errorf(RuleSemantic, pathBody, "body is not JSON, so it has no {status, data} envelope"))
		}
		return fs
	}
	code, ok, _ := envelope(in.value)
	if ok && in.op.documents(in.Status) && !in.op.allows(in.Status, code) && !hasFindingAt(in.Findings, "$.status.code") {
		fs = append(fs, errorf(RuleSemantic, "$.status.code", "HTTP %d with business code %d is not a row of SCB's code table (openapi.yaml allows with HTTP %d of %s: %s)", in.Status, code, in.Status, in.op.name, in.op.codeList(in.Status)))
	}
	return fs
}

// grant tells which token grant a successful answer is for.
type grant int

const (
	grantNone grant = iota
	grantClientCredentials
	grantAuthorizationCode
	grantRefresh
)

var refreshFields = []string{"refreshToken", "refreshExpiresIn", "refreshExpiresAt"}

// tokenChecks are the semantic checks of a successful token or refresh answer: tokenType is
// exactly Bearer, expiresAt (and refreshExpiresAt) is the issue time plus expiresIn within
// tolerance, and the refresh fields come exactly with the authorization-code and refresh grants.
// The issue time is the response's Date header when it parses, else the local clock at receipt.
func tokenChecks(in *Interaction, g grant, tolerance time.Duration) []Finding {
	obj, _ := in.value.(map[string]any)
	data, ok := obj["data"].(map[string]any)
	if !ok {
		return nil // the schema reports a missing or mistyped data
	}
	var fs []Finding
	if tt, ok := data["tokenType"].(string); ok && tt != "Bearer" {
		fs = append(fs, errorf(RuleSemantic, "$.data.tokenType", "tokenType is %q; the authorization header needs exactly \"Bearer\"", tt))
	}

	issued, clock := in.Received, "the local clock"
	if d := in.Header.Get("Date"); d != "" {
		if t, err := http.ParseTime(d); err == nil {
			issued, clock = t, "the Date header"
		}
	}
	fs = append(fs, expiryCheck(data, "expiresAt", "expiresIn", issued, clock, tolerance)...)
	fs = append(fs, expiryCheck(data, "refreshExpiresAt", "refreshExpiresIn", issued, clock, tolerance)...)

	switch g {
	case grantClientCredentials:
		for _, f := range refreshFields {
			if _, present := data[f]; present {
				fs = append(fs, errorf(RuleSemantic, "$.data."+f, "%s on a client-credentials grant; refresh fields come only with the authorization-code grant", f))
			}
		}
	case grantAuthorizationCode, grantRefresh:
		what := "an authorization-code grant"
		if g == grantRefresh {
			what = "a refresh"
		}
		for _, f := range refreshFields {
			if _, present := data[f]; !present {
				fs = append(fs, errorf(RuleSemantic, "$.data."+f, "%s is missing on %s", f, what))
			}
		}
	}
	return fs
}

func expiryCheck(data map[string]any, atField, inField string, issued time.Time, clock string, tolerance time.Duration) []Finding {
	atN, ok1 := data[atField].(json.Number)
	inN, ok2 := data[inField].(json.Number)
	if !ok1 || !ok2 {
		return nil
	}
	at, err1 := atN.Int64()
	in, err2 := inN.Int64()
	if err1 != nil || err2 != nil {
		return nil // not integers: the schema says so
	}
	tol := int64(tolerance / time.Second)
	want, fits := addInt64(issued.Unix(), in)
	off, fitsOff := subInt64(at, want)
	if fits && fitsOff && off >= -tol && off <= tol {
		return nil
	}
	path := "$.data." + atField
	if !fits {
		return []Finding{errorf(RuleSemantic, path, "%s is %d, want issue time + %s, which passes the largest int64 (issue time from %s)", atField, at, inField, clock)}
	}
	if ms, ok := subInt64(at/1000, want); ok && at > 99999999999 && ms >= -tol && ms <= tol {
		return []Finding{errorf(RuleSemantic, path, "%s is in milliseconds (%d); want Unix seconds: issue time + %s = %d", atField, at, inField, want)}
	}
	return []Finding{errorf(RuleSemantic, path, "%s is %d, want issue time + %s = %d within %s (issue time from %s; off by %s)", atField, at, inField, want, tolerance, clock, offBy(fitsOff, off))}
}

// addInt64 and subInt64 return a+b and a-b, and false when the result passes the int64 range:
// the lifetimes and expiries a server sends are any int64.
func addInt64(a, b int64) (int64, bool) {
	s := a + b
	return s, (b >= 0) == (s >= a)
}

func subInt64(a, b int64) (int64, bool) {
	d := a - b
	return d, (b >= 0) == (d <= a)
}

// offBy says how far apart at and want are (off seconds, when it fits): a duration when it
// fits one.
func offBy(fits bool, off int64) string {
	if !fits {
		return "more seconds than an int64 holds"
	}
	if d := time.Duration(off) * time.Second; d/time.Second == time.Duration(off) {
		return d.String()
	}
	return strconv.FormatInt(off, 10) + "s"
}
