# Upper bounds of the load settings (docs/language.md, Limits), and an open
# phase whose rate gives less than one operation.
connection "sqlite" "local" {
  path = "x.db"
}

template "t" {
  think_time = "2h" # ERROR["2h"]: Invalid think_time
  pool "keys" {
    column = "ID"
    size   = 1000001 # ERROR[1000001]: Invalid size
  }
  query "q" {
    weight = 5000000 # ERROR[5000000]: Invalid weight
    sql    = "SELECT 1"
  }
}

scenario "s" {
  warmup {
    duration    = "200h"   # ERROR["200h"]: Invalid duration
    connections = 1000000 # ERROR[1000000]: Invalid connections
  }
  phase "closed" {
    duration    = "1s"
    connections = 1e9  # ERROR[1e9]: Invalid connections
    workers     = 5000 # ERROR[5000]: Invalid workers
  }
  phase "open" {
    duration        = "1s"
    rate            = 2e6 # ERROR[2e6]: Invalid rate
    max_connections = 200000 # ERROR[200000]: Invalid max_connections
  }
  phase "trickle" {
    duration = "10s"
    rate     = 0.0001 # ERROR[0.0001]: Phase measures nothing
  }
  phase "slow_ramp" {
    duration = "2s"
    ramp { # ERROR: Phase measures nothing
      from = 0
      to   = 0.1
      over = "2s"
    }
  }
  phase "ramp_high" {
    ramp {
      from = 1
      to   = 5e6 # ERROR[5e6]: Invalid to
      over = "400h" # ERROR["400h"]: Invalid over
    }
  }
  phase "scaled" {
    duration    = "1s"
    connections = 50000
    scaling { # ERROR: Too many workers
      max_connections_per_worker = 2
    }
  }
  phase "bounded" {
    duration    = "1s"
    connections = 10
    scaling {
      min_workers = 2000 # ERROR[2000]: Invalid min_workers
      max_workers = 3000 # ERROR[3000]: Invalid max_workers
    }
  }
  phase "search" {
    find_max {
      start         = 1
      step          = 1
      max           = 500000 # ERROR[500000]: Invalid max
      step_duration = "300h" # ERROR["300h"]: Invalid step_duration
    }
  }
  sampling {
    rate                = 1
    max_rows_per_second = 5000000 # ERROR[5000000]: Invalid max_rows_per_second
  }
}
