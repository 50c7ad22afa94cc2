# Quickstart: a local SQLite OLTP mix that needs no server and no account.
#
#   fbctl apply -auto-approve scenarios/quickstart.fb.hcl
#
# About 20 seconds: a 2 s warmup, 8 s with 4 closed-loop connections, then
# 8 s at a fixed 200 operations per second.

connection "sqlite" "local" {
  path = ".flakebench/quickstart.db"
}

locals {
  # 10,000 orders for 500 customers, generated with a recursive CTE.
  load_orders = <<-SQL
    WITH RECURSIVE n(i) AS (
      SELECT 1
      UNION ALL
      SELECT i + 1 FROM n WHERE i < 10000
    )
    INSERT INTO ORDERS (id, customer, amount, note)
    SELECT i, 1 + (i * 7919) % 500, (i * 104729) % 10000, 'order ' || i FROM n
  SQL
}

template "orders" {
  description = "Point lookups, range scans, inserts and updates on one SQLite table."
  connection  = connection.sqlite.local
  table       = "ORDERS"

  pool "ids" {
    column = "id"
    size   = 2000
  }

  query "lookup" {
    kind   = "point_lookup"
    weight = 6
    sql    = "SELECT id, customer, amount, note FROM ORDERS WHERE id = ?"
    args   = [pool.ids]
  }
  query "customer_orders" {
    kind   = "range_scan"
    weight = 2
    sql    = "SELECT id, amount FROM ORDERS WHERE customer = ? ORDER BY id LIMIT 20"
    args   = [uniform(1, 500)]
  }
  query "new_order" {
    kind   = "insert"
    weight = 1
    sql    = "INSERT INTO ORDERS (id, customer, amount, note) VALUES (?, ?, ?, ?)"
    args   = [sequence("id"), uniform(1, 500), uniform(1, 10000), random_string(12)]
  }
  query "change_amount" {
    kind   = "update"
    weight = 1
    sql    = "UPDATE ORDERS SET amount = ? WHERE id = ?"
    args   = [uniform(1, 10000), pool.ids]
  }

  slo "lookup" {
    p99 = "20ms"
  }
}

scenario "quickstart" {
  description = "A first run: closed then open load against a local SQLite file."
  template    = template.orders

  setup {
    sql = [
      "DROP TABLE IF EXISTS ORDERS",
      "CREATE TABLE ORDERS (id INTEGER PRIMARY KEY, customer INTEGER NOT NULL, amount INTEGER NOT NULL, note TEXT)",
      "CREATE INDEX ORDERS_CUSTOMER ON ORDERS (customer)",
      local.load_orders,
    ]
  }

  warmup {
    duration    = "2s"
    connections = 2
  }

  phase "closed" {
    duration    = "8s"
    connections = 4
  }

  phase "open" {
    duration        = "8s"
    rate            = 200
    max_connections = 8
  }

  threshold "lookup_p99" {
    metric = "p99"
    query  = "lookup"
    below  = "50ms"
  }
  threshold "errors" {
    metric = "error_rate"
    below  = 0.01
  }

  # `fbctl compare` against a baseline run fails (exit 4) when a rule is
  # broken by a significant change.
  regression "lookup_p99" {
    metric       = "p99"
    query        = "lookup"
    max_increase = "10%"
  }
  regression "throughput" {
    metric       = "qps"
    phase        = phase.closed
    max_decrease = "10%"
  }
}
