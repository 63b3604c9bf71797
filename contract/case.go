package contract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// caseRun is one case in progress.
type caseRun struct {
	r       *runner
	ctx     context.Context // the run's: ends at its deadline
	res     *CaseResult
	latency time.Duration // the sum of the case's interactions' latencies
	// interrupted: the run's deadline passed while the case was waiting on the target.
	interrupted bool
}

// runCase runs c, or says why it does not: a skip by design, or a run that has stopped.
func (r *runner) runCase(ctx context.Context, c Case) CaseResult {
	res := CaseResult{ID: c.ID, Title: c.Title, Expect: c.expectation(r.emulator(), r.strict), Source: c.Source,
		Interactions: []InteractionResult{}, Findings: []CaseFinding{}}
	if r.stopped != "" {
		res.Verdict, res.Reason = VerdictNotRun, r.stopped+" before the case began"
		return res
	}
	if reason := c.skipReason(r); reason != "" {
		res.Verdict, res.Reason = VerdictSkip, reason
		return res
	}
	cr := &caseRun{r: r, ctx: ctx, res: &res}
	if c.run != nil {
		c.run(cr, c)
	} else {
		cr.expectCase(cr.send(cr.build(c.call)), c)
	}
	cr.finish()
	return res
}

// finish sets the verdict from the findings (drift is a violation with Config.Strict) and the
// latency. A case the deadline interrupted is not run, unless it already found a violation.
func (c *caseRun) finish() {
	res := c.res
	res.Verdict = VerdictPass
	for i := range res.Findings {
		f := &res.Findings[i].Finding
		if f.Severity == SeverityWarning && c.r.cfg.Strict {
			f.Severity = SeverityError
		}
		if f.Severity == SeverityError {
			res.Verdict = VerdictFail
		}
	}
	if c.interrupted && res.Verdict != VerdictFail {
		res.Verdict = VerdictNotRun
	}
	res.Latency = c.latency
	res.LatencyMS = ms(c.latency)
}

// add records findings of the interaction in (nil for case-level findings).
func (c *caseRun) add(in *Interaction, fs ...Finding) {
	name := ""
	if in != nil {
		name = in.Method + " " + in.Path
	}
	for _, f := range fs {
		c.res.Findings = append(c.res.Findings, CaseFinding{Finding: f, Request: name})
	}
}

// send checks the request against the spec as rq.check says, paces it, sends it and validates
// the answer, and records the interaction and its findings. It returns nil when no answer came.
func (c *caseRun) send(rq request) *Interaction {
	if c.r.fatal != nil || c.r.stopped != "" {
		return nil
	}
	c.checkRequest(rq)
	if !c.pace(rq) {
		return nil
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.r.timeout)
	defer cancel()
	req, err := c.httpRequest(ctx, rq)
	if err != nil {
		c.add(&Interaction{Method: rq.method, Path: rq.path}, errorf(RuleTransport, pathStatus, "cannot build the request: %v", err))
		return nil
	}
	in, _ := c.r.transport.interact(c.r.spec, req)
	c.latency += in.Latency()
	if in.Err != nil || (in.cut && c.ctx.Err() != nil) {
		c.noAnswer(in, req.URL, rq)
		return nil
	}
	c.r.reached = true
	c.r.learnSecrets(in.value)
	c.r.cov.observe(rq, in)
	if rec := c.r.cfg.Recorder; rec != nil {
		rec.add(c.res.ID, c.r.target+rq.path, rq, in)
	}
	c.add(in, append(in.Findings, c.r.answerChecks(rq, in)...)...)
	code, _, _ := envelope(in.value)
	c.res.Interactions = append(c.res.Interactions, InteractionResult{Method: in.Method, Path: in.Path, Operation: in.Operation, Status: in.Status, Code: code, LatencyMS: ms(in.Latency()), rq: &rq})
	c.res.Status, c.res.Code = in.Status, code
	return in
}

// checkRequest validates the catalogue's own request: a case that means to conform must, and a
// case that means to break the spec must break it.
func (c *caseRun) checkRequest(rq request) {
	fs := c.r.spec.ValidateRequest(rq.method, rq.path, rq.header, rq.body)
	label := &Interaction{Method: rq.method, Path: rq.path}
	switch rq.check {
	case requestConforms:
		for i := range fs {
			fs[i].Message = "the case's request breaks the spec: " + fs[i].Message
		}
		c.add(label, fs...)
	case requestBreaks:
		if len(fs) == 0 {
			c.add(label, errorf(RuleRequest, pathBody, "the case's request was meant to break the spec but conforms"))
		}
	}
}

// pace waits for the limiter within the run's deadline. It reports false, having stopped the
// run, when the wait would end after the deadline or ctx ended.
func (c *caseRun) pace(rq request) bool {
	if c.r.limiter == nil {
		return true
	}
	if err := c.r.limiter.Wait(c.ctx); err != nil {
		c.stopped("its turn to send " + rq.method + " " + rq.path + " (paced under SCB's rate limit)")
		return false
	}
	return true
}

// stopped records that the run cannot go on while the case waited for what: its deadline
// passed (the case is interrupted, the remaining ones are not run), or ctx ended (no report).
func (c *caseRun) stopped(what string) {
	if c.ctx.Err() != nil && !errors.Is(context.Cause(c.ctx), errDeadline) {
		c.r.fatal = fmt.Errorf("contract: run stopped: %w", context.Cause(c.ctx))
		return
	}
	c.interrupted = true
	c.r.stop(c.r.deadlineReason())
	c.res.Reason = fmt.Sprintf("%s while the case was waiting for %s", c.r.deadlineReason(), what)
}

func (c *caseRun) httpRequest(ctx context.Context, rq request) (*http.Request, error) {
	u := *c.r.base
	path, query, _ := strings.Cut(rq.path, "?")
	u.Path = strings.TrimSuffix(c.r.base.Path, "/") + path
	u.RawPath, u.RawQuery = "", query
	req, err := http.NewRequestWithContext(ctx, rq.method, u.String(), bytes.NewReader(rq.body))
	if err != nil {
		return nil, err
	}
	if rq.body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	req.Header = rq.header
	return req, nil
}

// noAnswer records a request that got no answer: the end of the run (its deadline, ctx, or a
// target that never answered at all), or a finding.
func (c *caseRun) noAnswer(in *Interaction, u *url.URL, rq request) {
	switch {
	case c.ctx.Err() != nil:
		c.stopped("the answer to " + in.Method + " " + in.Path)
	case !c.r.reached:
		c.r.fatal = &UnreachableError{URL: in.Method + " " + redactURL(u.String()), Err: unwrapURLError(in.Err)}
		return
	case errors.Is(in.Err, context.DeadlineExceeded):
		c.add(in, errorf(RuleTransport, pathStatus, "no answer within %s", c.r.timeout))
	default:
		c.add(in, errorf(RuleTransport, pathStatus, "no answer: %v", unwrapURLError(in.Err)))
	}
	c.res.Interactions = append(c.res.Interactions, InteractionResult{Method: in.Method, Path: in.Path, Operation: in.Operation, LatencyMS: ms(in.Latency()), rq: &rq})
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
