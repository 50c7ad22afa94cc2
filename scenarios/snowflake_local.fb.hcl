# Snowflake without an account: a hybrid-table OLTP mix against the local
# Snowflake-protocol server (a SQLite-backed stand-in, NOT Snowflake: its
# timings say nothing about a warehouse). Start the server, then apply:
#
#   fbctl dev snowflake-server &
#   fbctl apply -auto-approve scenarios/snowflake_local.fb.hcl
#
# The connection block is the one `fbctl dev snowflake-server` prints; for a
# server on another port, -var local_port=PORT. For a real account, replace
# it with the block of scenarios/snowflake_hybrid.fb.hcl.

variable "local_port" {
  type        = number
  default     = 8085
  description = "Port of `fbctl dev snowflake-server` (its -addr)."
}

connection "snowflake" "local" {
  account   = "local"
  user      = "fbctl"
  password  = "dev-password" # the local server accepts any; a real account takes env("SNOWFLAKE_PASSWORD")
  host      = "127.0.0.1"
  port      = var.local_port
  protocol  = "http"
  database  = "FLAKEBENCH"
  schema    = "PUBLIC"
  warehouse = "COMPUTE_WH"
}

template "local_orders" {
  description       = "Point lookups, inserts and updates on a hybrid table of the local server."
  connection        = connection.snowflake.local
  table             = "FB_LOCAL_ORDERS"
  table_type        = "hybrid"
  use_cached_result = false
  # A pause after each operation, as a user's would: about 50 operations
  # per second per connection, so the run stores a few hundred executions
  # and their enrichment from QUERY_HISTORY takes seconds.
  think_time = "20ms"

  pool "ids" {
    column = "ID"
    size   = 500
  }

  query "lookup" {
    kind   = "point_lookup"
    weight = 8
    sql    = "SELECT ID, STATUS, AMOUNT FROM FB_LOCAL_ORDERS WHERE ID = ?"
    args   = [pool.ids]
  }
  query "new_order" {
    kind   = "insert"
    weight = 1
    sql    = "INSERT INTO FB_LOCAL_ORDERS (ID, STATUS, AMOUNT) VALUES (?, ?, ?)"
    args   = [sequence("ID"), "NEW", uniform(1, 1000)]
  }
  query "set_status" {
    kind   = "update"
    weight = 1
    sql    = "UPDATE FB_LOCAL_ORDERS SET STATUS = ? WHERE ID = ?"
    args   = ["PAID", pool.ids]
  }
}

scenario "snowflake_local" {
  template = template.local_orders

  setup {
    sql = [
      "CREATE OR REPLACE HYBRID TABLE FB_LOCAL_ORDERS (ID NUMBER PRIMARY KEY, STATUS VARCHAR NOT NULL, AMOUNT NUMBER)",
      "INSERT INTO FB_LOCAL_ORDERS SELECT SEQ8() + 1, 'NEW', UNIFORM(1, 1000, RANDOM()) FROM TABLE(GENERATOR(ROWCOUNT => 1000))",
    ]
  }
  teardown {
    sql = ["DROP TABLE IF EXISTS FB_LOCAL_ORDERS"]
  }

  warmup {
    duration = "2s"
  }

  phase "steady" {
    duration    = "5s"
    connections = 2
  }

  threshold "errors" {
    metric = "error_rate"
    below  = 0.01
  }
}
