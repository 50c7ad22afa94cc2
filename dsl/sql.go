package dsl

import "github.com/flakebench/fbctl/internal/sqlscan"

// CountPlaceholders counts the bind placeholders of a SQL statement: every
// `?`, plus the number of distinct `$N` (Postgres style). Placeholders inside
// quoted strings ('...'), quoted identifiers ("..."), dollar-quoted strings
// ($$...$$, $tag$...$tag$) and comments (-- and /* */) are not counted; an
// unterminated one runs to the end (internal/sqlscan's rules).
func CountPlaceholders(sql string) int { return sqlscan.CountPlaceholders(sql) }
