package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/scboauth/scboauth/api"
)

// This file is what the payment commands share (qr, slip, bill, deeplink, transaction; one file
// each besides this one): commands made of verbs, the flags of the application and the output,
// one run of a verb from its flags to its exit status, and the printing of SCB's answers.

// group is a command made of verbs, such as "scboauth qr create".
type group struct {
	name        string
	description string // paragraphs for --help
	verbs       []verb
}

// verb is one call of a group.
type verb struct {
	name, summary string
	run           func(ctx context.Context, e *env, args []string) int
}

// run dispatches args to a verb: "scboauth qr create ...", "scboauth qr --help", "scboauth qr
// help create".
func (g *group) run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		g.usage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		g.usage(e.stdout)
		return exitOK
	case "help":
		if len(args) > 1 {
			return g.run(ctx, e, []string{args[1], "--help"})
		}
		g.usage(e.stdout)
		return exitOK
	}
	var names []string
	for _, v := range g.verbs {
		if v.name == args[0] {
			return v.run(ctx, e, args[1:])
		}
		names = append(names, v.name)
	}
	fmt.Fprintf(e.stderr, "scboauth %s: unknown verb %s (want %s)\nRun \"scboauth %s --help\" for the verbs.\n",
		g.name, quote(args[0]), strings.Join(names, " or "), g.name)
	return exitUsage
}

// usage prints the group's help on w.
func (g *group) usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: scboauth %s <verb> [flags]\n\n%s\n\nVerbs:\n", g.name, g.description)
	for _, v := range g.verbs {
		fmt.Fprintf(w, "  %-8s %s\n", v.name, v.summary)
	}
	fmt.Fprintf(w, "\nRun \"scboauth %s <verb> --help\" for a verb's flags, their environment variables and its exit\nstatuses.\n\nExit status:\n", g.name)
	for code, s := range paymentExit {
		fmt.Fprintf(w, "  %d  %s\n", code, s)
	}
	fmt.Fprint(w, "\nRun \"scboauth --help\" for the other commands.\n")
}

// paymentExit is what the exit statuses of a payment verb mean.
var paymentExit = [3]string{
	"SCB's answer was printed",
	"SCB answered with an error (404 when it has no such record), or with an answer the client refuses",
	"bad flags or variables, a request SCB would refuse (nothing was sent), missing credentials, or SCB could not be reached",
}

// paymentNotes ends the description of every payment verb.
const paymentNotes = `

The call uses a token of the application (the client-credentials grant), from the same flags
and variables as "scboauth token"; --base-url defaults to SCB's sandbox. The output is text,
one "name  value" line per field SCB gave, or with --format json an object with the same names,
for scripts: amounts are text in baht with two decimals ("100.50"), times RFC 3339 on the
Bangkok clock (+07:00). Every value from SCB is printed with its control and invisible
characters escaped; no token or secret is ever printed.`

// payment is what every payment verb shares: how it calls SCB, and how it prints the answer.
type payment struct {
	caller
	format string
}

// bind defines the flags every payment verb shares, after the verb's own.
func (p *payment) bind(f *flags) {
	p.bindBaseURL(f)
	bindKeyAndSecret(f, &p.credentials)
	p.bindOwnerAndLanguage(f)
	bindClientCertificate(f, &p.credentials)
	f.Duration(&p.timeout, "timeout", "SCB_PAYMENT_TIMEOUT", 30*time.Second, time.Millisecond, 24*time.Hour, "give up after this long, retries included")
	f.Enum(&p.format, "format", "SCB_PAYMENT_FORMAT", "text", "output format", "text", "json")
}

// usageError is a problem with what the user asked for, found after parsing: exit status 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }

// fieldFlags maps the fields an *api.InvalidRequestError names to a verb's flags: the field's
// own flag first, then the flags the client refuses together with it ("does not apply to a QR
// of type CS" names Ref1 for ref1, ref2 and ref3).
type fieldFlags map[string][]string

// flagError returns ir as an error naming the flag (for a group of flags that does not apply,
// the first of them that was set), and the flags of the fields its reason names.
func (m fieldFlags) flagError(f *flags, ir *api.InvalidRequestError) error {
	reason := goName.ReplaceAllStringFunc(ir.Reason, func(w string) string {
		if names, ok := m[w]; ok {
			return "--" + names[0]
		}
		return w
	})
	names := m[ir.Field]
	if len(names) == 0 {
		return fmt.Errorf("%s: %s", strings.ToLower(ir.Field), reason) // not a flag's: say what is wrong anyway
	}
	name := names[0]
	if strings.HasPrefix(reason, "does not apply") {
		for _, n := range names {
			if f.lookup(n).from != "" {
				name = n
				break
			}
		}
	}
	return fmt.Errorf("%s: %s", f.Label(name), reason)
}

// goName matches a Go field name in a reason ("PartnerTransactionID"), not a word in capitals.
var goName = regexp.MustCompile(`\b[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*\b`)

// call runs a payment verb whose flags f has bound: it parses args, checks the credentials, and
// calls do with a client and a context bounded by --timeout. It prints what do returns, even
// with an error (a QR whose picture could not be written, a transaction still pending), and
// returns the exit status of the error: 2 for a usageError, an *api.InvalidRequestError (its
// field named by its flag through fields) or no answer, 1 for any other.
func (p *payment) call(ctx context.Context, f *flags, args []string, fields fieldFlags, do func(context.Context, *api.Client) (any, error)) int {
	if code, ok := f.Parse(args); !ok {
		return code
	}
	if err := p.check(f); err != nil {
		return f.fail(err)
	}
	client, err := p.client(f)
	if err != nil {
		return f.fail(err)
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	out, err := do(ctx, client)
	if out != nil {
		if werr := p.print(f.e.stdout, out); werr != nil {
			f.errorf("write the answer: %v", werr)
			return exitFail
		}
	}
	var ir *api.InvalidRequestError
	var ue usageError
	var ae *api.Error
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ir):
		return f.fail(fields.flagError(f, ir))
	case errors.As(err, &ue):
		return f.fail(ue.err)
	}
	f.errorf("%v", err)
	if errors.As(err, &ae) && ae.HTTPStatus == 0 {
		return exitUsage // no answer: SCB could not be reached
	}
	return exitFail
}

// print writes out, a value of outputOf, in the chosen format.
func (p *payment) print(w io.Writer, out any) error {
	if p.format == "json" {
		return writeJSON(w, out)
	}
	var lines []member
	flatten("", out, &lines)
	width := 0
	for _, l := range lines {
		width = max(width, len(l.key))
	}
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%-*s  %s\n", width, l.key, escape(l.value.(string)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// object is an output object: its members in order, printed as a JSON object or as lines.
type object []member

// member is a named value of an object: a string, a bool, an object or a []any.
type member struct {
	key   string
	value any
}

// MarshalJSON writes o as a JSON object, its members in order.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := enc.Encode(m.key); err != nil {
			return nil, err
		}
		b.WriteByte(':')
		if err := enc.Encode(m.value); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil // the encoder's newlines are white space the caller's indentation replaces
}

// flatten appends the values of v to lines, each under its path: "sender.name", "channels[0].code".
func flatten(path string, v any, lines *[]member) {
	switch v := v.(type) {
	case object:
		for _, m := range v {
			key := m.key
			if path != "" {
				key = path + "." + key
			}
			flatten(key, m.value, lines)
		}
	case []any:
		if len(v) == 0 {
			*lines = append(*lines, member{path, "(none)"})
		}
		for i, e := range v {
			flatten(path+"["+strconv.Itoa(i)+"]", e, lines)
		}
	default:
		*lines = append(*lines, member{path, fmt.Sprint(v)})
	}
}

// Types outputOf treats apart.
var (
	bytesType  = reflect.TypeFor[[]byte]()
	statusType = reflect.TypeFor[api.TransactionStatus]()
)

// outputOf returns what a payment verb prints of v, a result of the api (a struct, a pointer to
// one or a slice): every exported field under its Go name in lowerCamel ("TransactionID" is
// "transactionId"), so that the output says every field the client reads without a second
// list of them. Zero values are left out (a field SCB did not give), but for booleans and a
// transaction's status (0 is pending); times are RFC 3339 on the Bangkok clock, durations as
// "15m", amounts and statuses as their String ("100.50", "paid"); bytes (the QR's picture) are
// never printed.
func outputOf(v reflect.Value) any {
	switch x := v.Interface().(type) {
	case time.Time:
		return x.In(api.Bangkok).Format(time.RFC3339)
	case time.Duration:
		return show(x)
	case fmt.Stringer:
		return x.String()
	}
	switch v.Kind() {
	case reflect.Pointer:
		return outputOf(v.Elem())
	case reflect.Struct:
		o := object{}
		for i := range v.NumField() {
			field, sf := v.Field(i), v.Type().Field(i)
			if sf.IsExported() && !omitted(field) {
				o = append(o, member{lowerCamel(sf.Name), outputOf(field)})
			}
		}
		return o
	case reflect.Slice:
		list := make([]any, v.Len())
		for i := range list {
			list[i] = outputOf(v.Index(i))
		}
		return list
	case reflect.Bool:
		return v.Bool()
	}
	return fmt.Sprint(v.Interface())
}

// omitted reports whether outputOf leaves the field v out.
func omitted(v reflect.Value) bool {
	switch {
	case v.Type() == bytesType:
		return true
	case v.Kind() == reflect.Bool || v.Type() == statusType:
		return false
	case v.Kind() == reflect.Slice:
		return v.Len() == 0
	}
	return v.IsZero()
}

// lowerCamel returns a Go field name as a JSON name: "QRCodeType" is "qrCodeType", "ID" "id",
// "UserRefID" "userRefId", "URL" "url".
func lowerCamel(name string) string {
	n := 0
	for n < len(name) && 'A' <= name[n] && name[n] <= 'Z' {
		n++
	}
	if n > 1 && n < len(name) {
		n-- // the last capital starts the next word
	}
	return strings.ToLower(name[:n]) + strings.NewReplacer("ID", "Id", "URL", "Url").Replace(name[n:])
}

// writeJSON writes v as indented JSON, HTML characters as they are and every character that
// could fool a terminal escaped (escapeJSON): the values come from a server.
func writeJSON(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(escapeJSON(b.Bytes()))
	return err
}

// escapeJSON returns JSON text b with every character that could hide or reorder text on a
// terminal written as a \u escape; encoding/json escapes only those below U+0020 and U+2028,
// U+2029. Outside strings, JSON text has only spaces and newlines of its own.
func escapeJSON(b []byte) []byte {
	if bytes.IndexFunc(b, func(r rune) bool { return r != '\n' && unsafe(r) }) < 0 {
		return b
	}
	var out bytes.Buffer
	for _, r := range string(b) {
		switch {
		case r == '\n' || !unsafe(r):
			out.WriteRune(r)
		case r > 0xFFFF:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&out, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&out, `\u%04x`, r)
		}
	}
	return out.Bytes()
}

// answer returns what a payment verb prints of the result v of an api call, or err.
func answer[T any](v T, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return outputOf(reflect.ValueOf(v)), nil
}

// bindAmount binds an amount of baht, such as 100 or 100.50; required says it must be given.
func bindAmount(f *flags, p *api.Amount, name, env string, required bool, usage string) {
	b := bind(f, p, name, env, 0, "baht", usage, func(s string) (api.Amount, error) {
		a, err := api.ParseAmount(s)
		if err != nil {
			return 0, errors.New("not an amount of baht such as 100 or 100.50 (digits, at most two decimals)")
		}
		return a, nil
	})
	if required {
		b.Check(func() error {
			if b.from == "" {
				return errors.New("required")
			}
			return nil
		})
	}
}
