# An OLTP mix on a Snowflake hybrid table, with value pools sampled from the
# table at run start.
#
#   SNOWFLAKE_ACCOUNT=xy12345 SNOWFLAKE_USER=BENCH SNOWFLAKE_PASSWORD=... \
#     fbctl apply -auto-approve scenarios/snowflake_hybrid.fb.hcl -var hybrid_warehouse=BENCH_WH
#
# To use an entry of ~/.snowflake/connections.toml instead, replace the
# account, user and password lines with: connection_name = "bench"

variable "hybrid_warehouse" {
  type    = string
  default = "COMPUTE_WH"
}

variable "hybrid_database" {
  type    = string
  default = "FLAKEBENCH"
}

variable "hybrid_schema" {
  type    = string
  default = "PUBLIC"
}

variable "hybrid_rows" {
  type    = number
  default = 1000000
}

variable "hybrid_connections" {
  type    = number
  default = 32
}

connection "snowflake" "bench" {
  account   = env("SNOWFLAKE_ACCOUNT")
  user      = env("SNOWFLAKE_USER")
  password  = env("SNOWFLAKE_PASSWORD")
  role      = env("SNOWFLAKE_ROLE", "SYSADMIN")
  warehouse = var.hybrid_warehouse
  database  = var.hybrid_database
  schema    = var.hybrid_schema
  params = {
    QUERY_TAG = "flakebench-hybrid"
  }
}

template "hybrid_oltp" {
  description       = "Point lookups, range scans, inserts and updates on a hybrid table."
  connection        = connection.snowflake.bench
  table             = "FB_ORDERS"
  table_type        = "hybrid"
  use_cached_result = false

  pool "ids" {
    column = "ID"
    size   = 20000
  }
  pool "customers" {
    column = "CUSTOMER_ID"
    size   = 5000
  }
  pool "statuses" {
    values = ["NEW", "PAID", "SHIPPED", "RETURNED"]
  }

  query "lookup" {
    kind   = "point_lookup"
    weight = 70
    sql    = "SELECT ID, CUSTOMER_ID, STATUS, AMOUNT FROM FB_ORDERS WHERE ID = ?"
    args   = [pool.ids]
  }
  query "customer_orders" {
    kind   = "range_scan"
    weight = 15
    sql    = "SELECT ID, AMOUNT FROM FB_ORDERS WHERE CUSTOMER_ID = ? AND STATUS = ? LIMIT 50"
    args   = [pool.customers, pool.statuses]
  }
  query "new_order" {
    kind   = "insert"
    weight = 10
    sql    = "INSERT INTO FB_ORDERS (ID, CUSTOMER_ID, STATUS, AMOUNT, NOTE) VALUES (?, ?, ?, ?, ?)"
    args   = [sequence("ID"), pool.customers, "NEW", uniform(100, 100000), random_string(20)]
  }
  query "set_status" {
    kind   = "update"
    weight = 5
    sql    = "UPDATE FB_ORDERS SET STATUS = ? WHERE ID = ?"
    args   = [pool.statuses, pool.ids]
  }
  # A transaction on the hybrid table (BEGIN … COMMIT through the driver):
  # both statements touch the same order, drawn once per operation.
  query "pay" {
    weight = 3
    let {
      id = pool.ids
    }
    statement "mark_paid" {
      sql  = "UPDATE FB_ORDERS SET STATUS = 'PAID' WHERE ID = ?"
      args = [let.id]
    }
    statement "read_amount" {
      sql  = "SELECT AMOUNT FROM FB_ORDERS WHERE ID = ?"
      args = [let.id]
    }
  }

  slo "lookup" {
    p50 = "10ms"
    p99 = "50ms"
  }
}

scenario "snowflake_hybrid" {
  description = "Hybrid-table OLTP: closed loop, then a rate ramp."
  template    = template.hybrid_oltp

  setup {
    sql = [
      "CREATE OR REPLACE HYBRID TABLE FB_ORDERS (ID NUMBER PRIMARY KEY, CUSTOMER_ID NUMBER NOT NULL, STATUS VARCHAR NOT NULL, AMOUNT NUMBER NOT NULL, NOTE VARCHAR, INDEX FB_ORDERS_CUSTOMER (CUSTOMER_ID))",
      format("INSERT INTO FB_ORDERS SELECT SEQ8() + 1, UNIFORM(1, 50000, RANDOM()), 'NEW', UNIFORM(100, 100000, RANDOM()), RANDSTR(20, RANDOM()) FROM TABLE(GENERATOR(ROWCOUNT => %d))", var.hybrid_rows),
    ]
  }

  warmup {
    duration    = "30s"
    connections = 8
  }

  phase "closed" {
    duration    = "3m"
    connections = var.hybrid_connections
    scaling {
      mode                       = "auto"
      max_connections_per_worker = 64
    }
  }

  phase "ramp" {
    ramp {
      from = 100
      to   = 2000
      over = "5m"
    }
    max_connections = var.hybrid_connections * 4
  }

  sampling {
    rate = 0.1
  }

  threshold "lookup_p99" {
    metric = "p99"
    query  = "lookup"
    below  = "100ms"
  }
  threshold "errors" {
    metric = "error_rate"
    below  = 0.005
  }
}
