connection "sqlite" "local" {
  path = "x.db"
}

template "t" {
  query "too_few_args" {
    sql  = "SELECT * FROM T WHERE a = ? AND b = ?" # ERROR["SELECT]: Placeholder count mismatch
    args = [1]
  }
  query "quoted_is_not_a_placeholder" {
    sql  = "SELECT * FROM T WHERE a = ? AND note = '?'" # ERROR["SELECT]: Placeholder count mismatch
    args = [1, 2]
  }
  query "dollar" {
    sql  = "SELECT * FROM T WHERE a = $1 OR b = $1 OR c = $2" # ERROR["SELECT]: Placeholder count mismatch
    args = [1, 2, 3]
  }
  query "no_args" {
    sql = "SELECT * FROM T WHERE a = ?" # ERROR["SELECT]: Placeholder count mismatch
  }
  query "ok" {
    sql  = "SELECT * FROM T WHERE a = $1 OR b = $1 OR c = $2"
    args = [1, "x"]
  }
}
