# Connections and variables in one file...
variable "db_path" {
  default = "multi.db"
}

connection "sqlite" "main" {
  path = var.db_path
}
