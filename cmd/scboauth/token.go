package main

import (
	"context"
	"fmt"
)

// runToken is a placeholder until the token command lands.
func runToken(_ context.Context, e *env, _ []string) int {
	fmt.Fprintln(e.stderr, "scboauth token: not implemented yet")
	return exitUsage
}
