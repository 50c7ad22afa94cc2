connection "sqlite" "local" {
  path = "x.db"
}

template "t" {
  query "q" {
    sql = "SELECT 1"
  }
}

scenario "s" {
  phase "both" {
    duration    = "1s"
    connections = 4
    find_max { # ERROR: Conflicting load models
      start = 1
    }
  }
  phase "preopened" {
    duration        = "1s"
    rate            = 100
    connections     = 8 # ERROR[8]: Invalid connections
    max_connections = 4
  }
  phase "ramped" {
    duration = "1s"
    rate     = 10
    ramp { # ERROR: Conflicting load models
      from = 1
      to   = 10
      over = "5s"
    }
  }
  phase "none" { # ERROR: Missing load model
    duration = "1s"
  }
  phase "workers" {
    duration    = "1s"
    connections = 2
    workers     = 2
    scaling { # ERROR: Conflicting worker settings
      mode = "auto"
    }
  }
  phase "capped" {
    duration        = "1s"
    connections     = 2
    max_connections = 4 # ERROR: Unexpected max_connections
  }
}
