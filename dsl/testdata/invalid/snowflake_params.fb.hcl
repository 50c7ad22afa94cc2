# The Snowflake driver takes the server from the DSN's address and ignores
# host= and port= in its query string: in params they would send the
# connection to <account>.snowflakecomputing.com.
connection "snowflake" "misread" {
  account  = "acme"
  user     = "bench"
  password = "x"
  params = { host = "127.0.0.1", port = "8085", loginTimeout = "10" } # ERROR[{]: Misplaced connection setting
}

connection "snowflake" "both_tokens" {
  account    = "acme"
  token      = "t"
  token_file = "/snowflake/session/token" # ERROR[token_file]: Conflicting connection arguments
}
