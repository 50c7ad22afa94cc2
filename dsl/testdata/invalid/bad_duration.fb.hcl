connection "sqlite" "local" {
  path = "x.db"
}

template "t" {
  think_time = "10 sec" # ERROR["10 sec"]: Invalid duration
  query "q" {
    sql = "SELECT 1"
  }
}

scenario "s" {
  warmup {
    duration = "0s" # ERROR["0s"]: Invalid duration
  }
  phase "p" {
    duration    = "5" # ERROR["5"]: Invalid duration
    connections = 2
  }
  phase "r" {
    ramp {
      from = 1
      to   = 10
      over = "-3s" # ERROR["-3s"]: Invalid duration
    }
  }
  threshold "x" {
    metric = "p95"
    below  = "fast" # ERROR["fast"]: Invalid duration
  }
}
