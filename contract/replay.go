package contract

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"
)

// ReplayConfig says which recording Replay checks, and against what.
type ReplayConfig struct {
	// Dir is the recording's directory (Recorder.Save, scboauth contract --record). Required.
	Dir string
	// Spec is the contract; nil means LoadSpec(). Pass ParseSpec of a changed openapi.yaml to
	// learn whether the change breaks against what the target really answered.
	Spec *Spec
	// Strict turns warnings into violations, as Config.Strict does.
	Strict bool
	// MinCoverage, as Config.MinCoverage.
	MinCoverage map[string]float64
}

// Replay checks every answer of a recording against the spec as it is now, offline: each
// answer as it was received (a documented status, its schema, SCB's code table, the token
// checks, drift), and each request that the spec now refuses although the target answered it
// 2xx. The report has a case per recorded case, with the recorded interactions, and the
// coverage of the recording.
func Replay(cfg ReplayConfig) (*Report, error) {
	run, tape, err := loadRecording(cfg.Dir)
	if err != nil {
		return nil, err
	}
	spec := cfg.Spec
	if spec == nil {
		if spec, err = LoadSpec(); err != nil {
			return nil, err
		}
	}
	rep := &Report{Target: run.Target, Mode: "replay of " + run.Mode, Strict: cfg.Strict, Started: run.Started, Seed: run.Seed}
	cov := newCoverage(spec)
	index := map[string]int{}
	for i, ti := range tape.Interactions {
		caseID, sent := "recorded", run.Started
		if i < len(run.Interactions) {
			caseID, sent = run.Interactions[i].Case, run.Interactions[i].Sent
		}
		rq, in, err := replayed(spec, run.Target, ti, sent)
		if err != nil {
			return nil, fmt.Errorf("contract: replay: interaction %d: %w", ti.ID, err)
		}
		fs := append(in.Findings, replayChecks(spec, rq, in, run.Mode == "emulator")...)
		cov.observe(rq, in)
		at, ok := index[caseID]
		if !ok {
			at, index[caseID] = len(rep.Cases), len(rep.Cases)
			rep.Cases = append(rep.Cases, CaseResult{ID: caseID, Title: "recorded case " + caseID, Expect: "answers openapi.yaml documents", Source: "a recording (" + run.Spec + ")",
				Interactions: []InteractionResult{}, Findings: []CaseFinding{}})
		}
		c := &rep.Cases[at]
		code, _, _ := envelope(in.value)
		c.Interactions = append(c.Interactions, InteractionResult{Method: in.Method, Path: in.Path, Operation: in.Operation, Status: in.Status, Code: code, LatencyMS: ms(in.Latency())})
		c.Status, c.Code, c.Latency = in.Status, code, c.Latency+in.Latency()
		for _, f := range fs {
			c.Findings = append(c.Findings, CaseFinding{Finding: f, Request: in.Method + " " + in.Path})
		}
	}
	for i := range rep.Cases {
		verdictOf(&rep.Cases[i], cfg.Strict)
	}
	rep.Coverage, rep.CoverageShortfalls = cov.report(false, cfg.MinCoverage)
	return rep, nil
}

// loadRecording reads run.json and the cassette of dir.
func loadRecording(dir string) (RunRecord, *cassette.Cassette, error) {
	var run RunRecord
	b, err := os.ReadFile(filepath.Join(dir, RunFile))
	if err != nil {
		return run, nil, fmt.Errorf("contract: replay: %w", err)
	}
	if err := json.Unmarshal(b, &run); err != nil {
		return run, nil, fmt.Errorf("contract: replay: %s: %w", RunFile, err)
	}
	if run.Format != recordingFormat {
		return run, nil, fmt.Errorf("contract: replay: %s: format %d, want %d", RunFile, run.Format, recordingFormat)
	}
	tape, err := cassette.Load(strings.TrimSuffix(filepath.Join(dir, CassetteFile), ".yaml"))
	if err != nil {
		return run, nil, fmt.Errorf("contract: replay: %s: %w", CassetteFile, err)
	}
	return run, tape, nil
}

// replayed turns a cassette's interaction back into the request sent and the interaction
// checked, its answer validated against spec.
func replayed(spec *Spec, target string, ti *cassette.Interaction, sent time.Time) (request, *Interaction, error) {
	if !strings.HasPrefix(ti.Request.URL, target) {
		return request{}, nil, errors.New("its URL is not below the recording's target")
	}
	full := strings.TrimPrefix(ti.Request.URL, target)
	path, _, _ := strings.Cut(full, "?")
	rq := request{method: ti.Request.Method, path: full, header: http.Header(ti.Request.Headers).Clone()}
	if ti.Request.Body != "" {
		rq.body = []byte(ti.Request.Body)
	}
	if rq.header == nil {
		rq.header = http.Header{}
	}
	oc := spec.resolve(rq.method, path)
	in := &Interaction{Method: rq.method, Path: path, Operation: oc.name, Status: ti.Response.Code, Header: http.Header(ti.Response.Headers),
		Body: []byte(ti.Response.Body), Sent: sent, Received: sent.Add(ti.Response.Duration), op: oc}
	if in.Header == nil {
		in.Header = http.Header{}
	}
	in.Findings, in.value = spec.validateResponse(oc, rq.method, in.Status, in.Header, in.Body)
	return rq, in, nil
}

// replayChecks are the checks of a recorded answer that need no run: SCB's envelope and code
// table, the token checks of a grant's success, and a request the spec now refuses although
// the target answered 2xx (a violation of the emulator, a warning of a live target).
func replayChecks(spec *Spec, rq request, in *Interaction, emulator bool) []Finding {
	fs := generalChecks(in)
	if g := grantOf(rq); g != grantNone && in.Status == http.StatusOK {
		fs = append(fs, tokenChecks(in, g, DefaultTolerance)...)
	}
	refused := spec.ValidateRequest(rq.method, rq.path, rq.header, rq.body)
	if len(refused) > 0 && in.Status/100 == 2 {
		f := warnf(RuleAccepted, pathStatus, "HTTP %d to a request openapi.yaml now refuses (%s %s): the target accepted it", in.Status, refused[0].Path, refused[0].Message)
		if emulator {
			f.Severity = SeverityError
		}
		fs = append(fs, f)
	}
	return fs
}

// grantOf says which grant a recorded token or refresh request is.
func grantOf(rq request) grant {
	path, _, _ := strings.Cut(rq.path, "?")
	v, _ := decodeJSON(rq.body)
	fields, _ := v.(map[string]any)
	return grantFor(path, fields)
}

// verdictOf sets a replayed case's verdict from its findings.
func verdictOf(c *CaseResult, strict bool) {
	c.Verdict = VerdictPass
	for i := range c.Findings {
		f := &c.Findings[i].Finding
		if f.Severity == SeverityWarning && strict {
			f.Severity = SeverityError
		}
		if f.Severity == SeverityError {
			c.Verdict = VerdictFail
		}
	}
	c.LatencyMS = ms(c.Latency)
}
