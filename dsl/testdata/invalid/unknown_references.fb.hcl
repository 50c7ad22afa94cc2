connection "snowflake" "bench" {
  account = "xy12345"
}

connection "sqlite" "local" {
  path = "x.db"
}

results {
  connection = connection.snowflake.bnech # ERROR[connection.]: Unknown connection
}

template "oltp" {
  connection = connection.sqlite.lcoal # ERROR[connection.]: Unknown connection
  pool "ids" {
    column = "id"
    table  = "T"
  }
  query "get" {
    sql  = "SELECT * FROM T WHERE id = ?"
    args = [pool.idz] # ERROR[pool.idz]: Unknown pool
  }
  slo "gett" { # ERROR["gett"]: Unknown query
    p99 = "20ms"
  }
}

scenario "s" {
  template = template.olpt # ERROR[template.]: Unknown template
  phase "a" {
    template    = "oltp"
    duration    = "1s"
    connections = 1
  }
  phase "b" {
    template    = "oltp"
    depends_on  = [phase.aa] # ERROR[phase.aa]: Unknown phase
    duration    = "1s"
    connections = 1
  }
  threshold "x" {
    metric = "p99"
    query  = "gte" # ERROR["gte"]: Unknown query
    phase  = "c" # ERROR["c"]: Unknown phase
    below  = 5
  }
}
