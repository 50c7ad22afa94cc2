connection "mysql" "m" { # ERROR["mysql"]: Unknown connection type
  path = "x"
}

connection "postgres" "a" {
  host    = "db"
  port    = 70000 # ERROR[70000]: Invalid port
  sslmode = "requir" # ERROR["requir"]: Unknown sslmode
}

connection "postgres" "b" {
  dsn  = "postgres://db/bench"
  user = "x" # ERROR: Conflicting connection arguments
}

template "no_connection" { # ERROR: Missing required argument
  query "q" {
    sql = "SELECT 1"
  }
}

template "no_queries" { # ERROR: Missing query block
  connection = connection.postgres.a
}

template "pools" {
  connection = "postgres.a" # ERROR["postgres.a"]: Invalid connection reference
  pool "nothing" { # ERROR: Missing required argument
  }
  pool "both" {
    values = [1, 2]
    column = "id" # ERROR: Conflicting pool arguments
  }
  pool "empty" {
    values = [] # ERROR[[]: Incorrect attribute value type
  }
  query "q" {
    sql = "SELECT 1"
  }
}

scenario "no_phases" { # ERROR: Missing phase block
  template = "pools"
}

scenario "no_template" {
  phase "p" { # ERROR: Missing template
    duration    = "1s"
    connections = 1
  }
}

scenario "ramps" {
  template = "pools"
  phase "r" {
    ramp {
      from = -1 # ERROR[-1]: Invalid from
      to   = 10
      over = "10s"
    }
  }
  phase "fm" {
    find_max {
      start = 8
      max   = 4 # ERROR[4]: Invalid max
    }
  }
  phase "sc" {
    connections = 4
    duration    = "1s"
    scaling {
      min_workers = 4
      max_workers = 2 # ERROR[2]: Invalid max_workers
    }
  }
  warmup {
    duration = "1s"
  }
  warmup { # ERROR: Duplicate warmup block
    duration = "2s"
  }
}
