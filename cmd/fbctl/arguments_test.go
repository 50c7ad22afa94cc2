package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestParseArity(t *testing.T) {
	for usage, want := range map[string]arity{
		"":                     {0, 0},
		"RUN_ID":               {1, 1},
		"LOCK_ID":              {1, 1},
		"PLANFILE | RUN_ID":    {1, 1},
		"[PATH...]":            {0, -1},
		"[PLANFILE | PATH...]": {0, -1},
		"RUN_ID [PATH...]":     {1, -1},
		"RUN_A RUN_B [RUN...]": {2, -1},
		"RUN [BASELINE]":       {1, 2},
	} {
		if got := parseArity(usage); got != want {
			t.Errorf("parseArity(%q) = %+v, want %+v", usage, got, want)
		}
	}
}

// TestEveryCommandRefusesUnexpectedArguments walks the whole command tree,
// so a command added later is covered too: one argument more than its
// ArgsUsage allows, or for commands that take any number of paths, a flag
// after the first path, is exit 1 with a message naming the command, and
// the command does not run.
func TestEveryCommandRefusesUnexpectedArguments(t *testing.T) {
	t.Chdir(t.TempDir())
	var leaves []*cli.Command
	var walk func(path []string, cmds []*cli.Command)
	walk = func(path []string, cmds []*cli.Command) {
		for _, cmd := range cmds {
			if cmd.Name == "help" {
				continue
			}
			p := append(append([]string{}, path...), cmd.Name)
			if len(cmd.Subcommands) > 0 {
				walk(p, cmd.Subcommands)
				continue
			}
			cmd.Category = strings.Join(p, " ") // the test's own copy of the tree
			leaves = append(leaves, cmd)
		}
	}
	walk(nil, newApp(nil, &bytes.Buffer{}, &bytes.Buffer{}, nil).Commands)
	if len(leaves) < 15 {
		t.Fatalf("found %d commands, expected every fbctl command", len(leaves))
	}
	for _, cmd := range leaves {
		name := cmd.Category
		args := strings.Fields(name)
		for _, f := range cmd.Flags {
			if r, ok := f.(cli.RequiredFlag); ok && r.IsRequired() {
				args = append(args, "-"+f.Names()[0], "x")
			}
		}
		want := parseArity(cmd.ArgsUsage)
		var message string
		switch {
		case want.max >= 0:
			for range want.max + 1 {
				args = append(args, "extra")
			}
			message = "fbctl " + name + " takes "
		default:
			for range max(want.min, 1) {
				args = append(args, "extra")
			}
			flag := "-h"
			for _, f := range cmd.Flags {
				if _, ok := f.(*cli.BoolFlag); ok {
					flag = "-" + f.Names()[0]
					break
				}
			}
			args = append(args, flag)
			message = "the flag " + flag + " comes after the argument"
		}
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runCLI(context.Background(), append([]string{"fbctl"}, args...), strings.NewReader(""), &stdout, &stderr)
			if code != exitError {
				t.Errorf("fbctl %s: exit %d, want %d; stderr:\n%s", strings.Join(args, " "), code, exitError, stderr.String())
			}
			if !strings.Contains(stderr.String(), message) || !strings.Contains(stderr.String(), "See `fbctl "+name+" -h`.") {
				t.Errorf("fbctl %s: stderr\n%s\nwant %q and where to read the usage", strings.Join(args, " "), stderr.String(), message)
			}
			if stdout.Len() > 0 {
				t.Errorf("fbctl %s printed to stdout, so it ran:\n%s", strings.Join(args, " "), stdout.String())
			}
		})
	}
}

var exampleRE = regexp.MustCompile(`Example:\n +(\S.*)?fbctl `)

// TestEveryCommandHelpHasAnExample: `fbctl COMMAND -h` teaches by example,
// for every command and group of the tree.
func TestEveryCommandHelpHasAnExample(t *testing.T) {
	var walk func(path []string, cmds []*cli.Command)
	walk = func(path []string, cmds []*cli.Command) {
		for _, cmd := range cmds {
			if cmd.Name == "help" {
				continue
			}
			p := append(append([]string{}, path...), cmd.Name)
			var stdout, stderr bytes.Buffer
			code := runCLI(context.Background(), append(append([]string{"fbctl"}, p...), "-h"), strings.NewReader(""), &stdout, &stderr)
			if code != 0 || !exampleRE.MatchString(stdout.String()) {
				t.Errorf("fbctl %s -h: exit %d, no example:\n%s%s", strings.Join(p, " "), code, stdout.String(), stderr.String())
			}
			walk(p, cmd.Subcommands)
		}
	}
	walk(nil, newApp(nil, &bytes.Buffer{}, &bytes.Buffer{}, nil).Commands)
}
