package contract

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Coverage says how much of openapi.yaml a run exercised: its operations, the statuses each
// documents, the business codes each status allows, the properties of its requests (parameters
// and body fields) and of its answers (body fields and headers).
type Coverage struct {
	Operations         CoverageFigure `json:"operations"`
	Statuses           CoverageFigure `json:"statuses"`
	Codes              CoverageFigure `json:"codes"`
	RequestProperties  CoverageFigure `json:"requestProperties"`
	ResponseProperties CoverageFigure `json:"responseProperties"`
	// NotProducible are the documented statuses the scboauth emulator cannot produce, and why:
	// a run against it misses these, and only these, of Statuses. Empty for a live target.
	NotProducible []Gap `json:"notProducible,omitempty"`
}

// CoverageFigure is one kind of coverage: how many of the spec's items the run exercised.
type CoverageFigure struct {
	Covered int     `json:"covered"`
	Total   int     `json:"total"`
	Percent float64 `json:"percent"`
	// Missing are the items not exercised, such as "createToken 429" or "createToken 200
	// $.data.refreshToken".
	Missing []string `json:"missing,omitempty"`
}

// Gap is a documented item a target cannot produce, and why.
type Gap struct {
	Item   string `json:"item"`
	Reason string `json:"reason"`
}

// CoverageKinds name the figures of a Coverage, for thresholds (Config.MinCoverage).
var CoverageKinds = []string{"operations", "statuses", "codes", "request", "response"}

// figures returns the figures by kind, in the order of CoverageKinds.
func (c *Coverage) figures() []*CoverageFigure {
	return []*CoverageFigure{&c.Operations, &c.Statuses, &c.Codes, &c.RequestProperties, &c.ResponseProperties}
}

// Figure returns the figure of kind (one of CoverageKinds), or false.
func (c *Coverage) Figure(kind string) (CoverageFigure, bool) {
	i := slices.Index(CoverageKinds, kind)
	if i < 0 {
		return CoverageFigure{}, false
	}
	return *c.figures()[i], true
}

// coverageItems are the items of each kind the spec documents, in a stable order.
type coverageItems [5][]string

// coverageItems lists what the spec documents: every real operation, its numeric statuses
// and their codes (with the unknown path's 404), its parameters and body fields, and the fields
// and headers of each answer.
func (s *Spec) coverageItems() coverageItems {
	var items coverageItems
	for _, oc := range append(s.realOps(), s.notFound) {
		if oc != s.notFound {
			items[0] = append(items[0], oc.name)
			items[3] = append(items[3], requestProperties(oc)...)
		}
		for _, status := range slices.Sorted(maps.Keys(oc.statuses)) {
			items[1] = append(items[1], fmt.Sprintf("%s %d", oc.name, status))
			for _, code := range oc.codes[status] {
				items[2] = append(items[2], fmt.Sprintf("%s %d %d", oc.name, status, code))
			}
			items[4] = append(items[4], responseProperties(oc, status)...)
		}
	}
	return items
}

// realOps returns the operations the spec declares, without the unknown path and wrong methods.
func (s *Spec) realOps() []*opCheck {
	var ops []*opCheck
	for _, oc := range s.all {
		if oc.route.Method != "" {
			ops = append(ops, oc)
		}
	}
	return ops
}

func requestProperties(oc *opCheck) []string {
	var out []string
	for _, p := range sortedParams(oc.route.Operation) {
		out = append(out, fmt.Sprintf("%s %s %s", oc.name, p.In, p.Name))
	}
	if rb := oc.route.Operation.RequestBody; rb != nil && rb.Value != nil {
		if mt := rb.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
			for _, path := range schemaPaths(mt.Schema.Value, "$", 0) {
				out = append(out, oc.name+" body "+path)
			}
		}
	}
	return out
}

func responseProperties(oc *opCheck, status int) []string {
	var out []string
	r := oc.route.Operation.Responses.Status(status)
	if r == nil || r.Value == nil {
		return nil
	}
	for _, h := range sortedKeys(r.Value.Headers) {
		out = append(out, fmt.Sprintf("%s %d header %s", oc.name, status, h))
	}
	if mt := r.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
		for _, path := range schemaPaths(mt.Schema.Value, "$", 0) {
			out = append(out, fmt.Sprintf("%s %d %s", oc.name, status, path))
		}
	}
	return out
}

// schemaPaths returns the paths of the properties s declares below prefix, such as
// "$.data.accessToken" and "$.data[].amount", through allOf, oneOf and anyOf.
func schemaPaths(s *openapi3.Schema, prefix string, depth int) []string {
	if s == nil || depth > 8 {
		return nil
	}
	v := viewOf(s)
	var out []string
	for _, alt := range v.oneOf {
		out = append(out, schemaPaths(alt, prefix, depth+1)...)
	}
	for _, name := range sortedKeys(v.props) {
		p := prefix + "." + name
		out = append(out, p)
		out = append(out, schemaPaths(v.props[name], p, depth+1)...)
	}
	if v.items != nil {
		out = append(out, schemaPaths(v.items, prefix+"[]", depth+1)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// valuePaths adds to seen the paths of every property of v below prefix.
func valuePaths(seen map[string]bool, v any, prefix string) {
	switch node := v.(type) {
	case map[string]any:
		for k, child := range node {
			p := prefix + "." + k
			seen[p] = true
			valuePaths(seen, child, p)
		}
	case []any:
		for _, child := range node {
			valuePaths(seen, child, prefix+"[]")
		}
	}
}

// coverage is what a run exercised.
type coverage struct {
	spec *Spec
	seen map[string]bool
}

func newCoverage(s *Spec) *coverage { return &coverage{spec: s, seen: map[string]bool{}} }

// observe records a request and its answer.
func (c *coverage) observe(rq request, in *Interaction) {
	if in == nil || in.op == nil {
		return
	}
	for _, oc := range c.spec.answeredBy(in.op) {
		c.seen[oc.name] = true
		c.seen[fmt.Sprintf("%s %d", oc.name, in.Status)] = true
		if code, ok, _ := envelope(in.value); ok {
			c.seen[fmt.Sprintf("%s %d %d", oc.name, in.Status, code)] = true
		}
		body := map[string]bool{}
		valuePaths(body, in.value, "$")
		for p := range body {
			c.seen[fmt.Sprintf("%s %d %s", oc.name, in.Status, p)] = true
		}
		if r := oc.route.Operation.Responses.Status(in.Status); r != nil && r.Value != nil {
			for h := range r.Value.Headers {
				if in.Header.Get(h) != "" {
					c.seen[fmt.Sprintf("%s %d header %s", oc.name, in.Status, h)] = true
				}
			}
		}
	}
	if in.op.route.Method == "" {
		return // a request to no operation exercises no request property
	}
	c.observeRequest(in.op, rq)
}

// observeRequest records the parameters and body fields rq sends to oc.
func (c *coverage) observeRequest(oc *opCheck, rq request) {
	q, _ := http.NewRequest(rq.method, "http://target"+rq.path, nil)
	for _, p := range sortedParams(oc.route.Operation) {
		sent := false
		switch p.In {
		case "header":
			sent = rq.header.Get(p.Name) != ""
		case "query":
			sent = q != nil && q.URL.Query().Has(p.Name)
		case "path":
			sent = true
		}
		if sent {
			c.seen[fmt.Sprintf("%s %s %s", oc.name, p.In, p.Name)] = true
		}
	}
	if v, ok := decodeJSON(rq.body); ok && rq.body != nil {
		body := map[string]bool{}
		valuePaths(body, v, "$")
		for p := range body {
			c.seen[oc.name+" body "+p] = true
		}
	}
}

// answeredBy returns the operations whose coverage an answer of oc counts for: oc itself, or
// for a wrong method every operation of the path that documents 405.
func (s *Spec) answeredBy(oc *opCheck) []*opCheck {
	if !strings.HasPrefix(oc.name, "wrong method on ") {
		return []*opCheck{oc}
	}
	var ops []*opCheck
	for _, real := range s.realOps() {
		if real.route.Path == strings.TrimPrefix(oc.name, "wrong method on ") && real.statuses[http.StatusMethodNotAllowed] {
			ops = append(ops, real)
		}
	}
	return ops
}

// report returns the coverage; for the emulator, with the statuses it cannot produce; and the
// figures below their thresholds (min, by kind).
func (c *coverage) report(emulator bool, min map[string]float64) (*Coverage, []string) {
	items := c.spec.coverageItems()
	cov := &Coverage{}
	for i, f := range cov.figures() {
		f.Total = len(items[i])
		for _, item := range items[i] {
			if c.seen[item] {
				f.Covered++
			} else {
				f.Missing = append(f.Missing, item)
			}
		}
		if f.Total > 0 {
			f.Percent = float64(int(float64(f.Covered)/float64(f.Total)*1000+0.5)) / 10
		}
	}
	if emulator {
		cov.NotProducible = c.spec.notProducible()
	}
	var short []string
	for i, kind := range CoverageKinds {
		if want, ok := min[kind]; ok && cov.figures()[i].Percent < want {
			short = append(short, fmt.Sprintf("%s coverage %.1f%% is below %g%%", kind, cov.figures()[i].Percent, want))
		}
	}
	return cov, short
}

// notProducible lists the statuses the spec documents that the scboauth emulator cannot
// produce, and why. TestEmulatorCoverage holds the emulator run to reaching every other one.
func (s *Spec) notProducible() []Gap {
	var gaps []Gap
	for _, oc := range s.realOps() {
		for _, status := range slices.Sorted(maps.Keys(oc.statuses)) {
			if reason := emulatorCannot(oc, status); reason != "" {
				gaps = append(gaps, Gap{Item: oc.name + " " + strconv.Itoa(status), Reason: reason})
			}
		}
	}
	return gaps
}

// emulatorCannot says why the emulator never answers oc with status, or "".
func emulatorCannot(oc *opCheck, status int) string {
	op, _, _ := opStart(oc)
	switch {
	case status == http.StatusNotImplemented && op == pathAuthorize:
		return "the emulator serves every documented response-channel to every application and answers one outside the enum 400 1102; SCB's 501 4101 is for a channel an application may not use"
	case status == http.StatusForbidden && isPayment(op):
		return "every application the emulator knows may use every payment API: it never answers 403 9503 (openapi.yaml, PaymentForbidden)"
	case status == http.StatusOK && op == pathDeeplink:
		return "the emulator answers a created deeplink 201; 200 is documented for clients that saw SCB answer it [seen]"
	}
	return ""
}
