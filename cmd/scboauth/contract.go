package main

import (
	"context"
	"fmt"
)

// runContract is a placeholder until the contract command lands.
func runContract(_ context.Context, e *env, _ []string) int {
	fmt.Fprintln(e.stderr, "scboauth contract: not implemented yet")
	return exitUsage
}
