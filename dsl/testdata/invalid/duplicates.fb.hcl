variable "v" {
  default = 1
}

variable "v" { # ERROR: Duplicate variable
  default = 2
}

connection "sqlite" "local" {
  path = "x.db"
}

connection "sqlite" "local" { # ERROR: Duplicate connection
  path = "y.db"
}

template "t" {
  connection = connection.sqlite.local
  pool "ids" {
    values = [1, 2]
  }
  pool "ids" { # ERROR: Duplicate pool
    values = [3]
  }
  query "q" {
    sql = "SELECT 1"
  }
  query "q" { # ERROR: Duplicate query
    sql = "SELECT 2"
  }
}

template "t" { # ERROR: Duplicate template
  connection = connection.sqlite.local
  query "q" {
    sql = "SELECT 1"
  }
}

scenario "s" {
  template = "t"
  phase "p" {
    duration    = "1s"
    connections = 1
  }
  phase "p" { # ERROR: Duplicate phase
    duration    = "1s"
    connections = 1
  }
  threshold "x" {
    metric = "p99"
    below  = 5
  }
  threshold "x" { # ERROR: Duplicate threshold
    metric = "p99"
    below  = 6
  }
}

scenario "s" { # ERROR: Duplicate scenario
  template = "t"
  phase "p" {
    duration    = "1s"
    connections = 1
  }
}
