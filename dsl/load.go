package dsl

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// FileSuffix is the suffix of scenario files.
const FileSuffix = ".fb.hcl"

// EnvVarPrefix is the prefix of environment variables that set input
// variables: FB_VAR_NAME sets variable "NAME".
const EnvVarPrefix = "FB_VAR_"

// LoadOptions carries the values given outside the files.
type LoadOptions struct {
	// Vars are -var NAME=VALUE arguments in command-line order.
	Vars []string
	// VarFiles are -var-file paths (HCL attribute files) in order.
	VarFiles []string
	// LookupEnv reads the environment for FB_VAR_NAME values and env();
	// nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// RequireSecrets makes an empty secret a Snowflake login needs (a
	// password, token or key passphrase, typically env("NAME") with NAME
	// unset) an error; otherwise nothing is said. The commands that log
	// in to targets set it.
	RequireSecrets bool
}

// Load reads every scenario file named by paths (files, or directories whose
// *.fb.hcl files are read, not recursively), then decodes, evaluates and
// validates them. It returns every problem at once. The returned Config is
// never nil: its Files and Sources are set for rendering diagnostics even
// when the diagnostics hold errors.
func Load(paths []string, opts LoadOptions) (*Config, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	var names []string
	sources := map[string][]byte{}
	add := func(p string) {
		if _, seen := sources[p]; seen {
			return
		}
		b, tooLarge, err := readLimited(p)
		if err != nil {
			diags = append(diags, errorDiag("Cannot read scenario file", fmt.Sprintf("The file %q could not be read: %v.", p, err), nil, nil))
			return
		}
		if tooLarge {
			diags = append(diags, tooLargeDiag(p, "scenario file"))
			return
		}
		sources[p] = b
		names = append(names, p)
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			diags = append(diags, errorDiag("Cannot read scenario file", fmt.Sprintf("The path %q could not be read: %v.", p, err), nil, nil))
			continue
		}
		if !st.IsDir() {
			add(p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			diags = append(diags, errorDiag("Cannot read scenario directory", fmt.Sprintf("The directory %q could not be read: %v.", p, err), nil, nil))
			continue
		}
		found := false
		for _, e := range entries {
			if !e.IsDir() && strings.HasSuffix(e.Name(), FileSuffix) {
				add(filepath.Join(p, e.Name()))
				found = true
			}
		}
		if !found {
			diags = append(diags, errorDiag("No scenario files", fmt.Sprintf("The directory %q holds no *%s files.", p, FileSuffix), nil, nil))
		}
	}
	l := newLoader(sources, opts)
	l.diags = diags
	l.load(names)
	return l.cfg, l.diags
}

// LoadSources is Load over in-memory files: sources maps file names to
// their contents. Files are read in name order; file() resolves against the
// map only. VarFiles are still read from disk unless present in sources.
func LoadSources(sources map[string][]byte, opts LoadOptions) (*Config, hcl.Diagnostics) {
	names := make([]string, 0, len(sources))
	for n := range sources {
		if strings.HasSuffix(n, FileSuffix) || len(sources) == 1 {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	l := newLoader(sources, opts)
	l.memoryOnly = true
	l.load(names)
	return l.cfg, l.diags
}

// LoadContents is Load over files already read: contents maps each file's
// path to its bytes (a saved plan's sources, read and checked against their
// hashes). Unlike LoadSources, file() reads from disk relative to each
// file's directory.
func LoadContents(contents map[string][]byte, opts LoadOptions) (*Config, hcl.Diagnostics) {
	names := make([]string, 0, len(contents))
	for n := range contents {
		names = append(names, n)
	}
	sort.Strings(names)
	l := newLoader(contents, opts)
	l.load(names)
	return l.cfg, l.diags
}

// loader holds the state of one Load.
type loader struct {
	opts       LoadOptions
	cfg        *Config
	sources    map[string][]byte
	memoryOnly bool
	diags      hcl.Diagnostics
	// parseErrors: a file has a syntax error or an unexpected root
	// element, so whole-configuration checks would only add noise.
	parseErrors bool

	files     []*parsedFile
	vars      map[string]*variableDecl
	varOrder  []string
	varVals   map[string]cty.Value // marked sensitive where declared so
	locals    map[string]*localDecl
	localVals map[string]cty.Value
}

// parsedFile is one parsed scenario file with its root content and the
// evaluation context for its expressions.
type parsedFile struct {
	name    string
	file    *hcl.File
	content *hcl.BodyContent
	ctx     *hcl.EvalContext
}

func newLoader(sources map[string][]byte, opts LoadOptions) *loader {
	return &loader{
		opts:    opts,
		sources: sources,
		cfg: &Config{
			Variables:   map[string]*Variable{},
			Connections: map[string]*Connection{},
			Templates:   map[string]*Template{},
			Scenarios:   map[string]*Scenario{},
			Sources:     map[string][]byte{},
			Files:       map[string]*hcl.File{},
		},
		vars:      map[string]*variableDecl{},
		varVals:   map[string]cty.Value{},
		locals:    map[string]*localDecl{},
		localVals: map[string]cty.Value{},
	}
}

func (l *loader) lookupEnv(name string) (string, bool) {
	if l.opts.LookupEnv != nil {
		return l.opts.LookupEnv(name)
	}
	return os.LookupEnv(name)
}

func (l *loader) load(names []string) {
	for _, name := range names {
		src := l.sources[name]
		l.cfg.Sources[name] = src
		if len(src) > MaxFileSize {
			l.diags = append(l.diags, tooLargeDiag(name, "scenario file"))
			continue
		}
		if d := checkSource(src, name); d.HasErrors() {
			l.diags = append(l.diags, d...)
			// The snippet of a NUL or heredoc error helps; a line of
			// thousands of brackets does not.
			if len(src) <= 64<<10 {
				l.cfg.Files[name] = &hcl.File{Bytes: src}
			}
			continue
		}
		f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
		l.diags = append(l.diags, diags...)
		if f == nil || f.Body == nil {
			continue
		}
		l.cfg.Files[name] = f
		content, cdiags := f.Body.Content(rootSchema)
		l.diags = append(l.diags, cdiags...)
		l.parseErrors = l.parseErrors || diags.HasErrors() || cdiags.HasErrors()
		l.files = append(l.files, &parsedFile{name: name, file: f, content: content})
	}
	defer l.checkNotEmpty(names)

	// Inputs first: variables, then locals in dependency order.
	for _, pf := range l.files {
		for _, b := range pf.content.Blocks.OfType("variable") {
			l.declareVariable(pf, b)
		}
	}
	l.resolveVariables()
	for _, pf := range l.files {
		for _, b := range pf.content.Blocks.OfType("locals") {
			l.declareLocals(pf, b)
		}
	}
	l.evalLocals()
	for _, pf := range l.files {
		pf.ctx = l.evalContext(pf.name)
	}

	// Then the blocks, each kind after the kinds it refers to.
	for _, pf := range l.files {
		for _, b := range pf.content.Blocks.OfType("connection") {
			l.decodeConnection(pf, b)
		}
	}
	for _, pf := range l.files {
		for _, b := range pf.content.Blocks.OfType("results") {
			l.decodeResults(pf, b)
		}
	}
	for _, pf := range l.files {
		for _, b := range pf.content.Blocks.OfType("template") {
			l.decodeTemplate(pf, b)
		}
	}
	for _, pf := range l.files {
		for _, b := range pf.content.Blocks.OfType("scenario") {
			l.decodeScenario(pf, b)
		}
	}
}

// checkNotEmpty reports files that declare nothing, and a configuration
// with no scenario: an error when no file declares anything (there is
// nothing to validate, plan or apply), warnings otherwise. It stays silent
// when a file could not be parsed, so it never adds to a syntax error.
func (l *loader) checkNotEmpty(names []string) {
	if len(names) == 0 || len(l.files) < len(names) || l.parseErrors {
		return
	}
	var empty []string
	scenarios := 0
	for _, pf := range l.files {
		if len(pf.content.Blocks) == 0 && len(pf.content.Attributes) == 0 {
			empty = append(empty, pf.name)
		}
		scenarios += len(pf.content.Blocks.OfType("scenario"))
	}
	if len(empty) == len(l.files) {
		for _, name := range empty {
			l.diags = append(l.diags, errorDiag("Empty scenario file",
				fmt.Sprintf("The file %s declares nothing (it is empty or holds only comments), so there is nothing to validate, plan or apply. Add a template and a scenario, or name the files that hold them.", name),
				fileStart(name), nil))
		}
		return
	}
	for _, name := range empty {
		l.diags = append(l.diags, warnDiag("Empty scenario file",
			fmt.Sprintf("The file %s declares nothing (it is empty or holds only comments).", name),
			fileStart(name)))
	}
	if scenarios == 0 {
		l.diags = append(l.diags, warnDiag("No scenario",
			"The files declare no scenario block, so apply would only mirror templates into CONFIG and run nothing. Add a scenario to run a benchmark.",
			fileStart(l.files[0].name)))
	}
}

// evalContext is the context for expressions in the named file.
func (l *loader) evalContext(filename string) *hcl.EvalContext {
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var":   objectOf(l.varVals),
			"local": objectOf(l.localVals),
		},
		Functions: l.functions(filepath.Dir(filename)),
	}
}

// Format returns src in canonical form (hclwrite), or the syntax errors that
// stop it from being formatted.
func Format(src []byte, filename string) ([]byte, hcl.Diagnostics) {
	return format(src, filename)
}
