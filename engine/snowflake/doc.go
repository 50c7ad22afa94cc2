// Package snowflake is fbctl's Snowflake backend. It owns the driver
// (github.com/snowflakedb/gosnowflake, registered as "snowflake") and all
// that needs it:
//
//   - Config, DSN and Connector: a connection block as the driver's own
//     Config (account, host, user, password or token, key pair from
//     private_key_file into Config.PrivateKey, token_file as
//     Config.TokenFilePath so every login reads a rotating token, the
//     bounded Timeouts), its params applied by the driver's own DSN
//     parser; engine/target opens database/sql pools with Connector;
//   - OpenTarget: the run engine's driver-native Snowflake target
//     (executor.SQLTarget with QueryID, the driver's WithQueryIDChan, and
//     Classify);
//   - Classify and ErrorQueryID: a *gosnowflake.SnowflakeError as its
//     six-digit code and SQLSTATE, and the query id it carries;
//   - Store: the results store's backend for snowflake:// DSNs (parsed once
//     with gosnowflake.ParseDSN), and ParseStoreDSN for preflight;
//   - QuietDriver: the driver's own logger kept to fatal errors.
//
// The connections.toml file a block names and the merging of secrets are
// engine/connstr's; session setup (QUERY_TAG, TIMEZONE) is engine/target's.
package snowflake
