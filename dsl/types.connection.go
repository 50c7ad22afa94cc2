package dsl

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Get returns the attribute from Fields, or from Secrets when it is secret.
func (c *Connection) Get(name string) string {
	if v, ok := c.Fields[name]; ok {
		return v
	}
	return c.Secrets[name]
}

// SecretNames returns the sorted names of the secret attributes that were set.
func (c *Connection) SecretNames() []string {
	return slices.Sorted(maps.Keys(c.Secrets))
}

func (l *loader) decodeConnection(pf *parsedFile, b *hcl.Block) {
	typ, name := b.Labels[0], b.Labels[1]
	schema, ok := connectionSchemas[typ]
	if !ok {
		l.diags = append(l.diags, unknownValue("Unknown connection type", "connection type", typ, connectionTypes, b.LabelRanges[0]))
		return
	}
	key := typ + "." + name
	if prev, ok := l.cfg.Connections[key]; ok {
		l.diags = append(l.diags, duplicate("connection", key, prev.DeclRange, b.DefRange))
		return
	}
	c := &Connection{
		Type: typ, Name: name,
		Fields:    map[string]string{},
		Params:    map[string]string{},
		Secrets:   map[string]string{},
		Ranges:    map[string]hcl.Range{},
		DeclRange: b.DefRange,
	}
	l.cfg.Connections[key] = c
	l.cfg.ConnectionOrder = append(l.cfg.ConnectionOrder, key)

	content, diags := b.Body.Content(schema)
	l.diags = append(l.diags, diags...)
	secret := map[string]bool{"password": true, "token": true, "private_key_passphrase": true}
	for _, attr := range sortedAttrs(content.Attributes) {
		c.Ranges[attr.Name] = attr.Expr.Range()
		switch attr.Name {
		case "params":
			// A parameter from a sensitive value is a secret like any
			// other attribute: Secrets["params.NAME"].
			if m, sensitive, ok, d := getStringMap(attr, pf.ctx); ok {
				for k, v := range m {
					if sensitive[k] {
						c.Secrets["params."+k] = v
					} else {
						c.Params[k] = v
					}
				}
			} else {
				l.diags = append(l.diags, d...)
			}
			continue
		case "port":
			if p, ok, d := getInt(attr, pf.ctx); !ok {
				l.diags = append(l.diags, d...)
				continue
			} else if p < 1 || p > 65535 {
				l.diags = append(l.diags, errorDiag("Invalid port",
					fmt.Sprintf("The port must be between 1 and 65535; got %d.", p),
					rangePtr(attr.Expr.Range()), rangePtr(attr.Range)))
				continue
			}
		case "prefer_simple_protocol":
			if bv, ok, d := getBool(attr, pf.ctx); ok {
				c.Fields[attr.Name] = fmt.Sprint(bv)
			} else {
				l.diags = append(l.diags, d...)
			}
			continue
		}
		s, sensitive, ok, d := getString(attr, pf.ctx)
		l.diags = append(l.diags, d...)
		if !ok {
			continue
		}
		if attr.Name == "sslmode" {
			modes := []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}
			if !contains(modes, s) {
				l.diags = append(l.diags, unknownValue("Unknown sslmode", "sslmode", s, modes, attr.Expr.Range()))
				continue
			}
		}
		if secret[attr.Name] && s == "" {
			l.emptySecret(c, attr)
		}
		if secret[attr.Name] || sensitive || (attr.Name == "dsn" && dsnHasPassword(s)) {
			c.Secrets[attr.Name] = s
			l.noteSecret(s)
		} else {
			c.Fields[attr.Name] = s
		}
		l.checkConnectionValue(c, attr, s)
	}

	missing := func(detail string) {
		l.diags = append(l.diags, errorDiag("Missing required argument", detail, rangePtr(b.DefRange), nil))
	}
	has := func(n string) bool { return content.Attributes[n] != nil }
	switch typ {
	case ConnSnowflake:
		if !has("connection_name") && !has("account") {
			missing(fmt.Sprintf("The snowflake connection %q needs either connection_name (an entry of connections.toml) or account.", name))
		}
		if a, b := content.Attributes["token"], content.Attributes["token_file"]; a != nil && b != nil {
			l.diags = append(l.diags, errorDiag("Conflicting connection arguments",
				fmt.Sprintf("The snowflake connection %q sets both token and token_file; the driver takes one OAuth token.", name),
				rangePtr(b.NameRange), rangePtr(b.Range)))
		}
		if a := content.Attributes["params"]; a != nil {
			l.checkSnowflakeParams(c, a)
		}
	case ConnPostgres:
		if has("dsn") {
			for _, n := range []string{"host", "port", "user", "password", "database", "sslmode"} {
				if a := content.Attributes[n]; a != nil {
					l.diags = append(l.diags, errorDiag("Conflicting connection arguments",
						fmt.Sprintf("The postgres connection %q sets both dsn and %s; put everything in the dsn or use the separate arguments.", name, n),
						rangePtr(a.NameRange), rangePtr(a.Range)))
				}
			}
		} else if !has("host") {
			missing(fmt.Sprintf("The postgres connection %q needs either dsn or host.", name))
		}
	}
}

// emptySecret reports a secret attribute that evaluated to "" (most often
// env("NAME") with NAME unset): on Snowflake an error when the options
// require secrets (apply and worker, which log in to targets), so nothing
// runs into the driver's "password is empty" after the run was created.
// validate and plan, which run where the secrets often are not, say
// nothing.
func (l *loader) emptySecret(c *Connection, attr *hcl.Attribute) {
	source := "it is empty"
	what := attr.Name + " is empty"
	if call, ok := attr.Expr.(*hclsyntax.FunctionCallExpr); ok && call.Name == "env" && len(call.Args) > 0 {
		if v, d := call.Args[0].Value(nil); !d.HasErrors() && v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
			name := v.AsString()
			what = name + " is not set"
			source = fmt.Sprintf("it comes from env(%q), and %s is not set (or empty) in this environment", name, name)
		}
	}
	if c.Type == ConnSnowflake && l.opts.RequireSecrets {
		l.diags = append(l.diags, errorDiag("Secret not set",
			fmt.Sprintf("%s: the %s of connection %s is empty, because %s, and a Snowflake login needs it. Set it, or give env() a default.", what, attr.Name, c.Key(), source),
			rangePtr(attr.Expr.Range()), rangePtr(attr.Range)))
	}
}

// snowflakeParamAttrs are DSN settings a snowflake connection sets with
// its own attributes. In params they would be misread: the driver takes
// the server from the DSN's address and ignores host= and port= in its
// query string, so such a connection would silently go to
// <account>.snowflakecomputing.com.
var snowflakeParamAttrs = map[string]string{
	"host": "host", "port": "port", "account": "account", "protocol": "protocol", "user": "user",
	"password": "password", "database": "database", "schema": "schema", "warehouse": "warehouse",
	"role": "role", "authenticator": "authenticator", "token": "token", "tokenfilepath": "token_file",
	"privatekey": "private_key_file",
}

// checkSnowflakeParams refuses params that stand for a connection
// attribute.
func (l *loader) checkSnowflakeParams(c *Connection, a *hcl.Attribute) {
	for _, k := range slices.Sorted(maps.Keys(c.Params)) {
		if attr, ok := snowflakeParamAttrs[strings.ToLower(k)]; ok {
			l.diags = append(l.diags, errorDiag("Misplaced connection setting",
				fmt.Sprintf("The params of snowflake connection %q set %q, which the Snowflake driver does not read from params (a host or port there is ignored and the connection goes to <account>.snowflakecomputing.com). Set the connection's %s attribute instead.", c.Name, k, attr),
				rangePtr(a.Expr.Range()), rangePtr(a.Range)))
		}
	}
}

var kvPassword = regexp.MustCompile(`(?i)(^|\s)password\s*=`)

// dsnHasPassword reports whether a Postgres DSN (URL or key=value form)
// carries a password.
func dsnHasPassword(dsn string) bool {
	if strings.Contains(dsn, "://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return true // cannot tell: keep it secret
		}
		if _, set := u.User.Password(); set {
			return true
		}
		return u.Query().Has("password")
	}
	return kvPassword.MatchString(dsn)
}

// connectionRef resolves `connection.TYPE.NAME` to its key, reporting
// malformed or unknown references.
func (l *loader) connectionRef(attr *hcl.Attribute) (string, bool) {
	tr, diags := hcl.AbsTraversalForExpr(attr.Expr)
	key := ""
	if !diags.HasErrors() && len(tr) == 3 && tr.RootName() == "connection" {
		t, ok1 := tr[1].(hcl.TraverseAttr)
		n, ok2 := tr[2].(hcl.TraverseAttr)
		if ok1 && ok2 {
			key = t.Name + "." + n.Name
		}
	}
	if key == "" {
		l.diags = append(l.diags, errorDiag("Invalid connection reference",
			"The connection must be a reference of the form connection.TYPE.NAME, such as connection.snowflake.bench.",
			rangePtr(attr.Expr.Range()), rangePtr(attr.Range)))
		return "", false
	}
	if _, ok := l.cfg.Connections[key]; !ok {
		l.diags = append(l.diags, unknownName("Unknown connection", "connection", key, l.cfg.ConnectionOrder, attr.Expr.Range()))
		return "", false
	}
	return key, true
}

func (l *loader) decodeResults(pf *parsedFile, b *hcl.Block) {
	if l.cfg.Results != nil {
		l.diags = append(l.diags, errorDiag("Duplicate results block",
			fmt.Sprintf("A results block was already declared at %s; only one is allowed.", l.cfg.Results.DeclRange.String()),
			rangePtr(b.DefRange), nil))
		return
	}
	l.cfg.Results = &Results{DeclRange: b.DefRange}
	content, diags := b.Body.Content(resultsSchema)
	l.diags = append(l.diags, diags...)
	if attr := content.Attributes["connection"]; attr != nil {
		if key, ok := l.connectionRef(attr); ok {
			l.cfg.Results.Connection = key
		}
	}
}
