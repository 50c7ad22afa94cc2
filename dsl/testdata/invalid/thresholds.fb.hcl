connection "sqlite" "local" {
  path = "x.db"
}

template "t" {
  query "lookup" {
    sql = "SELECT 1"
  }
}

scenario "s" {
  phase "main" {
    duration    = "1s"
    connections = 1
  }
  threshold "metric" {
    metric = "p98" # ERROR["p98"]: Unknown metric
    below  = 5
  }
  threshold "query" {
    metric = "p99"
    query  = "lookups" # ERROR["lookups"]: Unknown query
    below  = "20ms"
  }
  threshold "phase" {
    metric = "qps"
    phase  = phase.mian # ERROR[phase.mian]: Unknown phase
    above  = 100
  }
  threshold "both" {
    metric = "qps"
    below  = 10
    above  = 100 # ERROR: Conflicting threshold bounds
  }
  threshold "neither" { # ERROR: Missing threshold bound
    metric = "qps"
  }
}
