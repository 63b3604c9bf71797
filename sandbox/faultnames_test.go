package sandbox

import (
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestFaultNamesAreTheEnum: faultNames, the list messages show, names exactly the faults of
// admin.yaml's Fault enum, which validFault checks.
func TestFaultNamesAreTheEnum(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(AdminOpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	var enum []string
	for _, v := range doc.Components.Schemas["Fault"].Value.Enum {
		enum = append(enum, v.(string))
	}
	names := strings.Split(faultNames, ", ")
	if !slices.Equal(slices.Sorted(slices.Values(names)), slices.Sorted(slices.Values(enum))) {
		t.Errorf("faultNames %q, admin.yaml's Fault enum %q", names, enum)
	}
	for _, f := range enum {
		if !validFault(f) {
			t.Errorf("validFault(%q) = false", f)
		}
	}
	if validFault("418") || validFault("") || validFault("HTML") {
		t.Error("validFault accepts a fault outside the enum")
	}
}
