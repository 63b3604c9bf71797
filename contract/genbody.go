package contract

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// object generates the cases of the body object at path (nil: the body itself) described by
// v, whose value in the well-formed request is cur; prefix are the edits that put the object
// there when the well-formed request has none.
func (g *generator) object(opName string, base call, path []string, v view, cur map[string]any, prefix []edit) {
	required := slices.Clone(v.required)
	for _, alt := range v.oneOf {
		if av := viewOf(alt); g.branchMatches(v, av, cur) {
			required = append(required, av.required...)
		}
	}
	for _, name := range sortedKeys(v.props) {
		g.property(opName, base, path, v, name, cur, prefix, slices.Contains(required, name))
	}
	where := opName + "/body" + dotted(path)
	with := func(e edit) call {
		k := base
		k.field = append(slices.Clone(prefix), e)
		return k
	}
	if v.closed {
		g.add(where+"/additionalProperties", fmt.Sprintf("%s: body%s with a field its schema does not declare", opName, dotted(path)),
			with(edit{at: appendPath(path, "unexpectedField"), value: "x"}))
	}
	for i, alt := range v.oneOf {
		av := viewOf(alt)
		if g.branchMatches(v, av, cur) || v.discriminator == "" {
			continue
		}
		k := base
		k.field = slices.Clone(prefix)
		for _, name := range append([]string{v.discriminator}, av.required...) {
			if _, has := cur[name]; has && name != v.discriminator {
				continue
			}
			value := g.validValue(viewOf(av.props[name]))
			if p, ok := v.props[name]; ok && name != v.discriminator {
				value = g.validValue(viewOf(p))
			}
			if rv, ok := runValues[name]; ok {
				value = rv
			}
			k.field = append(k.field, edit{at: appendPath(path, name), value: value})
		}
		g.add(fmt.Sprintf("%s/oneOf[%d]", where, i), fmt.Sprintf("%s: body%s of its alternative %d (%s %s)", opName, dotted(path), i, v.discriminator, show(g.validValue(viewOf(av.props[v.discriminator])))), k)
	}
}

// runValues are the values of the run a generated request takes for fields that name the
// application's biller or merchant: the configuration's on a live target.
var runValues = map[string]any{"ppId": configBillerID, "accountTo": configBillerID, "merchantId": configMerchantID, "terminalId": configTerminalID}

// branchMatches reports whether cur is of the oneOf alternative av of v: its discriminator
// value is the one av's enum allows.
func (g *generator) branchMatches(v, av view, cur map[string]any) bool {
	if v.discriminator == "" {
		return false
	}
	d, ok := av.props[v.discriminator]
	return ok && d != nil && slices.Contains(d.Enum, cur[v.discriminator])
}

// property generates the cases of the field name of the object at path.
func (g *generator) property(opName string, base call, path []string, v view, name string, cur map[string]any, prefix []edit, required bool) {
	at := appendPath(path, name)
	id := opName + "/body" + dotted(at) + "/"
	what := fmt.Sprintf("%s: body%s", opName, dotted(at))
	with := func(e edit) call {
		k := base
		k.field = append(slices.Clone(prefix), e)
		return k
	}
	pv := viewOf(v.props[name])
	value, has := cur[name]
	stateful := slices.Contains(statefulNames, name)
	switch {
	case required:
		g.add(id+"missing", what+" missing", with(edit{at: at, del: true}))
	case has:
		g.add(id+"absent", what+" absent", with(edit{at: at, del: true}))
	case !stateful:
		g.add(id+"present", fmt.Sprintf("%s present: %s", what, show(g.validValue(pv))), with(edit{at: at, value: g.validValue(pv)}))
	}
	if name != v.discriminator {
		for _, vr := range g.variants(pv, stateful, inBody) {
			if (has && sameJSON(vr.value, value)) || (!has && !stateful && sameJSON(vr.value, g.validValue(pv))) {
				continue // the well-formed request, or the present case, sends it already
			}
			g.add(id+vr.suffix, what+": "+vr.what, with(edit{at: at, value: vr.value}))
		}
	}
	g.nested(opName, base, at, pv, value, has, prefix)
}

// nested generates the cases inside a field that holds an object, or an array of objects (its
// first item), putting a whole valid one there first when the well-formed request has none.
func (g *generator) nested(opName string, base call, at []string, pv view, value any, has bool, prefix []edit) {
	switch {
	case pv.isObject() && len(pv.props) > 0:
		child, ok := value.(map[string]any)
		if !has || !ok {
			child, _ = g.validValue(pv).(map[string]any)
			prefix = append(slices.Clone(prefix), edit{at: at, value: child})
		}
		g.object(opName, base, at, pv, child, prefix)
	case pv.is("array") && pv.items != nil && viewOf(pv.items).isObject():
		iv := viewOf(pv.items)
		arr, _ := value.([]any)
		item, ok := any(nil), false
		if len(arr) > 0 {
			item, ok = arr[0], has
		}
		if !ok {
			item = g.validValue(iv)
			prefix = append(slices.Clone(prefix), edit{at: at, value: []any{item}})
		}
		child, _ := item.(map[string]any)
		g.object(opName, base, appendPath(at, "0"), iv, child, prefix)
	}
}

// add checks the request of k against the spec and adds it as a case the spec accepts
// (genValid) or refuses (genInvalid, with the first reason).
func (g *generator) add(id, title string, k call) {
	rq := k.placeholder()
	gc := &genCase{kind: genValid}
	k.check = requestConforms
	if fs := g.spec.ValidateRequest(rq.method, rq.path, rq.header, rq.body); len(fs) > 0 {
		gc.kind, gc.reason, k.check = genInvalid, fs[0].Path+": "+fs[0].Message, requestBreaks
	}
	g.cases = append(g.cases, Case{ID: id, Title: title, Source: "generated from openapi.yaml", call: k,
		run: runGenerated, needs: needsOf(k), gen: gc})
}

// placeholderApp is the application of the requests the generator checks: the spec holds
// them to their shapes, not to their values.
var placeholderApp = Credentials{Key: "l7placeholder0000000000000000000000", Secret: "placeholder-secret"}

// placeholder returns k's request for an application of the spec's shapes, with a Bearer token
// where the operation needs one: what the generator checks against the spec.
func (k call) placeholder() request {
	rq, fields := wellFormed[k.op](placeholderApp)
	if isPayment(k.op) {
		rq.header.Set("Authorization", "Bearer placeholder-access-token")
	}
	return k.apply(rq, fields, placeholderValue)
}

// placeholderValue is value for a request no run sends: a run's values are the emulator's.
func placeholderValue(v any) any {
	switch v {
	case freshUUID, redeemedRefreshToken:
		return "00000000-0000-4000-8000-000000000000"
	case freshUnknownKey:
		return placeholderApp.Key
	case wrongSecret:
		return wrongSecretValue
	}
	if pv, ok := v.(paymentValue); ok {
		return pv.resolve(emulatorPayments)
	}
	return v
}

// needsOf returns what a generated request of k needs of a live target.
func needsOf(k call) precondition {
	switch k.op {
	case pathQRCode, pathDeeplink, pathInquiry:
		return needsBiller
	}
	return needsNothing
}

func appendPath(path []string, name string) []string {
	return append(slices.Clone(path), name)
}

// dotted returns ".a.b" for the tokens a, b.
func dotted(path []string) string {
	if len(path) == 0 {
		return ""
	}
	return "." + strings.Join(path, ".")
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}
