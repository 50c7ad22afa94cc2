# Every block and most attributes, with the values decoded_test.go expects.

variable "warehouse" {
  type        = string
  default     = "BENCH_WH"
  description = "Warehouse to run on."
}

variable "password" {
  type      = string
  default   = "s3cret"
  sensitive = true
}

variable "rows" {
  type    = number
  default = 10000
  validation {
    condition     = var.rows > 0
    error_message = "Rows must be positive."
  }
}

locals {
  table   = upper("orders")
  max_id  = var.rows * 2
  comment = format("%s rows", local.max_id)
}

connection "snowflake" "bench" {
  account   = "xy12345"
  user      = "BENCH"
  role      = "SYSADMIN"
  warehouse = var.warehouse
  database  = "FB"
  schema    = "PUBLIC"
  password  = var.password
  token     = env("FB_TEST_TOKEN")
  port      = 443
  params = {
    QUERY_TAG = "flakebench"
  }
}

connection "postgres" "pg" {
  dsn                    = "postgres://bench:pw@localhost:5432/bench"
  prefer_simple_protocol = true
}

connection "postgres" "pg2" {
  host     = "localhost"
  port     = 5432
  user     = "bench"
  database = "bench"
  sslmode  = "disable"
}

connection "sqlite" "local" {
  path = ".flakebench/test.db"
}

results {
  connection = connection.sqlite.local
}

template "hybrid" {
  description       = "Hybrid table OLTP"
  connection        = connection.snowflake.bench
  table             = local.table
  table_type        = "hybrid"
  use_cached_result = false
  think_time        = "5ms"
  tags              = { team = "perf" }
  session           = { TIMEZONE = "UTC" }

  pool "ids" {
    column = "ID"
    size   = 500
  }
  pool "regions" {
    values = ["eu", "us"]
  }

  query "lookup" {
    kind   = "point_lookup"
    weight = 6
    sql    = "SELECT * FROM ORDERS WHERE ID = ?"
    args   = [pool.ids]
  }
  query "scan" {
    kind   = "range_scan"
    weight = 2
    sql    = "SELECT * FROM ORDERS WHERE ID BETWEEN ? AND ? AND REGION = ?"
    args   = [uniform(1, local.max_id), zipf(100, 1.2), pool.regions]
  }
  query "insert" {
    kind = "insert"
    sql  = "INSERT INTO ORDERS (ID, NOTE, REGION, TS, FLAG) VALUES (?, ?, ?, ?, ?)"
    args = [sequence("ID"), random_string(16), choice(["a", "b"]), now(), true]
  }
  query "update" {
    kind = "update"
    sql  = "UPDATE ORDERS SET NOTE = 'x?' WHERE ID = ?"
    args = [sequence(1000)]
  }

  slo "lookup" {
    p50 = "2ms"
    p99 = 20
  }
  slo "*" {
    p95        = "50ms"
    error_rate = 0.01
  }
}

template "pg" {
  connection = connection.postgres.pg
  table      = "t"
  query "q" {
    sql  = "SELECT $1::int + $2::int, $1"
    args = [1, 2.5]
  }
}

scenario "mixed" {
  description = local.comment
  template    = template.hybrid
  seed        = 42

  setup {
    sql = ["CREATE TABLE IF NOT EXISTS T (A INT)"]
  }
  teardown {
    sql = ["DROP TABLE T"]
  }
  warmup {
    duration    = "10s"
    connections = 2
  }

  phase "closed" {
    duration    = "1m"
    connections = 8
    think_time  = "1ms"
  }
  phase "open" {
    duration        = "1h30m"
    rate            = 250.5
    max_connections = 32
    workers         = 2
  }
  phase "ramp" {
    depends_on = [phase.closed]
    template   = "pg"
    ramp {
      from = 10
      to   = 100
      over = "2m"
    }
    scaling {
      mode                       = "bounded"
      min_workers                = 1
      max_workers                = 4
      max_connections_per_worker = 16
    }
  }
  phase "max" {
    depends_on = [phase.open, "ramp"]
    find_max {
      start            = 2
      step             = 2
      step_duration    = "20s"
      max_error_rate   = 0.05
      max_p95_increase = 1
      max_qps_drop     = 0.2
      max              = 64
    }
  }

  sampling {
    rate                = "auto"
    max_rows_per_second = 5000
  }

  threshold "latency" {
    metric = "p99"
    query  = "lookup"
    phase  = phase.closed
    below  = "25ms"
  }
  threshold "throughput" {
    metric = "qps"
    above  = 100
  }
}

scenario "defaults" {
  template = "pg"
  phase "only" {
    duration    = "250ms"
    connections = 1
  }
  sampling {
    rate = 0.1
  }
}
