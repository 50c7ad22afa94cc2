connection "postgres" "pg" {
  host = "localhost"
}

connection "snowflake" "sf" {
  account = "xy12345"
}

template "pg_hybrid" {
  connection = connection.postgres.pg
  table_type = "hybrid" # ERROR["hybrid"]: Incompatible table type
  query "q" {
    sql = "SELECT 1"
  }
}

template "sf_sqlite" {
  connection = connection.snowflake.sf
  table_type = "sqlite" # ERROR["sqlite"]: Incompatible table type
  query "q" {
    sql = "SELECT 1"
  }
}

template "typo" {
  connection = connection.snowflake.sf
  table_type = "hybird" # ERROR["hybird"]: Unknown table type
  query "q" {
    sql = "SELECT 1"
  }
}
