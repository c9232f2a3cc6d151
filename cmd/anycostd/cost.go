package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/control"
	"github.com/anycostd/anycostd/costmodel"
	"github.com/anycostd/anycostd/internal/cmdline"
	"github.com/anycostd/anycostd/internal/render"
)

// costLocation is the time zone `anycostd cost` shows times in; nil is
// the local one.
var costLocation *time.Location

func costCommand() *cli.Command {
	return &cli.Command{
		Name:      "cost",
		Usage:     "explain each service's metric: inputs, load, tiers, pacing and the last changes",
		ArgsUsage: "[SERVICE]",
		Description: "For each service (or only SERVICE): every input with its latest value, age and source;\n" +
			"the load figure and its terms; the tier table with the current tier and the hysteresis band;\n" +
			"the metric in the LSA on the wire and the one the cost model wants; when pacing lets the\n" +
			"next change out; the last 20 changes with their reasons.\n\n" +
			"--watch redraws every --interval until interrupted (^C).\n\n" +
			"anycostd cost what-if runs the same cost model offline; see anycostd cost what-if --help.",
		HideHelpCommand: true,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the result as JSON (the schema of docs/control.md)"},
			&cli.BoolFlag{Name: "watch", Aliases: []string{"w"}, Usage: "redraw in place until interrupted (^C)"},
			&cli.DurationFlag{Name: "interval", Value: time.Second, Usage: "time between two redraws of --watch"},
			controlFlag("control socket `PATH` of the daemon (default: control_socket of --config, else " +
				config.DefaultControlSocket + ")"),
			&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "read the control socket path from `FILE`"},
		},
		Subcommands: []*cli.Command{whatIfCommand()},
		Action: func(c *cli.Context) error {
			svc := c.Args().First()
			if c.Duration("interval") <= 0 {
				return cmdline.UsageError("--interval %s: must be above 0", c.Duration("interval"))
			}
			path, err := controlPath(c)
			if err != nil {
				return err
			}
			if c.Bool("watch") {
				return watchCost(c, path, svc)
			}
			views, err := fetchCost(c.Context, path, svc)
			if err != nil {
				return cli.Exit(err.Error(), exitFailure)
			}
			if c.Bool("json") {
				return writeJSON(c.App.Writer, views, true)
			}
			var b bytes.Buffer
			render.Cost(&b, views, render.Clock{Loc: costLocation})
			_, err = c.App.Writer.Write(b.Bytes())
			return err
		},
	}
}

// fetchCost asks the daemon for the cost model's explanations (of svc, or
// of every service) and for its status, and joins them.
func fetchCost(ctx context.Context, path, svc string) ([]render.CostView, error) {
	c := control.Client{Path: path}
	list, err := c.Explain(ctx, svc)
	if err != nil {
		return nil, err
	}
	st, err := c.Status(ctx)
	if err != nil {
		return nil, err
	}
	return joinCost(list, st), nil
}

// joinCost pairs each explanation with what the service has on the wire
// and, in OSPF mode, its LSA, by name.
func joinCost(list []costmodel.Explanation, st *control.Status) []render.CostView {
	views := make([]render.CostView, len(list))
	for i, e := range list {
		views[i].Explanation = e
		for _, w := range st.Services {
			if w.Name != e.Service {
				continue
			}
			cw := &render.CostWire{Wire: w}
			if st.OSPF != nil && w.Mode == config.ModeOSPF {
				for _, s := range st.OSPF.Services {
					if s.Name == w.Name {
						cw.LSID, cw.Seq = s.LSID, s.Seq
					}
				}
			}
			views[i].Wire = cw
			break
		}
	}
	return views
}

// writeJSON writes v as JSON, indented or on one line.
func writeJSON(w io.Writer, v any, indent bool) error {
	var b []byte
	var err error
	if indent {
		b, err = json.MarshalIndent(v, "", "  ")
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
