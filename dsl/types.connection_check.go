package dsl

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// checkConnectionValue reports connection values that can never work,
// whatever the database says: an empty SQLite path (often env("NAME") with
// NAME unset) and a Postgres dsn whose port is not a number. It returns
// false when the value was refused. It runs after the value was noted as
// a secret (so the source snippet is redacted), and the messages never
// echo a dsn.
func (l *loader) checkConnectionValue(c *Connection, attr *hcl.Attribute, s string) bool {
	switch {
	case c.Type == ConnSQLite && attr.Name == "path" && strings.TrimSpace(s) == "":
		detail := fmt.Sprintf("The path of connection %s is empty, so there is no SQLite database file to open. Set it to a file path such as \"bench.db\".", c.Key())
		if name := envName(attr.Expr); name != "" {
			detail = fmt.Sprintf("The path of connection %s comes from env(%q), and %s is not set (or empty) in this environment, so there is no SQLite database file to open. Set %s, or give env() a default: env(%q, \"bench.db\").", c.Key(), name, name, name, name)
		}
		l.diags = append(l.diags, errorDiag("Empty SQLite path", detail, rangePtr(attr.Expr.Range()), rangePtr(attr.Range)))
		return false
	case c.Type == ConnPostgres && attr.Name == "dsn":
		if port, bad := dsnPort(s); bad {
			l.diags = append(l.diags, errorDiag("Invalid port in dsn",
				fmt.Sprintf("The dsn of connection %s gives the port %q, which is not a number between 1 and 65535. Write the port as digits after the host (postgres://user@host:5432/db), or leave it out for 5432.", c.Key(), port),
				rangePtr(attr.Expr.Range()), rangePtr(attr.Range)))
			return false
		}
	}
	return true
}

// envName is NAME when expr is env("NAME", ...), and "" otherwise.
func envName(expr hcl.Expression) string {
	call, ok := expr.(*hclsyntax.FunctionCallExpr)
	if !ok || call.Name != "env" || len(call.Args) == 0 {
		return ""
	}
	v, d := call.Args[0].Value(nil)
	if d.HasErrors() || v.Type() != cty.String || !v.IsKnown() || v.IsNull() {
		return ""
	}
	return v.AsString()
}

// dsnPort returns the port of a Postgres DSN (URL or key=value form) and
// whether it is not a valid port. A password never comes back: only the
// port text.
func dsnPort(dsn string) (port string, bad bool) {
	var ports []string
	if strings.Contains(dsn, "://") {
		rest := dsn[strings.Index(dsn, "://")+3:]
		if i := strings.IndexAny(rest, "/?#"); i >= 0 {
			rest = rest[:i]
		}
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			rest = rest[at+1:]
		}
		// host:port[,host:port...]; an IPv6 host is in brackets.
		for _, hp := range strings.Split(rest, ",") {
			if i := strings.LastIndex(hp, "]"); i >= 0 {
				hp = hp[i+1:]
			} else if i := strings.LastIndex(hp, ":"); i >= 0 {
				hp = hp[i:]
			} else {
				continue
			}
			if p, ok := strings.CutPrefix(hp, ":"); ok {
				ports = append(ports, p)
			}
		}
		if u, err := url.Parse(dsn); err == nil {
			if p := u.Query().Get("port"); p != "" {
				ports = append(ports, p)
			}
		}
	} else {
		for _, f := range strings.Fields(dsn) {
			if p, ok := strings.CutPrefix(f, "port="); ok {
				ports = append(ports, strings.Trim(p, "'"))
			}
		}
	}
	for _, p := range ports {
		for _, one := range strings.Split(p, ",") {
			if n, err := strconv.Atoi(one); err != nil || n < 1 || n > 65535 {
				return one, true
			}
		}
	}
	return "", false
}
