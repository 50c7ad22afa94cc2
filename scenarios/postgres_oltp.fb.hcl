# An OLTP mix on PostgreSQL: point lookups, range scans, inserts and
# updates, first with a fixed number of connections, then at a fixed rate.
#
#   PGPASSWORD=... fbctl apply -auto-approve -var pg_host=db.example \
#     -var pg_rows=1000000 scenarios/postgres_oltp.fb.hcl
#
# A first try on a local server, in about a minute:
#
#   fbctl apply -auto-approve -var pg_database=bench -var pg_rows=10000 \
#     -var pg_warmup=5s -var pg_duration=20s -var pg_rate=200 scenarios/postgres_oltp.fb.hcl
#
# Every connection setting is a variable with a default, so FB_VAR_pg_host
# and friends work too. Behind PgBouncer in transaction mode, set
# -var pg_simple_protocol=true.

variable "pg_host" {
  type        = string
  default     = "localhost"
  description = "PostgreSQL host."
}

variable "pg_port" {
  type    = number
  default = 5432
}

variable "pg_user" {
  type    = string
  default = "postgres"
}

variable "pg_database" {
  type    = string
  default = "postgres"
}

variable "pg_sslmode" {
  type    = string
  default = "prefer"
}

variable "pg_simple_protocol" {
  type        = bool
  default     = false
  description = "Use the simple query protocol (needed behind PgBouncer)."
}

variable "pg_rows" {
  type        = number
  default     = 100000
  description = "Rows loaded by setup."
  validation {
    condition     = var.pg_rows >= 1000
    error_message = "The table needs at least 1000 rows."
  }
}

variable "pg_warmup" {
  type        = string
  default     = "15s"
  description = "Warmup, excluded from the results."
}

variable "pg_duration" {
  type        = string
  default     = "2m"
  description = "Length of each phase."
}

variable "pg_connections" {
  type    = number
  default = 16
}

variable "pg_rate" {
  type        = number
  default     = 2000
  description = "Operations per second in the open phase."
}

connection "postgres" "oltp" {
  host                   = var.pg_host
  port                   = var.pg_port
  user                   = var.pg_user
  password               = env("PGPASSWORD")
  database               = var.pg_database
  sslmode                = var.pg_sslmode
  prefer_simple_protocol = var.pg_simple_protocol
}

template "pg_orders" {
  description = "A four-query OLTP mix on fb_orders."
  connection  = connection.postgres.oltp
  table       = "fb_orders"
  table_type  = "postgres"
  tags        = { workload = "oltp" }
  session     = { statement_timeout = "5s" }

  pool "ids" {
    column = "id"
    size   = 10000
  }

  query "lookup" {
    kind   = "point_lookup"
    weight = 60
    sql    = "SELECT id, customer_id, status, amount, note FROM fb_orders WHERE id = $1"
    args   = [pool.ids]
  }
  query "customer_orders" {
    kind   = "range_scan"
    weight = 20
    sql    = "SELECT id, amount, created_at FROM fb_orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 20"
    args   = [zipf(10000, 1.1)]
  }
  query "new_order" {
    kind   = "insert"
    weight = 10
    sql    = "INSERT INTO fb_orders (id, customer_id, status, amount, note, created_at) VALUES ($1, $2, $3, $4, $5, $6)"
    args   = [sequence("id"), uniform(1, 10000), choice(["new", "paid"]), uniform(100, 100000), random_string(24), now()]
  }
  query "set_status" {
    kind   = "update"
    weight = 10
    sql    = "UPDATE fb_orders SET status = $1 WHERE id = $2"
    args   = [choice(["paid", "shipped", "returned"]), pool.ids]
  }

  slo "lookup" {
    p95 = "5ms"
    p99 = "20ms"
  }
  slo "*" {
    error_rate = 0.001
  }
}

scenario "postgres_oltp" {
  description = format("OLTP on %d rows: %d connections, then %d ops/s.", var.pg_rows, var.pg_connections, var.pg_rate)
  template    = template.pg_orders

  setup {
    sql = [
      "DROP TABLE IF EXISTS fb_orders",
      "CREATE TABLE fb_orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL, status text NOT NULL, amount bigint NOT NULL, note text, created_at timestamptz NOT NULL DEFAULT now())",
      "CREATE INDEX fb_orders_customer ON fb_orders (customer_id, created_at)",
      format("INSERT INTO fb_orders (id, customer_id, status, amount, note) SELECT i, 1 + (i * 7919) %% 10000, 'new', (i * 104729) %% 100000, md5(i::text) FROM generate_series(1::bigint, %d) AS i", var.pg_rows),
      "ANALYZE fb_orders",
    ]
  }
  teardown {
    sql = ["DROP TABLE IF EXISTS fb_orders"]
  }

  warmup {
    duration = var.pg_warmup
  }

  phase "closed" {
    duration    = var.pg_duration
    connections = var.pg_connections
  }

  phase "open" {
    duration        = var.pg_duration
    rate            = var.pg_rate
    max_connections = var.pg_connections * 4
  }

  sampling {
    rate                = "auto"
    max_rows_per_second = 2000
  }

  threshold "lookup_p99" {
    metric = "p99"
    query  = "lookup"
    below  = "25ms"
  }
  threshold "open_keeps_up" {
    metric = "dropped"
    phase  = phase.open
    below  = 1
  }
  threshold "errors" {
    metric = "error_rate"
    below  = 0.001
  }
}
