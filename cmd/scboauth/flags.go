package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/scboauth/scboauth/internal/redact"
)

// This file is the one way the commands read their configuration. A command makes a flags
// with newFlags, binds each flag to its environment variable with one of the binders below
// (String, Secret, Bool, Enum, URL, Duration, Int, Float, list), and calls Parse:
//
//	f := newFlags(e, "token", help)
//	f.Duration(&timeout, "timeout", "SCB_TOKEN_TIMEOUT", 30*time.Second, time.Millisecond, 24*time.Hour,
//		"give up after this long")
//	f.String(&key, "application-key", "SCB_APPLICATION_KEY", "", "the application's API key").Alias("key")
//	if code, ok := f.Parse(args); !ok {
//		return code
//	}
//
// The variable, when set and not empty, replaces the default; the flag wins over both. Every
// value is parsed and checked (numbers and durations against their range) before the command
// runs; a bad one is a usage error (exit 2) that names the flag or the variable it came from.
// --help shows each flag with its variable and default, and the command's exit statuses.
// Every message a command prints on stderr goes through f.errorf or f.fail: they escape
// characters that could hide or reorder text on a terminal, cut huge messages, and redact the
// values of secret flags (a backstop: no message quotes one).

// help is what a command's --help says besides its flags.
type help struct {
	synopsis    string    // after "scboauth NAME", such as "[flags]"
	description string    // paragraphs
	exit        [3]string // what exit statuses 0, 1 and 2 mean; an empty one is not listed
}

// flags is a command's flag set, every flag bound to an environment variable.
type flags struct {
	e       *env
	cmd     string
	help    help
	fs      *flag.FlagSet
	list    []*binding // in the order --help shows them
	secrets []string   // values kept out of every message
}

// binding is one flag bound to its environment variable.
type binding struct {
	name, env, usage string
	kind             string // the value's kind in --help ("duration", "host:port")
	def              string // the default in --help; empty shows none
	aliases          []string
	secret           bool     // holds a secret: never shown, kept out of every message
	quiet            bool     // fail does not show the value
	prefer           []string // where a secret should come from instead of a flag
	isBool           bool
	set              func(s string) error // parses s and stores it
	reset            func()               // a list's: forget the values of the variable
	checks           []func() error
	fs               *flag.FlagSet
	from             string // where the value came from: "" (default), the variable or "--name"
	raw              string // the text it came from
	err              error  // why raw does not parse
}

// newFlags returns the flag set of the command cmd.
func newFlags(e *env, cmd string, h help) *flags {
	fs := flag.NewFlagSet("scboauth "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the flag package prints values raw; f.fail prints its errors
	fs.Usage = func() {}
	return &flags{e: e, cmd: cmd, help: h, fs: fs}
}

// bind defines the flag name over the variable env with the value *p, def until parsed. parse
// turns text into a value; its error says what the text is not ("not a duration such as 30s")
// and must not quote it. The returned binding takes aliases, checks and the secret mark.
func bind[T any](f *flags, p *T, name, env string, def T, kind, usage string, parse func(string) (T, error)) *binding {
	*p = def
	b := &binding{name: name, env: env, usage: usage, kind: kind, set: func(s string) error {
		v, err := parse(s)
		if err == nil {
			*p = v
		}
		return err
	}}
	return f.add(b)
}

// add registers b under its name.
func (f *flags) add(b *binding) *binding {
	b.fs = f.fs
	f.list = append(f.list, b)
	f.fs.Var(flagValue{b, b.name}, b.name, b.usage)
	return b
}

// String binds a string flag.
func (f *flags) String(p *string, name, env, def, usage string) *binding {
	b := bind(f, p, name, env, def, "string", usage, func(s string) (string, error) { return s, nil })
	b.def = def
	return b
}

// Secret binds a string flag that holds a secret: --help warns that a flag shows in process
// lists and points to the variable instead; no message shows its value.
func (f *flags) Secret(p *string, name, env, usage string) *binding {
	return f.String(p, name, env, "", usage).Secret()
}

// Bool binds a boolean flag: --name, --name=false; the variable takes true or false (also 1, 0,
// t, f, in any case).
func (f *flags) Bool(p *bool, name, env, usage string) *binding {
	b := bind(f, p, name, env, false, "", usage, func(s string) (bool, error) {
		v, err := strconv.ParseBool(s)
		if err != nil {
			return false, errors.New("not a boolean (true or false)")
		}
		return v, nil
	})
	b.isBool = true
	return b
}

// Enum binds a flag whose value is one of values, in any case; *p gets the spelling of values.
// def may be outside values (an empty default for "none").
func (f *flags) Enum(p *string, name, env, def, usage string, values ...string) *binding {
	want := strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
	b := bind(f, p, name, env, def, strings.Join(values, "|"), usage, func(s string) (string, error) {
		for _, v := range values {
			if strings.EqualFold(s, v) {
				return v, nil
			}
		}
		return "", errors.New("want " + want + " (any case)")
	})
	b.def = def
	return b
}

// URL binds a flag whose value is empty or an absolute http or https URL. Its messages never
// show a URL that does not parse, nor a URL's password.
func (f *flags) URL(p *string, name, env, def, usage string) *binding {
	b := f.String(p, name, env, def, usage)
	b.kind = "URL"
	b.Check(func() error {
		if *p == "" {
			return nil
		}
		u, err := url.Parse(*p)
		switch {
		case err != nil:
			// url.Error quotes the URL, and its reasons quote parts of it, password included.
			return errors.New("does not parse as a URL (not shown: it may hold a password)")
		case (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			return fmt.Errorf("%q is not an http or https URL", u.Redacted())
		}
		return nil
	})
	b.quiet = true // fail does not quote it: the check shows what it can
	return b
}

// Duration binds a duration flag (such as 30s or 1h30m) that must lie in [lo, hi].
func (f *flags) Duration(p *time.Duration, name, env string, def, lo, hi time.Duration, usage string) *binding {
	return ranged(f, p, name, env, def, lo, hi, "duration", usage, time.ParseDuration, "not a duration such as 30s or 1h30m")
}

// Int binds an integer flag that must lie in [lo, hi].
func (f *flags) Int(p *int64, name, env string, def, lo, hi int64, usage string) *binding {
	parse := func(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }
	return ranged(f, p, name, env, def, lo, hi, "integer", usage, parse, "not an integer")
}

// Float binds a number flag that must lie in [lo, hi] (NaN never does).
func (f *flags) Float(p *float64, name, env string, def, lo, hi float64, usage string) *binding {
	parse := func(s string) (float64, error) { return strconv.ParseFloat(s, 64) }
	return ranged(f, p, name, env, def, lo, hi, "number", usage, parse, "not a number")
}

// ranged binds a flag parsed by parse (whose error becomes notA) that must lie in [lo, hi],
// and says the range and the default in --help.
func ranged[T int64 | float64 | time.Duration](f *flags, p *T, name, env string, def, lo, hi T, kind, usage string,
	parse func(string) (T, error), notA string) *binding {
	b := bind(f, p, name, env, def, kind, usage+fmt.Sprintf("; %s to %s", show(lo), show(hi)), func(s string) (T, error) {
		v, err := parse(s)
		if err != nil {
			return v, errors.New(notA)
		}
		return v, nil
	})
	b.def = show(def)
	return b.Check(func() error {
		if *p >= lo && *p <= hi { // false for NaN
			return nil
		}
		return fmt.Errorf("must be between %s and %s", show(lo), show(hi))
	})
}

// list binds a repeatable flag: each --name adds a value, and the variable holds values
// separated by spaces. Values given as flags replace those of the variable.
func list[T any](f *flags, p *[]T, name, env, kind, usage string, parse func(string) (T, error)) *binding {
	*p = nil
	b := &binding{name: name, env: env, usage: usage + "; repeatable", kind: kind}
	b.set = func(s string) error {
		for _, field := range strings.Fields(s) {
			v, err := parse(field)
			if err != nil {
				return err
			}
			*p = append(*p, v)
		}
		return nil
	}
	b.reset = func() { *p = nil }
	return f.add(b)
}

// show formats v for --help and messages: durations without their zero units ("24h", not
// "24h0m0s"), numbers without an exponent.
func show(v any) string {
	if x, ok := v.(float64); ok {
		return strconv.FormatFloat(x, 'f', -1, 64) // 1000000, not 1e+06
	}
	d, ok := v.(time.Duration)
	if !ok {
		return fmt.Sprint(v)
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Alias adds deprecated names of the flag: they still work, --help lists them as deprecated,
// and using one prints a notice.
func (b *binding) Alias(names ...string) *binding {
	for _, a := range names {
		b.aliases = append(b.aliases, a)
		b.fs.Var(flagValue{b, a}, a, "")
	}
	return b
}

// Secret marks the flag as holding a secret. prefer names where the secret should come from
// instead (the variable when empty).
func (b *binding) Secret(prefer ...string) *binding {
	b.secret, b.quiet, b.def = true, true, ""
	b.prefer = prefer
	if len(prefer) == 0 {
		b.prefer = []string{b.env}
	}
	return b
}

// Check adds a check of the parsed value, run after parsing unless the value does not parse;
// its error says what is wrong without the value, which the message shows where it may.
func (b *binding) Check(c func() error) *binding {
	b.checks = append(b.checks, c)
	return b
}

// label names the flag and its variable, the one the value came from first.
func (b *binding) label() string {
	if b.from == b.env && b.env != "" {
		return b.env + " (--" + b.name + ")"
	}
	return "--" + b.name + " (" + b.env + ")"
}

// fail returns reason as an error about the binding's value, naming where it came from and
// showing the value (quoted, shortened) unless it is a secret.
func (b *binding) fail(reason error) error {
	switch {
	case b.quiet || b.from == "":
		return fmt.Errorf("%s: %v", b.label(), reason)
	case b.from == b.env:
		return fmt.Errorf("%s=%s (--%s): %v", b.env, quote(b.raw), b.name, reason)
	}
	return fmt.Errorf("%s %s: %v", b.from, quote(b.raw), reason)
}

// setFrom sets the value from s, given by from (the variable or a flag as written).
func (b *binding) setFrom(from, s string) {
	if b.reset != nil && b.from != "" && b.from == b.env && from != b.env {
		b.reset() // flags replace the variable's values
		b.err = nil
	}
	if b.reset == nil || b.err == nil {
		b.err = b.set(s)
	}
	b.from, b.raw = from, s
}

// flagValue is a binding as the flag package sees it, under one of its names. Set never fails:
// the flag package would print the value raw, a secret included; Parse reports the error.
type flagValue struct {
	b    *binding
	name string
}

func (v flagValue) String() string   { return "" }
func (v flagValue) IsBoolFlag() bool { return v.b.isBool }
func (v flagValue) Set(s string) error {
	v.b.setFrom("--"+v.name, s)
	return nil
}

// Parse reads the variables, then args. ok is false, with the exit code, when the command must
// stop: 0 after --help (printed on stdout), 2 after a usage error (printed on stderr).
func (f *flags) Parse(args []string) (code int, ok bool) {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			f.usage(f.e.stdout)
			return exitOK, false
		}
	}
	for _, b := range f.list {
		if v := f.e.getenv(b.env); v != "" {
			b.setFrom(b.env, v)
		}
	}
	if err := f.fs.Parse(args); errors.Is(err, flag.ErrHelp) { // -help=x
		f.usage(f.e.stdout)
		return exitOK, false
	} else if err != nil {
		return f.fail(err), false
	}
	if f.fs.NArg() > 0 {
		return f.fail(fmt.Errorf("unexpected argument %s", quote(f.fs.Arg(0)))), false
	}
	var errs []error
	for _, b := range f.list {
		if b.secret {
			f.AddSecret(b.raw)
		}
		if b.err != nil {
			errs = append(errs, b.fail(b.err))
			continue
		}
		for _, c := range b.checks {
			if err := c(); err != nil {
				errs = append(errs, b.fail(err))
				break
			}
		}
	}
	if len(errs) > 0 {
		return f.fail(errs...), false
	}
	f.deprecations()
	return exitOK, true
}

// deprecations prints a notice for each deprecated alias used.
func (f *flags) deprecations() {
	for _, b := range f.list {
		for _, a := range b.aliases {
			if b.from == "--"+a {
				f.errorf("--%s is deprecated: use --%s", a, b.name)
			}
		}
	}
}

// lookup returns the binding of the flag name; it panics for a name no binder defined.
func (f *flags) lookup(name string) *binding {
	for _, b := range f.list {
		if b.name == name {
			return b
		}
	}
	panic("flags: no flag " + name)
}

// Label names the flag name and its variable, the one its value came from first:
// "--base-url (SCB_BASE_URL)" or "SCB_BASE_URL (--base-url)".
func (f *flags) Label(name string) string { return f.lookup(name).label() }

// FromEnv reports whether the value of the flag name came from its variable.
func (f *flags) FromEnv(name string) bool {
	b := f.lookup(name)
	return b.env != "" && b.from == b.env
}

// AddSecret keeps values out of every message the command prints. It is a backstop: what the
// commands print never quotes a secret in the first place. Values shorter than
// minBackstopSecret are not searched for, since redacting them would garble every message
// (a one-letter secret in a test environment hides that letter everywhere).
func (f *flags) AddSecret(values ...string) {
	for _, v := range values {
		if len(v) >= minBackstopSecret {
			f.secrets = append(f.secrets, v)
		}
	}
}

// minBackstopSecret is the length of the shortest secret AddSecret searches messages for.
const minBackstopSecret = 6

// errorf prints one message "scboauth CMD: ..." on stderr, its secrets redacted and its
// unsafe characters escaped.
func (f *flags) errorf(format string, args ...any) {
	msg := escape(redact.String(fmt.Sprintf(format, args...), f.secrets...))
	if len(msg) > maxMessage { // a huge value some message quotes in full
		msg = strings.ToValidUTF8(msg[:maxMessage], "") + "..."
	}
	fmt.Fprintf(f.e.stderr, "scboauth %s: %s\n", f.cmd, msg)
}

// maxMessage bounds the length of a message in bytes.
const maxMessage = 1000

// fail prints errs as usage errors, with where to find the flags, and returns exitUsage.
func (f *flags) fail(errs ...error) int {
	for _, err := range errs {
		f.errorf("%v", err)
	}
	fmt.Fprintf(f.e.stderr, "Run \"scboauth %s --help\" for the flags.\n", f.cmd)
	return exitUsage
}

// usage prints the command's help on w.
func (f *flags) usage(w io.Writer) {
	fmt.Fprintf(w, "%s\n\n%s\n", strings.TrimSpace("Usage: scboauth "+f.cmd+" "+f.help.synopsis), f.help.description)
	if len(f.list) > 0 {
		fmt.Fprint(w, "\nFlags (each also read from the environment variable shown; a flag wins over its variable):\n")
	}
	for _, b := range f.list {
		fmt.Fprintf(w, "  --%s\n        %s\n", strings.TrimSpace(b.name+" "+b.kind), b.usage)
		if b.secret {
			fmt.Fprintf(w, "        A secret: a flag shows in process lists (ps); prefer %s.\n", strings.Join(b.prefer, " or "))
		}
		line := "env " + b.env
		if b.def != "" {
			line += ", default " + b.def
		}
		for _, a := range b.aliases {
			line += "; deprecated alias --" + a + " (still accepted)"
		}
		fmt.Fprintf(w, "        %s\n", line)
	}
	fmt.Fprint(w, "\nExit status:\n")
	for code, s := range f.help.exit {
		if s != "" {
			fmt.Fprintf(w, "  %d  %s\n", code, s)
		}
	}
	fmt.Fprint(w, "\nRun \"scboauth --help\" for the other commands.\n")
}

// quote returns s quoted as a Go string, its unsafe characters escaped, cut to 64 characters.
func quote(s string) string {
	const max = 64
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "..."
	}
	return strconv.Quote(s)
}

// escape returns s with every character that could hide or reorder text on a terminal (a
// control or format character such as U+202E, a line separator, invalid UTF-8) written as a Go
// escape.
func escape(s string) string {
	if strings.IndexFunc(s, unsafe) < 0 && utf8.ValidString(s) {
		return s
	}
	var sb strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&sb, `\x%02x`, s[i])
		case unsafe(r):
			q := strconv.QuoteRuneToASCII(r)
			sb.WriteString(q[1 : len(q)-1])
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

// unsafe reports whether r could hide or reorder text on a terminal.
func unsafe(r rune) bool { return !unicode.IsGraphic(r) }
