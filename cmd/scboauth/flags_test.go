package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// testFlags is a command of every kind of flag, for the helper's own tests.
type testFlags struct {
	str, secret, enum, url string
	on                     bool
	d                      time.Duration
	n                      int64
	x                      float64
	list                   []string
}

// parseTest parses args over environ with the test command's flags.
func parseTest(environ map[string]string, args ...string) (v *testFlags, f *flags, code int, ok bool, stdout, stderr string) {
	var out, errOut bytes.Buffer
	e := &env{stdout: &out, stderr: &errOut, getenv: func(k string) string { return environ[k] }}
	f, v = newFlags(e, "test", help{synopsis: "[flags]", description: "A test.", exit: [3]string{"fine", "", "bad flags"}}), &testFlags{}
	f.String(&v.str, "str", "T_STR", "def", "a string").Alias("old-str")
	f.Secret(&v.secret, "secret", "T_SECRET", "a secret")
	f.Enum(&v.enum, "enum", "T_ENUM", "Table", "an enum", "Table", "JSON")
	f.URL(&v.url, "url", "T_URL", "", "a URL")
	f.Bool(&v.on, "on", "T_ON", "a boolean")
	f.Duration(&v.d, "d", "T_D", time.Minute, time.Second, time.Hour, "a duration")
	f.Int(&v.n, "n", "T_N", 5, 1, 10, "an integer")
	f.Float(&v.x, "x", "T_X", 0.5, 0, 1, "a number")
	list(f, &v.list, "item", "T_ITEM", "item", "an item", func(s string) (string, error) { return strings.ToUpper(s), nil })
	code, ok = f.Parse(args)
	return v, f, code, ok, out.String(), errOut.String()
}

func TestFlagsPrecedence(t *testing.T) {
	environ := map[string]string{"T_STR": "env", "T_D": "2m", "T_N": "7", "T_ON": "TRUE", "T_ITEM": "a b", "T_ENUM": "json"}
	v, f, _, ok, _, stderr := parseTest(environ)
	if !ok || v.str != "env" || v.d != 2*time.Minute || v.n != 7 || !v.on || strings.Join(v.list, ",") != "A,B" || v.enum != "JSON" || v.x != 0.5 {
		t.Fatalf("from the environment: got %+v (%s), want its values and the defaults", v, stderr)
	}
	if !f.FromEnv("str") || f.FromEnv("x") || f.Label("str") != "T_STR (--str)" || f.Label("x") != "--x (T_X)" {
		t.Errorf("got FromEnv %v %v, labels %q %q", f.FromEnv("str"), f.FromEnv("x"), f.Label("str"), f.Label("x"))
	}
	v, f, _, ok, _, stderr = parseTest(environ, "--str", "flag", "--d=3s", "--on=false", "--item", "c", "--item", "d", "--enum", "tAbLe")
	if !ok || v.str != "flag" || v.d != 3*time.Second || v.on || strings.Join(v.list, ",") != "C,D" || v.enum != "Table" {
		t.Fatalf("flags over the environment: got %+v (%s)", v, stderr)
	}
	if f.FromEnv("str") || f.Label("str") != "--str (T_STR)" {
		t.Errorf("got FromEnv %v, label %q, want the flag", f.FromEnv("str"), f.Label("str"))
	}
	// A bad variable does not matter when the flag replaces it.
	if v, _, _, ok, _, stderr = parseTest(map[string]string{"T_D": "soon", "T_ITEM": "x"}, "--d", "2s"); !ok || v.d != 2*time.Second {
		t.Errorf("a flag over a bad variable: got %v %v (%s), want 2s", ok, v.d, stderr)
	}
}

func TestFlagsErrors(t *testing.T) {
	tests := []struct {
		environ map[string]string
		args    []string
		want    string
	}{
		{nil, []string{"--d", "soon"}, `scboauth test: --d "soon": not a duration such as 30s or 1h30m` + "\n"},
		{map[string]string{"T_D": "soon"}, nil, `scboauth test: T_D="soon" (--d): not a duration`},
		{nil, []string{"--d", "2h"}, `--d "2h": must be between 1s and 1h`},
		{map[string]string{"T_N": "11"}, nil, `T_N="11" (--n): must be between 1 and 10`},
		{nil, []string{"--n", "9223372036854775808"}, `--n "9223372036854775808": not an integer`},
		{nil, []string{"--x", "NaN"}, `--x "NaN": must be between 0 and 1`},
		{nil, []string{"--x", "half"}, `--x "half": not a number`},
		{nil, []string{"--x", "1e300"}, `--x "1e300": must be between 0 and 1`},
		{nil, []string{"--x", "Inf"}, `--x "Inf": must be between 0 and 1`},
		{map[string]string{"T_ON": "yes"}, nil, `T_ON="yes" (--on): not a boolean (true or false)`},
		{nil, []string{"--enum", "xml"}, `--enum "xml": want Table or JSON (any case)`},
		{nil, []string{"--secret", "hunter2-secret", "--n", "0"}, "--n \"0\": must be between 1 and 10"},
		{map[string]string{"T_SECRET": "hunter2-secret", "T_N": "0"}, nil, `T_N="0" (--n): must be between`},
		{nil, []string{"--url", "http://u:hunter2@h:port"}, "--url (T_URL): does not parse as a URL (not shown: it may hold a password)"},
		{nil, []string{"--url", "ftp://u:hunter2@h"}, `--url (T_URL): "ftp://u:xxxxx@h" is not an http or https URL`},
		{nil, []string{"--url", "/relative"}, `--url (T_URL): "/relative" is not an http or https URL`},
		{nil, []string{"--str", strings.Repeat("é", 100), "--n", "x"}, `--n "x": not an integer`},
		{nil, []string{"--d", strings.Repeat("9", 100)}, `--d "` + strings.Repeat("9", 64) + `...": not a duration`},
		{nil, []string{"--d", "1s", "--d", "soon"}, `--d "soon": not a duration`},
		{nil, []string{"stray"}, `unexpected argument "stray"`},
		{nil, []string{"--nope"}, "flag provided but not defined: -nope"},
		{nil, []string{"--d"}, "flag needs an argument: -d"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, _, code, ok, stdout, stderr := parseTest(tt.environ, tt.args...)
			if ok || code != exitUsage || stdout != "" {
				t.Errorf("got ok %v, exit %d, stdout %q; want a usage error", ok, code, stdout)
			}
			if !strings.Contains(stderr, tt.want) || !strings.HasSuffix(stderr, "Run \"scboauth test --help\" for the flags.\n") {
				t.Errorf("got stderr %q, want %q and the pointer to --help", stderr, tt.want)
			}
			if strings.Contains(stderr, "hunter2") {
				t.Errorf("stderr shows the secret: %q", stderr)
			}
		})
	}
}

func TestFlagsHelp(t *testing.T) {
	environ := map[string]string{"T_SECRET": "env-secret-x", "T_STR": "env-str-x"}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"--n", "0", "-help"}, {"-help=1"}} {
		_, _, code, ok, stdout, stderr := parseTest(environ, args...)
		if ok || code != exitOK || stderr != "" {
			t.Errorf("%q: got ok %v, exit %d, stderr %q; want the help", args, ok, code, stderr)
		}
		for _, want := range []string{
			"Usage: scboauth test [flags]\n\nA test.\n",
			"  --str string\n        a string\n        env T_STR, default def; deprecated alias --old-str (still accepted)\n",
			"  --secret string\n        a secret\n        A secret: a flag shows in process lists (ps); prefer T_SECRET.\n        env T_SECRET\n",
			"  --enum Table|JSON\n", "  --on\n        a boolean\n        env T_ON\n",
			"  --d duration\n        a duration; 1s to 1h\n        env T_D, default 1m\n",
			"  --item item\n        an item; repeatable\n",
			"Exit status:\n  0  fine\n  2  bad flags\n",
		} {
			if !strings.Contains(stdout, want) {
				t.Errorf("%q: the help does not contain %q:\n%s", args, want, stdout)
			}
		}
		if strings.Contains(stdout, "env-secret-x") || strings.Contains(stdout, "env-str-x") {
			t.Errorf("the help shows a value of the environment:\n%s", stdout)
		}
	}
}

func TestFlagsDeprecatedAlias(t *testing.T) {
	v, _, _, ok, _, stderr := parseTest(map[string]string{"T_STR": "env"}, "--old-str", "old")
	if !ok || v.str != "old" || stderr != "scboauth test: --old-str is deprecated: use --str\n" {
		t.Errorf("got ok %v, %q, stderr %q; want the value and a notice", ok, v.str, stderr)
	}
}

// escape leaves printable text alone and escapes everything a terminal could hide or reorder.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"plain", "é ü 日本", "\u202eevil", "\x1b[2J", "a\r\nb", "\xff\xfe", "\ufffd", "a\u200bb", "\u2028", "\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := escape(s)
		if r, ok := sandboxtest.UnsafeRune(got); ok || !utf8.ValidString(got) || strings.ContainsAny(got, "\n\t") {
			t.Errorf("escape(%q) = %q has %U", s, got, r)
		}
		if strings.IndexFunc(s, unsafe) < 0 && utf8.ValidString(s) && got != s {
			t.Errorf("escape(%q) = %q, want it unchanged", s, got)
		}
	})
}
