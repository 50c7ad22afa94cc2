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
  regression "metric" {
    metric       = "p98" # ERROR["p98"]: Unknown metric
    max_increase = "10%"
  }
  regression "query" {
    metric       = "p99"
    query        = "lookups" # ERROR["lookups"]: Unknown query
    max_increase = "10%"
  }
  regression "phase" {
    metric       = "qps"
    phase        = phase.mian # ERROR[phase.mian]: Unknown phase
    max_decrease = "5%"
  }
  regression "both" {
    metric       = "p99"
    max_increase = "10%"
    max_decrease = "10%" # ERROR: Conflicting regression limits
  }
  regression "neither" { # ERROR: Missing regression limit
    metric = "p99"
  }
  regression "percent" {
    metric       = "p99"
    max_increase = "10" # ERROR["10"]: Invalid max_increase
  }
  regression "negative" {
    metric       = "p99"
    max_increase = -0.1 # ERROR[-0.1]: Invalid max_increase
  }
  regression "dropped" {
    metric       = "dropped"
    query        = "lookup" # ERROR: Query scope not allowed
    max_increase = "0%"
  }
  regression "ok" {
    metric       = "p99"
    max_increase = 0.1
  }
  regression "ok" { # ERROR: Duplicate regression
    metric       = "p99"
    max_increase = 0.1
  }
}
