connection "snowflake" "sf" {
  account   = "xy12345"
  warehouse = "IWH"
}

connection "postgres" "pg" {
  host = "localhost"
}

template "no_block" { # ERROR: Missing interactive block
  connection = connection.snowflake.sf
  table      = "T"
  table_type = "interactive"
  query "q" {
    sql = "SELECT 1"
  }
}

template "empty_keys" {
  connection = connection.snowflake.sf
  table      = "T"
  table_type = "interactive"
  interactive {
    cluster_by = [] # ERROR[[]]: Empty cluster_by
  }
  query "q" {
    sql = "SELECT 1"
  }
}

template "bad_lag" {
  connection = connection.snowflake.sf
  table      = "T"
  table_type = "interactive"
  interactive {
    cluster_by        = ["K"]
    target_lag        = "5m" # ERROR["5m"]: Invalid target_lag
    refresh_warehouse = "WH"
  }
  query "q" {
    sql = "SELECT 1"
  }
}

template "lag_no_wh" {
  connection = connection.snowflake.sf
  table      = "T"
  table_type = "interactive"
  interactive {
    cluster_by = ["K"]
    target_lag = "5 minutes" # ERROR[target_lag]: Missing refresh_warehouse
  }
  query "q" {
    sql = "SELECT 1"
  }
}

template "standard_with_block" {
  connection = connection.snowflake.sf
  table      = "T"
  interactive { # ERROR[interactive]: Interactive block on a non-interactive table
    cluster_by = ["K"]
  }
  warehouse {
    type = "interactive" # ERROR["interactive"]: Interactive warehouse for a non-interactive table
  }
  query "q" {
    sql = "SELECT 1"
  }
}

template "wh" {
  connection = connection.snowflake.sf
  table      = "T"
  table_type = "interactive"
  interactive {
    cluster_by = ["K"]
  }
  warehouse {
    type              = "interactiv" # ERROR["interactiv"]: Unknown warehouse type
    size              = "HUGE" # ERROR["HUGE"]: Unknown warehouse size
    max_cluster_count = 2
  }
  query "q" {
    sql = "SELECT 1"
  }
}

template "pg_wh" {
  connection = connection.postgres.pg
  warehouse { # ERROR[warehouse]: Warehouse block on a non-Snowflake template
    resume = true
  }
  query "q" {
    sql = "SELECT 1"
  }
}

scenario "s" {
  template = template.wh
  cache_warmup {
    max_duration = "5s" # ERROR["5s"]: cache_warmup shorter than two windows
    window       = "3s"
    tolerance    = 1.5 # ERROR[1.5]: Invalid tolerance
  }
  phase "p" {
    duration    = "1s"
    connections = 1
  }
}
