# A sensitive value may be text the run sends (SQL, arguments, tags,
# session values, descriptions, tables), which plans and CONFIG redact,
# but never a setting that shapes the run: a reviewer must see those.
variable "secret" {
  default   = "x"
  sensitive = true
}
variable "n" {
  default   = 4
  sensitive = true
}

connection "sqlite" "local" {
  path = "x.db"
}

template "t" {
  table      = var.secret
  table_type = var.secret # ERROR[var.]: Sensitive value not allowed
  think_time = var.secret # ERROR[var.]: Sensitive value not allowed
  query "q" {
    kind   = var.secret # ERROR[var.]: Sensitive value not allowed
    weight = var.n      # ERROR[var.]: Sensitive value not allowed
    sql    = "SELECT ${var.secret}"
  }
}

scenario "s" {
  template = var.secret # ERROR[var.]: Sensitive value not allowed
  phase "p" {
    template    = template.t
    duration    = var.secret # ERROR[var.]: Sensitive value not allowed
    connections = var.n      # ERROR[var.]: Sensitive value not allowed
  }
  threshold "x" {
    metric = var.secret # ERROR[var.]: Sensitive value not allowed
    below  = var.n      # ERROR[var.]: Sensitive value not allowed
  }
}
