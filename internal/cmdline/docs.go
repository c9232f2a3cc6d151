package cmdline

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"
)

// Shell completion asks the binary itself for the candidates: urfave/cli
// answers a command line ending in --generate-bash-completion with the
// commands, or with the flags when the word being completed starts with
// "-". The scripts pass the words typed so far.
const (
	bashCompletion = `# bash completion of anycostd: anycostd completion bash > /etc/bash_completion.d/anycostd
_anycostd() {
	local cur=${COMP_WORDS[COMP_CWORD]} IFS=$'\n' words
	words=("${COMP_WORDS[@]:0:COMP_CWORD}")
	[[ $cur == -* ]] && words+=("$cur")
	COMPREPLY=($(compgen -W "$("${words[@]}" --generate-bash-completion 2>/dev/null)" -- "$cur"))
}
complete -o bashdefault -o default -F _anycostd anycostd
`
	zshCompletion = `#compdef anycostd
# zsh completion of anycostd: anycostd completion zsh > "${fpath[1]}/_anycostd"
_anycostd() {
	local -a args opts
	args=(${words[1,CURRENT-1]})
	[[ ${words[CURRENT]} == -* ]] && args+=(${words[CURRENT]})
	opts=("${(@f)$(${args[@]} --generate-bash-completion 2>/dev/null)}")
	if [[ -n ${opts[1]} ]]; then
		_describe 'anycostd' opts
	else
		_files
	fi
}
compdef _anycostd anycostd
`
)

// CompletionCommand is `anycostd completion bash|zsh`.
func CompletionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash or zsh",
		ArgsUsage: "SHELL",
		Description: "bash: anycostd completion bash > /etc/bash_completion.d/anycostd\n" +
			"zsh:  anycostd completion zsh > \"${fpath[1]}/_anycostd\"",
		Action: func(c *cli.Context) error {
			var script string
			switch sh := c.Args().First(); sh {
			case "bash":
				script = bashCompletion
			case "zsh":
				script = zshCompletion
			case "":
				return UsageError("completion: name a shell, bash or zsh")
			default:
				return UsageError("completion: %q: bash or zsh", sh)
			}
			_, err := io.WriteString(c.App.Writer, script)
			return err
		},
	}
}

// ManCommand prints the manual page page renders (make man writes it
// to docs/anycostd.8). It is hidden from the listings.
func ManCommand(page func() (string, error)) *cli.Command {
	return &cli.Command{
		Name:   "man",
		Usage:  "print the manual page (troff, section 8)",
		Hidden: true,
		Action: func(c *cli.Context) error {
			text, err := page()
			if err != nil {
				return err
			}
			_, err = io.WriteString(c.App.Writer, text)
			return err
		},
	}
}

// ManPage renders the manual page of app, which must be fresh: the
// commands as they are defined, before any run changed them.
func ManPage(app *cli.App) (string, error) {
	app.Version = "" // the page does not depend on the build
	page, err := app.ToMan()
	if err != nil {
		return "", fmt.Errorf("man page: %w", err)
	}
	return page, nil
}
