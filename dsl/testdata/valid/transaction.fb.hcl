variable "scale" { default = 2 }

connection "postgres" "pg" {
  dsn = "postgres://bench@localhost:5432/bench"
}

template "tpcb" {
  table = "pgbench_accounts"

  query "tpcb" {
    isolation = "repeatable_read"
    max_tries = 5

    let {
      aid   = uniform(1, 100000 * var.scale)
      bid   = uniform(1, var.scale)
      tid   = uniform(1, 10 * var.scale)
      delta = uniform(-5000, 5000)
    }
    statement "update_account" {
      sql  = "UPDATE pgbench_accounts SET abalance = abalance + ? WHERE aid = ?"
      args = [let.delta, let.aid]
    }
    statement "select_balance" {
      sql  = "SELECT abalance FROM pgbench_accounts WHERE aid = ?"
      args = [let.aid]
      into = "abalance"
    }
    statement "history" {
      sql  = "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (?, ?, ?, ?, ?)"
      args = [let.tid, let.bid, let.aid, let.abalance, now()]
    }
  }
}

scenario "s" {
  template = template.tpcb
  phase "p" {
    duration    = "10s"
    connections = 2
  }
}
