package contract_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scboauth/scboauth/contract"
	"github.com/scboauth/scboauth/generated"
)

// fakeSCB is a small, faithful token server written from openapi.yaml for the engine's own
// tests: the broken variants are this server with one thing changed. It answers with the
// generated models so that its shapes are the spec's.
type fakeSCB struct {
	mu      sync.Mutex
	apps    map[string]fakeApp  // by key
	pending map[string]string   // callbackUrl -> key
	codes   map[string]fakeCode // authCode -> grant
	refresh map[string]string   // live refresh token -> key
	now     func() time.Time    // issue time
	next    func() string       // tokens
	seq     int
	extra   map[string]any // fields added to every success's data (drift)
}

type fakeApp struct {
	contract.Credentials
	kind string // plain, code, web
}

type fakeCode struct {
	key, state, challenge string
}

var fakeApps = struct{ Plain, AuthorizationCode, Web contract.Credentials }{
	Plain:             contract.Credentials{Key: "l7plain00000000000000000000000000", Secret: "plain-secret-value"},
	AuthorizationCode: contract.Credentials{Key: "l7code000000000000000000000000000", Secret: "code-secret-value"},
	Web:               contract.Credentials{Key: "l7web0000000000000000000000000000", Secret: "web-secret-value"},
}

func newFakeSCB() *fakeSCB {
	f := &fakeSCB{
		apps:    map[string]fakeApp{},
		pending: map[string]string{},
		codes:   map[string]fakeCode{},
		refresh: map[string]string{},
		now:     time.Now,
	}
	f.next = func() string { f.seq++; return fmt.Sprintf("fake-token-%08d", f.seq) }
	for kind, c := range map[string]contract.Credentials{"plain": fakeApps.Plain, "code": fakeApps.AuthorizationCode, "web": fakeApps.Web} {
		f.apps[c.Key] = fakeApp{c, kind}
	}
	return f
}

// emulator describes f for contract.Config.
func (f *fakeSCB) emulator() contract.Emulator { return fakeEmulator{f} }

// fakeEmulator is f as a contract.Emulator: its applications and its consent.
type fakeEmulator struct{ f *fakeSCB }

func (e fakeEmulator) Credentials(kind string) (key, secret string, ok bool) {
	c, ok := map[string]contract.Credentials{contract.KindPlain: fakeApps.Plain,
		contract.KindAuthorizationCode: fakeApps.AuthorizationCode, contract.KindWeb: fakeApps.Web}[kind]
	return c.Key, c.Secret, ok
}

func (e fakeEmulator) GrantConsent(_ context.Context, cb, state, challenge string) (string, error) {
	f := e.f
	f.mu.Lock()
	defer f.mu.Unlock()
	key, ok := f.pending[cb]
	if !ok {
		return "", errors.New("fake: unknown callbackUrl")
	}
	delete(f.pending, cb)
	code := f.next()
	f.codes[code] = fakeCode{key, state, challenge}
	return code, nil
}

var thai = map[string]string{"Success": "สำเร็จ"}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	_ = json.NewEncoder(&buf).Encode(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func fail(w http.ResponseWriter, status, code int, desc string) {
	writeJSON(w, status, generated.ErrorResponse{Status: generated.Status{Code: code, Description: desc}, Data: nil})
}

func (f *fakeSCB) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	want := map[string]string{"/v1/oauth/token": http.MethodPost, "/v1/oauth/token/refresh": http.MethodPost, "/v2/oauth/authorize": http.MethodGet}
	method, known := want[r.URL.Path]
	switch {
	case !known:
		fail(w, 404, 1104, "Requested entity record does not exist")
		return
	case r.Method != method:
		fail(w, 405, 9900, "Wrong http method requested on endpoint")
		return
	}
	if r.URL.Path == "/v2/oauth/authorize" {
		f.authorize(w, r)
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		fail(w, 415, 9900, "Unsupported content type defined")
		return
	}
	for _, h := range []string{"resourceOwnerId", "requestUId"} {
		if r.Header.Get(h) == "" {
			fail(w, 400, 9100, "Required standard headers ("+h+") not found")
			return
		}
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		fail(w, 400, 1102, "Invalid parameters entered")
		return
	}
	fields := map[string]bool{"applicationKey": true, "applicationSecret": true, "authCode": false, "state": false, "codeChallenge": false}
	if r.URL.Path == "/v1/oauth/token/refresh" {
		fields = map[string]bool{"applicationKey": true, "applicationSecret": true, "refreshToken": true}
	}
	str := map[string]string{}
	for k, v := range body {
		if _, ok := fields[k]; !ok {
			fail(w, 400, 1105, "Unrecognized field name was entered - Please check spelling and/or refer to the API docs for correct name")
			return
		}
		s, ok := v.(string)
		if !ok {
			fail(w, 400, 1102, "Invalid parameters entered")
			return
		}
		str[k] = s
	}
	for k, required := range fields {
		if _, ok := str[k]; required && !ok {
			fail(w, 400, 1101, "Missing required parameters")
			return
		}
	}
	for _, v := range str {
		if v == "" {
			fail(w, 400, 1103, "Empty string input not supported")
			return
		}
	}
	app, ok := f.apps[str["applicationKey"]]
	if !ok || app.Secret != str["applicationSecret"] {
		fail(w, 401, 9500, "Invalid authorization credentials")
		return
	}
	withRefresh := false
	switch {
	case r.URL.Path == "/v1/oauth/token/refresh":
		if app.kind == "plain" {
			fail(w, 403, 9503, "Invalid authorization method for current credentials")
			return
		}
		if f.refresh[str["refreshToken"]] != app.Key {
			fail(w, 401, 9300, "Invalid/expired temporary token")
			return
		}
		delete(f.refresh, str["refreshToken"])
		withRefresh = true
	case str["authCode"] != "":
		if app.kind == "plain" {
			fail(w, 403, 9503, "Invalid authorization method for current credentials")
			return
		}
		c, ok := f.codes[str["authCode"]]
		if !ok || c.key != app.Key {
			fail(w, 401, 9300, "Invalid authorization code")
			return
		}
		if app.kind == "web" && (str["codeChallenge"] != c.challenge || str["state"] != c.state) {
			fail(w, 401, 9300, "This application requires codeChallenge verification")
			return
		}
		delete(f.codes, str["authCode"])
		withRefresh = true
	}
	now := f.now()
	data := map[string]any{"accessToken": f.next(), "tokenType": "Bearer", "expiresIn": 1800, "expiresAt": now.Unix() + 1800}
	if withRefresh {
		rt := f.next()
		f.refresh[rt] = app.Key
		data["refreshToken"], data["refreshExpiresIn"], data["refreshExpiresAt"] = rt, 3600, now.Unix()+3600
	}
	for k, v := range f.extra {
		data[k] = v
	}
	desc := "Success"
	if strings.EqualFold(r.Header.Get("accept-language"), "TH") {
		desc = thai[desc]
	}
	w.Header().Set("resourceOwnerId", r.Header.Get("resourceOwnerId"))
	w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
	writeJSON(w, 200, map[string]any{"status": generated.Status{Code: 1000, Description: desc}, "data": data})
}

func (f *fakeSCB) authorize(w http.ResponseWriter, r *http.Request) {
	for _, h := range []string{"apikey", "apisecret"} {
		if r.Header.Get(h) == "" {
			fail(w, 401, 9100, "Authorization credentials required")
			return
		}
	}
	for _, h := range []string{"resourceOwnerId", "requestUId", "response-channel", "endState"} {
		if r.Header.Get(h) == "" {
			fail(w, 400, 9100, "Required standard headers ("+h+") not found")
			return
		}
	}
	if ch, end := r.Header.Get("response-channel"), r.Header.Get("endState"); (ch != "mobile" && ch != "mobile_mma") || (end != "mobile_app" && end != "mobile_web") {
		fail(w, 400, 1102, "Invalid parameters entered")
		return
	}
	app, ok := f.apps[r.Header.Get("apikey")]
	switch {
	case !ok:
		fail(w, 401, 9500, "Invalid apikey provided")
		return
	case app.Secret != r.Header.Get("apisecret"):
		fail(w, 401, 9500, "Invalid authorization credentials")
		return
	case app.Key == fakeApps.Plain.Key:
		fail(w, 403, 9503, "Invalid authorization method for current credentials")
		return
	}
	cb := "scbeasysim://login/" + f.next()
	f.pending[cb] = app.Key
	writeJSON(w, 200, generated.CallbackResponse{Status: generated.Status{Code: 1000, Description: "Success"}, Data: generated.Callback{CallbackUrl: cb}})
}

// captured is a response a mutation may change before it goes on the wire.
type captured struct {
	req    *http.Request
	status int
	header http.Header
	body   []byte
}

// json edits the body as a JSON object; it does nothing to a body that is not one.
func (c *captured) json(edit func(m map[string]any)) {
	var m map[string]any
	if err := json.Unmarshal(c.body, &m); err != nil {
		return
	}
	edit(m)
	c.body, _ = json.Marshal(m)
}

func (c *captured) data(edit func(d map[string]any)) {
	c.json(func(m map[string]any) {
		if d, ok := m["data"].(map[string]any); ok {
			edit(d)
		}
	})
}

func (c *captured) isTokenSuccess() bool {
	return c.status == 200 && strings.HasPrefix(c.req.URL.Path, "/v1/oauth/token")
}

// mutate serves h, then lets edit change the answer before it is written.
func mutate(h http.Handler, edit func(c *captured)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		c := &captured{req: r, status: rec.Code, header: rec.Header().Clone(), body: rec.Body.Bytes()}
		edit(c)
		for k, v := range c.header {
			w.Header()[k] = v
		}
		if c.header.Get("Content-Length") == "" {
			w.Header().Set("Content-Length", strconv.Itoa(len(c.body)))
		}
		w.WriteHeader(c.status)
		_, _ = w.Write(c.body)
	})
}

// serve serves h on a loopback port until the test ends and returns its URL.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// checkAgainst runs the catalogue against h served on a loopback port, as an emulator target.
func checkAgainst(t *testing.T, f *fakeSCB, h http.Handler, strict bool) *contract.Report {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	rep, err := contract.Run(context.Background(), contract.Config{BaseURL: srv.URL, Emulator: f.emulator(), Strict: strict, Timeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}
