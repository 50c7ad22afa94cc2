variable "account" { # ERROR: No value for required variable
  type = string
}

connection "snowflake" "sf" {
  account = var.account
}

template "t" {
  table = var.tabel # ERROR[var.tabel]: Reference to undeclared input variable
  query "q" {
    sql = "SELECT 1"
  }
}
