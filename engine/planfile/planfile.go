package planfile

// This is the only file that knows the on-disk shape of a plan file.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
)

// FormatVersion is the version of the plan file layout. Read refuses any
// other, and any plan whose own format_version is not
// engine.PlanFormatVersion.
const FormatVersion = "1"

// File is a saved plan: the plan plus what it was computed from, so apply
// can refuse it when the world changed.
type File struct {
	// FormatVersion is the file layout version (FormatVersion).
	FormatVersion string `json:"format_version"`
	// ToolVersion is the fbctl version that wrote the file.
	ToolVersion string `json:"tool_version"`
	// CreatedAt is when the plan was made (UTC).
	CreatedAt time.Time `json:"created_at"`
	// Sources maps each scenario file the plan was built from to
	// "sha256:<hex>" of its bytes. Names are relative to the plan file's
	// own directory, with forward slashes, never absolute and never
	// climbing out with "..": a plan file that travels (a CI artifact)
	// cannot make apply read a file elsewhere (see ValidSourceName).
	Sources map[string]string `json:"sources"`
	// ConfigState maps every template name the plan considered (declared
	// in the files or stored in CONFIG) to the hash CONFIG held for it, ""
	// when it held none.
	ConfigState map[string]string `json:"config_state"`
	// ScenarioState is TEST_SCENARIOS' hashes by name, like ConfigState.
	ScenarioState map[string]string `json:"scenario_state,omitempty"`
	// Plan is the evaluated plan.
	Plan *engine.Plan `json:"plan"`

	// dir is the directory of the file Read read, which Sources are
	// relative to ("" for a File made by New).
	dir string
}

// ValidSourceName reports why name cannot be a source of a plan file, or
// "" when it can: a relative, clean, slash-separated path that stays inside
// the plan's directory.
func ValidSourceName(name string) string {
	switch {
	case name == "":
		return "it is empty"
	case strings.HasPrefix(name, "/") || filepath.IsAbs(name) || filepath.VolumeName(name) != "" || strings.Contains(name, `\`):
		return "it is an absolute path"
	case strings.ContainsRune(name, 0):
		return "it holds a NUL character"
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "it climbs out of the plan's directory with .."
		}
	}
	if path.Clean(name) != name {
		return "it is not a clean path"
	}
	return ""
}

// SourcesRelativeTo renames loaded sources (paths as the loader read them)
// to names relative to the directory of the plan file at planPath, as a
// plan file records them. A source outside that directory is an error: a
// plan must be saved in a directory that holds its scenario files.
func SourcesRelativeTo(planPath string, sources map[string][]byte) (map[string][]byte, error) {
	dir, err := filepath.Abs(filepath.Dir(planPath))
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(sources))
	for name, b := range sources {
		abs, err := filepath.Abs(name)
		if err != nil {
			return nil, err
		}
		rel, err := filepath.Rel(dir, abs)
		if err == nil {
			rel = filepath.ToSlash(rel)
		}
		if err != nil || ValidSourceName(rel) != "" {
			return nil, fmt.Errorf("cannot save the plan as %s: the scenario file %s is outside the plan's directory %s, and a plan file names its sources relative to its own directory. Save the plan in a directory that holds the scenario files (for example -out plan.fbplan in the project directory)", planPath, name, dir)
		}
		out[rel] = b
	}
	return out, nil
}

// New records a plan with the sources and CONFIG state it was computed
// from. now is the creation time (pass time.Now()).
func New(plan *engine.Plan, sources map[string][]byte, state engine.State, toolVersion string, now time.Time) *File {
	f := &File{
		FormatVersion: FormatVersion,
		ToolVersion:   toolVersion,
		CreatedAt:     now.UTC(),
		Sources:       HashSources(sources),
		ConfigState:   hashes(state.Templates),
		ScenarioState: hashes(state.Scenarios),
		Plan:          plan,
	}
	if plan != nil {
		for _, t := range plan.Templates {
			if _, ok := f.ConfigState[t.Name]; !ok {
				f.ConfigState[t.Name] = ""
			}
		}
		for _, t := range plan.Scenarios {
			if _, ok := f.ScenarioState[t.Name]; !ok {
				f.ScenarioState[t.Name] = ""
			}
		}
	}
	return f
}

func hashes(state map[string]engine.StoredTemplate) map[string]string {
	out := make(map[string]string, len(state))
	for name, st := range state {
		out[name] = st.EffectiveHash()
	}
	return out
}

// HashSources returns file name → "sha256:<hex>" of its bytes.
func HashSources(sources map[string][]byte) map[string]string {
	out := make(map[string]string, len(sources))
	for name, b := range sources {
		out[name] = hashOf(b)
	}
	return out
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// UnusablePlanError says a file cannot be used as a plan at all: not a plan
// file, damaged, or written in a format this fbctl does not read. Callers
// can detect it with errors.As.
type UnusablePlanError struct {
	Path   string
	Reason string
	Err    error // the underlying error, if any
}

func (e *UnusablePlanError) Error() string {
	msg := "not a usable plan file: " + e.Reason
	if e.Path != "" {
		msg = e.Path + " is " + msg
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *UnusablePlanError) Unwrap() error { return e.Err }

// StalePlanError says the plan was computed from sources or a CONFIG state
// that changed since; applying it could do something the reviewer never
// saw. Callers can detect it with errors.As.
type StalePlanError struct {
	// Changes lists each difference, one sentence each, in a stable order:
	// source files (by name), then templates (by name).
	Changes []string
}

func (e *StalePlanError) Error() string {
	return "the saved plan is stale, run fbctl plan again: " + strings.Join(e.Changes, "; ")
}

// Write writes f to path atomically (a temporary file in the same
// directory, synced, then renamed) with mode 0600.
func Write(path string, f *File) error {
	if f == nil || f.Plan == nil {
		return fmt.Errorf("write plan file %s: no plan", path)
	}
	for _, name := range slices.Sorted(maps.Keys(f.Sources)) {
		if why := ValidSourceName(name); why != "" {
			return fmt.Errorf("write plan file %s: the source name %q cannot be recorded: %s (see SourcesRelativeTo)", path, name, why)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("write plan file %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write plan file %s: %w", path, err)
	}
	tmpName := tmp.Name()
	cleanup := func(err error) error {
		_ = tmp.Close()
		_ = os.Remove(tmpName)
		return fmt.Errorf("write plan file %s: %w", path, err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		return cleanup(err)
	}
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		return cleanup(err)
	}
	if err := tmp.Sync(); err != nil {
		return cleanup(err)
	}
	if err := tmp.Close(); err != nil {
		return cleanup(err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		_ = os.Remove(tmpName)
		return fmt.Errorf("write plan file %s: %w", path, err)
	}
	return nil
}

// Read reads a plan file. A file that is not a plan this fbctl can use
// gives an *UnusablePlanError; a missing file gives an error wrapping
// fs.ErrNotExist.
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan file: %w", err)
	}
	f, err := decode(path, data)
	if err != nil {
		return nil, err
	}
	f.dir = filepath.Dir(path)
	return f, nil
}

// SourcePaths returns the paths of the plan's sources as apply opens them:
// each name joined to the directory of the plan file, sorted.
func (f *File) SourcePaths() []string {
	out := make([]string, 0, len(f.Sources))
	for _, name := range slices.Sorted(maps.Keys(f.Sources)) {
		out = append(out, f.pathOf(name))
	}
	return out
}

func (f *File) pathOf(name string) string {
	if f.dir == "" {
		return filepath.FromSlash(name)
	}
	return filepath.Join(f.dir, filepath.FromSlash(name))
}

// nameOf turns a path from SourcePaths back into the recorded name.
func (f *File) nameOf(p string) string {
	if f.dir == "" {
		return filepath.ToSlash(p)
	}
	rel, err := filepath.Rel(f.dir, p)
	if err != nil {
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(rel)
}

// ReadSources reads the plan's source files and checks each against the
// hash the plan recorded, before anything parses or prints them: a file
// that is missing, larger than dsl.MaxFileSize or changed gives a
// *StalePlanError naming it and nothing of its content. The result is keyed
// by the paths of SourcePaths, for dsl.LoadContents.
func (f *File) ReadSources() (map[string][]byte, error) {
	out := make(map[string][]byte, len(f.Sources))
	var changes []string
	for _, name := range slices.Sorted(maps.Keys(f.Sources)) {
		p := f.pathOf(name)
		b, err := readLimited(p, dsl.MaxFileSize)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			changes = append(changes, fmt.Sprintf("file %s was removed since the plan", name))
			continue
		case err != nil:
			changes = append(changes, fmt.Sprintf("file %s cannot be read (%v)", name, cleanPathError(err)))
			continue
		}
		if hashOf(b) != f.Sources[name] {
			changes = append(changes, fmt.Sprintf("file %s was edited since the plan", name))
			continue
		}
		out[p] = b
	}
	if len(changes) > 0 {
		return nil, &StalePlanError{Changes: changes}
	}
	return out, nil
}

var errTooLarge = errors.New("larger than fbctl reads")

func readLimited(p string, limit int64) ([]byte, error) {
	fh, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errTooLarge
	}
	return b, nil
}

// cleanPathError drops the path an *fs.PathError repeats.
func cleanPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func decode(path string, data []byte) (*File, error) {
	unusable := func(reason string, err error) error {
		return &UnusablePlanError{Path: path, Reason: reason, Err: err}
	}
	// Check the version before the full decode, so a future layout gives a
	// version message rather than a field error.
	var head struct {
		FormatVersion *string `json:"format_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, unusable("it is not JSON", err)
	}
	if head.FormatVersion == nil {
		return nil, unusable("it has no format_version (not an fbctl plan file)", nil)
	}
	if *head.FormatVersion != FormatVersion {
		return nil, unusable(fmt.Sprintf("plan file format version %q is not supported; this fbctl reads version %q (make the plan again with this fbctl)",
			*head.FormatVersion, FormatVersion), nil)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, unusable("it is damaged or was written by another fbctl", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, unusable("it has data after the plan", nil)
	}
	if f.Plan == nil {
		return nil, unusable("it holds no plan", nil)
	}
	if f.Plan.FormatVersion != engine.PlanFormatVersion {
		return nil, unusable(fmt.Sprintf("plan format version %q is not supported; this fbctl reads version %q",
			f.Plan.FormatVersion, engine.PlanFormatVersion), nil)
	}
	// Restore each template's and scenario's canonical CONFIG bytes (the
	// file is indented) and check them against their hash.
	for _, kind := range []struct {
		what string
		chs  []engine.TemplateChange
	}{{"template", f.Plan.Templates}, {"scenario", f.Plan.Scenarios}} {
		for i := range kind.chs {
			t := &kind.chs[i]
			if t.Config == nil {
				continue
			}
			var buf bytes.Buffer
			if err := json.Compact(&buf, t.Config); err != nil {
				return nil, unusable(fmt.Sprintf("the CONFIG of %s %q is damaged", kind.what, t.Name), err)
			}
			t.Config = buf.Bytes()
			if got := engine.HashConfig(t.Config); got != t.Hash {
				return nil, unusable(fmt.Sprintf("the CONFIG of %s %q does not match its hash (%s, expected %s)", kind.what, t.Name, got, t.Hash), nil)
			}
		}
	}
	if f.Sources == nil {
		f.Sources = map[string]string{}
	}
	for _, name := range slices.Sorted(maps.Keys(f.Sources)) {
		if why := ValidSourceName(name); why != "" {
			return nil, unusable(fmt.Sprintf("it names the source file %q, which is not a path relative to the plan's directory (%s); make the plan again", name, why), nil)
		}
	}
	if f.ScenarioState == nil {
		f.ScenarioState = map[string]string{}
	}
	if f.ConfigState == nil {
		f.ConfigState = map[string]string{}
	}
	return &f, nil
}

// CheckToolVersion returns an *UnusablePlanError when the file was written
// by another fbctl version than current. The CLI calls it unless told to
// accept plans across versions.
func (f *File) CheckToolVersion(current string) error {
	if f.ToolVersion != current {
		return &UnusablePlanError{Reason: fmt.Sprintf("it was made by fbctl %s and this is fbctl %s; make the plan again", f.ToolVersion, current)}
	}
	return nil
}

// Check compares the plan's recorded sources and CONFIG state with the
// current ones and returns a *StalePlanError listing every difference, or
// nil when the plan still applies. currentSources are the bytes of the
// scenario files as loaded now from the plan's SourcePaths (or, for a File
// not read from disk, by their recorded names); currentState is
// CONFIG as the store holds it now.
func Check(f *File, currentSources map[string][]byte, currentState engine.State) error {
	var changes []string
	now := make(map[string]string, len(currentSources))
	for p, b := range currentSources {
		now[f.nameOf(p)] = hashOf(b)
	}
	for _, name := range unionKeys(f.Sources, now) {
		was, inPlan := f.Sources[name]
		is, inNow := now[name]
		switch {
		case !inNow:
			changes = append(changes, fmt.Sprintf("file %s was removed since the plan", name))
		case !inPlan:
			changes = append(changes, fmt.Sprintf("file %s was added since the plan", name))
		case was != is:
			changes = append(changes, fmt.Sprintf("file %s was edited since the plan", name))
		}
	}
	for _, kind := range []struct {
		what    string
		was, is map[string]string
	}{{"template", f.ConfigState, hashes(currentState.Templates)}, {"scenario", f.ScenarioState, hashes(currentState.Scenarios)}} {
		for _, name := range unionKeys(kind.was, kind.is) {
			was, is := kind.was[name], kind.is[name]
			switch {
			case was == is:
			case was == "":
				changes = append(changes, fmt.Sprintf("%s %s was created in CONFIG since the plan (hash %s)", kind.what, name, is))
			case is == "":
				changes = append(changes, fmt.Sprintf("%s %s was removed from CONFIG since the plan (hash was %s)", kind.what, name, was))
			default:
				changes = append(changes, fmt.Sprintf("%s %s changed in CONFIG since the plan: hash %s → %s", kind.what, name, was, is))
			}
		}
	}
	if len(changes) > 0 {
		return &StalePlanError{Changes: changes}
	}
	return nil
}

func unionKeys(a, b map[string]string) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}
