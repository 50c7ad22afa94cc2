package dsl

import (
	"fmt"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
)

// errorDiag builds an error diagnostic. subject is the exact range of the
// offending construct; context, when non-nil, is the enclosing construct.
func errorDiag(summary, detail string, subject, context *hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   detail,
		Subject:  subject,
		Context:  context,
	}
}

// warnDiag builds a warning diagnostic.
func warnDiag(summary, detail string, subject *hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: summary, Detail: detail, Subject: subject}
}

func rangePtr(r hcl.Range) *hcl.Range { return &r }

// Suggest returns the name in candidates closest to given, or "" when none
// is close enough (edit distance below 3, the same rule HCL uses). On a tie
// the earlier candidate wins. It is the one "did you mean" rule of fbctl:
// the planner and the command line use it too.
func Suggest(given string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := levenshtein.Distance(given, c, nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// DidYouMean returns ` Did you mean "x"?` (with a leading space) when a
// candidate is close to given (see Suggest), or "".
func DidYouMean(given string, candidates []string) string {
	if s := Suggest(given, candidates); s != "" {
		return fmt.Sprintf(" Did you mean %q?", s)
	}
	return ""
}

// unknownName reports a reference to something not declared, listing the
// suggestion when one is close.
// what may carry a location after "|": "query|in template \"oltp\"".
func unknownName(summary, what, given string, candidates []string, subject hcl.Range) *hcl.Diagnostic {
	kind, where, _ := strings.Cut(what, "|")
	if where != "" {
		where = " " + where
	}
	detail := fmt.Sprintf("There is no %s named %q%s.", kind, given, where)
	if s := DidYouMean(given, candidates); s != "" {
		detail += s
	} else if len(candidates) > 0 && len(candidates) <= 8 {
		sorted := append([]string(nil), candidates...)
		sort.Strings(sorted)
		detail += fmt.Sprintf(" Declared: %s.", quoteList(sorted))
	}
	return errorDiag(summary, detail, rangePtr(subject), nil)
}

// unknownValue reports a keyword value outside its allowed set.
func unknownValue(summary, what, given string, allowed []string, subject hcl.Range) *hcl.Diagnostic {
	detail := fmt.Sprintf("%q is not a valid %s; use one of %s.", given, what, quoteList(allowed))
	if s := DidYouMean(given, allowed); s != "" {
		detail += s
	}
	return errorDiag(summary, detail, rangePtr(subject), nil)
}

// duplicate reports a second declaration of a name.
func duplicate(kind, name string, first, second hcl.Range) *hcl.Diagnostic {
	return errorDiag(
		"Duplicate "+kind,
		fmt.Sprintf("A %s named %q was already declared at %s. Each %s name must be unique.", kind, name, first.String(), kind),
		rangePtr(second), nil)
}

func quoteList(names []string) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			if i == len(names)-1 {
				s += " or "
			} else {
				s += ", "
			}
		}
		s += fmt.Sprintf("%q", n)
	}
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
