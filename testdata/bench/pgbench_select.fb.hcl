# pgbench's built-in select-only script (`pgbench -S`) as an fbctl
# scenario, for scripts/bench-pgbench.sh: on a `pgbench -i -s SCALE`
# database, each operation is one
#   SELECT abalance FROM pgbench_accounts WHERE aid = $1
# with aid uniform in [1, 100000 * scale], over a fixed number of
# connections (closed model, no think time), for a fixed duration.

variable "pg_host" {
  type    = string
  default = "127.0.0.1"
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

variable "scale" {
  type        = number
  default     = 10
  description = "pgbench -i scale factor: 100000 accounts per unit."
}

variable "clients" {
  type    = number
  default = 8
}

variable "duration" {
  type    = string
  default = "30s"
}

connection "postgres" "pgbench" {
  host     = var.pg_host
  port     = var.pg_port
  user     = var.pg_user
  database = var.pg_database
  sslmode  = "disable"
}

template "pgbench_select" {
  description = "pgbench -S: one primary-key lookup on pgbench_accounts."
  connection  = connection.postgres.pgbench
  table       = "pgbench_accounts"
  table_type  = "postgres"

  query "select" {
    kind   = "point_lookup"
    weight = 1
    sql    = "SELECT abalance FROM pgbench_accounts WHERE aid = $1"
    args   = [uniform(1, 100000 * var.scale)]
  }
}

scenario "pgbench_select" {
  description = format("pgbench -S equivalent: %d clients for %s.", var.clients, var.duration)
  template    = template.pgbench_select

  phase "select_only" {
    duration    = var.duration
    connections = var.clients
  }

  # Every operation is recorded in the latency histograms; 1 in 100 is also
  # stored row by row in QUERY_EXECUTIONS (pgbench logs none without -l).
  sampling {
    rate = 0.01
  }
}
