package contract

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The stateful sequences follow the spec's links (openapi.yaml, components.links): from an
// operation no link leads to (authorize, a QR, a deeplink), each link of a success is followed
// once, until none is left: authorize, the token call, a refresh, another refresh; a QR, its
// payment, its slip; a deeplink, its transaction. A link's values are runtime expressions
// ($request.body#/applicationKey, $response.body#/data/refreshToken); what happens between two
// calls outside SCB's API (the user's consent, a customer's payment) is its x-scboauth-step.

// linkStep is one call of a sequence: the operation, and the link followed to it (nil for
// the first).
type linkStep struct {
	op   *opCheck
	name string // the link's name in the previous answer
	link *openapi3.Link
}

// linkStepExt is a link's x-scboauth-step: what happens before the link's call.
type linkStepExt struct {
	Action string            `json:"action"` // "consent" or "payment"
	Target string            `json:"target"` // what is consented to or paid: a runtime expression
	Sets   map[string]string `json:"sets"`   // the next call's parameter or body field -> "code", "transRef" or "date"
}

// stepOf reads a link's x-scboauth-step; nil when it has none.
func stepOf(l *openapi3.Link) (*linkStepExt, error) {
	raw, ok := l.Extensions["x-scboauth-step"]
	if !ok {
		return nil, nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	var st linkStepExt
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("x-scboauth-step: %w", err)
	}
	if st.Action != "consent" && st.Action != "payment" {
		return nil, fmt.Errorf("x-scboauth-step: action %q is not consent or payment", st.Action)
	}
	return &st, nil
}

// outgoing returns the links of an operation's successes, by name, each once.
func outgoing(oc *opCheck) (names []string, links map[string]*openapi3.Link) {
	links = map[string]*openapi3.Link{}
	for _, code := range []string{"200", "201"} {
		r := oc.route.Operation.Responses.Value(code)
		if r == nil || r.Value == nil {
			continue
		}
		for name, ref := range r.Value.Links {
			if _, seen := links[name]; !seen && ref != nil && ref.Value != nil {
				links[name] = ref.Value
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	return names, links
}

// byOperationID returns the operation of the spec named id.
func (s *Spec) byOperationID(id string) *opCheck {
	for _, oc := range s.all {
		if oc.route.Operation.OperationID == id && oc.route.Method != "" {
			return oc
		}
	}
	return nil
}

// sequences generates a case for each longest path of links from an operation no link leads
// to, each link of an operation followed at most once.
func (g *generator) sequences() {
	targets := map[string]bool{}
	for _, oc := range g.spec.all {
		_, links := outgoing(oc)
		for _, l := range links {
			targets[l.OperationID] = true
		}
	}
	for _, oc := range g.spec.all {
		if names, _ := outgoing(oc); len(names) > 0 && !targets[oc.name] {
			g.walkLinks([]linkStep{{op: oc}}, map[string]bool{})
		}
	}
}

// walkLinks extends the sequence path by each link not yet used, and adds the sequence when
// none is left.
func (g *generator) walkLinks(path []linkStep, used map[string]bool) {
	last := path[len(path)-1].op
	names, links := outgoing(last)
	extended := false
	for _, name := range names {
		key := last.name + "." + name
		next := g.spec.byOperationID(links[name].OperationID)
		if used[key] || next == nil {
			continue
		}
		used[key] = true
		g.walkLinks(append(slices.Clone(path), linkStep{op: next, name: name, link: links[name]}), used)
		delete(used, key)
		extended = true
	}
	if !extended && len(path) > 1 {
		g.addSequence(path)
	}
}

// addSequence adds the case of one sequence.
func (g *generator) addSequence(path []linkStep) {
	ops, names := []string{path[0].op.name}, []string{}
	op, ro, _ := opStart(path[0].op)
	emulatorOnly, needs := false, needsOf(call{op: op})
	for _, st := range path[1:] {
		ext, _ := stepOf(st.link)
		if ext != nil {
			ops = append(ops, ext.Action)
			emulatorOnly = true // a consent or payment: only the emulator stands in for the user
			if ext.Action == "payment" {
				needs = needsPayer
			}
		}
		ops, names = append(ops, st.op.name), append(names, st.name)
	}
	g.cases = append(g.cases, Case{
		ID:     "sequence/" + strings.Join(ops, ">"),
		Title:  fmt.Sprintf("%s, following the links %s", strings.Join(ops, ", "), strings.Join(names, ", ")),
		Source: "generated from openapi.yaml's links", call: call{op: op, role: ro, tmpl: path[0].op.route.Path},
		run: runGenerated, emulatorOnly: emulatorOnly, needs: needs,
		gen: &genCase{kind: genSequence, steps: path},
	})
}

// runSequence sends each step of a sequence, the values of each link taken from the step
// before, and holds each answer to a success.
func runSequence(c *caseRun, cs Case) {
	var prev request
	var prevIn *Interaction
	for i, st := range cs.gen.steps {
		op, _, _ := opStart(st.op)
		k := call{op: op, role: cs.call.role, tmpl: st.op.route.Path}
		if i > 0 && !c.follow(&k, st, prev, prevIn) {
			return
		}
		rq := c.build(k)
		in := c.send(rq)
		c.expect(in, ok1000, created1000)
		if in == nil || in.Status/100 != 2 {
			return
		}
		if op == pathToken || op == pathRefresh {
			c.r.keepRefreshToken(in)
		}
		prev, prevIn = rq, in
	}
}

// follow makes k the call of the link st from the previous request and its answer: the link's
// parameters and body fields, and what its x-scboauth-step sets. It returns false after
// recording why the link cannot be followed.
func (c *caseRun) follow(k *call, st linkStep, prev request, in *Interaction) bool {
	fail := func(format string, args ...any) bool {
		c.add(in, errorf(RuleExpect, pathStatus, "link %s to %s: "+format, append([]any{st.name, st.op.name}, args...)...))
		return false
	}
	if !declaresLink(in, st.name) {
		return fail("not declared for HTTP %d of %s", in.Status, in.Operation)
	}
	values := map[string]any{}
	for name, expr := range st.link.Parameters {
		v, err := evalExpr(expr, prev, in)
		if err != nil {
			return fail("parameter %s: %v", name, err)
		}
		values[name] = v
	}
	body, _ := st.link.RequestBody.(map[string]any)
	fields := map[string]any{}
	for name, expr := range body {
		v, err := evalExpr(expr, prev, in)
		if err != nil {
			return fail("body field %s: %v", name, err)
		}
		fields[name] = v
	}
	ext, err := stepOf(st.link)
	if err != nil {
		return fail("%v", err)
	}
	if ext != nil && !c.takeStep(ext, st.op, prev, in, values, fields, fail) {
		return false
	}
	k.header, k.query, k.param = linkParams(st.op, values)
	for _, name := range sortedKeys(fields) {
		k.field = append(k.field, set(name, fields[name]))
	}
	return true
}

// takeStep consents to or pays the step's target, and puts what it gives where the step sets
// it: a parameter of the next operation, or else a field of its body.
func (c *caseRun) takeStep(ext *linkStepExt, next *opCheck, prev request, in *Interaction, values, fields map[string]any, fail func(string, ...any) bool) bool {
	target, err := evalExpr(ext.Target, prev, in)
	if err != nil {
		return fail("x-scboauth-step target: %v", err)
	}
	gives := map[string]string{}
	switch ext.Action {
	case "consent":
		code := c.consent(fmt.Sprint(target), "", "")
		if code == "" {
			return false
		}
		gives["code"] = code
	case "payment":
		transRef, ok := c.pay(fmt.Sprint(target))
		if !ok {
			return false
		}
		gives["transRef"], gives["date"] = transRef, paidOn(transRef, c.r.now())
	}
	for name, what := range ext.Sets {
		v, ok := gives[what]
		if !ok {
			return fail("x-scboauth-step sets %s to %q, which a %s does not give", name, what, ext.Action)
		}
		if h, q, p := linkParams(next, map[string]any{name: v}); len(h)+len(q)+len(p) > 0 {
			values[name] = v
		} else {
			fields[name] = v
		}
	}
	return true
}

// declaresLink reports whether the answer's documented response has the link name.
func declaresLink(in *Interaction, name string) bool {
	r := in.op.route.Operation.Responses.Status(in.Status)
	return r != nil && r.Value != nil && r.Value.Links[name] != nil
}

// linkParams turns a link's parameter values into edits of the operation's parameters, by
// place; a name may be qualified with its place ("query.reference1"). Values named by no
// parameter (a body field an x-scboauth-step sets) are left to the body.
func linkParams(oc *opCheck, values map[string]any) (header, query, path []edit) {
	for _, key := range sortedKeys(values) {
		in, name, qualified := strings.Cut(key, ".")
		if !qualified {
			in, name = "", key
		}
		for _, ref := range oc.route.Operation.Parameters {
			p := ref.Value
			if p == nil || p.Name != name || (in != "" && p.In != in) {
				continue
			}
			e := set(name, values[key])
			switch p.In {
			case "header":
				header = append(header, e)
			case "query":
				query = append(query, e)
			case "path":
				path = append(path, e)
			}
		}
	}
	return header, query, path
}

// evalExpr evaluates a link's value: a constant, a runtime expression such as
// $response.body#/data/refreshToken, or a string with expressions in braces
// ("Bearer {$response.body#/data/accessToken}").
func evalExpr(expr any, rq request, in *Interaction) (any, error) {
	s, ok := expr.(string)
	if !ok {
		return expr, nil
	}
	if strings.HasPrefix(s, "$") {
		return runtimeValue(s, rq, in)
	}
	var b strings.Builder
	for {
		open := strings.Index(s, "{$")
		if open < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		end := strings.Index(s[open:], "}")
		if end < 0 {
			return nil, fmt.Errorf("%q: an expression without its closing brace", s)
		}
		v, err := runtimeValue(s[open+1:open+end], rq, in)
		if err != nil {
			return nil, err
		}
		b.WriteString(s[:open] + fmt.Sprint(v))
		s = s[open+end+1:]
	}
}

// runtimeValue evaluates one runtime expression against the request sent and its answer.
func runtimeValue(expr string, rq request, in *Interaction) (any, error) {
	switch {
	case expr == "$statusCode":
		return in.Status, nil
	case expr == "$method":
		return rq.method, nil
	case strings.HasPrefix(expr, "$request.header."):
		if v := rq.header.Get(strings.TrimPrefix(expr, "$request.header.")); v != "" {
			return v, nil
		}
		return nil, fmt.Errorf("%s: the request has no such header", expr)
	case strings.HasPrefix(expr, "$request.query."):
		q, _ := url.ParseQuery(queryOf(rq.path))
		if q.Has(strings.TrimPrefix(expr, "$request.query.")) {
			return q.Get(strings.TrimPrefix(expr, "$request.query.")), nil
		}
		return nil, fmt.Errorf("%s: the request has no such parameter", expr)
	case strings.HasPrefix(expr, "$response.header."):
		if v := in.Header.Get(strings.TrimPrefix(expr, "$response.header.")); v != "" {
			return v, nil
		}
		return nil, fmt.Errorf("%s: the answer has no such header", expr)
	case strings.HasPrefix(expr, "$request.body#"):
		v, _ := decodeJSON(rq.body)
		return pointerValue(v, strings.TrimPrefix(expr, "$request.body#"), expr, "request")
	case strings.HasPrefix(expr, "$response.body#"):
		return pointerValue(in.value, strings.TrimPrefix(expr, "$response.body#"), expr, "answer")
	}
	return nil, fmt.Errorf("%s: not a runtime expression the check knows", expr)
}

// pointerValue returns the value at the JSON pointer ptr in v.
func pointerValue(v any, ptr, expr, what string) (any, error) {
	if ptr == "" {
		return v, nil
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch node := v.(type) {
		case map[string]any:
			v = node[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(node) {
				return nil, fmt.Errorf("%s: the %s has no such value", expr, what)
			}
			v = node[i]
		default:
			return nil, fmt.Errorf("%s: the %s has no such value", expr, what)
		}
		if v == nil {
			return nil, fmt.Errorf("%s: the %s has no such value", expr, what)
		}
	}
	if n, ok := v.(json.Number); ok {
		return n, nil
	}
	return v, nil
}
