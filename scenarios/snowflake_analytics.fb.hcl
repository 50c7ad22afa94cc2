# Analytic queries on a standard Snowflake table: the TPC-H sample data that
# every account has in SNOWFLAKE_SAMPLE_DATA, with the result cache off so
# each query runs on the warehouse.
#
#   fbctl apply -auto-approve scenarios/snowflake_analytics.fb.hcl -var analytics_connection_name=bench

variable "analytics_connection_name" {
  type        = string
  default     = "default"
  description = "Entry of ~/.snowflake/connections.toml to connect with."
}

variable "analytics_warehouse" {
  type    = string
  default = "COMPUTE_WH"
}

variable "analytics_scale" {
  type        = string
  default     = "TPCH_SF1"
  description = "Schema of SNOWFLAKE_SAMPLE_DATA: TPCH_SF1, TPCH_SF10, TPCH_SF100 or TPCH_SF1000."
  validation {
    condition     = contains(["TPCH_SF1", "TPCH_SF10", "TPCH_SF100", "TPCH_SF1000"], var.analytics_scale)
    error_message = "The scale must be TPCH_SF1, TPCH_SF10, TPCH_SF100 or TPCH_SF1000."
  }
}

locals {
  db = "SNOWFLAKE_SAMPLE_DATA.${var.analytics_scale}"
}

connection "snowflake" "analytics" {
  connection_name = var.analytics_connection_name
  warehouse       = var.analytics_warehouse
  database        = "SNOWFLAKE_SAMPLE_DATA"
  schema          = var.analytics_scale
  params = {
    QUERY_TAG = "flakebench-analytics"
  }
}

template "tpch" {
  description       = "Three TPC-H style queries with varied parameters."
  connection        = connection.snowflake.analytics
  table             = "${local.db}.LINEITEM"
  table_type        = "standard"
  use_cached_result = false
  think_time        = "500ms"
  session = {
    STATEMENT_TIMEOUT_IN_SECONDS = "300"
  }

  pool "segments" {
    values = ["AUTOMOBILE", "BUILDING", "FURNITURE", "HOUSEHOLD", "MACHINERY"]
  }

  query "pricing_summary" {
    weight = 2
    sql    = <<-SQL
      SELECT L_RETURNFLAG, L_LINESTATUS,
             SUM(L_QUANTITY) AS SUM_QTY,
             SUM(L_EXTENDEDPRICE * (1 - L_DISCOUNT)) AS SUM_DISC_PRICE,
             AVG(L_DISCOUNT) AS AVG_DISC,
             COUNT(*) AS COUNT_ORDER
        FROM ${local.db}.LINEITEM
       WHERE L_SHIPDATE <= DATEADD(day, -?, '1998-12-01'::DATE)
       GROUP BY L_RETURNFLAG, L_LINESTATUS
       ORDER BY L_RETURNFLAG, L_LINESTATUS
    SQL
    args   = [uniform(60, 120)]
  }

  query "shipping_priority" {
    weight = 3
    sql    = <<-SQL
      SELECT L_ORDERKEY, SUM(L_EXTENDEDPRICE * (1 - L_DISCOUNT)) AS REVENUE, O_ORDERDATE, O_SHIPPRIORITY
        FROM ${local.db}.CUSTOMER
        JOIN ${local.db}.ORDERS ON C_CUSTKEY = O_CUSTKEY
        JOIN ${local.db}.LINEITEM ON L_ORDERKEY = O_ORDERKEY
       WHERE C_MKTSEGMENT = ?
         AND O_ORDERDATE < DATEADD(day, ?, '1995-03-01'::DATE)
         AND L_SHIPDATE > DATEADD(day, ?, '1995-03-01'::DATE)
       GROUP BY L_ORDERKEY, O_ORDERDATE, O_SHIPPRIORITY
       ORDER BY REVENUE DESC, O_ORDERDATE
       LIMIT 10
    SQL
    args   = [pool.segments, uniform(0, 30), uniform(0, 30)]
  }

  query "revenue_by_nation" {
    weight = 1
    sql    = <<-SQL
      SELECT N_NAME, SUM(L_EXTENDEDPRICE * (1 - L_DISCOUNT)) AS REVENUE
        FROM ${local.db}.CUSTOMER
        JOIN ${local.db}.ORDERS ON C_CUSTKEY = O_CUSTKEY
        JOIN ${local.db}.LINEITEM ON L_ORDERKEY = O_ORDERKEY
        JOIN ${local.db}.NATION ON C_NATIONKEY = N_NATIONKEY
       WHERE YEAR(O_ORDERDATE) = ?
       GROUP BY N_NAME
       ORDER BY REVENUE DESC
    SQL
    args   = [choice([1993, 1994, 1995, 1996, 1997])]
  }

  slo "*" {
    p95 = "30s"
  }
}

scenario "snowflake_analytics" {
  description = "A few concurrent analysts, then a steady trickle of reports."
  template    = template.tpch
  seed        = 1994

  warmup {
    duration    = "30s"
    connections = 2
  }

  phase "analysts" {
    duration    = "5m"
    connections = 4
  }

  phase "reports" {
    duration        = "5m"
    rate            = 0.5
    max_connections = 8
  }

  threshold "p95" {
    metric = "p95"
    below  = "20s"
  }
  threshold "errors" {
    metric = "error_rate"
    below  = 0.01
  }
}
