package main

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/flakebench/fbctl/cmd/fbctl/view"
	"github.com/flakebench/fbctl/dsl"
	"github.com/hashicorp/hcl/v2"
	"github.com/rogpeppe/go-internal/diff"
	"github.com/urfave/cli/v2"
)

type fmtArgs struct {
	check, diff, recursive, write bool
	paths                         []string
}

func fmtCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:      "fmt",
		Usage:     "rewrite scenario files in canonical format",
		ArgsUsage: "[PATH...]",
		Description: "Formats every *.fb.hcl file named (files or directories; default: the current\n" +
			"directory; '-' reads stdin and writes stdout). Lists the files it changed.\n" +
			"With -check it changes nothing and exits 1 when a file needs formatting.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "check", Usage: "change nothing; exit 1 and list the files that need formatting"},
			&cli.BoolFlag{Name: "diff", Usage: "print the formatting changes as a unified diff"},
			&cli.BoolFlag{Name: "recursive", Usage: "also format files in subdirectories"},
		},
		Action: func(c *cli.Context) error {
			a, err := parseFmtArgs(c)
			if err != nil {
				return err
			}
			return g.runFmt(a)
		},
	}
}

func (g *globals) runFmt(a fmtArgs) error {
	if len(a.paths) == 1 && a.paths[0] == "-" {
		return g.fmtStdin()
	}
	files, err := findScenarioFiles(a.paths, a.recursive)
	if err != nil {
		return err
	}
	var (
		needs  []string
		diags  hcl.Diagnostics
		parsed = map[string]*hcl.File{}
	)
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		out, fd := dsl.Format(src, name)
		if fd.HasErrors() {
			diags = append(diags, fd...)
			parsed[name] = &hcl.File{Bytes: src}
			continue
		}
		if bytes.Equal(src, out) {
			continue
		}
		needs = append(needs, name)
		fmt.Fprintln(g.stdout, name)
		if a.diff {
			g.stdout.Write(diff.Diff("old/"+name, src, "new/"+name, out))
		}
		if a.write {
			if err := writeFileKeepMode(name, out); err != nil {
				return err
			}
		}
	}
	if len(diags) > 0 {
		if err := view.Diagnostics(g.stderr, parsed, diags, g.color); err != nil {
			return err
		}
		return silentExit(exitError)
	}
	if a.check && len(needs) > 0 {
		fmt.Fprintf(g.stderr, "%s not in canonical format; run `fbctl fmt` to fix.\n",
			view.Plural(len(needs), "file is", "files are"))
		return silentExit(exitError)
	}
	return nil
}

func (g *globals) fmtStdin() error {
	src, err := io.ReadAll(g.stdin)
	if err != nil {
		return err
	}
	out, diags := dsl.Format(src, "<stdin>")
	if diags.HasErrors() {
		_ = view.Diagnostics(g.stderr, map[string]*hcl.File{"<stdin>": {Bytes: src}}, diags, g.color)
		return silentExit(exitError)
	}
	_, err = g.stdout.Write(out)
	return err
}

// findScenarioFiles expands paths into scenario files: a file is taken as
// named; a directory contributes its *.fb.hcl files (and its subdirectories'
// when recursive). The result is sorted and free of duplicates.
func findScenarioFiles(paths []string, recursive bool) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", p, err)
		}
		if !info.IsDir() {
			add(filepath.Clean(p))
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && (!recursive || strings.HasPrefix(d.Name(), ".")) {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(d.Name(), dsl.FileSuffix) {
				add(filepath.Clean(path))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

// writeFileKeepMode replaces a file's content atomically, keeping its mode.
func writeFileKeepMode(name string, data []byte) error {
	info, err := os.Stat(name)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".fbctl-fmt-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), info.Mode().Perm()); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
