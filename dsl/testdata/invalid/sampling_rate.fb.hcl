connection "sqlite" "local" {
  path = "x.db"
}

template "t" {
  query "q" {
    sql = "SELECT 1"
  }
}

scenario "over" {
  phase "p" {
    duration    = "1s"
    connections = 1
  }
  sampling {
    rate = 1.5 # ERROR[1.5]: Invalid sampling rate
  }
}

scenario "zero" {
  phase "p" {
    duration    = "1s"
    connections = 1
  }
  sampling {
    rate = 0 # ERROR[0]: Invalid sampling rate
  }
}

scenario "word" {
  phase "p" {
    duration    = "1s"
    connections = 1
  }
  sampling {
    rate = "half" # ERROR["half"]: Invalid sampling rate
  }
}
