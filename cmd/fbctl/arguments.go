package main

// The rules every command's command line follows, enforced once for the
// whole command tree (guardArguments) rather than in each command:
//
//   - a command takes the positional arguments its ArgsUsage says, and no
//     others: "" takes none, "RUN_ID" exactly one, "[PATH...]" any number,
//     "RUN_ID [PATH...]" at least one; ArgsUsage is what -h shows, so the
//     help and the check cannot disagree;
//   - a flag after a positional argument is refused with the command line
//     reordered (the flag parser stops at the first argument, so `fbctl
//     plan . -json` would otherwise read "-json" as a path);
//   - an unknown command or subcommand says so, with the closest name;
//   - a flag the command does not have says so, without a page of help.
//
// Each command then parses its flags once into its typed arguments struct
// (cmdargs.go) and hands that, never the *cli.Context, to its helpers.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/flakebench/fbctl/dsl"
	"github.com/urfave/cli/v2"
)

// arity is how many positional arguments a command takes; max < 0: any
// number.
type arity struct{ min, max int }

// parseArity reads an ArgsUsage string: words outside brackets are
// required ("A | B" is one word with alternatives), each bracketed group is
// optional, and "..." anywhere makes the last one repeatable.
func parseArity(usage string) arity {
	var a arity
	var outside strings.Builder
	depth := 0
	for _, r := range usage {
		switch {
		case r == '[':
			if depth == 0 {
				a.max++
			}
			depth++
		case r == ']':
			depth--
		case depth == 0:
			outside.WriteRune(r)
		}
	}
	words := strings.Fields(outside.String())
	alternatives := 0
	for _, w := range words {
		if w == "|" {
			alternatives++
		}
	}
	a.min = len(words) - 2*alternatives
	a.max += a.min
	if strings.Contains(usage, "...") {
		a.max = -1
	}
	return a
}

// usageError is a command-line mistake: exit code 1, the message, and
// where to read the command's usage.
func usageError(c *cli.Context, format string, args ...any) error {
	name := commandName(c)
	return &exitErr{code: exitError, msg: fmt.Sprintf(format, args...) + fmt.Sprintf("\nSee `%s -h`.", name)}
}

// commandName is "fbctl" followed by the names of the command and the
// commands it is under ("fbctl schema apply").
func commandName(c *cli.Context) string {
	var names []string
	for _, ctx := range c.Lineage() {
		if ctx.Command != nil && ctx.Command.Name != "" && ctx.Command.Name != c.App.Name {
			names = append([]string{ctx.Command.Name}, names...)
		}
	}
	return strings.Join(append([]string{"fbctl"}, names...), " ")
}

// guardArguments installs the shared command-line rules on every command
// of app, and the root's own action (no command: the newcomer's help).
func guardArguments(app *cli.App) {
	app.Action = rootAction
	app.OnUsageError = onUsageError
	for _, cmd := range app.Commands {
		guardCommand(cmd)
		addExamples("", cmd)
	}
}

func guardCommand(cmd *cli.Command) {
	cmd.OnUsageError = onUsageError
	if len(cmd.Subcommands) > 0 {
		for _, sub := range cmd.Subcommands {
			guardCommand(sub)
		}
		if cmd.Action == nil {
			cmd.Action = groupAction
			return
		}
		// A command with its own action besides subcommands (runs, with
		// runs delete and runs prune) takes what its ArgsUsage says.
	}
	if cmd.Action == nil || cmd.Name == "help" {
		return
	}
	action, want := cmd.Action, parseArity(cmd.ArgsUsage)
	cmd.Action = func(c *cli.Context) error {
		if err := checkPositional(c, want); err != nil {
			return err
		}
		return action(c)
	}
}

// checkPositional refuses flags after arguments and a number of arguments
// the command does not take.
func checkPositional(c *cli.Context, want arity) error {
	args := c.Args().Slice()
	if err := flagsAfterArguments(c, args); err != nil {
		return err
	}
	what := c.Command.ArgsUsage
	switch {
	case want.max == 0 && len(args) > 0:
		return usageError(c, "%s takes no arguments, but was given %s.", commandName(c), quoteArgs(args))
	case want.max > 0 && len(args) > want.max:
		return usageError(c, "%s takes %s, but was given %d: %s.", commandName(c), countArgs(want.max, what), len(args), quoteArgs(args))
	case len(args) < want.min:
		return usageError(c, "%s needs %s.", commandName(c), strings.TrimSpace(what[:strings.IndexAny(what+"[", "[")]))
	}
	return nil
}

func countArgs(n int, usage string) string {
	if n == 1 {
		return "one argument (" + usage + ")"
	}
	return fmt.Sprintf("at most %d arguments (%s)", n, usage)
}

func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = fmt.Sprintf("%q", a)
	}
	return strings.Join(q, " ")
}

// flagsAfterArguments finds an argument that is a flag written after the
// first positional argument, and says how to write the command instead.
func flagsAfterArguments(c *cli.Context, args []string) error {
	var moved, rest []string
	var first string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "-" || !strings.HasPrefix(a, "-") {
			rest = append(rest, a)
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := commandFlag(c.Command, name)
		if f == nil {
			return usageError(c, "%q looks like a flag, but %s has no flag -%s.%s If it is a path, write ./%s.",
				a, commandName(c), name, suggestFlag(c.Command, name), a)
		}
		if first == "" {
			first = a
		}
		moved = append(moved, a)
		if _, isBool := f.(*cli.BoolFlag); !isBool && !hasValue && i+1 < len(args) {
			i++
			moved = append(moved, args[i])
		}
	}
	if first == "" {
		return nil
	}
	if len(rest) == 0 {
		return nil // cannot happen: the parser reads flags before any argument
	}
	line := append(append([]string{commandName(c)}, moved...), rest...)
	return usageError(c, "the flag %s comes after the argument %q, where it is read as an argument. Flags go before arguments:\n  %s",
		first, rest[0], strings.Join(line, " "))
}

// commandFlag is cmd's flag called name (or one of its aliases), or nil.
func commandFlag(cmd *cli.Command, name string) cli.Flag {
	for _, f := range cmd.Flags {
		if slices.Contains(f.Names(), name) {
			return f
		}
	}
	if name == "h" || name == "help" {
		return cli.HelpFlag
	}
	return nil
}

func suggestFlag(cmd *cli.Command, name string) string {
	var names []string
	for _, f := range cmd.Flags {
		names = append(names, f.Names()...)
	}
	if s := dsl.Suggest(name, names); s != "" {
		return fmt.Sprintf(" Did you mean -%s?", s)
	}
	return ""
}

// onUsageError reports a flag the command does not have (or a flag value
// that does not parse) in one sentence, without a page of help.
func onUsageError(c *cli.Context, err error, _ bool) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok && c.Command != nil {
		return usageError(c, "%s has no flag -%s.%s", commandName(c), name, suggestFlag(c.Command, name))
	}
	return usageError(c, "%s: %s.", commandName(c), msg)
}

// groupAction runs for a command that only groups subcommands: without
// one it shows the group's help, with an unknown one it says so.
func groupAction(c *cli.Context) error {
	if c.NArg() == 0 {
		return cli.ShowSubcommandHelp(c)
	}
	return unknownCommand(c, c.Command.Subcommands)
}

// unknownCommand refuses the first argument as a command of cmds.
func unknownCommand(c *cli.Context, cmds []*cli.Command) error {
	name := c.Args().First()
	var names []string
	for _, cmd := range cmds {
		if !cmd.Hidden {
			names = append(names, cmd.Names()...)
		}
	}
	hint := ""
	if s := dsl.Suggest(name, names); s != "" {
		hint = fmt.Sprintf(" Did you mean %q?", s)
	}
	return usageError(c, "%q is not a command of %s.%s", name, commandName(c), hint)
}
