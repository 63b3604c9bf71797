package sandboxtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/scboauth/scboauth/generated/embedded"
)

// confirmationSpec is the paymentConfirmation callback of openapi.yaml: its request body's
// schema and its answers' (200: the acknowledgement; any other status: the default).
type confirmationSpec struct {
	body, ack, refusal *openapi3.Schema
}

var loadConfirmationSpec = sync.OnceValues(func() (*confirmationSpec, error) {
	doc, err := embedded.GetSpec()
	if err != nil {
		return nil, err
	}
	op := doc.Paths.Value("/v1/payment/qrcode/create").Post
	cb := op.Callbacks["paymentConfirmation"]
	if cb == nil || len(cb.Value.Keys()) != 1 {
		return nil, errors.New("sandboxtest: openapi.yaml has no paymentConfirmation callback on the QR create")
	}
	post := cb.Value.Value(cb.Value.Keys()[0]).Post
	schema := func(r *openapi3.ResponseRef) *openapi3.Schema {
		return r.Value.Content.Get("application/json").Schema.Value
	}
	return &confirmationSpec{
		body:    post.RequestBody.Value.Content.Get("application/json").Schema.Value,
		ack:     schema(post.Responses.Value("200")),
		refusal: schema(post.Responses.Default()),
	}, nil
})

// CheckConfirmation returns what is wrong with the body of a payment confirmation according to
// openapi.yaml (the request body of the paymentConfirmation callback), or nil.
func CheckConfirmation(body []byte) error {
	spec, err := loadConfirmationSpec()
	if err != nil {
		return err
	}
	return visit(spec.body, body)
}

// CheckConfirmationAnswer returns what is wrong with a receiver's answer to a payment
// confirmation according to openapi.yaml, or nil: a JSON body that is the acknowledgement with
// status 200, and the refusal with any other status.
func CheckConfirmationAnswer(status int, header http.Header, body []byte) error {
	spec, err := loadConfirmationSpec()
	if err != nil {
		return err
	}
	if mt, _, err := mime.ParseMediaType(header.Get("Content-Type")); err != nil || mt != "application/json" {
		return fmt.Errorf("sandboxtest: answer %d: content type %q, want application/json", status, header.Get("Content-Type"))
	}
	schema := spec.refusal
	if status == http.StatusOK {
		schema = spec.ack
	}
	if err := visit(schema, body); err != nil {
		return fmt.Errorf("sandboxtest: answer %d: %w", status, err)
	}
	return nil
}

// visit validates a JSON document against schema.
func visit(schema *openapi3.Schema, body []byte) error {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return schema.VisitJSON(v)
}
