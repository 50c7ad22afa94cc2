// Package view renders what fbctl commands produce, for people (text,
// optionally colored) and for programs (JSON with a format_version). Commands
// hand a view plain data; the engine and dsl never print.
package view
