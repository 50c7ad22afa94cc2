package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// Shell completion: bash and zsh ask fbctl itself for the candidates at
// each TAB (`fbctl ... --generate-bash-completion` lists the subcommands,
// or the flags when the word starts with "-"), so they always match the
// binary; with no candidate (a path argument) the shell completes file
// names. Fish gets a static script generated from the command tree.

const bashCompletion = `# fbctl completion for bash. Load it with:
#   source <(fbctl completion bash)
# or install it: fbctl completion bash > /etc/bash_completion.d/fbctl
_fbctl_bash_autocomplete() {
  local cur opts
  COMPREPLY=()
  cur="${COMP_WORDS[COMP_CWORD]}"
  if [[ "$cur" == "--"* ]]; then
    opts=$("${COMP_WORDS[@]:0:$COMP_CWORD}" "${cur}" --generate-bash-completion 2>/dev/null)
  elif [[ "$cur" == "-"* ]]; then
    # fbctl's flags are written with one dash (-json); fbctl lists them with two.
    opts=$("${COMP_WORDS[@]:0:$COMP_CWORD}" "${cur}" --generate-bash-completion 2>/dev/null | sed 's/^--/-/')
  else
    opts=$("${COMP_WORDS[@]:0:$COMP_CWORD}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "${opts}" -- "${cur}"))
  return 0
}
complete -o bashdefault -o default -F _fbctl_bash_autocomplete fbctl
`

const zshCompletion = `#compdef fbctl
# fbctl completion for zsh. Load it with:
#   source <(fbctl completion zsh)
# or put it in a directory of $fpath as _fbctl.
_fbctl_zsh_autocomplete() {
  local -a opts
  local cur
  cur=${words[-1]}
  if [[ "$cur" == "--"* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} ${cur} --generate-bash-completion 2>/dev/null)}")
  elif [[ "$cur" == "-"* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} ${cur} --generate-bash-completion 2>/dev/null | sed 's/^--/-/')}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion 2>/dev/null)}")
  fi
  if [[ "${opts[1]}" != "" ]]; then
    _describe 'values' opts
  else
    _files
  fi
}
if [ "$funcstack[1]" = "_fbctl" ]; then
  _fbctl_zsh_autocomplete "$@"
else
  compdef _fbctl_zsh_autocomplete fbctl
fi
`

func completionCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash, zsh or fish",
		ArgsUsage: "bash|zsh|fish",
		Description: "Completes commands, subcommands and flags; paths complete as files.\n\n" +
			"Example:\n  source <(fbctl completion bash)                                   # this bash session\n" +
			"  fbctl completion zsh > \"${fpath[1]}/_fbctl\"                       # zsh, for good\n" +
			"  fbctl completion fish > ~/.config/fish/completions/fbctl.fish      # fish",
		Action: func(c *cli.Context) error {
			switch shell := c.Args().First(); shell {
			case "bash":
				_, err := fmt.Fprint(g.stdout, bashCompletion)
				return err
			case "zsh":
				_, err := fmt.Fprint(g.stdout, zshCompletion)
				return err
			case "fish":
				script, err := c.App.ToFishCompletion()
				if err != nil {
					return err
				}
				_, err = fmt.Fprint(g.stdout, script)
				return err
			default:
				return usageError(c, "fbctl completion knows bash, zsh and fish, not %q.", shell)
			}
		},
	}
}
