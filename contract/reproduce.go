package contract

import (
	"slices"
	"strings"
)

// A reproducer is a curl command line that sends a finding's request again, byte for byte:
// its method, URL, headers and body. Every secret and token in it is an environment variable
// ($SCB_APPLICATION_SECRET, $SCB_ACCESS_TOKEN...), never its value; the requestUId is kept. Each
// word is quoted for a POSIX shell, so that quotes, $, backticks and newlines in a value reach
// curl as they are. A variable's value is inserted as it is: inside a JSON body, a secret with
// a double quote or a backslash (SCB's are letters and digits) would need JSON's escaping.

// reproducer returns the curl command of rq sent to target (the base URL without user info),
// with the values of named replaced by their variables.
func reproducer(target string, rq request, named func(string) string) string {
	words := []string{"curl", "-g", "-sS", "-i", "-X", shellWord(rq.method), shellWord(named(target + rq.path))}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range rq.header {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, v := range rq.header[k] {
			words = append(words, "-H", shellWord(named(k+": "+v)))
		}
	}
	if rq.body == nil {
		return strings.Join(words, " ")
	}
	if rq.header.Get("Content-Type") == "" {
		words = append(words, "-H", "'Content-Type:'") // curl's default is a form's
	}
	// No body holds a NUL byte, which no shell word can: the check's bodies are JSON, which
	// escapes it, or constants of its own; the markers of named are the only NUL bytes.
	return strings.Join(append(words, "--data-raw", shellWord(named(string(rq.body)))), " ")
}

// shellWord quotes s as one POSIX shell word: in single quotes (a single quote in s closes
// them, is escaped and opens them again), and each variable marker (see variable) as "$NAME",
// expanded but never split.
func shellWord(s string) string {
	var b strings.Builder
	for i, part := range strings.Split(s, "\x00") {
		switch {
		case i%2 == 1:
			b.WriteString(`"$` + part + `"`)
		case part != "":
			b.WriteString("'" + strings.ReplaceAll(part, "'", `'\''`) + "'")
		}
	}
	if b.Len() == 0 {
		return "''"
	}
	return b.String()
}
