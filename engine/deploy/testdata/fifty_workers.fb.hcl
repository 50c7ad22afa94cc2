# 50 workers × 100 sessions against Postgres, results in Snowflake: the
# deployment tests' large case.

variable "pg_host" {
  type    = string
  default = "pg.example.internal"
}

variable "pg_password" {
  type      = string
  sensitive = true
}

variable "rate" {
  type    = number
  default = 5000
}

connection "postgres" "bench" {
  host     = var.pg_host
  user     = "bench"
  password = var.pg_password
  database = "bench"
}

connection "snowflake" "results" {
  account   = env("SNOWFLAKE_ACCOUNT")
  user      = env("SNOWFLAKE_USER")
  password  = env("SNOWFLAKE_PASSWORD")
  role      = env("SNOWFLAKE_ROLE", "FB_RESULTS")
  warehouse = "FB_CTRL_WH"
  database  = "FB"
  schema    = "RESULTS"
}

results {
  connection = connection.snowflake.results
}

template "lookup" {
  connection = connection.postgres.bench
  table      = "fb_orders"
  table_type = "postgres"

  query "by_id" {
    kind = "point_lookup"
    sql  = "SELECT * FROM fb_orders WHERE id = $1"
    args = [uniform(1, 1000000)]
  }
}

scenario "fifty" {
  template = template.lookup

  phase "closed" {
    duration    = "5m"
    connections = 5000
    workers     = 50
  }

  phase "rate" {
    duration        = "5m"
    rate            = var.rate
    max_connections = 5000
    workers         = 50
  }
}
