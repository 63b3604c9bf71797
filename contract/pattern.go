package contract

import (
	"math/bits"
	"math/rand/v2"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
)

// A pattern is a schema's regular expression compiled for generating strings: which lengths it
// can match, and a string of any of those lengths, chosen with the generator's random source.
// Generated strings are printable ASCII, which is what the spec's patterns describe; a space is
// chosen only where a character class offers nothing else, so that a header keeps its value.

// maxPatternLen bounds the lengths a pattern is asked for: the spec's longest bound is 2048
// (a URL), its longest pattern bound 128.
const maxPatternLen = 4096

// lengthSet is a set of lengths in [0, maxPatternLen].
type lengthSet []uint64

func newLengthSet() lengthSet { return make(lengthSet, maxPatternLen/64+1) }

func (s lengthSet) add(n int) {
	if n >= 0 && n <= maxPatternLen {
		s[n/64] |= 1 << (n % 64)
	}
}

func (s lengthSet) has(n int) bool { return n >= 0 && n <= maxPatternLen && s[n/64]&(1<<(n%64)) != 0 }

func (s lengthSet) union(o lengthSet) {
	for i := range s {
		s[i] |= o[i]
	}
}

// single returns the one length of s and true, when s has exactly one.
func (s lengthSet) single() (int, bool) {
	n, at := 0, -1
	for i, w := range s {
		n += bits.OnesCount64(w)
		if w != 0 && at < 0 {
			at = i*64 + bits.TrailingZeros64(w)
		}
	}
	return at, n == 1
}

// plus returns the lengths of a string of s followed by one of o.
func (s lengthSet) plus(o lengthSet) lengthSet {
	out := newLengthSet()
	for a := 0; a <= maxPatternLen; a++ {
		if s.has(a) {
			out.orShifted(o, a)
		}
	}
	return out
}

// orShifted adds every length of o plus by.
func (s lengthSet) orShifted(o lengthSet, by int) {
	words, rem := by/64, uint(by%64)
	for i := len(o) - 1; i >= 0; i-- {
		if o[i] == 0 || i+words >= len(s) {
			continue
		}
		s[i+words] |= o[i] << rem
		if rem > 0 && i+words+1 < len(s) {
			s[i+words+1] |= o[i] >> (64 - rem)
		}
	}
	// lengths beyond maxPatternLen are not kept
	if extra := (maxPatternLen + 1) % 64; extra != 0 {
		s[len(s)-1] &= 1<<extra - 1
	}
}

// pattern is a compiled schema pattern.
type pattern struct {
	re      *regexp.Regexp
	tree    *syntax.Regexp
	lengths map[*syntax.Regexp]lengthSet
}

// compilePattern compiles expr as kin-openapi does (Go's regexp), or returns nil when Go
// cannot, or when it uses what the generator does not know (Unicode classes beyond ASCII
// are fine; they are narrowed to ASCII).
func compilePattern(expr string) *pattern {
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil
	}
	tree, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	p := &pattern{re: re, tree: tree, lengths: map[*syntax.Regexp]lengthSet{}}
	p.lengthsOf(tree)
	return p
}

// lengthsOf returns (and remembers) the lengths n can match.
func (p *pattern) lengthsOf(n *syntax.Regexp) lengthSet {
	if s, ok := p.lengths[n]; ok {
		return s
	}
	s := newLengthSet()
	switch n.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		s.add(0)
	case syntax.OpLiteral:
		s.add(len(string(n.Rune)))
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		if len(classChars(n)) > 0 {
			s.add(1)
		}
	case syntax.OpCapture:
		s = p.lengthsOf(n.Sub[0])
	case syntax.OpConcat:
		s.add(0)
		for _, sub := range n.Sub {
			s = s.plus(p.lengthsOf(sub))
		}
	case syntax.OpAlternate:
		for _, sub := range n.Sub {
			s.union(p.lengthsOf(sub))
		}
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := repeatBounds(n)
		s = repeatLengths(p.lengthsOf(n.Sub[0]), lo, hi)
	}
	p.lengths[n] = s
	return s
}

// repeatBounds returns how many times n repeats its sub-expression; hi -1: unbounded.
func repeatBounds(n *syntax.Regexp) (lo, hi int) {
	switch n.Op {
	case syntax.OpStar:
		return 0, -1
	case syntax.OpPlus:
		return 1, -1
	case syntax.OpQuest:
		return 0, 1
	}
	return n.Min, n.Max
}

// repeatLengths returns the lengths of lo to hi (-1: unbounded) strings of sub.
func repeatLengths(sub lengthSet, lo, hi int) lengthSet {
	out := newLengthSet()
	if l, ok := sub.single(); ok {
		for k := lo; (hi < 0 || k <= hi) && k*l <= maxPatternLen; k++ {
			out.add(k * l)
			if l == 0 {
				break
			}
		}
		return out
	}
	cur := newLengthSet()
	cur.add(0)
	for k := 0; hi < 0 || k <= hi; k++ {
		if k >= lo {
			before := append(lengthSet(nil), out...)
			out.union(cur)
			if k > lo && slices.Equal(before, out) {
				break // nothing new: longer repeats add no length
			}
		}
		if k >= maxPatternLen {
			break
		}
		cur = cur.plus(sub)
	}
	return out
}

// classChars returns the printable ASCII characters a character class (or any character)
// matches, in order.
func classChars(n *syntax.Regexp) []byte {
	var out []byte
	for c := byte(' '); c <= '~'; c++ {
		switch n.Op {
		case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
			out = append(out, c)
		case syntax.OpCharClass:
			for i := 0; i+1 < len(n.Rune); i += 2 {
				if rune(c) >= n.Rune[i] && rune(c) <= n.Rune[i+1] {
					out = append(out, c)
					break
				}
			}
		}
	}
	return out
}

// lengths returns the lengths the pattern matches within [lo, hi] (hi -1: up to maxPatternLen).
func (p *pattern) lengthsWithin(lo, hi int) (shortest, longest int, ok bool) {
	all := p.lengths[p.tree]
	if hi < 0 || hi > maxPatternLen {
		hi = maxPatternLen
	}
	shortest, longest = -1, -1
	for n := max(lo, 0); n <= hi; n++ {
		if all.has(n) {
			if shortest < 0 {
				shortest = n
			}
			longest = n
		}
	}
	return shortest, longest, shortest >= 0
}

// generate returns a string of length n that the pattern matches, or false when there is none.
func (p *pattern) generate(n int, rnd *rand.Rand) (string, bool) {
	if !p.lengths[p.tree].has(n) {
		return "", false
	}
	var b strings.Builder
	if !p.gen(&b, p.tree, n, rnd) || !p.re.MatchString(b.String()) {
		return "", false
	}
	return b.String(), true
}

// gen writes a string of length n that node matches; n is one of its lengths.
func (p *pattern) gen(b *strings.Builder, node *syntax.Regexp, n int, rnd *rand.Rand) bool {
	switch node.Op {
	case syntax.OpLiteral:
		b.WriteString(string(node.Rune))
		return true
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte(pick(classChars(node), rnd))
		return true
	case syntax.OpCapture:
		return p.gen(b, node.Sub[0], n, rnd)
	case syntax.OpConcat:
		return p.genSequence(b, node.Sub, n, rnd)
	case syntax.OpAlternate:
		var fits []*syntax.Regexp
		for _, sub := range node.Sub {
			if p.lengthsOf(sub).has(n) {
				fits = append(fits, sub)
			}
		}
		return len(fits) > 0 && p.gen(b, fits[rnd.IntN(len(fits))], n, rnd)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := repeatBounds(node)
		sub := node.Sub[0]
		if l, ok := p.lengthsOf(sub).single(); ok && l > 0 {
			for range n / l {
				if !p.gen(b, sub, l, rnd) {
					return false
				}
			}
			return n%l == 0 && n/l >= lo && (hi < 0 || n/l <= hi)
		}
		for k := lo; hi < 0 || k <= hi; k++ {
			if k > n && k > lo {
				break
			}
			seq := make([]*syntax.Regexp, k)
			for i := range seq {
				seq[i] = sub
			}
			if p.sequenceLengths(seq).has(n) {
				return p.genSequence(b, seq, n, rnd)
			}
		}
		return false
	}
	return n == 0
}

// sequenceLengths returns the lengths of nodes one after another.
func (p *pattern) sequenceLengths(nodes []*syntax.Regexp) lengthSet {
	s := newLengthSet()
	s.add(0)
	for _, sub := range nodes {
		s = s.plus(p.lengthsOf(sub))
	}
	return s
}

// genSequence writes nodes one after another, n bytes in all, each node a length that leaves
// the rest a length they can match.
func (p *pattern) genSequence(b *strings.Builder, nodes []*syntax.Regexp, n int, rnd *rand.Rand) bool {
	for i, sub := range nodes {
		rest := p.sequenceLengths(nodes[i+1:])
		own := p.lengthsOf(sub)
		var choices []int
		for l := 0; l <= n; l++ {
			if own.has(l) && rest.has(n-l) {
				choices = append(choices, l)
			}
		}
		if len(choices) == 0 {
			return false
		}
		l := choices[rnd.IntN(len(choices))]
		if !p.gen(b, sub, l, rnd) {
			return false
		}
		n -= l
	}
	return n == 0
}

// pick returns one of cs, a space only when nothing else is offered.
func pick(cs []byte, rnd *rand.Rand) byte {
	var choices []byte
	for _, c := range cs {
		if c != ' ' {
			choices = append(choices, c)
		}
	}
	if len(choices) == 0 {
		return ' '
	}
	return choices[rnd.IntN(len(choices))]
}
