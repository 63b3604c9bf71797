package main

import (
	"context"
	"fmt"
)

// runSandbox is a placeholder until the sandbox command lands.
func runSandbox(_ context.Context, e *env, _ []string) int {
	fmt.Fprintln(e.stderr, "scboauth sandbox: not implemented yet")
	return exitUsage
}
