package scboauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/scboauth/scboauth/contract"
)

const specPath = "openapi.yaml"

func readSpec(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(specPath)
	require.NoError(t, err)
	return data
}

// kinValidate loads a document with kin-openapi and validates it strictly: examples, formats,
// patterns and defaults, every error reported rather than the first.
func kinValidate(data []byte) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	err = doc.Validate(context.Background(),
		openapi3.EnableExamplesValidation(),
		openapi3.EnableSchemaFormatValidation(),
		openapi3.EnableSchemaPatternValidation(),
		openapi3.EnableSchemaDefaultsValidation(),
		openapi3.EnableMultiError(),
	)
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	return doc, nil
}

// codesOf returns the business codes openapi.yaml allows in an answer of status to method and
// path, as package contract reads them: the one derivation of SCB's code table.
func codesOf(t *testing.T, method, path string, status int) []int {
	t.Helper()
	spec, err := contract.LoadSpec()
	require.NoError(t, err)
	codes := spec.Codes(method, path, status)
	require.NotEmpty(t, codes, "%s %s %d", method, path, status)
	return codes
}

func loadKin(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := kinValidate(readSpec(t))
	require.NoError(t, err)
	return doc
}

func TestSpecValidKinOpenAPI(t *testing.T) {
	doc := loadKin(t)
	if got, want := doc.OpenAPI, "3.0.3"; got != want {
		t.Errorf("openapi: got %q, want %q", got, want)
	}
}

// brokenCopy is a deliberate break of openapi.yaml and what each validator must say of it
// (testdata/broken-copies.json, which describes its fields).
type brokenCopy struct {
	Name    string `json:"name"`
	Old     string `json:"old"`
	New     string `json:"new"`
	Kin     string `json:"kin"`
	Redocly string `json:"redocly"`
}

// brokenCopies reads testdata/broken-copies.json, which scripts/spec-lint.sh reads too, and
// checks that every copy is complete, named once, and breaks openapi.yaml at exactly one place.
func brokenCopies(t *testing.T, spec string) []brokenCopy {
	t.Helper()
	data, err := os.ReadFile("testdata/broken-copies.json")
	require.NoError(t, err)
	var file struct {
		Description []string     `json:"description"`
		Copies      []brokenCopy `json:"copies"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&file), "testdata/broken-copies.json")
	require.NotEmpty(t, file.Copies)
	names := map[string]bool{}
	for _, c := range file.Copies {
		require.False(t, names[c.Name], "broken copy %q is listed twice", c.Name)
		names[c.Name] = true
		for field, v := range map[string]string{"name": c.Name, "old": c.Old, "kin": c.Kin, "redocly": c.Redocly} {
			require.NotEmpty(t, v, "broken copy %q: %s is empty", c.Name, field)
		}
		require.NotEqual(t, c.Old, c.New, "broken copy %q changes nothing", c.Name)
		require.Equal(t, 1, strings.Count(spec, c.Old), "broken copy %q: old must occur exactly once in openapi.yaml", c.Name)
	}
	return file.Copies
}

// TestSpecBrokenCopiesRejected proves that kin-openapi has teeth: each deliberately broken copy
// of openapi.yaml in testdata/broken-copies.json (OAuth, payments and callbacks) must be
// rejected, naming the problem. scripts/spec-lint.sh holds Redocly CLI to the same copies.
func TestSpecBrokenCopiesRejected(t *testing.T) {
	spec := string(readSpec(t))
	for _, tt := range brokenCopies(t, spec) {
		t.Run(tt.Name, func(t *testing.T) {
			_, err := kinValidate([]byte(strings.Replace(spec, tt.Old, tt.New, 1)))
			if err == nil {
				t.Errorf("kin-openapi accepted the broken copy")
			} else if !strings.Contains(err.Error(), tt.Kin) {
				t.Errorf("kin-openapi error: got %q, want it to mention %q", err, tt.Kin)
			}
		})
	}
}

// TestSpecKinMultiError shows that every problem is reported, not only the first.
func TestSpecKinMultiError(t *testing.T) {
	spec := string(readSpec(t))
	broken := strings.Replace(spec, "status: {code: 9500, description: Invalid apikey provided}",
		"status: {code: 1000, description: Invalid apikey provided}", 1)
	broken = strings.Replace(broken, "status: {code: 9503, description: Invalid authorization method for current credentials}",
		"status: {code: 1000, description: Invalid authorization method for current credentials}", 1)
	require.NotEqual(t, spec, broken)
	_, err := kinValidate([]byte(broken))
	require.Error(t, err)
	var me openapi3.MultiError
	require.True(t, errors.As(err, &me), "got %T, want an openapi3.MultiError", err)
	for _, want := range []string{"invalidAPIKey", "invalidAuthorizationMethod"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention the example %q", err, want)
		}
	}
}

// TestAdminSpecValid holds the emulator's admin API document (sandbox/admin.yaml) to kin-openapi,
// strictly, as openapi.yaml; scripts/spec-lint.sh lints it with Redocly CLI as well.
func TestAdminSpecValid(t *testing.T) {
	data, err := os.ReadFile("sandbox/admin.yaml")
	require.NoError(t, err)
	doc, err := kinValidate(data)
	require.NoError(t, err)
	for path := range doc.Paths.Map() {
		require.True(t, strings.HasPrefix(path, "/sandbox/v1/"), "admin path %s is outside /sandbox/v1/", path)
	}
}
