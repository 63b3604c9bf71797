package scboauth_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
	"github.com/pb33f/libopenapi/orderedmap"
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

// libValidate is the second, independent validation, with pb33f's libraries: the document
// model must build without errors, the document must pass libopenapi-validator's check against
// the OpenAPI 3.0 schema, and every example must validate against its schema with
// libopenapi-validator's own JSON Schema validator. It returns every problem found.
func libValidate(data []byte) []string {
	doc, err := libopenapi.NewDocumentWithConfiguration(data, &datamodel.DocumentConfiguration{
		Logger: slog.New(slog.DiscardHandler), // problems are returned, not logged
	})
	if err != nil {
		return []string{"new document: " + err.Error()}
	}
	var problems []string
	model, err := doc.BuildV3Model()
	if err != nil {
		problems = append(problems, "build model: "+err.Error())
	}
	v, errs := validator.NewValidator(doc)
	for _, err := range errs {
		problems = append(problems, "validator: "+err.Error())
	}
	if v != nil {
		if ok, verrs := v.ValidateDocument(); !ok {
			for _, e := range verrs {
				problems = append(problems, "document: "+e.Message+": "+e.Reason)
				for _, se := range e.SchemaValidationErrors {
					problems = append(problems, "  "+se.FieldPath+" "+se.KeywordLocation+": "+se.Reason)
				}
			}
		}
	}
	if model != nil {
		problems = append(problems, libExampleProblems(&model.Model)...)
	}
	return problems
}

// exampleChecker validates examples against their schemas with libopenapi-validator's own JSON
// Schema validator, and collects the problems.
type exampleChecker struct {
	sv       schema_validation.SchemaValidator
	problems []string
}

func (c *exampleChecker) check(where string, proxy *base.SchemaProxy, node interface{ Decode(any) error }) {
	if proxy == nil {
		c.problems = append(c.problems, where+": example without a schema")
		return
	}
	schema, err := proxy.BuildSchema()
	if err != nil {
		c.problems = append(c.problems, where+": schema: "+err.Error())
		return
	}
	var value any
	if err := node.Decode(&value); err != nil {
		c.problems = append(c.problems, where+": decode example: "+err.Error())
		return
	}
	if ok, errs := c.sv.ValidateSchemaObjectWithVersion(schema, value, 3.0); !ok {
		for _, e := range errs {
			msg := where + ": " + e.Message
			for _, se := range e.SchemaValidationErrors {
				msg += "; " + se.FieldPath + " " + se.KeywordLocation + ": " + se.Reason
			}
			c.problems = append(c.problems, msg)
		}
	}
}

func (c *exampleChecker) content(where string, content *orderedmap.Map[string, *v3.MediaType]) {
	for mt, m := range content.FromOldest() {
		if m.Example != nil {
			c.check(where+" "+mt+" example", m.Schema, m.Example)
		}
		for name, ex := range m.Examples.FromOldest() {
			c.check(where+" "+mt+" examples."+name, m.Schema, ex.Value)
		}
	}
}

func (c *exampleChecker) param(where string, p *v3.Parameter) {
	if p.Example != nil {
		c.check(where+" parameter "+p.Name, p.Schema, p.Example)
	}
}

func (c *exampleChecker) header(where string, h *v3.Header) {
	if h.Example != nil {
		c.check(where+" example", h.Schema, h.Example)
	}
}

func (c *exampleChecker) response(where string, r *v3.Response) {
	c.content(where, r.Content)
	for name, h := range r.Headers.FromOldest() {
		c.header(where+" header "+name, h)
	}
}

// libExampleProblems validates every example of the document (parameters, headers, request
// bodies, responses, schemas) against its schema.
func libExampleProblems(doc *v3.Document) []string {
	c := &exampleChecker{sv: schema_validation.NewSchemaValidator()}
	for path, item := range doc.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			where := strings.ToUpper(method) + " " + path
			for _, p := range op.Parameters {
				c.param(where, p)
			}
			if op.RequestBody != nil {
				c.content(where+" request", op.RequestBody.Content)
			}
			for code, r := range op.Responses.Codes.FromOldest() {
				c.response(where+" "+code, r)
			}
		}
	}
	comp := doc.Components
	for name, p := range comp.Parameters.FromOldest() {
		c.param("components.parameters."+name, p)
	}
	for name, h := range comp.Headers.FromOldest() {
		c.header("components.headers."+name, h)
	}
	for name, rb := range comp.RequestBodies.FromOldest() {
		c.content("components.requestBodies."+name, rb.Content)
	}
	for name, r := range comp.Responses.FromOldest() {
		c.response("components.responses."+name, r)
	}
	for name, proxy := range comp.Schemas.FromOldest() {
		if s := proxy.Schema(); s != nil && s.Example != nil {
			c.check("components.schemas."+name+" example", proxy, s.Example)
		}
	}
	return c.problems
}

func TestSpecValidKinOpenAPI(t *testing.T) {
	doc := loadKin(t)
	if got, want := doc.OpenAPI, "3.0.3"; got != want {
		t.Errorf("openapi: got %q, want %q", got, want)
	}
}

func TestSpecValidLibOpenAPI(t *testing.T) {
	if problems := libValidate(readSpec(t)); len(problems) > 0 {
		t.Errorf("libopenapi found %d problems:\n%s", len(problems), strings.Join(problems, "\n"))
	}
}

// brokenCopy is a deliberate break of openapi.yaml and what each validator must say of it.
type brokenCopy struct {
	name     string
	old, new string
	wantKin  string // a substring of kin-openapi's error
	wantLib  string // a substring of one of libopenapi's problems
}

// brokenCopies are the breaks TestSpecBrokenCopiesRejected applies, one at a time.
func brokenCopies(t *testing.T) []brokenCopy {
	// The authorize call's 401 codes, as the validators spell them.
	row := codesOf(t, "GET", "/v2/oauth/authorize", 401)
	kinRow, libRow := strings.ReplaceAll(fmt.Sprint(row), " ", ","), strings.Trim(strings.ReplaceAll(fmt.Sprint(row), " ", ", "), "[]")
	return []brokenCopy{
		{
			name:    "unknown schema type",
			old:     "          type: integer\n          format: int64\n          minimum: 1\n          maximum: 9999999999\n          description: |\n            Unix time in seconds when the access token expires",
			new:     "          type: int64\n          minimum: 1\n          maximum: 9999999999\n          description: |\n            Unix time in seconds when the access token expires",
			wantKin: `unsupported 'type' value "int64"`,
			wantLib: "expiresAt.type",
		},
		{
			name:    "dangling reference",
			old:     "          $ref: '#/components/schemas/Token'\n",
			new:     "          $ref: '#/components/schemas/Tokens'\n",
			wantKin: `map key "Tokens" not found`,
			wantLib: "`#/components/schemas/Tokens` does not exist",
		},
		{
			name:    "example of the wrong type",
			old:     "                      expiresIn: 1800\n                      expiresAt: 1550133185\n                documented:",
			new:     "                      expiresIn: \"1800\"\n                      expiresAt: 1550133185\n                documented:",
			wantKin: `/data/expiresIn": value must be an integer`,
			wantLib: "$.data.expiresIn",
		},
		{
			name:    "401 example carrying code 1000",
			old:     "status: {code: 9500, description: Invalid apikey provided}",
			new:     "status: {code: 1000, description: Invalid apikey provided}",
			wantKin: "value is not one of the allowed values " + kinRow,
			wantLib: "value must be one of " + libRow,
		},
		{
			name:    "info without a title",
			old:     "  title: SCB Developer Platform OAuth API\n",
			new:     "",
			wantKin: "value of title must be a non-empty string",
			wantLib: "missing property 'title'",
		},
		{
			name:    "parameter in the body",
			old:     "      name: resourceOwnerId\n      in: header\n",
			new:     "      name: resourceOwnerId\n      in: body\n",
			wantKin: `parameter can't have 'in' value "body"`,
			wantLib: "ResourceOwnerID.in",
		},
		{
			name:    "response without a description",
			old:     "          description: Success [doc]. A new access token and a new refresh token.\n",
			new:     "",
			wantKin: "a short description of the response is required",
			wantLib: "responses[200]",
		},
	}
}

// TestSpecBrokenCopiesRejected proves that both validators have teeth: each deliberately broken
// copy of openapi.yaml must be rejected by both, naming the problem.
func TestSpecBrokenCopiesRejected(t *testing.T) {
	spec := string(readSpec(t))
	for _, tt := range append(brokenCopies(t), paymentBrokenCopies...) {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, 1, strings.Count(spec, tt.old), "the mutation must apply exactly once")
			broken := []byte(strings.Replace(spec, tt.old, tt.new, 1))

			_, err := kinValidate(broken)
			if err == nil {
				t.Errorf("kin-openapi accepted the broken copy")
			} else if !strings.Contains(err.Error(), tt.wantKin) {
				t.Errorf("kin-openapi error: got %q, want it to mention %q", err, tt.wantKin)
			}

			problems := libValidate(broken)
			if len(problems) == 0 {
				t.Errorf("libopenapi accepted the broken copy")
			} else if joined := strings.Join(problems, "\n"); !strings.Contains(joined, tt.wantLib) {
				t.Errorf("libopenapi problems: got %q, want one to mention %q", joined, tt.wantLib)
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

// TestAdminSpecValid holds the emulator's admin API document (sandbox/admin.yaml) to the same
// two validators as openapi.yaml: kin-openapi strictly, and libopenapi with its examples.
func TestAdminSpecValid(t *testing.T) {
	data, err := os.ReadFile("sandbox/admin.yaml")
	require.NoError(t, err)
	doc, err := kinValidate(data)
	require.NoError(t, err)
	for path := range doc.Paths.Map() {
		require.True(t, strings.HasPrefix(path, "/sandbox/v1/"), "admin path %s is outside /sandbox/v1/", path)
	}
	if problems := libValidate(data); len(problems) > 0 {
		t.Errorf("libopenapi found %d problems in sandbox/admin.yaml:\n%s", len(problems), strings.Join(problems, "\n"))
	}
}
