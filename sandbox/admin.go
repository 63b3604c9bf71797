package sandbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed" // admin.yaml
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	adminapi "github.com/scboauth/scboauth/generated/admin"
)

//go:embed admin.yaml
var adminSpec []byte

// AdminOpenAPI returns the admin API's OpenAPI document (sandbox/admin.yaml), which GET
// /sandbox/v1/openapi.yaml serves too.
func AdminOpenAPI() []byte { return slices.Clone(adminSpec) }

// AdminHandler returns the admin API (sandbox/admin.yaml) on its own, whether or not WithAdmin
// serves it on the Server's handler: serve it on another address than SCB's paths. It answers
// the consent endpoint too, and an admin 404 for every other path. With WithAdminToken, every
// call but the consent needs the token.
func (s *Server) AdminHandler() http.Handler { return s.adminAPI }

// maxAdminBody bounds the body of an admin call.
const maxAdminBody = 64 << 10

// adminRoutes returns the admin API: the generated router, with the admin token's guard and
// the admin API's own 404 and 405.
func (s *Server) adminRoutes() http.Handler {
	mux := http.NewServeMux()
	adminapi.HandlerWithOptions(adminServer{s}, adminapi.StdHTTPServerOptions{
		BaseRouter:       mux,
		ErrorHandlerFunc: adminParamError,
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
			if _, pattern := mux.Handler(&http.Request{Method: m, URL: r.URL, Host: r.Host}); pattern != "/" {
				allow = append(allow, m)
			}
		}
		if len(allow) == 0 {
			writeAdminError(w, http.StatusNotFound, "no such admin path (see GET "+adminPrefix+"openapi.yaml)", "")
			return
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeAdminError(w, http.StatusMethodNotAllowed, "this admin path answers "+strings.Join(allow, ", "), "")
	})
	return s.guard(mux)
}

// guard checks the admin token of every call but the consent, and logs admin calls at level
// Debug: they are never in the request log.
func (s *Server) guard(next http.Handler) http.Handler {
	want := sha256.Sum256([]byte("Bearer " + s.token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path.Clean(r.URL.Path) || r.URL.Path == "" {
			// The mux would redirect to the clean path; no admin path is unclean.
			writeAdminError(w, http.StatusNotFound, "no such admin path (see GET "+adminPrefix+"openapi.yaml)", "")
			return
		}
		if s.token != "" && r.URL.Path != pathConsent {
			got := sha256.Sum256([]byte(r.Header.Get("Authorization")))
			if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="scboauth-sandbox"`)
				writeAdminError(w, http.StatusUnauthorized, "this emulator's admin API needs its token: Authorization: Bearer <token>", "Authorization")
				s.logAdmin(r, http.StatusUnauthorized)
				return
			}
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		if r.URL.Path != pathConsent {
			s.logAdmin(r, sw.status)
		}
	})
}

func (s *Server) logAdmin(r *http.Request, status int) {
	if s.logger == nil || !s.logger.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	s.logger.LogAttrs(context.Background(), slog.LevelDebug, "admin",
		slog.String("method", logText(r.Method, 16)), slog.String("path", logText(r.URL.Path, 128)), slog.Int("status", status))
}

// statusWriter records the status of an admin answer.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(status int) {
	if !w.wrote {
		w.status, w.wrote = status, true
	}
	w.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ValidAdminToken reports whether token is MinAdminTokenBytes to 256 bytes of printable ASCII
// without spaces.
func ValidAdminToken(token string) bool {
	if len(token) < MinAdminTokenBytes || len(token) > 256 {
		return false
	}
	for i := 0; i < len(token); i++ {
		if c := token[i]; c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// writeAdminJSON writes v as the JSON answer of an admin call.
func writeAdminJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":"the answer does not encode"}`)
	}
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// writeAdminError writes an admin error; field names the parameter or body field at fault.
func writeAdminError(w http.ResponseWriter, status int, msg, field string) {
	e := adminapi.Error{Error: msg}
	if field != "" {
		f := logText(field, 64)
		e.Field = &f
	}
	writeAdminJSON(w, status, e)
}

// adminParamError answers the generated router's parameter errors.
func adminParamError(w http.ResponseWriter, _ *http.Request, err error) {
	var format *adminapi.InvalidParamFormatError
	var many *adminapi.TooManyValuesForParamError
	switch {
	case errors.As(err, &format):
		writeAdminError(w, http.StatusBadRequest, "a parameter is not of its type", format.ParamName)
	case errors.As(err, &many):
		writeAdminError(w, http.StatusBadRequest, "a parameter is given more than once", many.ParamName)
	default:
		writeAdminError(w, http.StatusBadRequest, "a parameter is invalid", "")
	}
}

// decodeAdminBody decodes the JSON body of an admin call into v: an object of v's fields and
// nothing else. It answers the error and returns false when it cannot.
func decodeAdminBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if !isJSON(r.Header.Get("Content-Type")) {
		writeAdminError(w, http.StatusUnsupportedMediaType, "the body must be application/json", "Content-Type")
		return false
	}
	body, err := readBody(r.Body, nil, maxAdminBody)
	if err != nil {
		writeAdminError(w, http.StatusBadRequest, fmt.Sprintf("the body is unreadable or over %d bytes", maxAdminBody), "")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	if err == nil && bytes.TrimSpace(body)[0] != '{' {
		err = errors.New("not an object")
	}
	if err != nil {
		field, msg := "", "the body is not a JSON object of the documented fields"
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr):
			field, msg = typeErr.Field, "a field is of the wrong type"
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field, msg = strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "an unknown field"
		}
		writeAdminError(w, http.StatusBadRequest, msg, field)
		return false
	}
	return true
}

// adminServer implements the generated admin interface on the Server's Go API.
type adminServer struct{ s *Server }

var _ adminapi.ServerInterface = adminServer{}

func (a adminServer) GetHealth(w http.ResponseWriter, _ *http.Request) {
	writeAdminJSON(w, http.StatusOK, adminapi.Health{Service: adminapi.ScboauthSandbox, Status: adminapi.Ok,
		Strict: a.s.strict, Admin: true, Now: a.s.now().UTC()})
}

func (a adminServer) GetAdminSpec(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(adminSpec)
}

func (a adminServer) GrantConsent(w http.ResponseWriter, r *http.Request) { a.s.ServeHTTP(w, r) }

func (a adminServer) ResetState(w http.ResponseWriter, _ *http.Request) {
	c := a.s.ResetState()
	writeAdminJSON(w, http.StatusOK, adminapi.Reset{AccessTokens: c.AccessTokens, RefreshTokens: c.RefreshTokens,
		Codes: c.Codes, Consents: c.Consents, FaultRules: c.FaultRules, Requests: c.Requests, Deliveries: c.Deliveries})
}

func (a adminServer) ListRequests(w http.ResponseWriter, _ *http.Request, p adminapi.ListRequestsParams) {
	f := RequestFilter{Path: deref(p.Path), Application: deref(p.Application), RequestUID: deref(p.RequestUId)}
	if p.Status != nil {
		if *p.Status < 100 || *p.Status > 599 {
			writeAdminError(w, http.StatusBadRequest, "status must be an HTTP status, 100 to 599", "status")
			return
		}
		f.Status = *p.Status
	}
	if p.Limit != nil {
		if *p.Limit < 1 || *p.Limit > MaxRequestLogSize {
			writeAdminError(w, http.StatusBadRequest, fmt.Sprintf("limit must be between 1 and %d", MaxRequestLogSize), "limit")
			return
		}
		f.Limit = *p.Limit
	}
	if p.Kind != nil {
		if !p.Kind.Valid() {
			writeAdminError(w, http.StatusBadRequest, "kind must be scb, consent or delivery", "kind")
			return
		}
		f.Kind = RequestKind(*p.Kind)
	}
	for _, v := range []struct{ name, value string }{{"path", f.Path}, {"application", f.Application}, {"requestUId", f.RequestUID}} {
		if len(v.value) > 256 {
			writeAdminError(w, http.StatusBadRequest, "a filter is at most 256 bytes", v.name)
			return
		}
	}
	entries, dropped := a.s.Requests(f)
	out := adminapi.RequestLog{Requests: make([]adminapi.RequestEntry, len(entries)), Dropped: dropped}
	for i, e := range entries {
		out.Requests[i] = adminapi.RequestEntry{Seq: e.Seq, Time: e.Time.UTC(), Kind: adminapi.RequestKind(e.Kind),
			Method: e.Method, Path: e.Path, RequestUId: e.RequestUID, Status: e.Status, Code: e.Code,
			Application: orNil(e.Application), Fault: orNil(e.Fault), Detail: orNil(e.Detail),
			LatencyMs: float64(e.Latency) / float64(time.Millisecond), Delivery: orNil(e.Delivery)}
	}
	writeAdminJSON(w, http.StatusOK, out)
}

func (a adminServer) ListApplications(w http.ResponseWriter, _ *http.Request) {
	apps := a.s.apps.Load().list
	out := adminapi.ApplicationList{Applications: make([]adminapi.Application, len(apps))}
	for i, app := range apps {
		out.Applications[i] = adminApplication(app)
	}
	writeAdminJSON(w, http.StatusOK, out)
}

func (a adminServer) RegisterApplication(w http.ResponseWriter, r *http.Request) {
	var in adminapi.NewApplication
	if !decodeAdminBody(w, r, &in) {
		return
	}
	app := Application{Name: in.Name, Key: in.Key, Secret: deref(in.Secret), Kind: Kind(in.Kind), CallbackURL: deref(in.CallbackUrl)}
	err := a.s.RegisterApplication(app)
	var invalid *ApplicationError
	switch {
	case errors.As(err, &invalid):
		writeAdminError(w, http.StatusBadRequest, "the application has "+invalid.Problem, invalid.Field)
	case err != nil:
		writeAdminError(w, http.StatusConflict, strings.TrimPrefix(err.Error(), "sandbox: "), "")
	default:
		writeAdminJSON(w, http.StatusCreated, adminapi.Application{Name: app.Name, Key: app.Key, Kind: adminapi.Kind(app.Kind),
			CallbackUrl: orNil(shownURL(app.CallbackURL))})
	}
}

func (a adminServer) DeleteApplication(w http.ResponseWriter, _ *http.Request, name string) {
	if err := a.s.RemoveApplication(name); err != nil {
		writeAdminError(w, http.StatusNotFound, "no application of that name", "name")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a adminServer) ListFaults(w http.ResponseWriter, _ *http.Request) {
	rules := a.s.FaultRules()
	out := adminapi.FaultRuleList{Rules: make([]adminapi.FaultRule, len(rules))}
	for i, fr := range rules {
		out.Rules[i] = adminRule(fr)
	}
	writeAdminJSON(w, http.StatusOK, out)
}

func adminRule(fr FaultRule) adminapi.FaultRule {
	out := adminapi.FaultRule{Id: fr.ID, Fault: adminapi.Fault(fr.Fault), Fired: fr.Fired,
		Path: orNil(fr.Path), Application: orNil(fr.Application)}
	if fr.Count > 0 {
		out.Count = &fr.Count
	}
	if fr.Probability > 0 {
		out.Probability = &fr.Probability
	}
	return out
}

func (a adminServer) AddFault(w http.ResponseWriter, r *http.Request) {
	var in adminapi.NewFaultRule
	if !decodeAdminBody(w, r, &in) {
		return
	}
	fr := FaultRule{Fault: string(in.Fault), Application: deref(in.Application)}
	if in.Path != nil {
		fr.Path = string(*in.Path)
	}
	if in.Count != nil {
		if *in.Count < 1 || *in.Count > MaxFaultCount {
			writeAdminError(w, http.StatusBadRequest, fmt.Sprintf("count must be between 1 and %d (absent: no limit)", MaxFaultCount), "count")
			return
		}
		fr.Count = *in.Count
	}
	if in.Probability != nil {
		if !(*in.Probability > 0 && *in.Probability <= 1) {
			writeAdminError(w, http.StatusBadRequest, "probability must be above 0 and at most 1 (absent: every request)", "probability")
			return
		}
		fr.Probability = *in.Probability
	}
	if in.Application != nil && *in.Application == "" {
		writeAdminError(w, http.StatusBadRequest, "application must not be empty (absent: any application)", "application")
		return
	}
	added, err := a.s.AddFaultRule(fr)
	var fe *FaultRuleError
	if errors.As(err, &fe) {
		writeAdminError(w, http.StatusBadRequest, fe.Reason, fe.Field)
		return
	}
	writeAdminJSON(w, http.StatusCreated, adminRule(added))
}

func (a adminServer) ClearFaults(w http.ResponseWriter, _ *http.Request) {
	writeAdminJSON(w, http.StatusOK, adminapi.Cleared{Cleared: a.s.ClearFaultRules()})
}

func (a adminServer) clock() adminapi.Clock {
	return adminapi.Clock{Now: a.s.now().UTC(), OffsetSeconds: int64(a.s.ClockOffset() / time.Second)}
}

func (a adminServer) GetClock(w http.ResponseWriter, _ *http.Request) {
	writeAdminJSON(w, http.StatusOK, a.clock())
}

func (a adminServer) AdvanceClock(w http.ResponseWriter, r *http.Request) {
	var in adminapi.ClockAdvance
	if !decodeAdminBody(w, r, &in) {
		return
	}
	var d time.Duration
	switch {
	case (in.Advance == nil) == (in.Seconds == nil):
		writeAdminError(w, http.StatusBadRequest, "give exactly one of advance (a duration such as 31m) and seconds", "advance")
		return
	case in.Advance != nil:
		parsed, err := time.ParseDuration(*in.Advance)
		if err != nil || len(*in.Advance) > 64 {
			writeAdminError(w, http.StatusBadRequest, "advance is not a duration such as 31m or 1h30m", "advance")
			return
		}
		d = parsed
	case *in.Seconds < 1 || *in.Seconds > int64(MaxLifetime/time.Second):
		writeAdminError(w, http.StatusBadRequest, fmt.Sprintf("seconds must be between 1 and %d", int64(MaxLifetime/time.Second)), "seconds")
		return
	default:
		d = time.Duration(*in.Seconds) * time.Second
	}
	if _, err := a.s.AdvanceClock(d); err != nil {
		field := "advance"
		if in.Seconds != nil {
			field = "seconds"
		}
		writeAdminError(w, http.StatusBadRequest, strings.TrimPrefix(err.Error(), "sandbox: "), field)
		return
	}
	writeAdminJSON(w, http.StatusOK, a.clock())
}

func (a adminServer) IntrospectToken(w http.ResponseWriter, r *http.Request) {
	var in adminapi.IntrospectionRequest
	if !decodeAdminBody(w, r, &in) {
		return
	}
	if in.Token == "" || len(in.Token) > 4096 {
		writeAdminError(w, http.StatusBadRequest, "token must be 1 to 4096 bytes", "token")
		return
	}
	info := a.s.Introspect(in.Token)
	out := adminapi.Introspection{Active: info.Active}
	if info.Active {
		kind, at := adminapi.IntrospectionKind(info.Kind), info.ExpiresAt.Unix()
		out.Kind, out.Application, out.ExpiresAt = &kind, &info.Application, &at
		out.ResourceOwnerId = orNil(info.ResourceOwnerID)
	}
	writeAdminJSON(w, http.StatusOK, out)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// orNil returns a pointer to s, or nil when s is empty (an absent optional field).
func orNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
