package main

import (
	"fmt"
	"io"
	"net"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/anycostd/anycostd/config"
	"github.com/anycostd/anycostd/internal/render"
	"github.com/anycostd/anycostd/ospf/auth/authfile"
)

func checkCommand() *cli.Command {
	return &cli.Command{
		Name:  "check",
		Usage: "validate a configuration file and print the effective configuration",
		Description: "Prints the configuration with every default filled in and exits 0, or prints\n" +
			"each problem (file:line: key: message) and exits 2. Warnings (valid settings likely\n" +
			"to hurt) go to stderr and do not change the exit status.\n\n" +
			"--host also checks what run needs from this host: every interface the configuration\n" +
			"names exists, every authentication key file is readable and mode 0600 or stricter.\n" +
			"The unit's ExecReload runs it before the reload signal.",
		Flags: []cli.Flag{
			configFlag(),
			&cli.BoolFlag{Name: "host", Usage: "also check the interfaces and key files on this host"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print problems and warnings only, not the configuration"},
		},
		Action: func(c *cli.Context) error {
			var h config.Host
			if c.Bool("host") {
				h = systemChecks{}
			}
			cfg, err := config.LoadOnHost(c.String("config"), h)
			if err != nil {
				return configError(err)
			}
			for _, w := range cfg.Warnings() {
				fmt.Fprintf(c.App.ErrWriter, "warning: %s\n", w)
			}
			if c.Bool("quiet") {
				return nil
			}
			if cfg.HasOSPF() {
				fmt.Fprintf(c.App.ErrWriter, "note: %s; the router's own setting is learned from what it takes (anycostd status)\n", render.PacingText(configPacing(cfg)))
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

// systemChecks answers check --host from this host.
type systemChecks struct{}

func (systemChecks) InterfaceExists(name string) (bool, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(ifs, func(i net.Interface) bool { return i.Name == name }), nil
}

// CheckKeyFile reads the key as run does (authfile.LoadKeyFile) and forgets it.
func (systemChecks) CheckKeyFile(path string) error {
	secret, err := authfile.LoadKeyFile(path)
	clear(secret)
	return err
}
