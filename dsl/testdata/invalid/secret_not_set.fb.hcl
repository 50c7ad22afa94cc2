# Loaded with an empty environment by the fixture test, which asks for
# secrets like the commands that connect do (see invalid_test.go).
connection "snowflake" "bench" {
  account  = "acme"
  user     = "bench"
  password = env("SNOWFLAKE_PASSWORD") # ERROR[env]: Secret not set
}

connection "snowflake" "oauth" {
  account = "acme"
  token   = env("SNOWFLAKE_TOKEN", "") # ERROR[env]: Secret not set
}

connection "postgres" "trust" {
  host     = "db"
  password = env("PGPASSWORD")
}
