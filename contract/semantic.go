package contract

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// codeTable is SCB's generic response-code table (/work/shared/scb-api.md section 5): for each
// HTTP status, the business codes it may carry. 429 9900 is openapi.yaml's decision (SCB
// documents no 429).
var codeTable = map[int][]int{
	200: {1000},
	201: {1000},
	400: {1101, 1102, 1103, 1105, 1111, 8101, 9100},
	401: {9100, 9300, 9500},
	403: {9503},
	404: {1104},
	405: {9900},
	415: {9900},
	429: {9900},
	500: {8101, 8901, 9700, 9900},
	501: {4101},
	502: {9900},
	503: {9900},
	504: {9900},
}

// tableAllows reports whether SCB's code table has a row for status and code.
func tableAllows(status, code int) bool { return slices.Contains(codeTable[status], code) }

func tableCodes(status int) string {
	var s []string
	for _, c := range codeTable[status] {
		s = append(s, fmt.Sprint(c))
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

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

// generalChecks are the semantic checks every response gets: a JSON body declared as JSON, and a
// business code that SCB's table allows with the HTTP status.
func generalChecks(ex *Exchange) []Finding {
	var fs []Finding
	ctPath := headerPath("Content-Type")
	if ct := ex.Header.Get("Content-Type"); !isJSON(ct) && !hasFindingAt(ex.Findings, ctPath) {
		if ct == "" {
			fs = append(fs, errorf(RuleSemantic, ctPath, "missing; every SCB answer is JSON"))
		} else {
			fs = append(fs, errorf(RuleSemantic, ctPath, "%q is not application/json; every SCB answer is JSON", ct))
		}
	}
	if ex.value == nil {
		if !hasFindingAt(ex.Findings, pathBody) {
			fs = append(fs, errorf(RuleSemantic, pathBody, "body is not JSON, so it has no {status, data} envelope"))
		}
		return fs
	}
	code, ok, _ := envelope(ex.value)
	if ok && !tableAllows(ex.Status, code) && !hasFindingAt(ex.Findings, "$.status.code") {
		fs = append(fs, errorf(RuleSemantic, "$.status.code", "HTTP %d with business code %d is not a row of SCB's code table (HTTP %d allows: %s)", ex.Status, code, ex.Status, tableCodes(ex.Status)))
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
func tokenChecks(ex *Exchange, g grant, tolerance time.Duration) []Finding {
	obj, _ := ex.value.(map[string]any)
	data, ok := obj["data"].(map[string]any)
	if !ok {
		return nil // the schema reports a missing or mistyped data
	}
	var fs []Finding
	if tt, ok := data["tokenType"].(string); ok && tt != "Bearer" {
		fs = append(fs, errorf(RuleSemantic, "$.data.tokenType", "tokenType is %q; the authorization header needs exactly \"Bearer\"", tt))
	}

	issued, clock := ex.Received, "the local clock"
	if d := ex.Header.Get("Date"); d != "" {
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
	want := issued.Unix() + in
	diff := time.Duration(at-want) * time.Second
	if diff.Abs() <= tolerance {
		return nil
	}
	path := "$.data." + atField
	if ms := time.Duration(at/1000-want) * time.Second; at > 99999999999 && ms.Abs() <= tolerance {
		return []Finding{errorf(RuleSemantic, path, "%s is in milliseconds (%d); want Unix seconds: issue time + %s = %d", atField, at, inField, want)}
	}
	return []Finding{errorf(RuleSemantic, path, "%s is %d, want issue time + %s = %d within %s (issue time from %s; off by %s)", atField, at, inField, want, tolerance, clock, diff)}
}
