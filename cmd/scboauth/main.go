// Command scboauth is the command line of the scboauth project: a local emulator of SCB's OAuth
// and payment APIs, a contract check of a server against openapi.yaml, a token for shell
// scripts, and one command per payment call.
//
//	scboauth sandbox      serve a local emulator of SCB's OAuth and payment APIs
//	scboauth contract     check that a server's answers match openapi.yaml
//	scboauth token        print an access token for an SCB application
//	scboauth qr|slip|bill|deeplink|transaction   make one payment call
//	scboauth pay          pay a QR or deeplink on a running emulator
//
// Run "scboauth <command> --help" for a command's flags and exit statuses. Every flag has an
// environment variable named in its help; the flag wins over the variable. Every command exits
// 2 on bad flags or arguments.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"golang.org/x/term"
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
	// isTerminal reports whether a stream is a terminal (contract's progress line); nil: none is.
	isTerminal func(io.Writer) bool
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) int
}

// commands lists the subcommands in the order "scboauth --help" shows them.
var commands = []command{
	{"sandbox", "serve a local emulator of SCB's OAuth and payment APIs", runSandbox},
	{"contract", "check that a server's answers match openapi.yaml", runContract},
	{"token", "print an access token for an SCB application", runToken},
	{"qr", "create a payment QR (qr create)", qrCommand.run},
	{"slip", "verify a payment slip (slip verify)", slipCommand.run},
	{"bill", "look up the bill payments of a QR (bill inquire)", billCommand.run},
	{"deeplink", "create a payment in the SCB app (deeplink create)", deeplinkCommand.run},
	{"transaction", "read a deeplink's transaction, or wait until paid (transaction get)", transactionCommand.run},
	{"pay", "pay a QR or deeplink on a running emulator and show its confirmation's delivery", runPay},
	{"version", "print the version of scboauth", runVersion},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, isTerminal: isTerminal})
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
		if len(args) > 1 && args[0] == "help" { // "scboauth help token" is "scboauth token --help"
			return run(ctx, []string{args[1], "--help"}, e)
		}
		usage(e.stdout)
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(e.stderr, "scboauth: unknown command %s\n\n", quote(args[0]))
	usage(e.stderr)
	return exitUsage
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func usage(w io.Writer) {
	fmt.Fprint(w, "scboauth: tools for the OAuth and payment APIs of SCB's Developer Platform\n\nUsage:\n  scboauth <command> [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun \"scboauth <command> --help\" (or \"scboauth help <command>\") for a command's flags, their\n"+
		"environment variables and its exit statuses. Every command exits 2 on bad flags or arguments,\n"+
		"and so does scboauth on an unknown command.\n")
}

func runVersion(_ context.Context, e *env, args []string) int {
	f := newFlags(e, "version", help{
		description: "Print the version of scboauth and of the Go toolchain that built it.",
		exit:        [3]string{0: "the version was printed", 2: "bad flags or arguments"},
	})
	if code, ok := f.Parse(args); !ok {
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
