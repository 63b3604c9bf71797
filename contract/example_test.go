package contract_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/scboauth/scboauth/contract"
	"github.com/scboauth/scboauth/sandbox"
)

// Run the catalogue against the emulator served on a loopback port.
func ExampleRun() {
	srv, err := sandbox.New()
	if err != nil {
		panic(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()

	rep, err := contract.Run(context.Background(), contract.Config{BaseURL: hs.URL, Emulator: srv}, nil)
	if err != nil {
		panic(err)
	}
	for _, c := range rep.Cases[:6] {
		fmt.Println(c.ID, c.Status, c.Code, c.Verdict)
	}
	s := rep.Summary()
	fmt.Printf("conforms: %v, %d passed, %d failed, %d skipped, %d not run, %d warnings\n", rep.Conforms(), s.Passed, s.Failed, s.Skipped, s.NotRun, s.Warnings)
	// Output:
	// client-credentials 200 1000 pass
	// accept-language-th 200 1000 pass
	// authorization-code 200 1000 pass
	// web-authorization-code 200 1000 pass
	// web-without-code-challenge 401 9300 pass
	// refresh 200 1000 pass
	// conforms: true, 63 passed, 0 failed, 0 skipped, 0 not run, 0 warnings
}

// Validate one answer: every schema error is reported with its JSON path.
func ExampleSpec_ValidateResponse() {
	s, err := contract.LoadSpec()
	if err != nil {
		panic(err)
	}
	header := http.Header{"Content-Type": {"application/json"}}
	body := []byte(`{"status":{"code":1000,"description":"Success"},"data":null}`)
	for _, f := range s.ValidateResponse(http.MethodPost, "/v1/oauth/token", 401, header, body) {
		fmt.Println(f)
	}
	// Output:
	// error $.status.code: value is not one of the allowed values [9100,9300,9500] (schema)
}

// Read SCB's code table as openapi.yaml states it: the business codes each answer may carry.
func ExampleSpec_Codes() {
	s, err := contract.LoadSpec()
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Codes(http.MethodPost, "/v1/oauth/token", 401))
	fmt.Println(s.Codes(http.MethodGet, "/v2/oauth/authorize", 501))
	fmt.Println(s.Codes(http.MethodPost, "/no/such/path", 404))
	fmt.Println(s.Codes(http.MethodPost, "/v1/oauth/token", 418))
	// Output:
	// [9100 9300 9500]
	// [4101]
	// [1104]
	// []
}
