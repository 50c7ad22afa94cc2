connection "sqlite" "local" {
  path = "x.db"
  pathh = "y.db" # ERROR: Unsupported argument
}

template "t" {
  query "q" {
    sql    = "SELECT 1"
    wieght = 2 # ERROR: Unsupported argument
  }
}

scenario "s" {
  phase "p" {
    duration    = "1s"
    conections  = 2 # ERROR: Unsupported argument
    connections = 2
  }
}
