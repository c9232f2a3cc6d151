package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/control"
	"github.com/anycostd/anycostd/internal/render"
	"github.com/anycostd/anycostd/ospf"
)

// clientCommand describes a CLI command that asks the daemon one control
// request and prints its result.
type clientCommand struct {
	name, usage string
	command     string // control protocol command
	// render prints the result as text; --json prints it as received.
	render func(w io.Writer, result json.RawMessage, now time.Time) error
}

// clientCommandTable lists the commands that query the daemon.
var clientCommandTable = []clientCommand{
	{
		name:    "status",
		usage:   "show the interface, DR/BDR, neighbors, each service's advertised metric and the ND mode's turns",
		command: control.CmdStatus,
		render: func(w io.Writer, raw json.RawMessage, now time.Time) error {
			var st control.Status
			if err := json.Unmarshal(raw, &st); err != nil {
				return err
			}
			return render.Status(w, &st, now)
		},
	},
	{
		name:    "lsdb",
		usage:   "show the link-state database",
		command: control.CmdLSDB,
		render: func(w io.Writer, raw json.RawMessage, _ time.Time) error {
			var es []ospf.LSDBEntry
			if err := json.Unmarshal(raw, &es); err != nil {
				return err
			}
			return render.LSDB(w, es)
		},
	},
	{
		name:    "neighbors",
		usage:   "show the OSPF neighbors on the interface and their BFD sessions",
		command: control.CmdNeighbors,
		render: func(w io.Writer, raw json.RawMessage, now time.Time) error {
			var r control.NeighborsResult
			if err := json.Unmarshal(raw, &r); err != nil {
				return err
			}
			return render.Neighbors(w, &r, now)
		},
	},
}

func clientCommands() []*cli.Command {
	var out []*cli.Command
	for _, cc := range clientCommandTable {
		out = append(out, &cli.Command{
			Name:  cc.name,
			Usage: cc.usage,
			Flags: clientFlags("daemon"),
			Action: func(c *cli.Context) error {
				raw, err := callControl(c, cc.command)
				if raw == nil {
					return err
				}
				if err := cc.render(c.App.Writer, raw, time.Now()); err != nil {
					return cli.Exit(fmt.Sprintf("bad answer from anycostd: %v", err), exitFailure)
				}
				return nil
			},
		})
	}
	return out
}

// clientFlags are the flags of a command that asks the daemon (or the
// router agent: who) one request.
func clientFlags(who string) []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "json", Usage: "print the result as JSON (the schema of docs/control.md)"},
		controlFlag("control socket `PATH` of the " + who + " (default: control_socket of --config, else " +
			config.DefaultControlSocket + ")"),
		&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "read the control socket path from `FILE`"},
	}
}

// callControl asks the daemon command and, with --json, prints the
// answer: raw is then nil. An error leaves raw nil too.
func callControl(c *cli.Context, command string) (json.RawMessage, error) {
	path, err := controlPath(c)
	if err != nil {
		return nil, err
	}
	raw, err := control.Client{Path: path}.CallRaw(c.Context, command, nil)
	if err != nil {
		return nil, cli.Exit(err.Error(), exitFailure)
	}
	if !c.Bool("json") {
		return raw, nil
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return nil, cli.Exit(fmt.Sprintf("bad answer from anycostd: %v", err), exitFailure)
	}
	b.WriteByte('\n')
	_, err = c.App.Writer.Write(b.Bytes())
	return nil, err
}

// controlPath is --control, else the control_socket of --config, else
// the default.
func controlPath(c *cli.Context) (string, error) {
	if p := c.String("control"); p != "" {
		return p, nil
	}
	if f := c.String("config"); f != "" {
		cfg, err := config.Load(f)
		if err != nil {
			return "", configError(err)
		}
		return cfg.ControlSocket, nil
	}
	return config.DefaultControlSocket, nil
}
