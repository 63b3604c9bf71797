// Command scboauth is the command line of the scboauth project: a local emulator of SCB's OAuth
// API, a contract check of a server against openapi.yaml, and a token for shell scripts.
//
//	scboauth sandbox   serve a local emulator of SCB's OAuth API
//	scboauth contract  check that a server's answers match openapi.yaml
//	scboauth token     print an access token for an SCB application
//
// Run "scboauth <command> --help" for a command's flags. Every flag has an environment variable
// named in its help.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// Exit codes shared by every command.
const (
	exitOK    = 0 // success; for contract: the target conforms
	exitFail  = 1 // the command ran and found a failure; for contract: a contract violation
	exitUsage = 2 // bad flags or arguments, or the target could not be reached
)

// env is what a command may touch of the outside world, so that tests can run commands in
// process with their own streams and environment.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) int
}

// commands lists the subcommands in the order "scboauth --help" shows them.
var commands = []command{
	{"sandbox", "serve a local emulator of SCB's OAuth API", runSandbox},
	{"contract", "check that a server's answers match openapi.yaml", runContract},
	{"token", "print an access token for an SCB application", runToken},
	{"version", "print the version of scboauth", runVersion},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}

// run dispatches args to a command and returns the process's exit code.
func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(e.stdout)
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(e.stderr, "scboauth: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, "scboauth: tools for the OAuth API of SCB's Developer Platform\n\nUsage:\n  scboauth <command> [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun \"scboauth <command> --help\" for a command's flags.\n")
}

// newFlagSet returns a flag set for a command whose usage text starts with synopsis and
// description and goes to e.stderr (e.stdout when help was asked for).
func newFlagSet(e *env, name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet("scboauth "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: scboauth %s %s\n\n%s\n\nFlags:\n", name, synopsis, description)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs. It returns ok=false and the exit code when the command must
// stop: 0 after --help (printed on stdout), 2 after a usage error (printed on stderr).
func parseFlags(e *env, fs *flag.FlagSet, args []string) (code int, ok bool) {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(e.stdout)
			fs.Usage()
			return exitOK, false
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return exitUsage, false
	}
	return exitOK, true
}

// envOr returns the environment variable key, or def when it is unset or empty.
func envOr(e *env, key, def string) string {
	if v := e.getenv(key); v != "" {
		return v
	}
	return def
}

func runVersion(_ context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "version", "", "Print the version of scboauth and of the Go toolchain that built it.")
	if code, ok := parseFlags(e, fs, args); !ok {
		return code
	}
	version, goVersion := "(devel)", "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		goVersion = info.GoVersion
		if info.Main.Version != "" {
			version = info.Main.Version
		}
	}
	fmt.Fprintf(e.stdout, "scboauth %s (%s)\n", version, goVersion)
	return exitOK
}
