package contract

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Generation says which cases generated from openapi.yaml a run adds after the catalogue's
// (Spec.Generate).
type Generation struct {
	// Seed makes the generation repeatable: the same seed gives the same cases with the same
	// values. 0 means a random seed, which the report shows (Report.Seed).
	Seed uint64
	// MaxCases bounds the generated cases: a sample of that many, chosen with the seed, kept
	// in the spec's order. 0 means every one.
	MaxCases int
}

// genKind is what a generated case expects.
type genKind int

const (
	genValid    genKind = iota + 1 // the spec accepts the request: any documented answer but a server error (and no 400 from the emulator)
	genInvalid                     // the spec refuses it, for one reason: a 4xx
	genFixed                       // a fault, a wrong method or an unknown path: want
	genSequence                    // steps that follow the spec's links (links.go)
)

// genCase is what makes a Case a generated one.
type genCase struct {
	kind   genKind
	reason string    // genInvalid: why the spec refuses the request
	want   []outcome // genFixed: the emulator's answer; liveWant holds a live target's
	steps  []linkStep
}

// generator is one generation in progress.
type generator struct {
	spec     *Spec
	rnd      *rand.Rand
	patterns map[string]*pattern
	cases    []Case
}

// Generate returns the cases generated from the spec's schemas, for every operation: its
// well-formed request; each optional field or parameter absent or present; each value at its
// bounds, each enum value and each oneOf alternative; the request broken in one way (a
// required field or header missing, a value of the wrong type, too short or long, outside its
// enum or pattern, a field the schema does not declare, another content type, no Bearer
// token); another method and a trailing slash; the faults the emulator can be asked for; and
// the sequences the spec's links describe. Each request is checked against the spec as the
// case is made: a case the spec accepts must be answered without a server error, one it
// refuses with a 4xx. The result depends only on the spec and g.Seed (0 picks a random seed:
// pass the one Report.Seed shows to get the same cases again).
func (s *Spec) Generate(g Generation) []Case {
	seed := g.Seed
	if seed == 0 {
		seed = NewSeed()
	}
	gen := &generator{spec: s, rnd: rand.New(rand.NewPCG(seed, seed^0x5eed)), patterns: map[string]*pattern{}}
	for _, oc := range s.all {
		if oc.route.Method != "" {
			gen.operation(oc)
		}
	}
	gen.sequences()
	return sample(gen.cases, g.MaxCases, gen.rnd)
}

// sample returns n of cases chosen with rnd, in their order; all of them when n is 0 or more.
func sample(cases []Case, n int, rnd *rand.Rand) []Case {
	if n <= 0 || n >= len(cases) {
		return cases
	}
	keep := rnd.Perm(len(cases))[:n]
	slices.Sort(keep)
	out := make([]Case, n)
	for i, k := range keep {
		out[i] = cases[k]
	}
	return out
}

// opStart returns the well-formed request an operation's cases start from, and its role.
func opStart(oc *opCheck) (op string, ro role, ok bool) {
	op = oc.route.Path
	if i := strings.Index(op, "{"); i >= 0 {
		op = op[:i]
	}
	if wellFormed[op] == nil {
		return "", 0, false
	}
	ro = rolePlain
	if op == pathAuthorize || op == pathRefresh {
		ro = roleCode // the application that may start and refresh a user's grant
	}
	return op, ro, true
}

// operation generates the cases of one operation.
func (g *generator) operation(oc *opCheck) {
	op, ro, ok := opStart(oc)
	if !ok {
		return
	}
	name, o := oc.name, oc.route.Operation
	base := call{op: op, role: ro, tmpl: oc.route.Path}
	g.add(name+"/well-formed", name+": the well-formed request", base)
	for _, p := range sortedParams(o) {
		g.parameter(name, base, p)
	}
	if o.RequestBody != nil && o.RequestBody.Value != nil {
		if mt := o.RequestBody.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
			g.object(name, base, nil, viewOf(mt.Schema.Value), g.baseBody(base), nil)
		}
		k := base
		k.header = []edit{set("Content-Type", "text/plain")}
		g.add(name+"/content-type", name+": the body sent as text/plain", k)
	}
	if o.Security != nil && len(*o.Security) > 0 {
		k := base
		k.header = []edit{del("Authorization")}
		g.add(name+"/header.authorization/missing", name+": no authorization: Bearer header", k)
	}
	g.elsewhere(oc, base)
}

// sortedParams returns the operation's parameters by place and name.
func sortedParams(o *openapi3.Operation) []*openapi3.Parameter {
	var ps []*openapi3.Parameter
	for _, ref := range o.Parameters {
		if ref != nil && ref.Value != nil {
			ps = append(ps, ref.Value)
		}
	}
	slices.SortFunc(ps, func(a, b *openapi3.Parameter) int {
		return strings.Compare(a.In+" "+a.Name, b.In+" "+b.Name)
	})
	return ps
}

// statefulNames are the fields and parameters whose values the target checks against what it
// knows (a key, a secret, a token, a code, an id, the application's biller or merchant): the
// generator varies them only to break the spec, since any other value fails for reasons no
// schema states.
var statefulNames = []string{"applicationKey", "applicationSecret", "apikey", "apisecret", "authCode",
	"refreshToken", "transRef", "transactionId", "ppId", "accountTo", "billerId", "merchantId", "terminalId"}

// parameter generates the cases of one parameter.
func (g *generator) parameter(opName string, base call, p *openapi3.Parameter) {
	at, known := map[string]where{"header": inHeader, "query": inQuery, "path": inPath}[p.In]
	loc := p.In
	if p.Schema == nil || p.Schema.Value == nil || !known {
		return
	}
	id := fmt.Sprintf("%s/%s.%s/", opName, loc, p.Name)
	what := fmt.Sprintf("%s: %s %s", opName, loc, p.Name)
	with := func(e edit) call {
		k := base
		switch at {
		case inHeader:
			k.header = []edit{e}
		case inQuery:
			k.query = []edit{e}
		case inPath:
			k.param = []edit{e}
		}
		return k
	}
	present, current := g.present(base, at, p.Name)
	sent := any(nil)
	switch {
	case p.Required && at != inPath:
		g.add(id+"missing", what+" missing", with(del(p.Name)))
	case !p.Required && present:
		g.add(id+"absent", what+" absent", with(del(p.Name)))
	case !p.Required && !slices.Contains(statefulNames, p.Name):
		sent = g.validValue(viewOf(p.Schema.Value))
		g.add(id+"present", fmt.Sprintf("%s present: %s", what, show(sent)), with(set(p.Name, sent)))
	}
	stateful := slices.Contains(statefulNames, p.Name)
	for _, v := range g.variants(viewOf(p.Schema.Value), stateful, at) {
		if (present && sameJSON(v.value, current)) || (sent != nil && sameJSON(v.value, sent)) {
			continue // the well-formed request, or the present case, sends it already
		}
		g.add(id+v.suffix, what+": "+v.what, with(set(p.Name, v.value)))
	}
}

// present reports whether the well-formed request of base has the parameter name at, and
// its value there.
func (g *generator) present(base call, at where, name string) (bool, string) {
	rq := base.placeholder()
	switch at {
	case inHeader:
		return rq.header.Get(name) != "", rq.header.Get(name)
	case inQuery:
		q, _ := url.ParseQuery(queryOf(rq.path))
		return q.Has(name), q.Get(name)
	}
	return true, ""
}

// baseBody returns the body of base's well-formed request, decoded.
func (g *generator) baseBody(base call) map[string]any {
	_, fields := wellFormed[base.op](placeholderApp)
	return plainJSON(fields)
}

// elsewhere generates the requests that reach no operation: another method on the path, the
// path with a trailing slash, and the faults the emulator answers on demand.
func (g *generator) elsewhere(oc *opCheck, base call) {
	name := oc.name
	item := oc.route.PathItem
	if item.GetOperation(sortedMethods(item)[0]) == oc.route.Operation { // once per path
		k := base
		k.method = []string{http.MethodPut, http.MethodPatch, http.MethodDelete}[g.rnd.IntN(3)]
		k.raw, k.header = raw(""), []edit{del("Content-Type")}
		g.fixed(name+"/wrong-method", fmt.Sprintf("%s: %s on its path, which the path does not serve", name, k.method), k,
			requestBreaks, outcome{status: 405, code: 9900}, outcome{status: 405})
	}
	k := base
	p, q, _ := strings.Cut(base.placeholder().path, "?")
	k.path = p + "/"
	if q != "" {
		k.path += "?" + q
	}
	k.param = nil
	g.fixed(name+"/trailing-slash", name+": its path with a trailing slash, which SCB does not serve", k,
		requestBreaks, outcome{status: 404, code: 1104}, outcome{status: 404})
	for _, f := range emulatorFaults {
		if oc.documents(f.status) {
			k := base
			k.header = []edit{set(FaultHeader, f.fault)}
			g.fixed(fmt.Sprintf("%s/fault-%s", name, f.fault), fmt.Sprintf("%s: the emulator asked for the fault %s (%s)", name, f.fault, FaultHeader), k,
				requestConforms, outcome{status: f.status, code: f.code})
		}
	}
}

func queryOf(path string) string {
	_, q, _ := strings.Cut(path, "?")
	return q
}

// FaultHeader is the request header that asks the scboauth emulator for a fault
// (sandbox.FaultHeader).
const FaultHeader = "X-Sandbox-Fault"

// emulatorFaults are the faults the generated cases ask the emulator for, and its answers.
var emulatorFaults = []struct {
	fault        string
	status, code int
}{
	{"429", 429, 9900}, {"500", 500, 9700}, {"502", 502, 9900}, {"503", 503, 9900}, {"504", 504, 9900},
}

// fixed adds a case that expects one answer: want of the emulator, live (when given) of a
// live target; without live the case runs against the emulator only. check says whether the
// request itself conforms (a fault asked for) or not (a path or method the spec does not serve).
func (g *generator) fixed(id, title string, k call, check requestCheck, want outcome, live ...outcome) {
	k.check = check
	g.cases = append(g.cases, Case{ID: id, Title: title, Source: "generated from openapi.yaml",
		call: k, run: runGenerated, emulatorWant: []outcome{want}, liveWant: live, emulatorOnly: len(live) == 0,
		needs: needsOf(k), gen: &genCase{kind: genFixed, want: []outcome{want}}})
}
