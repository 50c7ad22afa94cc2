# ...the template and scenario in another; names are shared across files.
template "kv" {
  connection = connection.sqlite.main
  table      = "KV"
  query "get" {
    kind = "point_lookup"
    sql  = "SELECT v FROM KV WHERE k = ?"
    args = [uniform(1, local.keys)]
  }
}

locals {
  keys = 100
}

scenario "kv" {
  phase "run" {
    duration    = "1s"
    connections = 1
  }
}
