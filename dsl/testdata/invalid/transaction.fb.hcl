connection "sqlite" "local" {
  path = "x.db"
}

template "t" {
  table = "T"
  query "not_tx" {
    sql       = "SELECT 1"
    max_tries = 3 # ERROR: Not a transaction
  }
  query "tx" {
    sql       = "SELECT 1" # ERROR: Conflicting query arguments
    isolation = "read_committed" # ERROR["read_committed"]: Unsupported isolation level
    max_tries = 0 # ERROR[0]: Invalid max_tries
    let {
      a = uniform(1, 10)
    }
    statement "begin" {
      sql = "BEGIN" # ERROR["BEGIN"]: Transaction control in a statement
    }
    statement "count" {
      sql  = "UPDATE T SET n = n + 1 WHERE a = ? AND b = ?" # ERROR["UPDATE]: Placeholder count mismatch
      args = [let.a]
    }
    statement "later" {
      sql  = "SELECT ?"
      args = [let.b] # ERROR[let.b]: Value used before it is bound
    }
    statement "read" {
      sql  = "SELECT n FROM T WHERE a = ?"
      args = [let.a]
      into = "b"
    }
    statement "write_into" {
      sql  = "UPDATE T SET n = 0 WHERE a = ?"
      args = [let.b]
      into = "c" # ERROR["c"]: Invalid into
    }
  }
  query "undeclared" {
    statement "s" {
      sql  = "SELECT ?"
      args = [let.nope] # ERROR[let.nope]: Unknown let value
    }
  }
  query "empty" {
    kind = "transaction" # ERROR["transaction"]: Missing statement block
  }
}
