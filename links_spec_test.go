package scboauth_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// linkSource is an operation's response that carries links.
type linkSource struct {
	op       *openapi3.Operation
	status   string
	response *openapi3.Response
}

// operationsByID returns every operation of doc by its operationId.
func operationsByID(doc *openapi3.T) map[string]*openapi3.Operation {
	ops := map[string]*openapi3.Operation{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			ops[op.OperationID] = op
		}
	}
	return ops
}

// schemaHas reports whether the JSON pointer ptr names a property the schema declares,
// through allOf, oneOf and array items.
func schemaHas(s *openapi3.Schema, ptr string) bool {
	if ptr == "" {
		return true
	}
	tok, rest, _ := strings.Cut(strings.TrimPrefix(ptr, "/"), "/")
	if rest != "" {
		rest = "/" + rest
	}
	if p := s.Properties[tok]; p != nil && schemaHas(p.Value, rest) {
		return true
	}
	if s.Items != nil && strings.Trim(tok, "0123456789") == "" && schemaHas(s.Items.Value, rest) {
		return true
	}
	for _, sub := range slices.Concat(s.AllOf, s.OneOf, s.AnyOf) {
		if sub != nil && schemaHas(sub.Value, ptr) {
			return true
		}
	}
	return false
}

func bodySchema(op *openapi3.Operation) *openapi3.Schema {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil
	}
	if mt := op.RequestBody.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
		return mt.Schema.Value
	}
	return nil
}

func hasParam(op *openapi3.Operation, in, name string) bool {
	for _, ref := range op.Parameters {
		if ref.Value != nil && ref.Value.Name == name && (in == "" || ref.Value.In == in) {
			return true
		}
	}
	return false
}

// checkExpr reports what is wrong with a link's runtime expression evaluated against src.
func checkExpr(expr any, src linkSource) string {
	s, ok := expr.(string)
	if !ok || !strings.HasPrefix(s, "$") {
		return "" // a constant
	}
	switch {
	case strings.HasPrefix(s, "$request.header."):
		if !hasParam(src.op, "header", strings.TrimPrefix(s, "$request.header.")) {
			return s + ": no such header parameter"
		}
	case strings.HasPrefix(s, "$request.body#"):
		if b := bodySchema(src.op); b == nil || !schemaHas(b, strings.TrimPrefix(s, "$request.body#")) {
			return s + ": the request body declares no such field"
		}
	case strings.HasPrefix(s, "$response.body#"):
		mt := src.response.Content.Get("application/json")
		if mt == nil || !schemaHas(mt.Schema.Value, strings.TrimPrefix(s, "$response.body#")) {
			return s + ": the response declares no such field"
		}
	default:
		return s + ": not an expression the contract check evaluates"
	}
	return ""
}

// TestSpecLinks: every link names an operation, passes only parameters and body fields that
// operation declares, from values its source declares; its x-scboauth-step is a consent or a
// payment of a declared value, setting what that step gives. The sequences issue 11 asks for
// are there.
func TestSpecLinks(t *testing.T) {
	for _, p := range linkProblems(loadKin(t)) {
		t.Error(p)
	}
	broken := []struct{ from, to, want string }{
		{"refreshToken: $response.body#/data/refreshToken", "refreshToken: $response.body#/data/refresh", "the response declares no such field"},
		{"applicationKey: $request.header.apikey", "applicationKey: $request.header.apiKeyX", "no such header parameter"},
		{"operationId: getTransaction\n      description: The transaction the deeplink created, pending", "operationId: getTransactions\n      description: The transaction the deeplink created, pending", "no operation"},
		{"parameters:\n        sendingBank: '014'", "parameters:\n        sendingBanks: '014'", "has no parameter sendingBanks"},
		{"          transactionDate: date", "          transactionDate: code", "which a payment does not give"},
		{"        action: consent", "        action: agree", "is not consent or payment"},
	}
	for _, b := range broken {
		text := strings.Replace(string(readSpec(t)), b.from, b.to, 1)
		if text == string(readSpec(t)) {
			t.Fatalf("broken copy %q: the text is not in openapi.yaml", b.from)
		}
		doc, err := openapi3.NewLoader().LoadFromData([]byte(text))
		if err != nil {
			t.Fatalf("broken copy %q: %v", b.to, err)
		}
		if ps := linkProblems(doc); !slices.ContainsFunc(ps, func(p string) bool { return strings.Contains(p, b.want) }) {
			t.Errorf("broken copy %q: got problems %q, want one saying %q", b.to, ps, b.want)
		}
	}
}

// linkProblems returns what is wrong with the links of doc.
func linkProblems(doc *openapi3.T) []string {
	var problems []string
	errorf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	ops := operationsByID(doc)
	edges := map[string]bool{}
	for id, op := range ops {
		for status, ref := range op.Responses.Map() {
			src := linkSource{op, status, ref.Value}
			for name, l := range ref.Value.Links {
				where := id + " " + status + " link " + name
				target := ops[l.Value.OperationID]
				if target == nil {
					errorf("%s: no operation %q", where, l.Value.OperationID)
					continue
				}
				edges[id+">"+l.Value.OperationID] = true
				checkLink(errorf, where, l.Value, src, target)
			}
		}
	}
	for _, e := range []string{"authorize>createToken", "createToken>refreshToken", "refreshToken>refreshToken",
		"createQRCode>verifySlip", "createQRCode>inquireBillPayment", "createDeeplink>getTransaction"} {
		if !edges[e] {
			errorf("no link %s", e)
		}
	}
	slices.Sort(problems)
	return problems
}

func checkLink(errorf func(string, ...any), where string, l *openapi3.Link, src linkSource, target *openapi3.Operation) {
	for name, expr := range l.Parameters {
		in, pname, ok := strings.Cut(name, ".")
		if !ok {
			in, pname = "", name
		}
		if !hasParam(target, in, pname) {
			errorf("%s: %s has no parameter %s", where, target.OperationID, name)
		}
		if msg := checkExpr(expr, src); msg != "" {
			errorf("%s: parameter %s: %s", where, name, msg)
		}
	}
	if l.RequestBody != nil {
		body, ok := l.RequestBody.(map[string]any)
		if !ok || bodySchema(target) == nil {
			errorf("%s: requestBody is not a map of fields of %s's body", where, target.OperationID)
		}
		for field, expr := range body {
			if !schemaHas(bodySchema(target), "/"+field) {
				errorf("%s: %s's body has no field %s", where, target.OperationID, field)
			}
			if msg := checkExpr(expr, src); msg != "" {
				errorf("%s: body field %s: %s", where, field, msg)
			}
		}
	}
	step, ok := l.Extensions["x-scboauth-step"].(map[string]any)
	if !ok {
		if _, has := l.Extensions["x-scboauth-step"]; has {
			errorf("%s: x-scboauth-step is not an object", where)
		}
		return
	}
	action, _ := step["action"].(string)
	gives := map[string][]string{"consent": {"code"}, "payment": {"transRef", "date"}}[action]
	if gives == nil {
		errorf("%s: x-scboauth-step action %v is not consent or payment", where, step["action"])
	}
	if msg := checkExpr(step["target"], src); msg != "" || step["target"] == nil {
		errorf("%s: x-scboauth-step target: %s", where, msg)
	}
	sets, _ := step["sets"].(map[string]any)
	for name, what := range sets {
		if w, _ := what.(string); !slices.Contains(gives, w) {
			errorf("%s: x-scboauth-step sets %s to %v, which a %v does not give", where, name, what, step["action"])
		}
		if !hasParam(target, "", name) && (bodySchema(target) == nil || !schemaHas(bodySchema(target), "/"+name)) {
			errorf("%s: x-scboauth-step sets %s, which %s does not take", where, name, target.OperationID)
		}
	}
}
