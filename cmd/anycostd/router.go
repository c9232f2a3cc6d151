package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/anycostd/anycostd/control"
	"github.com/anycostd/anycostd/internal/daemon"
	"github.com/anycostd/anycostd/internal/render"
)

// routerCommand is `anycostd router`: the router agent
// (docs/router-agent.md), and `anycostd router status`.
func routerCommand() *cli.Command {
	return &cli.Command{
		Name:  "router",
		Usage: "run the router agent: weighted next hops for each anycast prefix from the servers' load LSAs (SIGHUP reloads its configuration)",
		Description: "Runs on the router box, with a configuration that has a [router] table (testdata/router.toml).\n" +
			"SIGHUP: reload the configuration; distance, kernel_metric, prefixes, max_weight, min_factor and\n" +
			"max_factor of [router], and log_level, apply at once; any other key that changed needs a restart\n" +
			"(logged by name, not applied); an invalid file changes nothing (router status shows the error).\n" +
			"SIGTERM or SIGINT: remove the agent's routes (OSPF's own routes forward again) and exit.",
		Flags:       daemonFlags(),
		Subcommands: []*cli.Command{routerStatusCommand()},
		Action: func(c *cli.Context) error {
			cfg, opts, err := daemonOptions(c)
			if err != nil {
				return err
			}
			if cfg.Router == nil {
				return cli.Exit(opts.ConfigPath+": no [router] table: a server's configuration runs with anycostd run", exitConfig)
			}
			// RunRouter logs its error.
			if err := daemon.New(cfg, daemon.SystemHost{}, opts).RunRouter(c.Context); err != nil {
				return cli.Exit("", exitFailure)
			}
			return nil
		},
	}
}

func routerStatusCommand() *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "show each prefix's weighted next hops (server, capacity, load, weight, why), the servers left out, and the configuration's last load and reload",
		Flags: clientFlags("agent"),
		Action: func(c *cli.Context) error {
			raw, err := callControl(c, control.CmdRouterStatus)
			if raw == nil {
				return err
			}
			var st control.RouterStatus
			if err := json.Unmarshal(raw, &st); err != nil {
				return cli.Exit(fmt.Sprintf("bad answer from anycostd: %v", err), exitFailure)
			}
			return render.RouterStatus(c.App.Writer, &st, time.Now())
		},
	}
}
