package sandbox

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzParseObject checks the body walker against encoding/json: the same verdict (1101, 1102,
// 1103, 1105 or none) and the same values, with optional nulls accepted and refused.
func FuzzParseObject(f *testing.F) {
	for _, s := range []string{
		`{"applicationKey":"k","applicationSecret":"s"}`,
		`{"applicationKey":"k","applicationSecret":"s","authCode":"c","state":"s","codeChallenge":"x"}`,
		` { "applicationKey" : "k\"\\" , "applicationSecret":"\u00e9" } `,
		`{"applicationKey":"k","applicationKey":"","applicationSecret":"s"}`,
		`{"applicationKey":"k","applicationSecret":"s","x":{"a":[1,"}"]}}`,
		`{"x":1,"applicationKey":2}`,
		`{"applicationKey":2,"x":1}`,
		`{"applicationKe\u0079":"k","applicationSecret":"s"}`,
		`{"ApplicationKey":"k"}`,
		`{"applicationKey":null}`,
		`{"applicationKey":"k","applicationSecret":"s","authCode":null,"state":null,"codeChallenge":null}`,
		`{"applicationKey":"k","applicationSecret":"s","authCode":"c","authCode":null}`,
		`{"applicationKey":"k","applicationSecret":"s","authCode":null,"authCode":""}`,
		`{"applicationKey":"\xff"}`,
		`{}`, `[]`, `""`, `null`, ``, ` `, `{`, `{"a"}`, `{"a":1,}`, `{}{}`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, strict bool) {
		fields := append([]bodyField(nil), tokenFields...)
		got, detail := parseObject(body, fields, strict)
		want, values := referenceParse(body, tokenFields, strict)
		if got != want {
			t.Fatalf("parseObject(%q, strict %v): got %v, want %v", body, strict, describe(got), describe(want))
		}
		if (got == nil) != (detail == "") {
			t.Fatalf("parseObject(%q): got detail %q with %v", body, detail, describe(got))
		}
		if got != nil {
			return
		}
		for _, fl := range fields {
			v, ok := values[fl.name]
			if fl.present != ok || fl.value() != v {
				t.Errorf("parseObject(%q): %s: got %v %q, want %v %q", body, fl.name, fl.present, fl.value(), ok, v)
			}
		}
	})
}

func describe(e *apiError) string {
	if e == nil {
		return "accepted"
	}
	return e.desc
}

// referenceParse is parseObject written with encoding/json alone.
func referenceParse(body []byte, fields []bodyField, nullsRefused bool) (*apiError, map[string]string) {
	if len(bytes.TrimLeft(body, " \t\r\n")) == 0 {
		return errMissingParams, nil
	}
	if !json.Valid(body) {
		return errInvalidParams, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return errInvalidParams, nil
	}
	known := map[string]bool{}
	required := map[string]bool{}
	for _, f := range fields {
		known[f.name] = true
		required[f.name] = f.required
	}
	values := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return errInvalidParams, nil
		}
		name := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return errInvalidParams, nil
		}
		if !known[name] {
			return errUnknownField, nil
		}
		if string(raw) == "null" && !required[name] && !nullsRefused {
			delete(values, name)
			continue
		}
		var s string
		if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
			return errInvalidParams, nil
		}
		values[name] = s
	}
	for _, f := range fields {
		if _, ok := values[f.name]; f.required && !ok {
			return errMissingParams, nil
		}
	}
	for _, f := range fields {
		if v, ok := values[f.name]; ok && v == "" {
			return errEmptyString, nil
		}
	}
	return nil, values
}
