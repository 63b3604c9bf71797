package schemaerr_test

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/scboauth/scboauth/internal/schemaerr"
)

// TestLeaves: the errors of a oneOf's member are found inside the oneOf's error, each one.
func TestLeaves(t *testing.T) {
	s := openapi3.NewOneOfSchema(
		openapi3.NewObjectSchema().WithProperty("a", openapi3.NewStringSchema()).WithRequired([]string{"a", "b"}),
	)
	err := s.VisitJSON(map[string]any{"a": 1}, openapi3.MultiErrors())
	got := schemaerr.Leaves(err)
	fields := map[string]bool{}
	for _, e := range got {
		fields[e.SchemaField] = true
	}
	if !fields["type"] || !fields["required"] {
		t.Errorf("got leaves %v, want the member's type and required errors", got)
	}
	if schemaerr.Leaves(nil) != nil {
		t.Error("nil has leaves")
	}
}
