package contract

import (
	"math"
	"slices"

	"github.com/getkin/kin-openapi/openapi3"
)

// view is a schema as the generator reads it: its own constraints and those of its allOf parts
// merged (the spec puts nullable, a description or an enum beside an allOf of a named schema),
// the alternatives of a oneOf or anyOf kept apart.
type view struct {
	types                 []string // the JSON types it allows; empty: any
	nullable              bool
	enum                  []any
	pattern               string
	minLen, maxLen        int // maxLen -1: no bound
	min, max              *float64
	exclMin, exclMax      bool
	minItems, maxItems    int // maxItems -1: no bound
	unique                bool
	items                 *openapi3.Schema
	props                 map[string]*openapi3.Schema
	required              []string
	closed                bool // additionalProperties: false
	oneOf                 []*openapi3.Schema
	discriminator         string
	example               any
	hasExample, hasFormat bool
}

// viewOf merges s and its allOf parts.
func viewOf(s *openapi3.Schema) view {
	v := view{maxLen: -1, maxItems: -1, props: map[string]*openapi3.Schema{}}
	v.merge(s)
	slices.Sort(v.required)
	v.required = slices.Compact(v.required)
	return v
}

func (v *view) merge(s *openapi3.Schema) {
	if s == nil {
		return
	}
	if s.Type != nil {
		for _, t := range *s.Type {
			if !slices.Contains(v.types, t) {
				v.types = append(v.types, t)
			}
		}
	}
	v.nullable = v.nullable || s.Nullable
	if len(v.enum) == 0 {
		v.enum = s.Enum
	}
	if v.pattern == "" {
		v.pattern = s.Pattern
	}
	v.hasFormat = v.hasFormat || s.Format != ""
	v.minLen = max(v.minLen, int(s.MinLength))
	if s.MaxLength != nil && (v.maxLen < 0 || int(*s.MaxLength) < v.maxLen) {
		v.maxLen = int(*s.MaxLength)
	}
	if s.Min != nil && v.min == nil {
		v.min, v.exclMin = s.Min, s.ExclusiveMin.IsTrue()
	}
	if s.Max != nil && v.max == nil {
		v.max, v.exclMax = s.Max, s.ExclusiveMax.IsTrue()
	}
	v.minItems = max(v.minItems, int(s.MinItems))
	if s.MaxItems != nil && (v.maxItems < 0 || int(*s.MaxItems) < v.maxItems) {
		v.maxItems = int(*s.MaxItems)
	}
	v.unique = v.unique || s.UniqueItems
	if s.Items != nil && v.items == nil {
		v.items = s.Items.Value
	}
	for name, p := range s.Properties {
		if _, ok := v.props[name]; !ok && p != nil {
			v.props[name] = p.Value
		}
	}
	v.required = append(v.required, s.Required...)
	if ap := s.AdditionalProperties.Has; ap != nil && !*ap {
		v.closed = true
	}
	for _, alt := range append(slices.Clone(s.OneOf), s.AnyOf...) {
		if alt != nil && alt.Value != nil {
			v.oneOf = append(v.oneOf, alt.Value)
		}
	}
	if s.Discriminator != nil && v.discriminator == "" {
		v.discriminator = s.Discriminator.PropertyName
	}
	if s.Example != nil && !v.hasExample {
		v.example, v.hasExample = s.Example, true
	}
	for _, part := range s.AllOf {
		if part != nil {
			v.merge(part.Value)
		}
	}
}

func (v view) is(t string) bool { return slices.Contains(v.types, t) }

// isObject reports whether v describes an object with properties.
func (v view) isObject() bool { return v.is(openapi3.TypeObject) || len(v.props) > 0 }

// allowedTypes returns the JSON types v allows, its alternatives' included ("number" allows
// integers).
func (v view) allowedTypes() []string {
	ts := slices.Clone(v.types)
	for _, alt := range v.oneOf {
		ts = append(ts, viewOf(alt).allowedTypes()...)
	}
	return ts
}

// validValue returns a value v accepts: its example, its first enum value, its first
// alternative's, or one made from its constraints, objects with every property.
func (g *generator) validValue(v view) any {
	switch {
	case v.hasExample:
		return v.example
	case len(v.enum) > 0:
		return v.enum[0]
	case len(v.oneOf) > 0 && len(v.types) == 0:
		return g.validValue(viewOf(v.oneOf[0]))
	case v.isObject():
		obj := map[string]any{}
		for _, name := range sortedKeys(v.props) {
			obj[name] = g.validValue(viewOf(v.props[name]))
		}
		return obj
	case v.is(openapi3.TypeArray):
		var arr []any
		if v.items != nil {
			for range max(v.minItems, 1) {
				arr = append(arr, g.validValue(viewOf(v.items)))
			}
		}
		return arr
	case v.is(openapi3.TypeInteger), v.is(openapi3.TypeNumber):
		return g.boundaryNumber(v, false)
	case v.is(openapi3.TypeBoolean):
		return true
	}
	s, _ := g.stringOf(v, max(v.minLen, 1))
	return s
}

// boundaryNumber returns v's lowest (or, with high, highest) value, or 1 when unbounded.
func (g *generator) boundaryNumber(v view, high bool) any {
	bound, excl, step := v.min, v.exclMin, 1.0
	if high {
		bound, excl, step = v.max, v.exclMax, -1.0
	}
	if bound == nil {
		return 1
	}
	n := *bound
	if excl {
		n += step
		if !v.is(openapi3.TypeInteger) {
			n = *bound + step/100
		}
	}
	if v.is(openapi3.TypeInteger) {
		n = math.Ceil(n)
		if high {
			n = math.Floor(n)
		}
	}
	return n
}

// stringOf returns a string of length n that v's pattern matches (any letters and digits
// without one); false when none has that length.
func (g *generator) stringOf(v view, n int) (string, bool) {
	if v.pattern == "" {
		const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[g.rnd.IntN(len(alphabet))]
		}
		return string(b), true
	}
	p := g.pattern(v.pattern)
	if p == nil {
		return "", false
	}
	return p.generate(n, g.rnd)
}

// pattern returns the compiled pattern expr, compiled once per generation.
func (g *generator) pattern(expr string) *pattern {
	if p, ok := g.patterns[expr]; ok {
		return p
	}
	p := compilePattern(expr)
	g.patterns[expr] = p
	return p
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
