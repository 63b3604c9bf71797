package contract

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
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
	all         []*opCheck          // every operation, in a stable order
}

// opCheck is one operation as the checks see it: the routes its answers are validated with, and
// the business codes its documented answers allow.
type opCheck struct {
	name  string // createToken, or "unknown path", or "wrong method on /v1/oauth/token"
	route *routers.Route
	// body validates the status and the body: the operation's responses without their headers,
	// so that a header error does not hide the body's errors (kin-openapi stops at the first
	// header error).
	body *routers.Route
	// headers validate one declared response header each (responses without content).
	headers []headerRoute
	// codes are the business codes each documented status allows (see codes.go).
	codes map[int][]int
	// statuses are the documented statuses; anyStatus: a default answer documents them all.
	statuses  map[int]bool
	anyStatus bool
}

// headerRoute validates one response header.
type headerRoute struct {
	name  string
	route *routers.Route
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
	// Route on the path relative to the target's base URL: the servers are SCB's hosts. The
	// router validates the document; its examples are the spec tests' to check.
	doc.Servers = nil
	router, err := legacy.NewRouter(doc, openapi3.DisableExamplesValidation())
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
			s.all = append(s.all, s.ops[op])
			if r := op.Responses.Status(http.StatusMethodNotAllowed); r != nil && r405 == nil {
				r405 = r
			}
		}
		if r405 != nil {
			s.wrongMethod[path] = syntheticOp(doc, "wrong method on "+path, path, item, http.StatusMethodNotAllowed, r405)
		}
	}
	nf := doc.Components.Responses["NotFound"]
	if nf == nil {
		return nil, errors.New("contract: openapi.yaml has no components.responses.NotFound")
	}
	s.notFound = syntheticOp(doc, "unknown path", "", &openapi3.PathItem{}, http.StatusNotFound, nf)
	s.all = append(s.all, s.notFound)
	return s, nil
}

// syntheticOp is an operation the spec does not declare but whose one answer it documents: a
// wrong method on a path (405), or a path it does not serve (404).
func syntheticOp(doc *openapi3.T, name, path string, item *openapi3.PathItem, status int, r *openapi3.ResponseRef) *opCheck {
	op := &openapi3.Operation{OperationID: name, Responses: openapi3.NewResponses(openapi3.WithStatus(status, r))}
	return newOpCheck(doc, name, path, item, "", op)
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
	oc := &opCheck{name: name, route: route(op), codes: operationCodes(op), statuses: map[int]bool{}, anyStatus: op.Responses.Default() != nil}
	for key := range op.Responses.Map() {
		if status, err := strconv.Atoi(key); err == nil {
			oc.statuses[status] = true
		}
	}

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
		oc.headers = append(oc.headers, headerRoute{name: h, route: route(&hOp)})
	}
	return oc
}

// resolve returns the checks for a request to method and path (relative to the base URL).
func (s *Spec) resolve(method, path string) *opCheck {
	route, err := s.findRoute(method, path)
	if err == nil {
		if oc := s.ops[route.Operation]; oc != nil {
			return oc
		}
	}
	// A path the spec serves with other methods; kin-openapi's router says "method not allowed"
	// of a fixed path only, and "no matching operation" of a templated one.
	if oc := s.wrongMethod[s.template(path)]; oc != nil && (kinMethodNotAllowed(err) || s.template(path) != path) {
		return oc
	}
	return s.notFound
}

// template returns the spec's path that path matches with some method, such as
// "/v2/transactions/{transactionId}" for "/v2/transactions/t-1"; path itself when none does.
func (s *Spec) template(path string) string {
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if route, err := s.findRoute(m, path); err == nil {
			return route.Path
		}
	}
	return path
}

// errInexact is findRoute's error for a path kin-openapi's router matched only loosely.
var errInexact = errors.New("contract: the path matches an operation's only with a slash added or removed, or an empty path parameter")

// findRoute routes method and path exactly, as SCB and the emulator do: kin-openapi's router
// forgives a trailing slash (/v1/oauth/token/ routes to createToken) and an empty path
// parameter, which SCB answers 404, so the route is kept only when its template, filled with
// the path parameters it read, none of them empty, is the path itself.
func (s *Spec) findRoute(method, path string) (*routers.Route, error) {
	route, params, err := s.router.FindRoute(&http.Request{Method: method, URL: &url.URL{Path: path}})
	if err != nil {
		return nil, err
	}
	filled := route.Path
	for name, value := range params {
		if value == "" {
			return nil, errInexact
		}
		filled = strings.Replace(filled, "{"+name+"}", value, 1)
	}
	if filled != path {
		return nil, errInexact
	}
	return route, nil
}

// Operation names what a request to method and path resolves to: an operationId such as
// "createToken", "unknown path", or "wrong method on /v1/oauth/token".
func (s *Spec) Operation(method, path string) string { return s.resolve(method, path).name }

// title is the spec's title and version, such as "SCB Developer Platform OAuth API 1.1.0".
func (s *Spec) title() string { return s.doc.Info.Title + " " + s.doc.Info.Version }

// ParseSpec compiles an OpenAPI document other than the embedded openapi.yaml, such as a
// changed copy to replay a recording against (Replay); it must be valid (its examples are
// not checked: the spec tests do that).
func ParseSpec(data []byte) (*Spec, error) {
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("contract: load the spec: %w", err)
	}
	return newSpec(doc) // its router validates it
}

// documents reports whether the operation documents status (or has a default answer).
func (oc *opCheck) documents(status int) bool { return oc.anyStatus || oc.statuses[status] }
