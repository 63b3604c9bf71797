package sandbox

import (
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"
)

// bodyField is one member of a request body: its name as the spec spells it (matched exactly,
// as SCB's Java gateway does, where encoding/json would match any case), whether it must be
// present, and, after parseObject, the JSON string literal of its value (quotes included).
type bodyField struct {
	name     string
	required bool
	present  bool
	literal  []byte // aliases the body
}

// value returns the field's string value ("" when absent).
func (f *bodyField) value() string {
	if !f.present {
		return ""
	}
	s, _ := unquote(f.literal)
	return s
}

// parseObject checks that body is a JSON object whose members are all named in fields and are
// all strings, and stores their values. It returns the envelope SCB answers for the first
// problem, and what it was (a field's name and why, for the request log): 1101 nothing or a
// required member missing, 1102 not JSON or not an object, or a member that is not a string,
// 1105 a member not in fields (in document order with 1102), 1103 an empty string. A member
// given twice keeps its last value, as encoding/json and Jackson do.
//
// An optional member sent as null counts as absent, as SCB accepts from SDKs that serialise
// every field [decision]; with nullsRefused (strict mode) it is 1102, and a required member
// sent as null is 1102 always.
//
// The syntax is checked by encoding/json (json.Valid); the walk below only splits an object
// already known to be valid, so it never allocates for plain strings.
func parseObject(body []byte, fields []bodyField, nullsRefused bool) (*apiError, string) {
	for i := range fields {
		fields[i].present, fields[i].literal = false, nil
	}
	i := skipSpace(body, 0)
	if i == len(body) {
		return errMissingParams, "body: empty"
	}
	if !json.Valid(body) {
		return errInvalidParams, "body: not valid JSON"
	}
	if body[i] != '{' {
		return errInvalidParams, "body: not a JSON object"
	}
	i = skipSpace(body, i+1)
	if body[i] == '}' {
		return checkFields(fields)
	}
	for {
		// A member: "name" : value, then ',' or '}'.
		end := stringEnd(body, i)
		name := body[i:end]
		f := lookupField(fields, name)
		i = skipSpace(body, end)
		i = skipSpace(body, i+1) // the ':'
		switch {
		case f == nil:
			return errUnknownField, "body: unknown field " + string(name)
		case body[i] == 'n' && !f.required && !nullsRefused: // null: absent
			f.present, f.literal = false, nil
			end = i + len("null")
		case body[i] != '"':
			if body[i] == 'n' && nullsRefused && !f.required {
				return errInvalidParams, "body: " + f.name + ": null (strict mode)"
			}
			return errInvalidParams, "body: " + f.name + ": not a string"
		default:
			end = stringEnd(body, i)
			f.present, f.literal = true, body[i:end]
		}
		i = skipSpace(body, end)
		if body[i] == '}' {
			return checkFields(fields)
		}
		i = skipSpace(body, i+1) // the ','
	}
}

// checkFields reports a missing required member (1101), then an empty string (1103).
func checkFields(fields []bodyField) (*apiError, string) {
	for _, f := range fields {
		if f.required && !f.present {
			return errMissingParams, "body: " + f.name + ": missing"
		}
	}
	for _, f := range fields {
		if f.present && len(f.literal) == 2 { // "" (an escape is never empty)
			return errEmptyString, "body: " + f.name + ": empty"
		}
	}
	return nil, ""
}

// lookupField returns the field named by the JSON string literal q, or nil.
func lookupField(fields []bodyField, q []byte) *bodyField {
	inner := q[1 : len(q)-1]
	for k := range fields {
		if string(inner) == fields[k].name {
			return &fields[k]
		}
	}
	if !plainLiteral(inner) {
		if name, ok := unquote(q); ok {
			for k := range fields {
				if name == fields[k].name {
					return &fields[k]
				}
			}
		}
	}
	return nil
}

// plainLiteral reports whether the inside of a JSON string literal has no escape and only
// ASCII, so that it is its own value.
func plainLiteral(inner []byte) bool {
	for _, c := range inner {
		if c == '\\' || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// stringEnd returns the index just past the JSON string that starts at b[i] == '"'; b is valid.
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// unquote returns the value of a valid JSON string literal q. A literal without escapes and
// with valid UTF-8 is converted directly; others go through encoding/json, which also turns
// invalid UTF-8 into U+FFFD as the generated server's decoder will.
func unquote(q []byte) (string, bool) {
	if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
		return "", false
	}
	if inner := q[1 : len(q)-1]; plainLiteral(inner) {
		return string(inner), true
	}
	var s string
	if err := json.Unmarshal(q, &s); err != nil {
		return "", false
	}
	return s, true
}

// errBodyTooLarge is returned by readBody when the body is longer than its limit.
var errBodyTooLarge = errors.New("sandbox: request body too large")

// readBody appends r's content to buf[:0] and returns it; it stops with errBodyTooLarge as
// soon as more than limit bytes arrived, without reading the rest.
func readBody(r io.Reader, buf []byte, limit int64) ([]byte, error) {
	buf = buf[:0]
	for {
		if int64(len(buf)) > limit {
			return buf, errBodyTooLarge
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		room := buf[len(buf):cap(buf)]
		if max := limit + 1 - int64(len(buf)); int64(len(room)) > max {
			room = room[:max]
		}
		n, err := r.Read(room)
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			if int64(len(buf)) > limit {
				return buf, errBodyTooLarge
			}
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
