package contract_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/scboauth/scboauth/contract"
	"github.com/scboauth/scboauth/generated"
	"github.com/scboauth/scboauth/sandbox/sandboxtest"
)

// BenchmarkValidateResponse measures the per-response cost of the checker (status, headers,
// every schema error, drift) on a success, an error and a body with three errors, against the
// baseline of decoding the same success with encoding/json into the generated type, which any
// client pays anyway.
func BenchmarkValidateResponse(b *testing.B) {
	s := spec(b)
	success := []byte(`{"status":{"code":1000,"description":"Success"},"data":{"accessToken":"7aa3e8fc-3ff4-4a8b-9a16-9d2aab3a1a5b","tokenType":"Bearer","expiresIn":1800,"expiresAt":1550133185,"refreshToken":"9f3a55e6-7b0c-4f52-8a3f-2bd1ffb3c0aa","refreshExpiresIn":3600,"refreshExpiresAt":1550134985}}`)
	failure := []byte(`{"status":{"code":9500,"description":"Invalid authorization credentials"},"data":null}`)
	broken := []byte(`{"status":{"code":1001,"description":"Success"},"data":{"accessToken":"","tokenType":"bearer","expiresIn":1800,"expiresAt":1550133185000}}`)
	okHeader := jsonHeader("resourceOwnerId", "l7b0a6c1a2b3c4d5e6f708192a3b4c5d6e")
	b.Run("baseline-decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v generated.TokenResponse
			if err := json.Unmarshal(success, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, bc := range []struct {
		name   string
		status int
		body   []byte
		want   int
	}{{"success", 200, success, 0}, {"error", 401, failure, 0}, {"three-errors", 200, broken, 4}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if fs := s.ValidateResponse(http.MethodPost, "/v1/oauth/token", bc.status, okHeader, bc.body); len(fs) != bc.want {
					b.Fatalf("got %d findings %v, want %d", len(fs), fs, bc.want)
				}
			}
		})
	}
}

// BenchmarkRun measures a whole run on the embedded emulator (served on loopback): the
// catalogue alone, the baseline, and the catalogue with the cases generated from the spec. It
// reports the cases per second, the time per interaction (sending, validating, checking) and
// the coverage of documented statuses and of response properties the run reached.
func BenchmarkRun(b *testing.B) {
	for _, bc := range []struct {
		name string
		gen  *contract.Generation
	}{{"catalogue", nil}, {"catalogue+generated", &contract.Generation{Seed: 1}}} {
		b.Run(bc.name, func(b *testing.B) {
			em, hs := sandboxtest.NewServer(b)
			var cases, interactions int
			var rep *contract.Report
			b.ReportAllocs()
			for b.Loop() {
				var err error
				rep, err = contract.Run(context.Background(), contract.Config{BaseURL: hs.URL, Emulator: em, Generated: bc.gen}, nil)
				if err != nil || !rep.Conforms() {
					b.Fatalf("Run: %v", err)
				}
				cases += len(rep.Cases)
				for _, c := range rep.Cases {
					interactions += len(c.Interactions)
				}
			}
			b.ReportMetric(float64(cases)/b.Elapsed().Seconds(), "cases/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(interactions), "ns/interaction")
			b.ReportMetric(rep.Coverage.Statuses.Percent, "%statuses")
			b.ReportMetric(rep.Coverage.ResponseProperties.Percent, "%response-properties")
		})
	}
}

// BenchmarkGenerate measures the generation of the cases from the spec, each request checked
// against it as it is made.
func BenchmarkGenerate(b *testing.B) {
	s := spec(b)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n = len(s.Generate(contract.Generation{Seed: 1}))
	}
	b.ReportMetric(float64(n), "cases")
}
