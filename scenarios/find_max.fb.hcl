# Find the concurrency a local SQLite key-value table sustains: start with 1
# connection and add 2 every 5 seconds until p95 latency grows by half over
# the first step, errors pass 1%, throughput drops 10% below the best step,
# or 16 connections are reached.
#
#   fbctl apply -auto-approve scenarios/find_max.fb.hcl

connection "sqlite" "find_max" {
  path = ".flakebench/find_max.db"
}

locals {
  load_kv = <<-SQL
    WITH RECURSIVE n(i) AS (
      SELECT 1
      UNION ALL
      SELECT i + 1 FROM n WHERE i < 5000
    )
    INSERT INTO KV (k, v) SELECT i, 'value ' || i FROM n
  SQL
}

template "kv" {
  description = "A read-mostly key-value mix."
  connection  = connection.sqlite.find_max
  table       = "KV"

  pool "keys" {
    column = "k"
    size   = 1000
  }

  query "get" {
    kind   = "point_lookup"
    weight = 8
    sql    = "SELECT v FROM KV WHERE k = ?"
    args   = [pool.keys]
  }
  query "put" {
    kind   = "update"
    weight = 2
    sql    = "UPDATE KV SET v = ? WHERE k = ?"
    args   = [random_string(16), pool.keys]
  }
}

scenario "find_max" {
  description = "Step the concurrency until latency, errors or throughput say stop."
  template    = template.kv

  setup {
    sql = [
      "DROP TABLE IF EXISTS KV",
      "CREATE TABLE KV (k INTEGER PRIMARY KEY, v TEXT NOT NULL)",
      local.load_kv,
    ]
  }

  warmup {
    duration    = "2s"
    connections = 1
  }

  phase "search" {
    find_max {
      start            = 1
      step             = 2
      step_duration    = "5s"
      max_error_rate   = 0.01
      max_p95_increase = 0.5
      max_qps_drop     = 0.1
      max              = 16
    }
  }

  threshold "errors" {
    metric = "error_rate"
    below  = 0.01
  }
}
