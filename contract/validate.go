package contract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

var (
	bodyOptions   = &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true}
	headerOptions = &openapi3filter.Options{MultiError: true}
	headOptions   = &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true, ExcludeResponseBody: true}
)

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
// is not JSON or the method is HEAD.
func (s *Spec) validateResponse(oc *opCheck, method string, status int, header http.Header, body []byte) ([]Finding, any) {
	if method == http.MethodHead {
		body = nil // an answer to HEAD has no body: only its status and headers are checked
	}
	value, isJSON := decodeJSON(body)
	if !isJSON {
		value = nil
	}
	if !oc.documents(status) {
		return []Finding{errorf(RuleStatus, pathStatus, "HTTP %d is not documented for %s (documented: %s)", status, oc.name, documentedStatuses(oc.route.Operation))}, value
	}
	options := bodyOptions
	if method == http.MethodHead {
		options = headOptions
	}
	req := &http.Request{Method: http.MethodGet, URL: &url.URL{}} // kin-openapi only skips HEAD
	fs := validateBody(req, oc, status, header, body, options)
	for _, h := range oc.headers {
		if err := kinValidate(req, h.route, status, header, nil, headerOptions); err != nil {
			fs = append(fs, headerFindings(h.name, err)...)
		}
	}
	if schema := responseSchema(oc.route.Operation, status, header.Get("Content-Type")); schema != nil && isJSON {
		fs = appendDrift(fs, nil, value, []*openapi3.Schema{schema})
	}
	return fs, value
}

// validateBody checks the status's body (content type, JSON, schema) with kin-openapi.
func validateBody(req *http.Request, oc *opCheck, status int, header http.Header, body []byte, options *openapi3filter.Options) []Finding {
	err := kinValidate(req, oc.body, status, header, body, options)
	if err == nil {
		return nil
	}
	p, re := kinResponseProblem(err)
	switch p {
	case kinContentType:
		if ct := header.Get("Content-Type"); ct != "" {
			return []Finding{errorf(RuleSchema, headerPath("Content-Type"), "%q is not documented for HTTP %d of %s (want application/json)", ct, status, oc.name)}
		}
		return []Finding{errorf(RuleSchema, headerPath("Content-Type"), "missing; HTTP %d of %s is documented as application/json", status, oc.name)}
	case kinBodyUndecodable:
		return []Finding{errorf(RuleSchema, pathBody, "body is not valid JSON: %s", jsonErrorText(body))}
	case kinBodySchema:
		return schemaFindings(RuleSchema, nil, re.Err)
	}
	return []Finding{errorf(RuleSchema, pathBody, "%s", safeReason(err))}
}

// kinValidate runs openapi3filter.ValidateResponse for one answer on route. req stands for the
// request, whose method plays no role but to skip HEAD (validateResponse handles HEAD itself).
func kinValidate(req *http.Request, route *routers.Route, status int, header http.Header, body []byte, options *openapi3filter.Options) error {
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                options,
	}
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// ValidateRequest checks a request the catalogue sends (method and path relative to the base
// URL, with its query if any) against the spec: parameters, content type, body and the Bearer
// token's presence, every error reported. A path or method the spec does not serve is a finding
// too.
func (s *Spec) ValidateRequest(method, target string, header http.Header, body []byte) []Finding {
	path, _, _ := strings.Cut(target, "?")
	oc := s.resolve(method, path)
	if oc == s.notFound || strings.HasPrefix(oc.name, "wrong method") {
		return []Finding{errorf(RuleRequest, "request line", "%s %s is not an operation of the spec (%s)", method, path, oc.name)}
	}
	req, err := http.NewRequest(method, "http://target"+target, bytes.NewReader(body))
	if err != nil {
		return []Finding{errorf(RuleRequest, "request line", "cannot build request: %v", err)}
	}
	req.Header = header.Clone()
	_, pathParams, _ := s.router.FindRoute(&http.Request{Method: method, URL: &url.URL{Path: path}})
	in := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: pathParams,
		Route:      oc.route,
		Options:    &openapi3filter.Options{MultiError: true, AuthenticationFunc: bearerPresent},
	}
	return requestFindings(nil, openapi3filter.ValidateRequest(context.Background(), in))
}

// bearerPresent checks the payment calls' security scheme (http bearer) as a request can be
// checked without the target: an "authorization: Bearer <token>" header with a token. Whether
// the target issued the token is the target's to say (401).
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	scheme, token, _ := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
	if s := in.SecurityScheme; s == nil || s.Type != "http" || !strings.EqualFold(s.Scheme, "bearer") {
		return fmt.Errorf("security scheme %s is not an http bearer scheme", in.SecuritySchemeName)
	}
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return errors.New("no authorization: Bearer <token> header")
	}
	return nil
}
