// Command anycostd advertises anycast service prefixes to the link router
// over OSPFv3, with a metric that follows the services' load.
//
//	anycostd run --config FILE [--control PATH] [--log-format text|json] [--log-level LEVEL]
//	anycostd check --config FILE
//	anycostd status [--json] [--control PATH]
//	anycostd lsdb [--json] [--control PATH]
//	anycostd neighbors [--json] [--control PATH]
//	anycostd cost [--json] [--watch] [--control PATH] [SERVICE]
//	anycostd cost what-if --config FILE --service NAME [--set KEY=VALUE ...]
//	anycostd drain|undrain [--control PATH] SERVICE|--all
//
// Flags go before positional arguments: anycostd cost --json dns.
//
// Exit codes: 0 success; 1 failure (daemon error, daemon not reachable,
// bad usage); 2 invalid configuration.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/anycostd/anycostd/config"
)

// Exit codes.
const (
	exitFailure = 1
	exitConfig  = 2
)

func main() {
	os.Exit(runMain(context.Background(), os.Args, os.Stdout, os.Stderr))
}

// runMain runs the CLI with args and returns the exit code, so tests can
// run it in-process.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := newApp(stdout, stderr)
	err := app.RunContext(ctx, args)
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
	return &cli.App{
		Name:      "anycostd",
		Usage:     "advertise anycast service prefixes over OSPFv3 with a load-driven metric",
		Writer:    stdout,
		ErrWriter: stderr,
		// Errors are turned into exit codes by runMain, not by os.Exit
		// inside the library.
		ExitErrHandler:  func(*cli.Context, error) {},
		HideHelpCommand: true,
		Commands: append([]*cli.Command{
			runCommand(),
			checkCommand(),
		}, append(clientCommands(), append(drainCommands(), costCommand())...)...),
	}
}

func configFlag() *cli.StringFlag {
	return &cli.StringFlag{
		Name:     "config",
		Aliases:  []string{"c"},
		Usage:    "configuration `FILE` (TOML)",
		Required: true,
	}
}

func controlFlag(usage string) *cli.StringFlag {
	return &cli.StringFlag{
		Name:    "control",
		Usage:   usage,
		EnvVars: []string{"ANYCOSTD_CONTROL"},
	}
}

func checkCommand() *cli.Command {
	return &cli.Command{
		Name:  "check",
		Usage: "validate a configuration file and print the effective configuration",
		Description: "Prints the configuration with every default filled in and exits 0, or prints\n" +
			"each problem (file:line: key: message) and exits 2.",
		Flags: []cli.Flag{configFlag()},
		Action: func(c *cli.Context) error {
			cfg, err := config.Load(c.String("config"))
			if err != nil {
				return configError(err)
			}
			for _, w := range cfg.Warnings() {
				fmt.Fprintf(c.App.ErrWriter, "warning: %s\n", w)
			}
			if cfg.HasOSPF() {
				fmt.Fprintf(c.App.ErrWriter, "note: %s; the router's own setting is learned from what it takes (anycostd status)\n", pacingText(configPacing(cfg)))
			}
			_, err = io.WriteString(c.App.Writer, cfg.String())
			return err
		},
	}
}

// configError is the exit of a command whose configuration is invalid.
func configError(err error) error {
	if es := config.AsErrors(err); len(es) > 1 {
		return cli.Exit(fmt.Sprintf("%d problems in the configuration:\n%s", len(es), es), exitConfig)
	}
	return cli.Exit(err.Error(), exitConfig)
}
