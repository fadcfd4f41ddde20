// Command lintel is Lintel's one binary: it serves the identity server and
// its HTTP edge, migrates the database and manages the secrets keyring.
//
// Every command reads its configuration from flags, LINTEL_* environment
// variables and an optional YAML file (--config), in that precedence; run
// `lintel COMMAND --help` for the flags of each.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// env is what every command gets from the process: no globals, so tests
// run commands in-process with their own environment and output.
type env struct {
	environ        []string
	stdout, stderr io.Writer
}

// run executes the command line and returns the exit code.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	e := &env{environ: environ, stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "lintel",
		Short: "Lintel: self-hostable customer identity in one binary",
		Long: `Lintel is a customer-identity platform: sign-in on your own domain with your
own look, an OpenID Connect provider, a universal directory and a management
API, in one binary.

Configuration comes from flags, then LINTEL_* environment variables, then an
optional YAML file named by --config or LINTEL_CONFIG. Unknown YAML keys and
unknown LINTEL_* variables stop the command with a message naming them.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(args)
	root.AddCommand(e.serveCommand(), e.migrateCommand(), e.secretsCommand(), e.adminCommand(), e.versionCommand())
	root.AddCommand(e.policyCommand(), e.emailCommand())
	root.AddCommand(e.eventsCommand()) // events_tail.go
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(stderr, "lintel: %v\n", err)
		if errors.Is(err, context.Canceled) {
			return 130
		}
		var exit exitError
		if errors.As(err, &exit) {
			return exit.code
		}
		return 1
	}
	return 0
}

// exitError ends a command with its own exit status instead of 1.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }
