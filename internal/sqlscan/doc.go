// Package sqlscan is the one lexer fbctl runs over SQL text. It cuts a
// statement or a script into tokens that matter to a client: quoted
// strings, quoted identifiers, dollar-quoted strings, comments, bind
// placeholders (? and $N) and semicolons, with everything else as plain
// text. On top of it sit the three uses: counting placeholders (the
// scenario language checks args against them), rebinding ? to $1, $2, …
// (engine/dialect, for Postgres) and splitting a script into statements
// (sql/schema migrations).
//
// The rules, the same for every use:
//
//   - '…' and "…" end at the next unpaired quote; a quote written twice
//     inside is part of the literal. Backslashes are not escapes.
//   - $tag$ … $tag$ (tag empty or an identifier not starting with a digit)
//     is a dollar-quoted string when the $ does not follow an identifier
//     character; $ followed by digits is a numbered placeholder.
//   - -- runs to the end of the line (the newline is not part of the
//     comment); /* … */ does not nest.
//   - An unterminated literal, quoted identifier, dollar-quoted string or
//     block comment runs to the end of the text: its token is marked
//     Unterminated, and nothing inside it is a placeholder or ends a
//     statement. The text is never rejected; the database reports the
//     error when the statement runs.
//
// The package owns lexing only: it does not parse SQL or know a dialect's
// keywords.
package sqlscan
