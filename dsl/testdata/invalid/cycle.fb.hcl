connection "sqlite" "local" {
  path = "x.db"
}

template "t" {
  query "q" {
    sql = "SELECT 1"
  }
}

scenario "s" {
  phase "a" {
    depends_on  = [phase.c]
    duration    = "1s"
    connections = 1
  }
  phase "b" {
    depends_on  = [phase.a] # ERROR[phase.a]: Phase dependency cycle
    duration    = "1s"
    connections = 1
  }
  phase "c" {
    depends_on  = [phase.b]
    duration    = "1s"
    connections = 1
  }
}

scenario "self" {
  phase "only" {
    depends_on  = [phase.only] # ERROR[phase.only]: Phase dependency cycle
    duration    = "1s"
    connections = 1
  }
}
