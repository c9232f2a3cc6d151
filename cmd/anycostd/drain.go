package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/control"
	"github.com/anycostd/anycostd/internal/cmdline"
)

// drainCommands are `anycostd drain SERVICE` and `anycostd undrain
// SERVICE`: the operator's manual drain over the control socket. A drained
// service goes to its drain state (withdrawn, or the highest tier with
// drain_action = "max-tier") as soon as pacing allows, and stays there
// until undrained, also across restarts (the daemon keeps its manual
// drains in state_dir, docs/deployment.md).
func drainCommands() []*cli.Command {
	mk := func(name string, on bool, usage string) *cli.Command {
		return &cli.Command{
			Name:      name,
			Usage:     usage,
			ArgsUsage: "SERVICE",
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "all", Usage: "every service"},
				controlFlag("control socket `PATH` of the daemon (default: control_socket of --config, else " +
					config.DefaultControlSocket + ")"),
				&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "read the control socket path from `FILE`"},
			},
			Action: func(c *cli.Context) error {
				svc := c.Args().First()
				switch {
				case svc == "" && !c.Bool("all"):
					return cmdline.UsageError("%s: name a service, or --all", name)
				case svc != "" && c.Bool("all"):
					return cmdline.UsageError("%s: a service name or --all, not both", name)
				}
				path, err := controlPath(c)
				if err != nil {
					return err
				}
				r, err := control.Client{Path: path}.Drain(c.Context, svc, on)
				if err != nil {
					return cli.Exit(err.Error(), exitFailure)
				}
				what := r.Service
				if what == "" {
					what = "every service"
				}
				state := "drained"
				if !r.Drained {
					state = "undrained"
				}
				fmt.Fprintf(c.App.Writer, "%s: %s (the change reaches the router as soon as pacing allows)\n", what, state)
				return nil
			},
		}
	}
	return []*cli.Command{
		mk("drain", true, "move a service to its drain state (withdrawn, or the highest tier) until undrained, also across restarts (kept in state_dir)"),
		mk("undrain", false, "end a manual drain"),
	}
}
