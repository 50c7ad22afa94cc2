package dsl

import "github.com/hashicorp/hcl/v2"

// The schemas of every block, in the style of Packer's hcl2template: one
// package-level hcl.BodySchema per block type. Unknown attributes and blocks
// are reported by hclsyntax's Body.Content with "Did you mean" suggestions.

var rootSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "connection", LabelNames: []string{"type", "name"}},
		{Type: "results"},
		{Type: "template", LabelNames: []string{"name"}},
		{Type: "scenario", LabelNames: []string{"name"}},
	},
}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"},
		{Name: "default"},
		{Name: "description"},
		{Name: "sensitive"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "condition", Required: true},
		{Name: "error_message", Required: true},
	},
}

// Connection attributes per connection type.
var (
	snowflakeFields  = []string{"connection_name", "account", "user", "role", "warehouse", "database", "schema", "authenticator", "private_key_file", "token_file", "host", "port", "protocol"}
	snowflakeSecrets = []string{"password", "token", "private_key_passphrase"}
	postgresFields   = []string{"host", "port", "user", "database", "sslmode", "prefer_simple_protocol"}
	postgresSecrets  = []string{"password"}
	sqliteFields     = []string{"path"}
)

var connectionSchemas = map[string]*hcl.BodySchema{
	ConnSnowflake: attrSchema(append(append([]string{"params"}, snowflakeFields...), snowflakeSecrets...), nil),
	ConnPostgres:  attrSchema(append(append([]string{"dsn", "params"}, postgresFields...), postgresSecrets...), nil),
	ConnSQLite:    attrSchema(nil, []string{"path"}),
}

var connectionTypes = []string{ConnSnowflake, ConnPostgres, ConnSQLite}

var resultsSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "connection", Required: true}},
}

var templateSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "description"},
		{Name: "connection"},
		{Name: "table"},
		{Name: "table_type"},
		{Name: "use_cached_result"},
		{Name: "think_time"},
		{Name: "tags"},
		{Name: "session"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "pool", LabelNames: []string{"name"}},
		{Type: "query", LabelNames: []string{"name"}},
		{Type: "slo", LabelNames: []string{"query"}},
		{Type: "interactive"},
		{Type: "warehouse"},
	},
}

var poolSchema = attrSchema([]string{"column", "table", "size", "values", "disjoint"}, nil)

var querySchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "kind"},
		{Name: "weight"},
		{Name: "sql"},
		{Name: "args"},
		{Name: "isolation"},
		{Name: "max_tries"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "let"},
		{Type: "statement", LabelNames: []string{"name"}},
	},
}

var sloSchema = attrSchema(kindNames(SLOMetrics), nil)

var scenarioSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "description"},
		{Name: "template"},
		{Name: "seed"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "setup"},
		{Type: "teardown"},
		{Type: "warmup"},
		{Type: "phase", LabelNames: []string{"name"}},
		{Type: "sampling"},
		{Type: "threshold", LabelNames: []string{"name"}},
		{Type: "regression", LabelNames: []string{"name"}},
		{Type: "cache_warmup"},
	},
}

var sqlListSchema = attrSchema(nil, []string{"sql"})

var warmupSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "duration", Required: true},
		{Name: "connections"},
	},
}

var phaseSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "template"},
		{Name: "depends_on"},
		{Name: "duration"},
		{Name: "connections"},
		{Name: "rate"},
		{Name: "max_connections"},
		{Name: "min_connections"},
		{Name: "qps_target"},
		{Name: "workers"},
		{Name: "think_time"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "ramp"},
		{Type: "find_max"},
		{Type: "scaling"},
	},
}

var rampSchema = attrSchema(nil, []string{"from", "to", "over"})

var findMaxSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "start"},
		{Name: "step"},
		{Name: "step_duration"},
		{Name: "max_error_rate"},
		{Name: "max_p95_increase"},
		{Name: "max_qps_drop"},
		{Name: "max"},
	},
}

var scalingSchema = attrSchema([]string{"mode", "min_workers", "max_workers", "max_connections_per_worker"}, nil)

var samplingSchema = attrSchema([]string{"rate", "max_rows_per_second"}, nil)

var thresholdSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "metric", Required: true},
		{Name: "query"},
		{Name: "phase"},
		{Name: "below"},
		{Name: "above"},
	},
}

// attrSchema builds an attributes-only schema.
func attrSchema(optional, required []string) *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, n := range required {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: n, Required: true})
	}
	for _, n := range optional {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: n})
	}
	return s
}
