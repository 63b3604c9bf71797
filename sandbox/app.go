package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Kind is the kind of a registered application: which grants it may use.
type Kind string

// The kinds of application SCB's Developer Platform registers.
const (
	KindPlain             Kind = "plain"              // client-credentials grant only; authCode or refresh -> 403 9503
	KindAuthorizationCode Kind = "authorization-code" // client-credentials and authorization-code grants, refresh
	KindWeb               Kind = "web"                // like authorization-code, but the code grant needs codeChallenge (and state)
)

// Valid reports whether k is one of KindPlain, KindAuthorizationCode and KindWeb.
func (k Kind) Valid() bool {
	switch k {
	case KindPlain, KindAuthorizationCode, KindWeb:
		return true
	}
	return false
}

// redacted replaces a secret wherever an Application is printed or marshalled.
const redacted = "REDACTED"

// Application is a registered application. Its Secret never appears when printed (String,
// GoString, Format for every verb, MarshalJSON, slog.LogValuer all redact it).
//
// Only a value printed on its own, in a slice or map, or in an exported struct field is
// covered: fmt cannot call methods on a value held in an unexported field.
//
// CallbackURL is where the emulator posts the payment confirmations of the application's
// payments, as SCB posts them to the URL registered with the application [doc]; empty, none
// are sent. It is shown with its password and query values redacted, since a receiver may
// take a shared secret there.
type Application struct {
	Name        string // a label for logs and the start banner
	Key         string // the API key, sent as applicationKey or the apikey header
	Secret      string // the API secret, sent as applicationSecret or the apisecret header
	Kind        Kind   // the grants it may use
	CallbackURL string // the payment confirmation URL, http or https; "" for none
}

// String returns the application with its secret redacted.
func (a Application) String() string {
	s := fmt.Sprintf("{Name:%s Key:%s Secret:%s Kind:%s", a.Name, a.Key, a.redactedSecret(), a.Kind)
	if a.CallbackURL != "" {
		s += " CallbackURL:" + shownURL(a.CallbackURL)
	}
	return s + "}"
}

// GoString returns a Go-syntax representation of the application with its secret redacted.
func (a Application) GoString() string {
	s := fmt.Sprintf("sandbox.Application{Name:%q, Key:%q, Secret:%q, Kind:%q", a.Name, a.Key, a.redactedSecret(), string(a.Kind))
	if a.CallbackURL != "" {
		s += fmt.Sprintf(", CallbackURL:%q", shownURL(a.CallbackURL))
	}
	return s + "}"
}

// Format implements fmt.Formatter so that every verb (%v, %+v, %#v, %s, %q, %x...) prints the
// application with its secret redacted.
func (a Application) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = fmt.Fprint(f, a.GoString())
	case verb == 'q':
		_, _ = fmt.Fprintf(f, "%q", a.String())
	default:
		_, _ = fmt.Fprint(f, a.String())
	}
}

// MarshalJSON encodes the application with its secret redacted. It is for logs and
// diagnostics: an applications file cannot be written with it.
func (a Application) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Name        string `json:"name"`
		Key         string `json:"key"`
		Secret      string `json:"secret"`
		Kind        Kind   `json:"kind"`
		CallbackURL string `json:"callbackUrl,omitempty"`
	}{a.Name, a.Key, a.redactedSecret(), a.Kind, shownURL(a.CallbackURL)})
}

// LogValue implements slog.LogValuer: the application as a group without its secret.
func (a Application) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", a.Name),
		slog.String("key", a.Key),
		slog.String("secret", a.redactedSecret()),
		slog.String("kind", string(a.Kind)),
		slog.String("callbackUrl", shownURL(a.CallbackURL)),
	)
}

func (a Application) redactedSecret() string {
	if a.Secret == "" {
		return ""
	}
	return redacted
}

// maxField bounds each field of an Application, in bytes.
const maxField = 256

// problem describes the first thing wrong with a, as what it "has" ("no secret", "a kind that
// is not ..."), without any of its values: a mistake may have put the secret in any field.
func (a Application) problem() string {
	_, p := a.fieldProblem()
	return p
}

// fieldProblem is problem with the name of the field at fault.
func (a Application) fieldProblem() (field, problem string) {
	for _, f := range []struct{ name, value string }{{"name", a.Name}, {"key", a.Key}, {"secret", a.Secret}} {
		switch {
		case f.value == "":
			return f.name, "no " + f.name
		case len(f.value) > maxField:
			return f.name, fmt.Sprintf("a %s longer than %d bytes", f.name, maxField)
		case !printable(f.value):
			return f.name, fmt.Sprintf("a %s with a control or format character", f.name)
		}
	}
	if !a.Kind.Valid() {
		return "kind", fmt.Sprintf("a kind that is not %s, %s or %s", KindPlain, KindAuthorizationCode, KindWeb)
	}
	if p := callbackURLProblem(a.CallbackURL); p != "" {
		return "callbackUrl", p
	}
	return "", ""
}

// printable reports whether s is valid UTF-8 without control or format characters (such as the
// bidirectional overrides), line separators or other runes that hide or reorder text.
func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) && r != ' ' || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// validateApplications checks each application and that names and keys are unique. Its
// messages name an application by its name (quoted, so that no character of it can hide text)
// or its position, and never show a key or a secret.
func validateApplications(apps []Application) error {
	if len(apps) > MaxApplications {
		return fmt.Errorf("%d applications are more than %d", len(apps), MaxApplications)
	}
	names := make(map[string]bool, len(apps))
	keys := make(map[string]string, len(apps))
	for i, a := range apps {
		if p := a.problem(); p != "" {
			if a.Name == "" {
				return fmt.Errorf("application %d has %s", i+1, p)
			}
			return fmt.Errorf("application %q has %s", a.Name, p)
		}
		if names[a.Name] {
			return fmt.Errorf("two applications are named %q", a.Name)
		}
		if other, ok := keys[a.Key]; ok {
			return fmt.Errorf("applications %q and %q have the same key", other, a.Name)
		}
		names[a.Name] = true
		keys[a.Key] = a.Name
	}
	return nil
}

// DemoApplications returns the demo applications, one per kind, with fixed, well-known test
// credentials: they are printed when the sandbox command starts and used in the README's curl
// examples. They are public: never register them anywhere but an emulator.
//
//	name            key                                 secret                kind
//	demo-plain      l700000000000000000000000000000001  demo-plain-secret     plain
//	demo-authcode   l700000000000000000000000000000002  demo-authcode-secret  authorization-code
//	demo-web        l700000000000000000000000000000003  demo-web-secret       web
func DemoApplications() []Application {
	return []Application{
		{Name: "demo-plain", Key: "l700000000000000000000000000000001", Secret: "demo-plain-secret", Kind: KindPlain},
		{Name: "demo-authcode", Key: "l700000000000000000000000000000002", Secret: "demo-authcode-secret", Kind: KindAuthorizationCode},
		{Name: "demo-web", Key: "l700000000000000000000000000000003", Secret: "demo-web-secret", Kind: KindWeb},
	}
}

// ParseApplication parses an application written name:key:secret:kind, or
// name:key:secret:kind:callbackURL with an http or https callback URL, the form of the sandbox
// command's --app flag. The secret may contain colons; name, key and kind may not (a secret
// containing ":plain:http://" or the like would be read as the kind and the URL). Its errors say
// what is wrong but show no field, since the fields may be in the wrong order.
func ParseApplication(s string) (Application, error) {
	const form = "sandbox: an application is written name:key:secret:kind or name:key:secret:kind:callbackURL"
	s, callback := splitCallback(s)
	first := strings.IndexByte(s, ':')
	last := strings.LastIndexByte(s, ':')
	if first < 0 {
		return Application{}, errors.New(form)
	}
	second := strings.IndexByte(s[first+1:], ':')
	if second < 0 || first+1+second >= last {
		return Application{}, errors.New(form)
	}
	second += first + 1
	a := Application{Name: s[:first], Key: s[first+1 : second], Secret: s[second+1 : last], Kind: Kind(s[last+1:]), CallbackURL: callback}
	if p := a.problem(); p != "" {
		return Application{}, fmt.Errorf("%s, and this one has %s", form, p)
	}
	return a, nil
}

// splitCallback splits an --app value at the first ":http://" or ":https://" that follows a
// kind, into the application and its callback URL ("" when there is none).
func splitCallback(s string) (head, callback string) {
	for i := 0; i < len(s); i++ {
		if s[i] != ':' || !strings.HasPrefix(s[i+1:], "http://") && !strings.HasPrefix(s[i+1:], "https://") {
			continue
		}
		if k := strings.LastIndexByte(s[:i], ':'); k >= 0 && Kind(s[k+1:i]).Valid() {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

// applicationsFile is the layout of an applications file.
type applicationsFile struct {
	Applications []fileApplication `json:"applications" yaml:"applications"`
}

type fileApplication struct {
	Name        string `json:"name" yaml:"name"`
	Key         string `json:"key" yaml:"key"`
	Secret      string `json:"secret" yaml:"secret"`
	Kind        Kind   `json:"kind" yaml:"kind"`
	CallbackURL string `json:"callbackUrl" yaml:"callbackUrl"`
}

var yamlLine = regexp.MustCompile(`line \d+`)

// LoadApplications reads applications from a small YAML or JSON file (JSON when its first
// non-blank character is '{'):
//
//	applications:
//	  - name: shop
//	    key: l7b0a6c1a2b3c4d5e6f708192a3b4c5d6e
//	    secret: 4c6f2a0e9b8d7c6e
//	    kind: web          # plain, authorization-code or web
//	    callbackUrl: http://127.0.0.1:9000/scb/confirm   # optional: payment confirmations go here
//
// Unknown fields, missing values, unknown kinds and duplicate names or keys are errors, and so
// are fields longer than 256 bytes or with a control or format character. Error messages name
// the file (quoted) and the problem, never a key or a secret.
func LoadApplications(path string) ([]Application, error) {
	data, err := os.ReadFile(path)
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		err = pathErr.Err // its message would show the path unquoted
	}
	if err != nil {
		return nil, fmt.Errorf("sandbox: read applications file %q: %w", path, err)
	}
	var file applicationsFile
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&file); err != nil {
			// encoding/json's messages may quote a value (a secret): give the offset only.
			var syn *json.SyntaxError
			if errors.As(err, &syn) {
				return nil, fmt.Errorf("sandbox: applications file %q: invalid JSON at byte %d", path, syn.Offset)
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("sandbox: applications file %q: invalid JSON: it ends too early", path)
			}
			return nil, fmt.Errorf("sandbox: applications file %q: not the expected layout (an object with an \"applications\" list of name, key, secret, kind)", path)
		}
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&file); err != nil {
			// yaml's messages may quote a value (a secret): keep the line number only.
			where := ""
			if m := yamlLine.FindString(err.Error()); m != "" {
				where = " at " + m
			}
			return nil, fmt.Errorf("sandbox: applications file %q: invalid YAML or not the expected layout%s", path, where)
		}
	}
	if len(file.Applications) == 0 {
		return nil, fmt.Errorf("sandbox: applications file %q lists no applications", path)
	}
	apps := make([]Application, len(file.Applications))
	for i, fa := range file.Applications {
		apps[i] = Application(fa)
	}
	if err := validateApplications(apps); err != nil {
		return nil, fmt.Errorf("sandbox: applications file %q: %w", path, err)
	}
	return apps, nil
}
