# Connection values that can never work, caught before anything connects
# (loaded with an empty environment, see invalid_test.go).
connection "sqlite" "empty" {
  path = "" # ERROR[""]: Empty SQLite path
}

connection "sqlite" "unset" {
  path = env("FB_TARGET_PATH") # ERROR[env]: Empty SQLite path
}

connection "sqlite" "defaulted" {
  path = env("FB_TARGET_PATH", "bench.db")
}

connection "postgres" "url" {
  dsn = "postgres://bench:secret@localhost:notaport/bench" # ERROR["postgres]: Invalid port in dsn
}

connection "postgres" "kv" {
  dsn = "host=localhost port=54x32 dbname=bench" # ERROR["host]: Invalid port in dsn
}

connection "postgres" "good" {
  dsn = "postgres://bench@localhost:5432,otherhost:5433/bench?sslmode=disable"
}
