connection "sqlite" "local" { # ERROR[{]: Missing required argument
}

connection "postgres" "pg" { # ERROR: Missing required argument
  user = "bench"
}

template "t" {
  connection = connection.sqlite.local
  query "q" { # ERROR: Missing required argument
    kind = "sql"
  }
}

scenario "s" {
  phase "p" { # ERROR: Missing required argument
    connections = 2
  }
  threshold "x" { # ERROR[{]: Missing required argument
    below = 5
  }
}
