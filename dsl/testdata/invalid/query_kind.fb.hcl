connection "sqlite" "local" {
  path = "x.db"
}

template "t" {
  query "q" {
    kind = "point_lokup" # ERROR["point_lokup"]: Unknown query kind
    sql  = "SELECT 1"
  }
  query "bad_arg" {
    sql  = "SELECT ?"
    args = [{ a = 1 }] # ERROR[{ a]: Invalid query argument
  }
  query "bad_gen" {
    sql  = "SELECT ?"
    args = [uniform(10, 1)] # ERROR[1)]: Invalid function argument
  }
}

scenario "s" {
  phase "p" {
    duration    = "1s"
    connections = 1
    scaling {
      mode = "elastic" # ERROR["elastic"]: Unknown scaling mode
    }
  }
}
