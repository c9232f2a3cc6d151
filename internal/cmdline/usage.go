// Package cmdline is how anycostd reads a command line, beyond
// urfave/cli's own parsing (the rules are below), and what
// it generates from the command definitions: the shell completion scripts
// and the manual page. cmd/anycostd defines the commands; this package
// knows none of them.
package cmdline

import (
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// How anycostd reads a command line, beyond urfave/cli's own parsing:
//
//   - `anycostd help [COMMAND...]` is `anycostd [COMMAND...] --help`;
//   - flags may follow the arguments (`anycostd drain dns --control X`):
//     PrepareArgs moves them before the first argument, where urfave/cli
//     (which stops at the first argument) reads them;
//   - a command takes at most as many arguments as its ArgsUsage names
//     ("[SERVICE]": one); more is a usage error, never silently ignored;
//   - a usage error (unknown command or flag, a missing required flag, an
//     extra argument) is one line on stderr and exit status 2, never the
//     help text on stdout.

// ExitUsage is the exit status of a wrong command line (docs/cli.md).
const ExitUsage = 2

// completionFlag is the flag urfave/cli's shell completion appends to ask
// for candidates (App.EnableBashCompletion).
const completionFlag = "--generate-bash-completion"

// PrepareArgs rewrites args (argv, program first) as described above.
// A flag that wants a value and ends the line is a usage error: moved
// before the arguments it would take the first of them as its value.
func PrepareArgs(app *cli.App, args []string) ([]string, error) {
	if len(args) < 2 {
		return args, nil
	}
	rest := slices.Clone(args[1:])
	if rest[len(rest)-1] == completionFlag {
		return args, nil
	}
	if rest[0] == "help" {
		rest = append(rest[1:], "--help")
	}
	var cmd *cli.Command
	cmds := app.Commands
	n := 0
	for n < len(rest) {
		c := findCommand(cmds, rest[n])
		if c == nil {
			break
		}
		cmd, cmds = c, c.Subcommands
		n++
	}
	if cmd == nil {
		return append([]string{args[0]}, rest...), nil
	}
	flags, positional, dashes, dangling := splitFlags(cmd.Flags, rest[n:])
	if dangling != "" && len(positional) > 0 {
		return nil, UsageError("%s: flag needs an argument: %s (see anycostd %s --help)", commandPath(cmd), dangling, commandPath(cmd))
	}
	out := append([]string{args[0]}, rest[:n]...)
	out = append(out, flags...)
	if dashes {
		// "--" ends the flags: an argument after it that starts with
		// "-" stays an argument.
		out = append(out, "--")
	}
	return append(out, positional...), nil
}

// splitFlags separates the flags (with their values) from the arguments,
// in order. Everything after "--" is an argument; dashes says there was
// one. dangling is a flag that wants a value and ends the line.
func splitFlags(defs []cli.Flag, tokens []string) (flags, positional []string, dashes bool, dangling string) {
	for i := 0; i < len(tokens); i++ {
		t := tokens[i]
		switch {
		case t == "--":
			return flags, append(positional, tokens[i+1:]...), true, ""
		case len(t) < 2 || t[0] != '-':
			positional = append(positional, t)
			continue
		}
		flags = append(flags, t)
		name := strings.TrimLeft(t, "-")
		switch {
		case strings.Contains(name, "=") || !takesValue(defs, name):
		case i+1 < len(tokens):
			flags = append(flags, tokens[i+1])
			i++
		default:
			dangling = t
		}
	}
	return flags, positional, false, dangling
}

// takesValue reports whether the flag called name is defined and takes a
// value (--config FILE), unlike a boolean (--json).
func takesValue(defs []cli.Flag, name string) bool {
	for _, f := range defs {
		if slices.Contains(f.Names(), name) {
			df, ok := f.(cli.DocGenerationFlag)
			return ok && df.TakesValue()
		}
	}
	return false
}

// findCommand returns the command called name (or an alias), or nil.
func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// UsageError is the error of a wrong command line: one line on stderr,
// exit status ExitUsage.
func UsageError(format string, args ...any) error {
	return cli.Exit(fmt.Sprintf(format, args...), ExitUsage)
}

// Setup gives the app and each command the behaviour above:
// urfave/cli's own handling of a usage error prints the help text on
// stdout, and of a missing required flag too, so required flags are
// checked here instead.
func Setup(app *cli.App) {
	app.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
		return UsageError("%v (anycostd --help lists the commands and flags)", err)
	}
	app.Action = func(c *cli.Context) error {
		if !c.Args().Present() {
			return UsageError("no command given: anycostd COMMAND [FLAGS] [ARGUMENTS]; commands: %s (anycostd --help)",
				strings.Join(commandNames(app.Commands), ", "))
		}
		name := c.Args().First()
		msg := fmt.Sprintf("unknown command %q", name)
		if s := closest(name, commandNames(app.Commands)); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
		return UsageError("%s; anycostd --help lists the commands", msg)
	}
	var walk func(cmds []*cli.Command)
	walk = func(cmds []*cli.Command) {
		for _, cmd := range cmds {
			setupCommand(cmd)
			walk(cmd.Subcommands)
		}
	}
	walk(app.Commands)
}

func setupCommand(cmd *cli.Command) {
	cmd.HideHelpCommand = true
	var required []string
	for _, f := range cmd.Flags {
		if sf, ok := f.(*cli.StringFlag); ok && sf.Required {
			sf.Required = false
			required = append(required, sf.Name)
		}
	}
	cmd.OnUsageError = func(c *cli.Context, err error, _ bool) error {
		msg := err.Error()
		if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
			if s := closest(strings.TrimLeft(name, "-"), flagNames(cmd.Flags)); s != "" {
				msg += fmt.Sprintf(" (did you mean --%s?)", s)
			}
		}
		return UsageError("%s: %s (see %s --help)", commandPath(cmd), msg, "anycostd "+commandPath(cmd))
	}
	before := cmd.Before
	maxArgs := len(strings.Fields(cmd.ArgsUsage))
	cmd.Before = func(c *cli.Context) error {
		if c.Args().Present() && findCommand(cmd.Subcommands, c.Args().First()) != nil {
			return nil // the subcommand checks its own
		}
		for _, name := range required {
			if !c.IsSet(name) {
				return UsageError("%s: --%s is required (see anycostd %s --help)", commandPath(cmd), name, commandPath(cmd))
			}
		}
		if n := c.NArg(); n > maxArgs {
			return UsageError("%s %s, got %d: %s", commandPath(cmd), argsLimit(maxArgs, cmd.ArgsUsage), n,
				strings.Join(c.Args().Slice(), " "))
		}
		if before != nil {
			return before(c)
		}
		return nil
	}
}

// argsLimit says how many arguments a command takes.
func argsLimit(n int, argsUsage string) string {
	switch n {
	case 0:
		return "takes no arguments"
	case 1:
		return "takes at most one argument, " + argsUsage
	}
	return fmt.Sprintf("takes at most %d arguments, %s", n, argsUsage)
}

// commandPath is the command's name below anycostd: "cost what-if".
func commandPath(cmd *cli.Command) string {
	if p, ok := strings.CutPrefix(cmd.HelpName, "anycostd "); ok {
		return p
	}
	return cmd.Name
}

// commandNames lists the visible commands.
func commandNames(cmds []*cli.Command) []string {
	var out []string
	for _, c := range cmds {
		if !c.Hidden {
			out = append(out, c.Name)
		}
	}
	return out
}

// flagNames lists every name of every flag.
func flagNames(flags []cli.Flag) []string {
	var out []string
	for _, f := range flags {
		out = append(out, f.Names()...)
	}
	return out
}

// closest returns the candidate nearest to s when it is near enough to
// be a typo (edit distance at most 2, or a prefix of it), else "".
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		d := editDistance(s, c)
		if len(s) >= 2 && strings.HasPrefix(c, s) {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
