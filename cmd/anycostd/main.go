// Command anycostd advertises anycast service prefixes to the link router
// over OSPFv3, with a metric that follows the services' load.
//
//	anycostd run --config FILE [--control PATH] [--log-format text|json] [--log-level LEVEL]
//	anycostd check --config FILE [--host] [--quiet]
//	anycostd status [--json] [--control PATH]
//	anycostd lsdb [--json] [--control PATH]
//	anycostd neighbors [--json] [--control PATH]
//	anycostd cost [--json] [--watch] [--control PATH] [SERVICE]
//	anycostd cost what-if --config FILE --service NAME [--set KEY=VALUE ...]
//	anycostd drain|undrain [--control PATH] SERVICE|--all
//	anycostd router --config FILE [--control PATH]
//	anycostd router status [--json] [--control PATH]
//
// Flags may come before or after the arguments. `anycostd help
// [COMMAND]` is `anycostd [COMMAND] --help`; `anycostd --version` prints
// the module version and the commit it was built from.
//
// Exit codes (docs/cli.md): 0 success; 1 failure (the daemon stopped on
// an error, cannot be reached, or gave a bad answer); 2 a wrong command
// line or an invalid configuration (nothing a retry can fix: the systemd
// unit does not restart on it).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/internal/cmdline"
)

// Exit codes (docs/cli.md).
const (
	// exitFailure: the command failed (the daemon stopped on an error,
	// cannot be reached, gave a bad answer).
	exitFailure = 1
	// exitUsage: the command line is wrong (unknown command or flag, a
	// missing or extra argument, a bad flag value).
	exitUsage = cmdline.ExitUsage
	// exitConfig: the configuration is invalid. The same code as
	// exitUsage: neither is fixed by trying again.
	exitConfig = 2
)

func main() {
	os.Exit(runMain(context.Background(), os.Args, os.Stdout, os.Stderr))
}

// runMain runs the CLI with args and returns the exit code, so tests can
// run it in-process.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := newApp(stdout, stderr)
	args, err := cmdline.PrepareArgs(app, args)
	if err == nil {
		err = app.RunContext(ctx, args)
	}
	if err == nil {
		return 0
	}
	code := exitFailure
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		code = ec.ExitCode()
	}
	if msg := err.Error(); msg != "" {
		fmt.Fprintf(stderr, "anycostd: %s\n", msg)
	}
	return code
}

func newApp(stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:      "anycostd",
		Usage:     "advertise anycast service prefixes over OSPFv3 with a load-driven metric",
		Version:   version(),
		Writer:    stdout,
		ErrWriter: stderr,
		Description: "Flags may come before or after the arguments.\n\n" +
			"Exit status: 0 success; 1 the command failed (the daemon stopped on an error, cannot\n" +
			"be reached, or gave a bad answer); 2 a wrong command line or an invalid configuration.",
		UsageText:            "anycostd COMMAND [FLAGS] [ARGUMENTS]   (anycostd help COMMAND: its flags)",
		EnableBashCompletion: true,
		// Errors are turned into exit codes by runMain, not by os.Exit
		// inside the library.
		ExitErrHandler:  func(*cli.Context, error) {},
		HideHelpCommand: true,
		Commands: append([]*cli.Command{
			runCommand(),
			checkCommand(),
			routerCommand(),
		}, append(clientCommands(), append(drainCommands(), costCommand(), cmdline.CompletionCommand(), cmdline.ManCommand(manPage))...)...),
	}
	cmdline.Setup(app)
	return app
}

// manPage renders the manual page of a fresh app (anycostd man, make man).
func manPage() (string, error) {
	return cmdline.ManPage(newApp(io.Discard, io.Discard))
}

func configFlag() *cli.StringFlag {
	return &cli.StringFlag{
		Name:     "config",
		Aliases:  []string{"c"},
		Usage:    "configuration `FILE` (TOML)",
		Required: true,
	}
}

// controlFlag is --control (or ANYCOSTD_CONTROL) of every command that
// takes it. Like control_socket it must be an absolute path: a relative one
// would create the socket (run, router) or look for it (a client) in
// whatever folder the command was started in.
func controlFlag(usage string) *cli.StringFlag {
	return &cli.StringFlag{
		Name:    "control",
		Usage:   usage,
		EnvVars: []string{"ANYCOSTD_CONTROL"},
		Action: func(_ *cli.Context, p string) error {
			if p != "" && !filepath.IsAbs(p) {
				return cmdline.UsageError("--control (or ANYCOSTD_CONTROL) %q is not an absolute path: give the socket's full path, e.g. %s",
					p, config.DefaultControlSocket)
			}
			return nil
		},
	}
}
