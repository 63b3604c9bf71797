package redact

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		secrets []string
		want    string
	}{
		{"none", "nothing to hide", nil, "nothing to hide"},
		{"empty secret ignored", "abc", []string{""}, "abc"},
		{"once", "token s3cr3t here", []string{"s3cr3t"}, "token [redacted] here"},
		{"every occurrence", "s3cr3t/s3cr3t", []string{"s3cr3t"}, "[redacted]/[redacted]"},
		{"any case", "S3CR3T and s3Cr3t", []string{"s3cr3t"}, "[redacted] and [redacted]"},
		// A secret inside the marker: one pass, so the marker's own letters are not searched.
		{"secret inside the marker", "the red car", []string{"red"}, "the [redacted] car"},
		{"one letter e", "free", []string{"e"}, "fr[redacted][redacted]"},
		{"one letter any case", "EeE", []string{"e"}, "[redacted][redacted][redacted]"},
		{"the marker itself", "[redacted]", []string{"[redacted]"}, "[redacted]"},
		{"longest first", "abcdef", []string{"abc", "abcdef"}, "[redacted]"},
		{"overlapping", "abcd", []string{"abc", "bcd"}, "[redacted]d"},
		{"JSON-escaped quote", `{"code":"a\"b"}`, []string{`a"b`}, `{"code":"[redacted]"}`},
		{"JSON-escaped backslash", `"x\\y"`, []string{`x\y`}, `"[redacted]"`},
		{"Go-quoted newline", `"a\nb"`, []string{"a\nb"}, `"[redacted]"`},
		{"URL-escaped", "code=a%2Bb%2Fc", []string{"a+b/c"}, "code=[redacted]"},
		{"control characters", "x\r\ny", []string{"\r\n"}, "x[redacted]y"},
		{"non-ASCII", "ข้อมูล ลับมาก", []string{"ลับ"}, "ข้อมูล [redacted]มาก"},
		{"quadratic input stays linear", strings.Repeat("a", 1<<20), []string{strings.Repeat("a", 1<<12) + "b"}, strings.Repeat("a", 1<<20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := String(tt.text, tt.secrets...); got != tt.want {
				t.Errorf("String(%q, %q) = %q, want %q", tt.text, tt.secrets, got, tt.want)
			}
		})
	}
}

func TestSet(t *testing.T) {
	var s Set
	if got := s.Redact("abc"); got != "abc" {
		t.Fatalf("empty set: got %q", got)
	}
	s.Add("b", "")
	s.Add("cd")
	if got, want := s.Redact("abcde"), "a[redacted][redacted]e"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

type holder struct {
	Exported Secret
	hidden   Secret
	Nested   struct{ inner []Secret }
}

func TestSecretNeverShows(t *testing.T) {
	const raw = "top-secret-value"
	h := holder{Exported: New(raw), hidden: New(raw)}
	h.Nested.inner = []Secret{New(raw)}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		for _, v := range []any{New(raw), h, &h} {
			if got := fmt.Sprintf(verb, v); strings.Contains(got, raw) || strings.Contains(got, fmt.Sprintf("%x", raw)) {
				t.Errorf("Sprintf(%s, %T) = %q shows the secret", verb, v, got)
			}
		}
	}
	b, err := json.Marshal(h)
	if err != nil || strings.Contains(string(b), raw) {
		t.Errorf("JSON %s (err %v) shows the secret", b, err)
	}
	m, err := json.Marshal(map[Secret]int{New(raw): 1})
	if err != nil || strings.Contains(string(m), raw) {
		t.Errorf("JSON map key %s (err %v) shows the secret", m, err)
	}
	var log strings.Builder
	slog.New(slog.NewJSONHandler(&log, nil)).Info("x", "s", New(raw), "h", h)
	if strings.Contains(log.String(), raw) {
		t.Errorf("slog shows the secret: %s", log.String())
	}
	if New(raw).Reveal() != raw || !New(raw).IsSet() || New("").IsSet() || New("").String() != "" {
		t.Error("Reveal, IsSet or the empty Secret is wrong")
	}
}

// FuzzString: for any text and secrets, String terminates, and no secret (in any ASCII case) survives
// outside the markers it wrote. The check uses a one-byte marker that no secret contains, so that
// every occurrence of a secret in the output lies within text copied from the input.
func FuzzString(f *testing.F) {
	f.Add("the red car", "red", "e")
	f.Add("free", "e", "")
	f.Add(`{"a":"x\"y"}`, `x"y`, "[redacted]")
	f.Add("S3CR3T", "s3cr3t", "3")
	f.Add("ǅ ǆ Ǆ", "ǆ", "k")
	f.Fuzz(func(t *testing.T, text, s1, s2 string) {
		out := String(text, s1, s2) // must terminate, whatever the secrets
		if len(out) > len(text)*len(Marker)+len(Marker) {
			t.Fatalf("output of %d bytes for %d bytes of input", len(out), len(text))
		}
		marker := pickMarker(s1, s2)
		if marker == "" {
			return
		}
		got := replace(text, func(string) string { return marker }, variants([]string{s1, s2}))
		for _, s := range variants([]string{s1, s2}) {
			for i := 0; i+len(s) <= len(got); i++ {
				if lowerASCII(got[i:i+len(s)]) == lowerASCII(s) {
					t.Fatalf("replace(%q) = %q still holds %q at %d", text, got, s, i)
				}
			}
		}
		if s1 == "" && s2 == "" && out != text {
			t.Fatalf("no secrets, but %q became %q", text, out)
		}
		if utf8.ValidString(text) && utf8.ValidString(s1) && utf8.ValidString(s2) && !utf8.ValidString(out) {
			t.Fatalf("valid UTF-8 in, invalid out: %q", out)
		}
	})
}

// pickMarker returns a one-byte string that occurs in no variant of the secrets, or "".
func pickMarker(secrets ...string) string {
	vs := variants(secrets)
	for c := 0; c < 256; c++ {
		m := string([]byte{byte(c)})
		ok := true
		for _, v := range vs {
			if strings.Contains(lowerASCII(v), lowerASCII(m)) {
				ok = false
				break
			}
		}
		if ok {
			return m
		}
	}
	return ""
}

// TestSetAddAs: a secret added with AddAs is replaced by its own marker, in each of its escaped
// forms and in any ASCII case; the others by Marker; one pass, as Redact always is, so that a
// marker holding a secret is not searched again.
func TestSetAddAs(t *testing.T) {
	var s Set
	s.Add("hunter2")
	s.AddAs("$SCB_ACCESS_TOKEN", "tok-1", `q"uote`)
	s.AddAs("$T", "T") // a marker holding its own secret
	tests := []struct{ in, want string }{
		{"a tok-1 b", "a $SCB_ACCESS_TOKEN b"},
		{"TOK-1 and hunter2", "$SCB_ACCESS_TOKEN and " + Marker},
		{`{"x":"q\"uote"}`, `{"x":"$SCB_ACCESS_TOKEN"}`},
		{"q%22uote", "$SCB_ACCESS_TOKEN"},
		{"tt", "$T$T"},
	}
	for _, tt := range tests {
		if got := s.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func BenchmarkString(b *testing.B) {
	text := strings.Repeat("api: token request: 401 9300 invalid authorization code ", 20)
	secrets := []string{"0b1f5a0c-1d55-4c1e-9d7b-0e6a1b2c3d4e", "demo-authcode-secret", "8d9e0f1a-2b3c"}
	b.ReportAllocs()
	for b.Loop() {
		_ = String(text, secrets...)
	}
}
