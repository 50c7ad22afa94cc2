locals {
  a = local.b # ERROR[a]: Local value cycle
  b = local.a
  c = local.nope # ERROR[local.nope]: Reference to undeclared local value
}

locals {
  a = 1 # ERROR[a]: Duplicate local value
}
