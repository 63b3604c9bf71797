package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"

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
type Application struct {
	Name   string // a label for logs and the start banner
	Key    string // the API key, sent as applicationKey or the apikey header
	Secret string // the API secret, sent as applicationSecret or the apisecret header
	Kind   Kind   // the grants it may use
}

// String returns the application with its secret redacted.
func (a Application) String() string {
	return fmt.Sprintf("{Name:%s Key:%s Secret:%s Kind:%s}", a.Name, a.Key, a.redactedSecret(), a.Kind)
}

// GoString returns a Go-syntax representation of the application with its secret redacted.
func (a Application) GoString() string {
	return fmt.Sprintf("sandbox.Application{Name:%q, Key:%q, Secret:%q, Kind:%q}", a.Name, a.Key, a.redactedSecret(), string(a.Kind))
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
		Name   string `json:"name"`
		Key    string `json:"key"`
		Secret string `json:"secret"`
		Kind   Kind   `json:"kind"`
	}{a.Name, a.Key, a.redactedSecret(), a.Kind})
}

// LogValue implements slog.LogValuer: the application as a group without its secret.
func (a Application) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", a.Name),
		slog.String("key", a.Key),
		slog.String("secret", a.redactedSecret()),
		slog.String("kind", string(a.Kind)),
	)
}

func (a Application) redactedSecret() string {
	if a.Secret == "" {
		return ""
	}
	return redacted
}

// validate reports the first problem of a; its messages never contain the secret.
func (a Application) validate() error {
	switch {
	case a.Name == "":
		return errors.New("an application needs a name")
	case a.Key == "":
		return fmt.Errorf("application %q needs a key", a.Name)
	case a.Secret == "":
		return fmt.Errorf("application %q needs a secret", a.Name)
	case !a.Kind.Valid():
		return fmt.Errorf("application %q: kind %q is not one of %s, %s, %s", a.Name, a.Kind, KindPlain, KindAuthorizationCode, KindWeb)
	}
	return nil
}

// validateApplications checks each application and that names and keys are unique.
func validateApplications(apps []Application) error {
	names := make(map[string]bool, len(apps))
	keys := make(map[string]string, len(apps))
	for _, a := range apps {
		if err := a.validate(); err != nil {
			return err
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

// ParseApplication parses an application written name:key:secret:kind, the form of the
// sandbox command's --app flag. The secret may contain colons; name, key and kind may not.
func ParseApplication(s string) (Application, error) {
	first := strings.IndexByte(s, ':')
	last := strings.LastIndexByte(s, ':')
	if first < 0 {
		return Application{}, errors.New("sandbox: an application is written name:key:secret:kind")
	}
	second := strings.IndexByte(s[first+1:], ':')
	if second < 0 || first+1+second >= last {
		return Application{}, errors.New("sandbox: an application is written name:key:secret:kind")
	}
	second += first + 1
	a := Application{Name: s[:first], Key: s[first+1 : second], Secret: s[second+1 : last], Kind: Kind(s[last+1:])}
	if err := a.validate(); err != nil {
		return Application{}, fmt.Errorf("sandbox: %w", err)
	}
	return a, nil
}

// applicationsFile is the layout of an applications file.
type applicationsFile struct {
	Applications []fileApplication `json:"applications" yaml:"applications"`
}

type fileApplication struct {
	Name   string `json:"name" yaml:"name"`
	Key    string `json:"key" yaml:"key"`
	Secret string `json:"secret" yaml:"secret"`
	Kind   Kind   `json:"kind" yaml:"kind"`
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
//
// Unknown fields, missing values, unknown kinds and duplicate names or keys are errors. Error
// messages name the file and the problem, never a secret.
func LoadApplications(path string) ([]Application, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sandbox: read applications: %w", err)
	}
	var file applicationsFile
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&file); err != nil {
			// encoding/json's messages may quote a value (a secret): give the offset only.
			var syn *json.SyntaxError
			if errors.As(err, &syn) {
				return nil, fmt.Errorf("sandbox: applications file %s: invalid JSON at byte %d", path, syn.Offset)
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("sandbox: applications file %s: invalid JSON: it ends too early", path)
			}
			return nil, fmt.Errorf("sandbox: applications file %s: not the expected layout (an object with an \"applications\" list of name, key, secret, kind)", path)
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
			return nil, fmt.Errorf("sandbox: applications file %s: invalid YAML or not the expected layout%s", path, where)
		}
	}
	if len(file.Applications) == 0 {
		return nil, fmt.Errorf("sandbox: applications file %s lists no applications", path)
	}
	apps := make([]Application, len(file.Applications))
	for i, fa := range file.Applications {
		apps[i] = Application(fa)
	}
	if err := validateApplications(apps); err != nil {
		return nil, fmt.Errorf("sandbox: applications file %s: %w", path, err)
	}
	return apps, nil
}
