package contract

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v4"
	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"
)

// A recording is a run's every interaction, saved in a directory as two files:
//
//   - cassette.yaml, a go-vcr cassette (gopkg.in/dnaeon/go-vcr.v4, format version 2): each
//     request (method, URL, headers, body) and its answer (status, headers, body, duration). It
//     is go-vcr's own format, so a team's tests can replay SCB's recorded answers to their own
//     client with go-vcr's recorder too.
//   - run.json, what the cassette cannot say: the run (target, mode, seed, when, the spec it
//     was checked against) and, for each interaction, its case and when it was sent.
//
// Every secret and token is replaced by the name of the variable a reproducer reads it from
// ($SCB_APPLICATION_SECRET, $SCB_ACCESS_TOKEN...), the application key too
// ($SCB_APPLICATION_KEY); the requestUId is kept. Replay checks the recorded answers against
// the spec as it is now, offline.

// Recording file names in a recording's directory.
const (
	CassetteFile = "cassette.yaml"
	RunFile      = "run.json"
)

// recordingFormat is the version of run.json.
const recordingFormat = 1

// RunRecord is run.json: the run a cassette recorded.
type RunRecord struct {
	Format       int                 `json:"format"`
	Target       string              `json:"target"`
	Mode         string              `json:"mode"`
	Seed         uint64              `json:"seed,omitempty"`
	Started      time.Time           `json:"started"`
	Spec         string              `json:"spec"` // the spec's title and version
	Interactions []InteractionRecord `json:"interactions"`
}

// InteractionRecord is what run.json says of one interaction of the cassette.
type InteractionRecord struct {
	ID   int       `json:"id"` // the cassette's interaction
	Case string    `json:"case"`
	Sent time.Time `json:"sent"`
}

// Recorder keeps the interactions of a run (Config.Recorder), to be saved with Save. It is
// safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	raw    []rawInteraction
	run    RunRecord
	tape   *cassette.Cassette
	sealed bool
}

// rawInteraction is one interaction as sent and received, secrets included, until the run
// ends and redacts it.
type rawInteraction struct {
	caseID  string
	url     string
	rq      request
	in      *Interaction
	headers http.Header
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{} }

// add keeps one interaction of case caseID, sent to url.
func (rec *Recorder) add(caseID, url string, rq request, in *Interaction) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.raw = append(rec.raw, rawInteraction{caseID: caseID, url: url, rq: rq, in: in, headers: rq.header.Clone()})
}

// seal redacts the interactions with named (secrets.named.Redact) into the cassette and forgets
// the raw ones.
func (rec *Recorder) seal(run RunRecord, named func(string) string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	clean := func(s string) string { return namesOf(named(s)) }
	tape := cassette.New("")
	for i, r := range rec.raw {
		req := cassette.Request{Method: r.rq.method, URL: clean(r.url), Headers: redactHeader(r.headers, clean),
			Body: clean(string(r.rq.body)), ContentLength: int64(len(r.rq.body)), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
		resp := cassette.Response{Code: r.in.Status, Status: fmt.Sprintf("%d %s", r.in.Status, http.StatusText(r.in.Status)),
			Headers: redactHeader(r.in.Header, clean), Body: clean(string(r.in.Body)), ContentLength: int64(len(r.in.Body)),
			Duration: r.in.Latency(), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
		tape.AddInteraction(&cassette.Interaction{Request: req, Response: resp})
		run.Interactions = append(run.Interactions, InteractionRecord{ID: i, Case: r.caseID, Sent: r.in.Sent.UTC()})
	}
	rec.raw, rec.run, rec.tape, rec.sealed = nil, run, tape, true
}

// namesOf writes the variable markers of text as $NAME.
func namesOf(text string) string {
	parts := strings.Split(text, "\x00")
	for i := 1; i < len(parts); i += 2 {
		parts[i] = "$" + parts[i]
	}
	return strings.Join(parts, "")
}

func redactHeader(h http.Header, clean func(string) string) http.Header {
	out := http.Header{}
	for k, vs := range h {
		for _, v := range vs {
			out[k] = append(out[k], clean(v))
		}
	}
	return out
}

// Save writes the recording into dir (made when missing): cassette.yaml and run.json. It
// fails when the run has not ended.
func (rec *Recorder) Save(dir string) error {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if !rec.sealed {
		return errors.New("contract: record: the run has not ended")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("contract: record: %w", err)
	}
	rec.tape.File = filepath.Join(dir, CassetteFile)
	rec.tape.MarshalFunc = yaml.Marshal
	if err := rec.tape.Save(); err != nil {
		return fmt.Errorf("contract: record: %w", err)
	}
	b, err := json.MarshalIndent(rec.run, "", "  ")
	if err != nil {
		return fmt.Errorf("contract: record: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, RunFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("contract: record: %w", err)
	}
	return nil
}

// Len returns how many interactions the recorder holds.
func (rec *Recorder) Len() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.sealed {
		return len(rec.run.Interactions)
	}
	return len(rec.raw)
}
