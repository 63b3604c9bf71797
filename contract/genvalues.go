package contract

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// variant is one value the generator sends in place of a field's or parameter's.
type variant struct {
	suffix string // in the case ID, such as "maxLength+1"
	what   string // in the title, such as "129 characters (maxLength 128)"
	value  any
}

// where says what a value may hold to be sent: a header value keeps no control character and
// no space at its ends (the wire would drop them); a body value may be any JSON.
type where int

const (
	inBody where = iota
	inHeader
	inQuery
	inPath
)

// variants returns the values to try in place of one described by v: each enum value and one
// outside, the lengths and bounds at and just past each limit, a pattern broken, null, another
// JSON type, and each alternative of a oneOf. Values whose field holds the run's state (a
// key, a token, an id) are varied only to break the spec (stateful).
func (g *generator) variants(v view, stateful bool, at where) []variant {
	var vs []variant
	switch {
	case len(v.enum) > 0:
		vs = g.enumVariants(v, stateful)
	case len(v.oneOf) > 0 && len(v.types) == 0 && !v.isObject():
		vs = g.oneOfVariants(v, stateful, at)
	case v.is(openapi3.TypeArray):
		vs = g.arrayVariants(v, stateful)
	case v.is(openapi3.TypeInteger) || v.is(openapi3.TypeNumber):
		vs = g.numberVariants(v, stateful)
	case v.is(openapi3.TypeString) || (len(v.types) == 0 && !v.isObject()):
		vs = g.stringVariants(v, stateful, at)
	}
	if at == inBody {
		vs = append(vs, variant{"null", "null", nil})
		if wrong, ok := g.wrongType(v); ok {
			vs = append(vs, variant{"type", fmt.Sprintf("%s, a JSON %s", show(wrong), jsonType(wrong)), wrong})
		}
	}
	return sendable(dedupe(vs), at)
}

func (g *generator) enumVariants(v view, stateful bool) []variant {
	var vs []variant
	for _, e := range v.enum {
		if !stateful && e != nil {
			vs = append(vs, variant{"enum=" + fmt.Sprint(e), fmt.Sprintf("%s, a value of its enum", show(e)), e})
		}
	}
	out := any("NOT-IN-ENUM")
	if v.is(openapi3.TypeInteger) || v.is(openapi3.TypeNumber) {
		out = 987654321
	}
	return append(vs, variant{"not-in-enum", fmt.Sprintf("%s, outside its enum", show(out)), out})
}

func (g *generator) oneOfVariants(v view, stateful bool, at where) []variant {
	var vs []variant
	for i, alt := range v.oneOf {
		av := viewOf(alt)
		prefix := fmt.Sprintf("oneOf[%d]", i)
		if !stateful {
			vs = append(vs, variant{prefix, fmt.Sprintf("%s, of its alternative %d", show(g.validValue(av)), i), g.validValue(av)})
		}
		for _, sub := range g.variants(av, stateful, at) {
			if sub.suffix != "null" && sub.suffix != "type" {
				vs = append(vs, variant{prefix + "." + sub.suffix, sub.what + fmt.Sprintf(" (alternative %d)", i), sub.value})
			}
		}
	}
	return vs
}

func (g *generator) numberVariants(v view, stateful bool) []variant {
	var vs []variant
	if v.min != nil {
		low := g.boundaryNumber(v, false)
		if !stateful {
			vs = append(vs, variant{"minimum", fmt.Sprintf("%s, its minimum", show(low)), low})
		}
		vs = append(vs, variant{"minimum-1", fmt.Sprintf("%s, below its minimum %s", show(*v.min-1), show(*v.min)), *v.min - 1})
	}
	if v.max != nil {
		high := g.boundaryNumber(v, true)
		if !stateful {
			vs = append(vs, variant{"maximum", fmt.Sprintf("%s, its maximum", show(high)), high})
		}
		vs = append(vs, variant{"maximum+1", fmt.Sprintf("%s, above its maximum %s", show(*v.max+1), show(*v.max)), *v.max + 1})
	}
	if v.is(openapi3.TypeInteger) && !v.is(openapi3.TypeNumber) {
		vs = append(vs, variant{"not-integer", "1.5, not an integer", 1.5})
	}
	return vs
}

func (g *generator) arrayVariants(v view, stateful bool) []variant {
	if v.items == nil {
		return nil
	}
	iv := viewOf(v.items)
	items := func(n int, distinct bool) []any {
		arr := make([]any, 0, n)
		for i := range n {
			item := g.validValue(iv)
			if distinct && i < len(iv.enum) {
				item = iv.enum[i]
			}
			arr = append(arr, item)
		}
		return arr
	}
	var vs []variant
	if v.minItems > 0 {
		vs = append(vs, variant{"minItems-1", fmt.Sprintf("%d items (minItems %d)", v.minItems-1, v.minItems), items(v.minItems-1, v.unique)})
	}
	if v.maxItems >= 0 {
		if !stateful {
			vs = append(vs, variant{"maxItems", fmt.Sprintf("%d items, its maxItems", v.maxItems), items(v.maxItems, v.unique)})
		}
		vs = append(vs, variant{"maxItems+1", fmt.Sprintf("%d items (maxItems %d)", v.maxItems+1, v.maxItems), items(v.maxItems+1, v.unique)})
	}
	if v.unique {
		vs = append(vs, variant{"uniqueItems", "the same item twice (uniqueItems)", items(2, false)})
	}
	for _, sub := range g.variants(iv, stateful, inBody) {
		if sub.suffix != "type" {
			vs = append(vs, variant{"items." + sub.suffix, "one item: " + sub.what, []any{sub.value}})
		}
	}
	return vs
}

// stringVariants: the shortest and longest strings the schema allows, one character shorter
// and longer, and its pattern broken in one character.
func (g *generator) stringVariants(v view, stateful bool, at where) []variant {
	var vs []variant
	shortest, longest, bounded := g.stringBounds(v)
	if !stateful {
		if s, ok := g.stringOf(v, shortest); ok && (v.minLen > 0 || v.pattern != "") {
			vs = append(vs, variant{"minLength", fmt.Sprintf("%s, the fewest it allows", chars(shortest)), s})
		}
		if s, ok := g.stringOf(v, longest); ok && bounded && longest != shortest {
			vs = append(vs, variant{"maxLength", fmt.Sprintf("%s, the most it allows", chars(longest)), s})
		}
	}
	if v.minLen > 0 {
		vs = append(vs, variant{"minLength-1", fmt.Sprintf("%s (minLength %d)", chars(v.minLen-1), v.minLen), g.looseString(v, v.minLen-1)})
	}
	if v.maxLen >= 0 {
		vs = append(vs, variant{"maxLength+1", fmt.Sprintf("%s (maxLength %d)", chars(v.maxLen+1), v.maxLen), g.looseString(v, v.maxLen+1)})
	}
	if v.pattern != "" {
		if s, ok := g.breakPattern(v, shortest, at); ok {
			vs = append(vs, variant{"pattern", fmt.Sprintf("%q, which its pattern %s does not match", s, v.pattern), s})
		}
	}
	return vs
}

// chars says n characters.
func chars(n int) string {
	if n == 1 {
		return "1 character"
	}
	return fmt.Sprintf("%d characters", n)
}

// stringBounds returns the shortest and longest lengths v allows; bounded is false when
// nothing but maxPatternLen bounds it.
func (g *generator) stringBounds(v view) (shortest, longest int, bounded bool) {
	shortest, longest = v.minLen, v.maxLen
	if v.pattern != "" {
		if p := g.pattern(v.pattern); p != nil {
			if lo, hi, ok := p.lengthsWithin(v.minLen, v.maxLen); ok {
				shortest, longest = lo, hi
				return shortest, longest, hi < maxPatternLen
			}
		}
	}
	if longest < 0 {
		return max(shortest, 1), maxPatternLen, false
	}
	return shortest, longest, true
}

// looseString returns a string of length n matching v's pattern where one does, else made of
// the characters of a valid string, so that only the length is wrong where it can be.
func (g *generator) looseString(v view, n int) string {
	if s, ok := g.stringOf(v, n); ok {
		return s
	}
	base, _ := g.stringOf(v, max(v.minLen, 1))
	if base == "" {
		base = "A"
	}
	return strings.Repeat(base, n/len(base)+1)[:n]
}

// breakPattern returns a string of length n that v's pattern does not match: a valid one with
// one character changed, to one a value in at can hold.
func (g *generator) breakPattern(v view, n int, at where) (string, bool) {
	p := g.pattern(v.pattern)
	if p == nil {
		return "", false
	}
	s, ok := p.generate(n, g.rnd)
	if !ok {
		return "", false
	}
	for _, c := range []string{"!", "a", "A", "0", "-", "é", "\t", "~"} {
		for _, i := range []int{0, len(s) - 1} {
			broken := s[:i] + c + s[i+1:]
			if !p.re.MatchString(broken) && canHold(at, broken) {
				return broken, true
			}
		}
	}
	return "", false
}

// wrongType returns a value of a JSON type v does not allow.
func (g *generator) wrongType(v view) (any, bool) {
	allowed := v.allowedTypes()
	if len(allowed) == 0 {
		return nil, false
	}
	candidates := []any{12345, "text", true, map[string]any{"a": "b"}, []any{"a"}}
	var fits []any
	for _, c := range candidates {
		t := jsonType(c)
		if slices.Contains(allowed, t) || (t == "integer" && slices.Contains(allowed, "number")) {
			continue
		}
		fits = append(fits, c)
	}
	if len(fits) == 0 {
		return nil, false
	}
	return fits[g.rnd.IntN(len(fits))], true
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case int:
		return "integer"
	}
	return "number"
}

// show formats a value as JSON, for titles.
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 40 {
		return string(b[:37]) + "..."
	}
	return string(b)
}

// dedupe drops variants whose value an earlier one has.
func dedupe(vs []variant) []variant {
	seen := map[string]bool{}
	out := vs[:0]
	for _, v := range vs {
		k := show(v.value) + fmt.Sprint(len(fmt.Sprint(v.value)))
		if b, err := json.Marshal(v.value); err == nil {
			k = string(b)
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	}
	return out
}

// sendable drops the variants a request cannot carry at.
func sendable(vs []variant, at where) []variant {
	out := vs[:0]
	for _, v := range vs {
		if s, ok := v.value.(string); !ok || canHold(at, s) {
			out = append(out, v)
		}
	}
	return out
}

// canHold reports whether a value in at can hold s on the wire: a header value keeps no
// control character but a tab, and no space or tab at its ends, which the wire drops.
func canHold(at where, s string) bool {
	if at != inHeader {
		return true
	}
	if s != strings.TrimSpace(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < ' ' && s[i] != '\t') || s[i] == 0x7f {
			return false
		}
	}
	return true
}
