# pgbench's built-in workloads, written in the scenario language: the
# TPC-B-like transaction (pgbench's default script) and select-only
# (pgbench -S), on the schema `pgbench -i` creates, at a scale set by a
# variable. Setup loads the tables as `pgbench -i -s SCALE` would.
#
#   PGPASSWORD=... fbctl apply -auto-approve scenarios/pgbench_tpcb.fb.hcl \
#     -var pgbench_host=db.example -var pgbench_scale=10 -var pgbench_clients=8
#
# `make bench-pgbench` runs both side by side with the real pgbench on the
# same server and prints the ratio.

variable "pgbench_host" {
  type    = string
  default = "localhost"
}

variable "pgbench_port" {
  type    = number
  default = 5432
}

variable "pgbench_user" {
  type    = string
  default = "postgres"
}

variable "pgbench_database" {
  type    = string
  default = "postgres"
}

variable "pgbench_sslmode" {
  type    = string
  default = "prefer"
}

variable "pgbench_scale" {
  type        = number
  default     = 1
  description = "pgbench's scale factor: 100000 accounts, 10 tellers and 1 branch per unit."
  validation {
    condition     = var.pgbench_scale >= 1
    error_message = "The scale must be at least 1."
  }
}

variable "pgbench_clients" {
  type        = number
  default     = 4
  description = "Concurrent sessions (pgbench -c)."
}

variable "pgbench_duration" {
  type        = string
  default     = "10s"
  description = "Length of each measured phase (pgbench -T)."
}

variable "pgbench_init" {
  type        = bool
  default     = true
  description = "Load the tables at setup (false: use what `pgbench -i` loaded)."
}

variable "pgbench_sample_rate" {
  type        = number
  default     = 1
  description = "Share of operations stored row by row in QUERY_EXECUTIONS (every one is in the histograms)."
}

variable "pgbench_max_tries" {
  type        = number
  default     = 1
  description = "Tries per transaction on a serialization failure or deadlock (pgbench --max-tries)."
}

connection "postgres" "pgbench" {
  host     = var.pgbench_host
  port     = var.pgbench_port
  user     = var.pgbench_user
  password = env("PGPASSWORD")
  database = var.pgbench_database
  sslmode  = var.pgbench_sslmode
}

template "pgbench_tpcb" {
  description = "pgbench's TPC-B (sort of) transaction."
  connection  = connection.postgres.pgbench
  table       = "pgbench_accounts"

  query "tpcb" {
    max_tries = var.pgbench_max_tries

    let {
      aid   = uniform(1, 100000 * var.pgbench_scale)
      bid   = uniform(1, var.pgbench_scale)
      tid   = uniform(1, 10 * var.pgbench_scale)
      delta = uniform(-5000, 5000)
    }
    statement "update_account" {
      sql  = "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2"
      args = [let.delta, let.aid]
    }
    statement "select_balance" {
      sql  = "SELECT abalance FROM pgbench_accounts WHERE aid = $1"
      args = [let.aid]
    }
    statement "update_teller" {
      sql  = "UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2"
      args = [let.delta, let.tid]
    }
    statement "update_branch" {
      sql  = "UPDATE pgbench_branches SET bbalance = bbalance + $1 WHERE bid = $2"
      args = [let.delta, let.bid]
    }
    statement "history" {
      sql  = "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)"
      args = [let.tid, let.bid, let.aid, let.delta]
    }
  }
}

template "pgbench_select_only" {
  description = "pgbench -S: one primary-key lookup."
  connection  = connection.postgres.pgbench
  table       = "pgbench_accounts"

  query "select_only" {
    kind = "point_lookup"
    sql  = "SELECT abalance FROM pgbench_accounts WHERE aid = $1"
    args = [uniform(1, 100000 * var.pgbench_scale)]
  }
}

locals {
  pgbench_init = [
    "DROP TABLE IF EXISTS pgbench_history, pgbench_tellers, pgbench_accounts, pgbench_branches",
    "CREATE TABLE pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22))",
    "CREATE TABLE pgbench_tellers (tid int NOT NULL, bid int, tbalance int, filler char(84)) WITH (fillfactor = 100)",
    "CREATE TABLE pgbench_accounts (aid int NOT NULL, bid int, abalance int, filler char(84)) WITH (fillfactor = 100)",
    "CREATE TABLE pgbench_branches (bid int NOT NULL, bbalance int, filler char(88)) WITH (fillfactor = 100)",
    format("INSERT INTO pgbench_branches (bid, bbalance) SELECT bid, 0 FROM generate_series(1, %d) AS bid", var.pgbench_scale),
    format("INSERT INTO pgbench_tellers (tid, bid, tbalance) SELECT tid, (tid - 1) / 10 + 1, 0 FROM generate_series(1, %d) AS tid", 10 * var.pgbench_scale),
    format("INSERT INTO pgbench_accounts (aid, bid, abalance, filler) SELECT aid, (aid - 1) / 100000 + 1, 0, '' FROM generate_series(1, %d) AS aid", 100000 * var.pgbench_scale),
    "ALTER TABLE pgbench_branches ADD PRIMARY KEY (bid)",
    "ALTER TABLE pgbench_tellers ADD PRIMARY KEY (tid)",
    "ALTER TABLE pgbench_accounts ADD PRIMARY KEY (aid)",
    "VACUUM ANALYZE pgbench_branches",
    "VACUUM ANALYZE pgbench_tellers",
    "VACUUM ANALYZE pgbench_accounts",
    "VACUUM ANALYZE pgbench_history",
  ]
}

scenario "pgbench_tpcb" {
  description = format("pgbench TPC-B-like at scale %d, %d clients.", var.pgbench_scale, var.pgbench_clients)
  template    = template.pgbench_tpcb

  setup {
    sql = var.pgbench_init ? local.pgbench_init : ["SELECT count(*) FROM pgbench_branches"]
  }

  phase "tpcb" {
    duration    = var.pgbench_duration
    connections = var.pgbench_clients
  }

  sampling {
    rate = var.pgbench_sample_rate
  }

  threshold "errors" {
    metric = "error_rate"
    below  = 0.001
  }
}

scenario "pgbench_select_only" {
  description = format("pgbench -S at scale %d, %d clients.", var.pgbench_scale, var.pgbench_clients)
  template    = template.pgbench_select_only

  setup {
    sql = var.pgbench_init ? local.pgbench_init : ["SELECT count(*) FROM pgbench_branches"]
  }

  phase "select_only" {
    duration    = var.pgbench_duration
    connections = var.pgbench_clients
  }

  sampling {
    rate = var.pgbench_sample_rate
  }

  threshold "errors" {
    metric = "error_rate"
    below  = 0.001
  }
}
