connection "sqlite" "local" {
  path = "x.db"
}

templat "t" { # ERROR: Unsupported block type
}

template "t" {
  querry "q" { # ERROR: Unsupported block type
    sql = "SELECT 1"
  }
  query "q" {
    sql = "SELECT 1"
  }
}

scenario "s" {
  phase "p" {
    duration    = "1s"
    connections = 2
  }
  sampling {}
  treshold "x" { # ERROR: Unsupported block type
    metric = "p99"
    below  = 5
  }
}
