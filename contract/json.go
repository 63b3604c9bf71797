package contract

import (
	"encoding/json"
	"io"
)

// WriteJSON writes the report as one JSON document: target, mode, strict, conforms, why the run
// stopped early (when it did), summary counts, duration and every case with its interactions
// and findings.
func WriteJSON(w io.Writer, r *Report) error {
	doc := struct {
		*Report
		Conforms   bool    `json:"conforms"`
		DurationMS float64 `json:"durationMs"`
		Summary    Summary `json:"summary"`
	}{r, r.Conforms(), ms(r.Duration), r.Summary()}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
