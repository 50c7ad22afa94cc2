connection "sqlite" "local" {
  path = "x.db"
}

template "t" {
  table = "T"
  pool "ids" {
    column = "id"
    size   = 0 # ERROR[0]: Invalid size
  }
  query "q" {
    sql    = "SELECT ?"
    args   = [pool.ids]
    weight = -1 # ERROR[-1]: Invalid weight
  }
}

scenario "s" {
  warmup {
    duration    = "1s"
    connections = 0 # ERROR[0]: Invalid connections
  }
  phase "closed" {
    duration    = "1s"
    connections = 0 # ERROR[0]: Invalid connections
  }
  phase "open" {
    duration        = "1s"
    rate            = -5 # ERROR[-5]: Invalid rate
    max_connections = 0 # ERROR[0]: Invalid max_connections
  }
  phase "fm" {
    find_max {
      step = 0 # ERROR[0]: Invalid step
      max  = 8
    }
  }
}
