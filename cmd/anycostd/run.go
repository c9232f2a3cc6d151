package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/internal/cmdline"
	"github.com/anycostd/anycostd/internal/daemon"
	"github.com/anycostd/anycostd/internal/sdnotify"
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:  "run",
		Usage: "run the daemon in the foreground (logs to standard error)",
		Description: "SIGTERM or SIGINT: flush the advertisements and exit (a second signal exits at once).\n" +
			"SIGHUP: reload the configuration and apply service changes.\n" +
			"Under systemd with Type=notify it reports READY=1, STATUS=, STOPPING=1 and, with WatchdogSec=, WATCHDOG=1 (docs/deployment.md).",
		Flags: daemonFlags(),
		Action: func(c *cli.Context) error {
			cfg, opts, err := daemonOptions(c)
			if err != nil {
				return err
			}
			if cfg.Router != nil {
				return cli.Exit(opts.ConfigPath+": a [router] table: the router agent runs with anycostd router", exitConfig)
			}
			if err := daemon.CheckCapabilities(); err != nil {
				return cli.Exit(err.Error(), exitFailure)
			}
			// Under systemd (Type=notify, WatchdogSec=): the socket and
			// the watchdog, taken out of the environment of the
			// commands the daemon runs.
			if opts.Notify, err = sdnotify.FromEnv(); err != nil {
				fmt.Fprintf(c.App.ErrWriter, "anycostd: %v; systemd will not be told the daemon is ready\n", err)
			}
			if opts.Watchdog, err = sdnotify.WatchdogFromEnv(); err != nil {
				fmt.Fprintf(c.App.ErrWriter, "anycostd: %v; no watchdog pings\n", err)
			}
			// Run logs its error.
			if err := daemon.New(cfg, daemon.SystemHost{}, opts).Run(c.Context); err != nil {
				return cli.Exit("", exitFailure)
			}
			return nil
		},
	}
}

// daemonFlags are the flags of the commands that run a daemon (run,
// router).
func daemonFlags() []cli.Flag {
	return []cli.Flag{
		configFlag(),
		controlFlag("control socket `PATH` (overrides control_socket)"),
		&cli.StringFlag{Name: "log-format", Usage: "text or json (overrides log_format)"},
		&cli.StringFlag{Name: "log-level", Usage: "debug, info, warn or error (overrides log_level)"},
	}
}

// daemonOptions reads daemonFlags and loads the configuration.
func daemonOptions(c *cli.Context) (*config.Config, daemon.Options, error) {
	opts := daemon.Options{
		ConfigPath: c.String("config"),
		Control:    c.String("control"),
		LogFormat:  c.String("log-format"),
		LogLevel:   c.String("log-level"),
		LogTo:      c.App.ErrWriter,
	}
	if _, ok := config.ParseLogFormat(opts.LogFormat); opts.LogFormat != "" && !ok {
		return nil, opts, cmdline.UsageError("--log-format %q: want text or json", opts.LogFormat)
	}
	if _, ok := config.ParseLogLevel(opts.LogLevel); opts.LogLevel != "" && !ok {
		return nil, opts, cmdline.UsageError("--log-level %q: want debug, info, warn or error", opts.LogLevel)
	}
	cfg, err := config.Load(opts.ConfigPath)
	if err != nil {
		return nil, opts, configError(err)
	}
	return cfg, opts, nil
}
