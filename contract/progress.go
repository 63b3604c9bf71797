package contract

import (
	"fmt"
	"io"
	"time"
)

// Progress shows a run's progress on one line of a terminal, rewritten in place: the cases
// done out of the total, the findings so far, and the time left at the pace so far. Write it
// to stderr when stderr is a terminal, so that stdout keeps the report alone.
type Progress struct {
	w        io.Writer
	total    int
	now      func() time.Time
	start    time.Time
	drawn    time.Time
	done     int
	findings int
	shown    bool
}

// progressEvery bounds how often Progress redraws its line.
const progressEvery = 100 * time.Millisecond

// NewProgress returns a Progress of total cases writing to w, timed by now (nil: time.Now).
func NewProgress(w io.Writer, total int, now func() time.Time) *Progress {
	if now == nil {
		now = time.Now
	}
	return &Progress{w: w, total: total, now: now, start: now()}
}

// Case counts a finished case and its violations, and redraws the line at most every 100ms,
// and always for the last case.
func (p *Progress) Case(c CaseResult) {
	p.done++
	for _, f := range c.Findings {
		if f.Severity == SeverityError {
			p.findings++
		}
	}
	if now := p.now(); p.done >= p.total || now.Sub(p.drawn) >= progressEvery {
		p.drawn = now
		p.draw(now)
	}
}

func (p *Progress) draw(now time.Time) {
	left := "time left unknown"
	if p.done > 0 && p.done <= p.total {
		elapsed := now.Sub(p.start)
		left = fmt.Sprintf("about %s left", (elapsed * time.Duration(p.total-p.done) / time.Duration(p.done)).Round(time.Second))
	}
	fmt.Fprintf(p.w, "\r\x1b[Kcontract: %d/%d cases, %d findings, %s", p.done, p.total, p.findings, left)
	p.shown = true
}

// Clear erases the line, so that other output (the report's rows on the same terminal) starts
// on a clean line; the next Case draws it again.
func (p *Progress) Clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
		p.drawn = time.Time{}
	}
}
