connection "sqlite" "local" {
  path = "x.db"
}

template "t" {
  query "q" {
    sql = "SELECT 1"
  }
}

scenario "s" {
  template = template.t
  phase "no_max" { # ERROR: Missing max_connections
    duration   = "10s"
    qps_target = 100
  }
  phase "out_of_bounds" {
    duration        = "10s"
    qps_target      = 100
    connections     = 20 # ERROR[20]: Invalid connections
    max_connections = 10
  }
  phase "min_above_max" {
    duration        = "10s"
    qps_target      = 100
    min_connections = 12 # ERROR[12]: Invalid min_connections
    max_connections = 10
  }
  phase "closed" {
    duration        = "10s"
    connections     = 2
    min_connections = 1 # ERROR: Unexpected min_connections
  }
  phase "both" {
    duration        = "10s"
    rate            = 10
    qps_target      = 100 # ERROR: Conflicting load models
    max_connections = 10
  }
}
