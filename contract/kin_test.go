package contract

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// kinFixture is a one-operation document with a required, typed response header and a JSON
// body, enough to make kin-openapi produce every error kinReasons reads.
const kinFixture = `openapi: 3.0.3
info: {title: kin reasons, version: 1.0.0}
paths:
  /thing:
    get:
      responses:
        '200':
          description: ok
          headers:
            X-Count:
              required: true
              schema: {type: integer, minimum: 1}
          content:
            application/json:
              schema:
                type: object
                required: [id]
                properties: {id: {type: string}}
`

// TestKinReasons provokes each error kinResponseProblem tells apart from kin-openapi itself, so
// that a kin-openapi upgrade that rewords one fails here, by name, and not in a report.
func TestKinReasons(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData([]byte(kinFixture))
	if err != nil {
		t.Fatal(err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	route, _, err := router.FindRoute(&http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/thing"}})
	if err != nil {
		t.Fatal(err)
	}
	validate := func(header http.Header, body string) error {
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: &http.Request{Method: http.MethodGet, URL: &url.URL{}}, Route: route},
			Status:                 200, Header: header, Body: io.NopCloser(bytes.NewReader([]byte(body))),
			Options: &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true},
		}
		return openapi3filter.ValidateResponse(context.Background(), in)
	}
	h := func(kv ...string) http.Header {
		hdr := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			hdr.Set(kv[i], kv[i+1])
		}
		return hdr
	}
	tests := []struct {
		name   string
		header http.Header
		body   string
		want   kinProblem
	}{
		{"header missing", h("Content-Type", "application/json"), `{"id":"a"}`, kinHeaderMissing},
		{"header not an integer", h("Content-Type", "application/json", "X-Count", "many"), `{"id":"a"}`, kinHeaderUndecodable},
		{"header below its minimum", h("Content-Type", "application/json", "X-Count", "0"), `{"id":"a"}`, kinHeaderSchema},
		{"content type not documented", h("Content-Type", "text/plain", "X-Count", "1"), `{"id":"a"}`, kinContentType},
		{"body not JSON", h("Content-Type", "application/json", "X-Count", "1"), `{"id":`, kinBodyUndecodable},
		{"body against its schema", h("Content-Type", "application/json", "X-Count", "1"), `{"id":1}`, kinBodySchema},
	}
	seen := map[kinProblem]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validate(tt.header, tt.body)
			got, re := kinResponseProblem(err)
			if got != tt.want || re == nil {
				t.Errorf("got problem %d for kin-openapi's %q, want %d: kinReasons no longer matches kin-openapi's text", got, err, tt.want)
			}
		})
		seen[tt.want] = true
	}
	for _, k := range kinReasons {
		if !seen[k.problem] {
			t.Errorf("kinReasons entry %q has no case here, so nothing pins its text", k.prefix)
		}
	}
	if err := validate(h("Content-Type", "application/json", "X-Count", "1"), `{"id":"a"}`); err != nil {
		t.Errorf("got %v for a valid answer, want none", err)
	}

	_, _, err = router.FindRoute(&http.Request{Method: http.MethodPost, URL: &url.URL{Path: "/thing"}})
	if !kinMethodNotAllowed(err) {
		t.Errorf("got %v for a wrong method, want kinMethodNotAllowed to recognize it", err)
	}
	_, _, err = router.FindRoute(&http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/other"}})
	if kinMethodNotAllowed(err) || err == nil {
		t.Errorf("got %v for an unknown path, want a route error that is not method-not-allowed", err)
	}
}
