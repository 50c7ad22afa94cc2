connection "sqlite" "local" {
  path = ".flakebench/x.db"
}

template "t" {
  query "q" {
    sql = "SELECT 1" "SELECT 2" # ERROR["SELECT 2"]: Missing newline after argument
  }
}
