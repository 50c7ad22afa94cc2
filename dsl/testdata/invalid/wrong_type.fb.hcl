connection "sqlite" "local" {
  path = "x.db"
}

template "t" {
  use_cached_result = "maybe" # ERROR["maybe"]: Incorrect attribute value type
  tags              = ["a", "b"] # ERROR[[]: Incorrect attribute value type
  query "q" {
    sql    = "SELECT 1"
    weight = "heavy" # ERROR["heavy"]: Incorrect attribute value type
  }
}

scenario "s" {
  seed = 1.5 # ERROR[1.5]: Incorrect attribute value type
  setup {
    sql = "CREATE TABLE t (a INT)" # ERROR["]: Incorrect attribute value type
  }
  phase "p" {
    duration    = "1s"
    connections = "four" # ERROR["four"]: Incorrect attribute value type
  }
}
