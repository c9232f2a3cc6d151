package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/internal/cmdline"
	"github.com/anycostd/anycostd/internal/daemon"
	"github.com/anycostd/anycostd/internal/render"
)

// whatIfNeeds names, for an input a service has no monitor for, the --set
// keys that set it and the configuration table that would monitor it.
var whatIfNeeds = map[costmodel.InputKind]struct{ keys, table string }{
	costmodel.InputSocket:    {"socket, rqueue and drops", "[service.socket]"},
	costmodel.InputProbe:     {"probe and probe_ms", "[service.probe]"},
	costmodel.InputExternal:  {"external", "[service.external]"},
	costmodel.InputCPU:       {"cpu", "[service.cpu]"},
	costmodel.InputDrainFile: {"drain_file", "drain_file"},
}

// planWhatIf builds the what-if run of the named service of cfg, its
// cost model parameters as the daemon builds them.
func planWhatIf(cfg *config.Config, name string, set costmodel.WhatIfSet, dur time.Duration) (*costmodel.WhatIfPlan, error) {
	svc := cfg.Service(name)
	if svc == nil {
		known := make([]string, len(cfg.Services))
		for i, s := range cfg.Services {
			known[i] = s.Name
		}
		return nil, fmt.Errorf("no service %q in the configuration (known: %s)", name, strings.Join(known, ", "))
	}
	p, err := daemon.ModelParams(cfg, *svc)
	if err != nil {
		return nil, err
	}
	pl, err := costmodel.PlanWhatIf(name, p, svc.DrainFile != "", set, dur)
	var missing *costmodel.MonitorMissingError
	if errors.As(err, &missing) {
		n := whatIfNeeds[missing.Input]
		return nil, fmt.Errorf("--set %s: service %s has no %s, so the daemon never sees that input", n.keys, name, n.table)
	}
	return pl, err
}

// runWhatIf runs the plan from render.WhatIfStart.
func runWhatIf(pl *costmodel.WhatIfPlan, configPath string) (*render.WhatIfOutput, error) {
	res, err := pl.Run(render.WhatIfStart)
	if err != nil {
		return nil, err
	}
	return &render.WhatIfOutput{
		Service:     pl.Service,
		Config:      configPath,
		SimulatedMS: pl.Duration.Milliseconds(),
		Why:         pl.Why,
		Inputs:      pl.Inputs,
		Withdrawn:   res.Decision.Withdraw,
		Metric:      res.Decision.Metric,
		Settled:     !res.Decision.Held,
		Result:      res,
	}, nil
}

func whatIfCommand() *cli.Command {
	var keys strings.Builder
	for _, k := range costmodel.WhatIfKeys {
		fmt.Fprintf(&keys, "  %-11s %s\n", k.Key, k.Help)
	}
	return &cli.Command{
		Name:  "what-if",
		Usage: "run a service's cost model offline on inputs you set, to tune tiers before deploying them",
		Description: "Builds the service's cost model from --config exactly as the daemon does, feeds it the\n" +
			"inputs set with --set (each at its configured interval, held constant), long enough for\n" +
			"the probe's rise, the tier moves, pacing and smoothing to pass (or for --for), and prints\n" +
			"the advertisement it ends with and why. A configured monitor that is not set is assumed\n" +
			"healthy and idle (socket present and empty, probe ok in 0 ms, external load 0, CPU 0).\n\n" +
			"--set keys (repeat --set, or separate with commas):\n" + keys.String() + "\n" +
			"--peer gives the other servers of the farm as this server's LSDB would show them (one\n" +
			"--peer each, held constant): " + costmodel.WhatIfPeerSyntax + ":\n" +
			"the metric its Intra-Area-Prefix-LSA carries (or withdrawn), then what its server load LSA\n" +
			"says: its load figure, capacity (default 1) and state. A peer without load is an older\n" +
			"anycostd (metric only). Without --peer the model runs with no farm view.\n" +
			"--agent says a router agent (anycostd router, ROUTER_ID) weighs the service's prefix, as\n" +
			"its announcement in this server's LSDB would: the load tiers are then held at the base metric.\n\n" +
			"Example: anycostd cost what-if -c /etc/anycostd/anycostd.toml --service dns --set rqueue=0.8 --set probe_ms=40\n" +
			"         anycostd cost what-if -c anycostd.toml -s dns --set rqueue=0.8 --peer 192.0.2.12=10,load=0.9,capacity=1",
		Flags: []cli.Flag{
			configFlag(),
			&cli.StringFlag{Name: "service", Aliases: []string{"s"}, Usage: "the service `NAME`", Required: true},
			&cli.StringSliceFlag{Name: "set", Usage: "an input `KEY=VALUE` (the keys are listed above)"},
			&cli.StringSliceFlag{Name: "peer", Usage: "a peer of the farm, `" + costmodel.WhatIfPeerSyntax + "`"},
			&cli.StringFlag{Name: "agent", Usage: "a router agent's `ROUTER_ID` weighs the service's prefix"},
			&cli.DurationFlag{Name: "for", Usage: "simulated `TIME` to run", DefaultText: "long enough to settle"},
			&cli.BoolFlag{Name: "json", Usage: "print the result as JSON"},
		},
		Action: func(c *cli.Context) error {
			if d := c.Duration("for"); d < 0 || d > 24*time.Hour {
				return cmdline.UsageError("--for %s: want a duration above 0 and at most 24h", d)
			}
			set, err := costmodel.ParseWhatIfSet(c.StringSlice("set"))
			if err != nil {
				return cli.Exit("--set "+err.Error(), exitUsage)
			}
			peers, err := costmodel.ParseWhatIfPeers(c.StringSlice("peer"))
			if err != nil {
				return cli.Exit("--peer "+err.Error(), exitUsage)
			}
			cfg, err := config.Load(c.String("config"))
			if err != nil {
				return configError(err)
			}
			pl, err := planWhatIf(cfg, c.String("service"), set, c.Duration("for"))
			if err != nil {
				// An unknown service, or an input the service does not have.
				return cli.Exit(err.Error(), exitUsage)
			}
			if c.IsSet("peer") || c.IsSet("agent") {
				self := costmodel.RouterID(cfg.RouterID)
				for _, p := range peers {
					if p.RouterID == self {
						return cli.Exit(fmt.Sprintf("--peer %s: that is this server's router_id in %s", p.RouterID, c.String("config")), exitUsage)
					}
				}
				pl.Farm = &costmodel.FarmView{Self: self, Peers: peers}
				if c.IsSet("agent") {
					id, err := costmodel.ParseRouterID(c.String("agent"))
					if err != nil || id == self {
						return cli.Exit(fmt.Sprintf("--agent %q: want the agent's router ID, a dotted quad other than this server's", c.String("agent")), exitUsage)
					}
					pl.Farm.Agents = []costmodel.RouterAgent{{RouterID: id, Prefix: cfg.Service(c.String("service")).Prefix}}
				}
			}
			out, err := runWhatIf(pl, c.String("config"))
			if err != nil {
				return cli.Exit(err.Error(), exitFailure)
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, out, true)
			}
			var b bytes.Buffer
			render.WhatIf(&b, out)
			_, err = c.App.Writer.Write(b.Bytes())
			return err
		},
	}
}
