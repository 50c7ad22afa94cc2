variable "connections" {
  type    = number
  default = 0
  validation {
    condition     = var.connections > 0 # ERROR[var.]: Invalid value for variable
    error_message = "The connections variable must be positive."
  }
}

variable "region" {
  type    = string
  default = "mars"
  validation {
    condition     = contains(["us", "eu"], var.region) # ERROR[contains]: Invalid value for variable
    error_message = "The region must be us or eu."
  }
}

variable "count" {
  type    = number
  default = "many" # ERROR["many"]: Invalid value for variable
}

variable "1bad" { # ERROR["1bad"]: Invalid variable name
  default = 1
}

locals {
  shout = upperr("x") # ERROR[upperr]: Call to unknown function
}
