package contract

import (
	"fmt"
	"strings"
)

// outcome is an expected answer: an HTTP status and a business code (0: any code openapi.yaml
// allows with the status), and for the emulator a phrase its description must contain.
type outcome struct {
	status, code int
	desc         string
}

func (o outcome) String() string {
	if o == anyClientError {
		return "4xx (a row of SCB's table)"
	}
	if o.code == 0 {
		return fmt.Sprintf("%d (any code of SCB's table)", o.status)
	}
	return fmt.Sprintf("%d %d", o.status, o.code)
}

// ok1000 is a success.
var ok1000 = outcome{status: 200, code: 1000}

// anyClientError stands for any 4xx answer the operation documents, with a code of SCB's table.
var anyClientError = outcome{status: -4}

// matches reports whether the answer in is w; the description is checked apart.
func (w outcome) matches(in *Interaction, code int, hasCode bool) bool {
	switch {
	case w == anyClientError:
		return in.Status >= 400 && in.Status < 500 && hasCode && in.op.allows(in.Status, code)
	case in.Status != w.status || !hasCode:
		return false
	case w.code == 0:
		return in.op.allows(in.Status, code)
	}
	return code == w.code
}

// expect records a finding unless in's answer is one of want.
func (c *caseRun) expect(in *Interaction, want ...outcome) {
	if in == nil || len(want) == 0 {
		return
	}
	code, hasCode, desc := envelope(in.value)
	for _, w := range want {
		if !w.matches(in, code, hasCode) {
			continue
		}
		if w.desc != "" && !strings.Contains(desc, w.desc) {
			c.add(in, errorf(RuleExpect, "$.status.description", "description %q does not say %q", desc, w.desc))
		}
		return
	}
	got := fmt.Sprintf("HTTP %d", in.Status)
	if hasCode {
		got += fmt.Sprintf(" code %d", code)
	} else {
		got += " without a business code"
	}
	path := pathStatus
	for _, w := range want {
		if w.status == in.Status {
			path = "$.status.code"
		}
	}
	c.add(in, errorf(RuleExpect, path, "got %s, want %s", got, describeOutcomes(want, false)))
}

// describeOutcomes says what want expects; withDesc adds the descriptions the emulator is held to.
func describeOutcomes(want []outcome, withDesc bool) string {
	ws := make([]string, 0, len(want))
	for _, w := range want {
		if w.desc != "" && withDesc {
			ws = append(ws, fmt.Sprintf("%s %q", w, w.desc))
		} else {
			ws = append(ws, w.String())
		}
	}
	return strings.Join(ws, " or ")
}
