package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/scboauth/scboauth/generated/embedded"
)

// Spec is openapi.yaml compiled for checking: the document embedded in package generated,
// loaded once, with a router built once. It is safe for concurrent use.
//
// Paths given to its methods are relative to the target's base URL (for SCB's sandbox,
// https://api-sandbox.partners.scb/partners/sandbox): the document's servers are SCB's hosts,
// and the same Spec checks the emulator on a loopback port.
type Spec struct {
	doc         *openapi3.T
	router      routers.Router
	ops         map[*openapi3.Operation]*opCheck
	wrongMethod map[string]*opCheck // by path: the path's 405 response
	notFound    *opCheck            // components.responses.NotFound, for paths the spec does not serve
}

// opCheck holds the routes one operation's answers are validated with.
type opCheck struct {
	name  string // createToken, or "unknown path", or "wrong method on /v1/oauth/token"
	route *routers.Route
	// body validates the status and the body: the operation's responses without their headers,
	// so that a header error does not hide the body's errors (ValidateResponse stops at the
	// first header error).
	body *routers.Route
	// headers validate one declared response header each (responses without content).
	headers []*routers.Route
}

var loadSpec = sync.OnceValues(func() (*Spec, error) {
	doc, err := embedded.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("contract: load openapi.yaml: %w", err)
	}
	return newSpec(doc)
})

// LoadSpec returns the compiled openapi.yaml. The document is loaded and its router built on the
// first call only.
func LoadSpec() (*Spec, error) { return loadSpec() }

func newSpec(doc *openapi3.T) (*Spec, error) {
	// Route on the path relative to the target's base URL: the servers are SCB's hosts.
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("contract: build router: %w", err)
	}
	s := &Spec{doc: doc, router: router, ops: map[*openapi3.Operation]*opCheck{}, wrongMethod: map[string]*opCheck{}}
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		var r405 *openapi3.ResponseRef
		for _, method := range sortedMethods(item) {
			op := item.GetOperation(method)
			s.ops[op] = newOpCheck(doc, op.OperationID, path, item, method, op)
			if r := op.Responses.Status(http.StatusMethodNotAllowed); r != nil && r405 == nil {
				r405 = r
			}
		}
		if r405 != nil {
			op := &openapi3.Operation{OperationID: "wrong method", Responses: openapi3.NewResponses(openapi3.WithStatus(http.StatusMethodNotAllowed, r405))}
			s.wrongMethod[path] = newOpCheck(doc, "wrong method on "+path, path, item, "", op)
		}
	}
	nf := doc.Components.Responses["NotFound"]
	if nf == nil {
		return nil, errors.New("contract: openapi.yaml has no components.responses.NotFound")
	}
	op := &openapi3.Operation{OperationID: "unknown path", Responses: openapi3.NewResponses(openapi3.WithStatus(http.StatusNotFound, nf))}
	s.notFound = newOpCheck(doc, "unknown path", "", &openapi3.PathItem{}, "", op)
	return s, nil
}

func sortedMethods(item *openapi3.PathItem) []string {
	var ms []string
	for m := range item.Operations() {
		ms = append(ms, m)
	}
	slices.Sort(ms)
	return ms
}

func newOpCheck(doc *openapi3.T, name, path string, item *openapi3.PathItem, method string, op *openapi3.Operation) *opCheck {
	route := func(o *openapi3.Operation) *routers.Route {
		return &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: o}
	}
	oc := &opCheck{name: name, route: route(op)}

	bodyOnly := openapi3.NewResponses()
	var headerNames []string
	for code, ref := range op.Responses.Map() {
		r := *ref.Value
		for h := range r.Headers {
			if !slices.Contains(headerNames, h) {
				headerNames = append(headerNames, h)
			}
		}
		r.Headers = nil
		bodyOnly.Set(code, &openapi3.ResponseRef{Value: &r})
	}
	bodyOp := *op
	bodyOp.Responses = bodyOnly
	oc.body = route(&bodyOp)

	slices.Sort(headerNames)
	for _, h := range headerNames {
		only := openapi3.NewResponses()
		for code, ref := range op.Responses.Map() {
			r := openapi3.Response{Description: ref.Value.Description}
			if hr, ok := ref.Value.Headers[h]; ok {
				r.Headers = openapi3.Headers{h: hr}
			}
			only.Set(code, &openapi3.ResponseRef{Value: &r})
		}
		hOp := *op
		hOp.Responses = only
		oc.headers = append(oc.headers, route(&hOp))
	}
	return oc
}

// resolve returns the checks for a request to method and path (relative to the base URL).
func (s *Spec) resolve(method, path string) *opCheck {
	req := &http.Request{Method: method, URL: &url.URL{Path: path}}
	route, _, err := s.router.FindRoute(req)
	if err == nil {
		if oc := s.ops[route.Operation]; oc != nil {
			return oc
		}
	}
	var re *routers.RouteError
	if errors.As(err, &re) && re.Reason == routers.ErrMethodNotAllowed.Error() {
		if oc := s.wrongMethod[path]; oc != nil {
			return oc
		}
	}
	return s.notFound
}

// Operation names what a request to method and path resolves to: an operationId such as
// "createToken", "unknown path", or "wrong method on /v1/oauth/token".
func (s *Spec) Operation(method, path string) string { return s.resolve(method, path).name }

var validationOptions = &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true}
var headerOptions = &openapi3filter.Options{MultiError: true}
var headOptions = &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true, ExcludeResponseBody: true}

// ValidateResponse checks one response, as received on the wire, against the operation its
// request (method and path relative to the base URL) resolves to. Unknown paths are checked
// against components.responses.NotFound, wrong methods against the path's 405 response. It
// reports an undocumented status, every schema error of the body (not only the first) and of
// the declared headers, a body that is not JSON, and, as warnings, fields the spec does not
// declare (drift).
func (s *Spec) ValidateResponse(method, path string, status int, header http.Header, body []byte) []Finding {
	fs, _ := s.validateResponse(s.resolve(method, path), method, status, header, body)
	return fs
}

// validateResponse also returns the decoded body (json.Number for numbers), nil when the body
// is not JSON.
func (s *Spec) validateResponse(oc *opCheck, method string, status int, header http.Header, body []byte) ([]Finding, any) {
	var fs []Finding
	options := validationOptions
	if head := method == http.MethodHead; head || method == "" {
		// ValidateResponse skips HEAD entirely; the method plays no other role. An answer to
		// HEAD has no body, so only its status and headers are checked.
		method = http.MethodGet
		if head {
			options, body = headOptions, nil
		}
	}
	reqIn := &openapi3filter.RequestValidationInput{Request: &http.Request{Method: method, URL: &url.URL{}}, Route: oc.body}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: reqIn,
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                options,
	}
	documented := true
	// ValidateResponse never validates 301, 304, 307 and 308 answers; the spec documents none.
	if skipped := status == http.StatusMovedPermanently || status == http.StatusNotModified ||
		status == http.StatusTemporaryRedirect || status == http.StatusPermanentRedirect; skipped &&
		oc.route.Operation.Responses.Status(status) == nil && oc.route.Operation.Responses.Default() == nil {
		return append(fs, errorf(RuleStatus, pathStatus, "HTTP %d is not documented for %s (documented: %s)", status, oc.name, documentedStatuses(oc.route.Operation))), nil
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		var re *openapi3filter.ResponseError
		switch {
		case errors.As(err, &re) && re.Reason == "status is not supported":
			documented = false
			fs = append(fs, errorf(RuleStatus, pathStatus, "HTTP %d is not documented for %s (documented: %s)", status, oc.name, documentedStatuses(oc.route.Operation)))
		case errors.As(err, &re) && strings.HasPrefix(re.Reason, "response header Content-Type has unexpected value"):
			ct := header.Get("Content-Type")
			if ct == "" {
				fs = append(fs, errorf(RuleSchema, headerPath("Content-Type"), "missing; HTTP %d of %s is documented as application/json", status, oc.name))
			} else {
				fs = append(fs, errorf(RuleSchema, headerPath("Content-Type"), "%q is not documented for HTTP %d of %s (want application/json)", ct, status, oc.name))
			}
		case errors.As(err, &re) && re.Reason == "failed to decode response body":
			fs = append(fs, errorf(RuleSchema, pathBody, "body is not valid JSON: %s", jsonErrorText(body)))
		case errors.As(err, &re) && strings.HasPrefix(re.Reason, "response body doesn't match schema"):
			fs = appendSchemaErrors(fs, nil, re.Err)
		default:
			fs = append(fs, errorf(RuleSchema, pathBody, "%s", safeReason(err)))
		}
	}
	if documented {
		for _, hr := range oc.headers {
			hin := *in
			hin.RequestValidationInput = &openapi3filter.RequestValidationInput{Request: reqIn.Request, Route: hr}
			hin.Body = io.NopCloser(bytes.NewReader(nil))
			hin.Options = headerOptions
			if err := openapi3filter.ValidateResponse(context.Background(), &hin); err != nil {
				fs = append(fs, headerFindings(err)...)
			}
		}
	}

	value, ok := decodeJSON(body)
	if !ok || options == headOptions {
		return fs, nil
	}
	if documented {
		if schema := responseSchema(oc.route.Operation, status, header.Get("Content-Type")); schema != nil {
			fs = appendDrift(fs, nil, value, []*openapi3.Schema{schema})
		}
	}
	if status >= 400 {
		if obj, ok := value.(map[string]any); ok {
			if d, present := obj["data"]; present && d != nil {
				fs = append(fs, warnf(RuleDrift, "$.data", "data is %s on an error; the spec expects null or absent", jsonKind(d)))
			}
		}
	}
	return fs, value
}

// ValidateRequest checks a request the catalogue sends (method and path relative to the base
// URL) against the spec: parameters, content type and body, every error reported. A path or
// method the spec does not serve is a finding too.
func (s *Spec) ValidateRequest(method, path string, header http.Header, body []byte) []Finding {
	oc := s.resolve(method, path)
	if oc == s.notFound || strings.HasPrefix(oc.name, "wrong method") {
		return []Finding{errorf(RuleRequest, "request line", "%s %s is not an operation of the spec (%s)", method, path, oc.name)}
	}
	req, err := http.NewRequest(method, "http://target"+path, bytes.NewReader(body))
	if err != nil {
		return []Finding{errorf(RuleRequest, "request line", "cannot build request: %v", err)}
	}
	req.Header = header.Clone()
	in := &openapi3filter.RequestValidationInput{
		Request: req,
		Route:   oc.route,
		Options: &openapi3filter.Options{MultiError: true},
	}
	err = openapi3filter.ValidateRequest(context.Background(), in)
	return requestFindings(nil, err)
}

func requestFindings(fs []Finding, err error) []Finding {
	switch e := err.(type) {
	case nil:
		return fs
	case openapi3.MultiError:
		for _, x := range e {
			fs = requestFindings(fs, x)
		}
		return fs
	case *openapi3filter.RequestError:
		if e.Parameter != nil {
			path := e.Parameter.In + " " + e.Parameter.Name
			if leaves := schemaLeaves(nil, e.Err); len(leaves) > 0 {
				for _, l := range leaves {
					fs = append(fs, errorf(RuleRequest, path, "%s", leafReason(l)))
				}
				return fs
			}
			return append(fs, errorf(RuleRequest, path, "%s", requestReason(e)))
		}
		if leaves := schemaLeaves(nil, e.Err); len(leaves) > 0 {
			for _, l := range leaves {
				fs = append(fs, errorf(RuleRequest, jsonPath(l.JSONPointer()), "%s", leafReason(l)))
			}
			return fs
		}
		return append(fs, errorf(RuleRequest, pathBody, "%s", requestReason(e)))
	default:
		return append(fs, errorf(RuleRequest, pathBody, "%s", safeReason(err)))
	}
}

func requestReason(e *openapi3filter.RequestError) string {
	var pe *openapi3filter.ParseError
	switch {
	case errors.Is(e.Err, openapi3filter.ErrInvalidRequired):
		return "required but missing"
	case errors.As(e.Err, &pe):
		return strings.TrimPrefix(e.Reason+": "+pe.Reason, ": ")
	case e.Reason != "":
		return e.Reason
	case e.Err != nil:
		return e.Err.Error()
	}
	return "invalid"
}

// appendSchemaErrors turns a (multi) schema error into one finding per leaf error, each with
// the JSON path of the offending value. prefix is prepended to the paths.
func appendSchemaErrors(fs []Finding, prefix []string, err error) []Finding {
	leaves := schemaLeaves(nil, err)
	if len(leaves) == 0 {
		return append(fs, errorf(RuleSchema, jsonPath(prefix), "%s", safeReason(err)))
	}
	seen := map[string]bool{}
	for _, l := range leaves {
		path := jsonPath(append(slices.Clone(prefix), l.JSONPointer()...))
		msg := leafReason(l)
		if seen[path+"\x00"+msg] {
			continue
		}
		seen[path+"\x00"+msg] = true
		fs = append(fs, errorf(RuleSchema, path, "%s", msg))
	}
	return fs
}

// schemaLeaves collects the innermost SchemaErrors of err: kin-openapi wraps the errors of
// allOf members in a SchemaError about the allOf itself, whose own message would repeat values.
func schemaLeaves(out []*openapi3.SchemaError, err error) []*openapi3.SchemaError {
	switch e := err.(type) {
	case nil:
		return out
	case *openapi3.SchemaError:
		if e.Origin != nil {
			if inner := schemaLeaves(nil, e.Origin); len(inner) > 0 {
				return append(out, inner...)
			}
		}
		return append(out, e)
	case openapi3.MultiError:
		for _, x := range e {
			out = schemaLeaves(out, x)
		}
		return out
	case interface{ Unwrap() []error }:
		for _, x := range e.Unwrap() {
			out = schemaLeaves(out, x)
		}
		return out
	case interface{ Unwrap() error }:
		return schemaLeaves(out, e.Unwrap())
	}
	return out
}

// leafReason is a schema error's reason, which kin-openapi keeps free of the offending value.
func leafReason(e *openapi3.SchemaError) string {
	reason := e.Reason
	if reason == "" {
		reason = fmt.Sprintf("does not match the schema's %q", e.SchemaField)
	}
	// kin-openapi formats large bounds as floats (9.999999999e+09).
	if (e.SchemaField == "maximum" || e.SchemaField == "minimum") && e.Schema != nil {
		var bound *float64
		if e.SchemaField == "maximum" {
			bound = e.Schema.Max
		} else {
			bound = e.Schema.Min
		}
		if bound != nil && *bound == float64(int64(*bound)) {
			word := "most"
			if e.SchemaField == "minimum" {
				word = "least"
			}
			reason = fmt.Sprintf("number must be at %s %d", word, int64(*bound))
		}
	}
	return reason
}

// safeReason describes an error that is not a schema error without the values kin-openapi's
// own messages may quote.
func safeReason(err error) string {
	var re *openapi3filter.ResponseError
	if errors.As(err, &re) {
		return re.Reason
	}
	var pe *openapi3filter.ParseError
	if errors.As(err, &pe) {
		return pe.Reason
	}
	return "does not match the spec"
}

func headerFindings(err error) []Finding {
	var re *openapi3filter.ResponseError
	if !errors.As(err, &re) {
		return []Finding{errorf(RuleSchema, headerPath("?"), "%s", safeReason(err))}
	}
	name := quoted(re.Reason)
	path := headerPath(name)
	switch {
	case strings.HasSuffix(re.Reason, " missing"):
		return []Finding{errorf(RuleSchema, path, "required header is missing")}
	case strings.HasPrefix(re.Reason, "unable to decode header"):
		var pe *openapi3filter.ParseError
		if errors.As(re.Err, &pe) {
			return []Finding{errorf(RuleSchema, path, "value cannot be decoded: %s", pe.Reason)}
		}
		return []Finding{errorf(RuleSchema, path, "value cannot be decoded")}
	}
	leaves := schemaLeaves(nil, re.Err)
	if len(leaves) == 0 {
		return []Finding{errorf(RuleSchema, path, "%s", re.Reason)}
	}
	var fs []Finding
	for _, l := range leaves {
		fs = append(fs, errorf(RuleSchema, path, "%s", leafReason(l)))
	}
	return fs
}

// quoted returns the first double-quoted string in s.
func quoted(s string) string {
	i := strings.IndexByte(s, '"')
	if i < 0 {
		return "?"
	}
	j := strings.IndexByte(s[i+1:], '"')
	if j < 0 {
		return "?"
	}
	return s[i+1 : i+1+j]
}

func documentedStatuses(op *openapi3.Operation) string {
	var codes []string
	for code := range op.Responses.Map() {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	return strings.Join(codes, ", ")
}

func responseSchema(op *openapi3.Operation, status int, contentType string) *openapi3.Schema {
	ref := op.Responses.Status(status)
	if ref == nil {
		ref = op.Responses.Default()
	}
	if ref == nil || ref.Value == nil {
		return nil
	}
	mt := ref.Value.Content.Get(contentType)
	if mt == nil || mt.Schema == nil {
		return nil
	}
	return mt.Schema.Value
}

// decodeJSON decodes body as one JSON value, numbers as json.Number.
func decodeJSON(body []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return v, true
}

// jsonErrorText describes why body is not JSON, without quoting it.
func jsonErrorText(body []byte) string {
	if len(bytes.TrimSpace(body)) == 0 {
		return "the body is empty"
	}
	var v any
	err := json.Unmarshal(body, &v)
	var se *json.SyntaxError
	switch {
	case err == nil:
		return "it does not decode as the schema's type"
	case errors.As(err, &se) && strings.Contains(se.Error(), "unexpected end"):
		return fmt.Sprintf("it ends after %d bytes in the middle of a value (truncated?)", len(body))
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	return "it does not decode"
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "a value"
}

// appendDrift reports, as warnings, the object fields of v that none of schemas declares.
// Schemas without properties and without an object type (such as an error's free-form data)
// are not descended into.
func appendDrift(fs []Finding, path []string, v any, schemas []*openapi3.Schema) []Finding {
	obj, ok := v.(map[string]any)
	if !ok {
		return fs
	}
	flat := flattenSchemas(nil, schemas)
	declared := map[string][]*openapi3.Schema{}
	typed, open := false, false
	for _, s := range flat {
		if s.Type.Is(openapi3.TypeObject) || len(s.Properties) > 0 {
			typed = true
		}
		ap := s.AdditionalProperties
		if ap.Schema != nil || (ap.Has != nil && *ap.Has) {
			open = true
		}
		for name, p := range s.Properties {
			if p != nil && p.Value != nil {
				declared[name] = append(declared[name], p.Value)
			}
		}
	}
	if !typed {
		return fs
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		child := append(slices.Clone(path), k)
		if ps, ok := declared[k]; ok {
			fs = appendDrift(fs, child, obj[k], ps)
			continue
		}
		if !open {
			fs = append(fs, warnf(RuleDrift, jsonPath(child), "field %s is not declared in openapi.yaml", strconv.Quote(k)))
		}
	}
	return fs
}

func flattenSchemas(out []*openapi3.Schema, schemas []*openapi3.Schema) []*openapi3.Schema {
	for _, s := range schemas {
		if s == nil {
			continue
		}
		out = append(out, s)
		for _, group := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
			for _, r := range group {
				if r != nil && r.Value != nil {
					out = flattenSchemas(out, []*openapi3.Schema{r.Value})
				}
			}
		}
	}
	return out
}

// isJSON reports whether a Content-Type is application/json (parameters allowed).
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}
