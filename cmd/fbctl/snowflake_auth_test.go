package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/youmark/pkcs8"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/target"
	"github.com/flakebench/fbctl/internal/sfserver"
)

// Logins through the real gosnowflake driver against the local server,
// which checks them as Snowflake does (internal/sfserver/auth.go).

// loadConn loads one connection block (with a minimal template and
// scenario) the way a command that connects does.
func loadConn(t *testing.T, block string, env map[string]string) *dsl.Connection {
	t.Helper()
	src := block + `
template "t" {
  query "q" {
    sql = "SELECT 1"
  }
}
scenario "s" {
  phase "p" {
    duration    = "1s"
    connections = 1
  }
}
`
	cfg, diags := dsl.LoadSources(map[string][]byte{"c.fb.hcl": []byte(src)}, dsl.LoadOptions{
		LookupEnv:      func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		RequireSecrets: true,
	})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	for _, c := range cfg.Connections {
		return c
	}
	t.Fatal("no connection")
	return nil
}

// ping opens the connection's pool, logs in and runs a statement.
func ping(t *testing.T, c *dsl.Connection) error {
	t.Helper()
	db, err := target.Open(c)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var one int
	return db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

func localBlock(srv *sfserver.Server, auth string) string {
	host, port, _ := net.SplitHostPort(srv.Addr())
	return fmt.Sprintf(`connection "snowflake" "local" {
  account  = "local"
  host     = %q
  port     = %s
  protocol = "http"
  database = "FB"
  schema   = "PUBLIC"
%s
  params = {
    loginTimeout  = "10"
    maxRetryCount = "1"
    tracing       = "fatal"
  }
}
`, host, port, auth)
}

// Key-pair authentication end to end: the key loaded from
// private_key_file (plain PKCS#8, and encrypted PKCS#8 decrypted with
// github.com/youmark/pkcs8) reaches the driver, whose JWT the server
// verifies against the user's registered public key. A key the server does
// not know is refused.
func TestSnowflakeKeyPairLogin(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	srv := startSF(t, sfserver.Options{PublicKeys: map[string]*rsa.PublicKey{"KEYUSER": &key.PublicKey}})
	dir := t.TempDir()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain.p8")
	writePEM(t, plain, "PRIVATE KEY", der)
	for _, opts := range []*pkcs8.Opts{
		{Cipher: pkcs8.AES256CBC, KDFOpts: pkcs8.PBKDF2Opts{SaltSize: 16, IterationCount: 2048, HMACHash: crypto.SHA256}},
		{Cipher: pkcs8.AES128CBC, KDFOpts: pkcs8.ScryptOpts{SaltSize: 16, CostParameter: 1 << 10, BlockSize: 8, ParallelizationParameter: 1}},
	} {
		enc, err := pkcs8.MarshalPrivateKey(key, []byte("key-pass-phrase"), opts)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("enc-%T.p8", opts.KDFOpts))
		writePEM(t, p, "ENCRYPTED PRIVATE KEY", enc)
		c := loadConn(t, localBlock(srv, fmt.Sprintf(`  user = "keyuser"
  private_key_file       = %q
  private_key_passphrase = env("KEY_PASS")`, p)), map[string]string{"KEY_PASS": "key-pass-phrase"})
		if err := ping(t, c); err != nil {
			t.Fatalf("encrypted key (%T): %v", opts.KDFOpts, err)
		}
	}
	c := loadConn(t, localBlock(srv, fmt.Sprintf("  user = \"keyuser\"\n  private_key_file = %q", plain)), nil)
	if err := ping(t, c); err != nil {
		t.Fatalf("plain key: %v", err)
	}
	if sessions := srv.Sessions(); len(sessions) != 0 {
		t.Errorf("sessions left open: %v", sessions)
	}

	// The Snowflake CLI's connections.toml may name the key private_key_path.
	home := t.TempDir()
	t.Setenv("SNOWFLAKE_HOME", home)
	host, port, _ := net.SplitHostPort(srv.Addr())
	toml := fmt.Sprintf("[kp]\naccount = \"local\"\nuser = \"keyuser\"\nauthenticator = \"SNOWFLAKE_JWT\"\nprivate_key_path = %q\nhost = %q\nport = %s\nprotocol = \"http\"\n", plain, host, port)
	if err := os.WriteFile(filepath.Join(home, "connections.toml"), []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	c = loadConn(t, `connection "snowflake" "kp" {
  connection_name = "kp"
  params = {
    loginTimeout  = "10"
    maxRetryCount = "1"
  }
}
`, nil)
	if err := ping(t, c); err != nil {
		t.Fatalf("key from connections.toml: %v", err)
	}

	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	otherDER, _ := x509.MarshalPKCS8PrivateKey(other)
	wrong := filepath.Join(dir, "wrong.p8")
	writePEM(t, wrong, "PRIVATE KEY", otherDER)
	c = loadConn(t, localBlock(srv, fmt.Sprintf("  user = \"keyuser\"\n  private_key_file = %q", wrong)), nil)
	if err := ping(t, c); err == nil || !strings.Contains(err.Error(), "JWT token is invalid") {
		t.Fatalf("a key that is not the user's logged in: %v", err)
	}
	c = loadConn(t, localBlock(srv, fmt.Sprintf("  user = \"nobody\"\n  private_key_file = %q", plain)), nil)
	if err := ping(t, c); err == nil || !strings.Contains(err.Error(), "no public key is registered") {
		t.Fatalf("a user without a key logged in: %v", err)
	}
}

// Inside Snowpark Container Services a connection authenticates with the
// OAuth token Snowflake mounts at /snowflake/session/token, with host and
// account from SNOWFLAKE_HOST and SNOWFLAKE_ACCOUNT. The token rotates: the
// driver re-reads the file for every new connection.
func TestSnowflakeOAuthTokenFile(t *testing.T) {
	srv := startSF(t, sfserver.Options{})
	srv.SetOAuthToken("token-one", "SPCS_SERVICE")
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("token-one"), 0o600); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(srv.Addr())
	block := fmt.Sprintf(`connection "snowflake" "spcs" {
  account    = env("SNOWFLAKE_ACCOUNT")
  host       = env("SNOWFLAKE_HOST")
  port       = %s
  protocol   = "http"
  token_file = %q
  database   = "FB"
  params = {
    loginTimeout  = "10"
    maxRetryCount = "1"
    tracing       = "fatal"
  }
}
`, port, tokenFile)
	c := loadConn(t, block, map[string]string{"SNOWFLAKE_ACCOUNT": "local", "SNOWFLAKE_HOST": host})
	// Every path that opens a Snowflake pool logs in with the file's token.
	if err := ping(t, c); err != nil {
		t.Fatal(err)
	}
	// The run's sessions re-read it for every new connection.
	db, err := target.Open(c)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxIdleConns(0) // every statement on a new connection, a new login
	query := func() error {
		var one int
		return db.QueryRowContext(context.Background(), "SELECT 1").Scan(&one)
	}
	if err := query(); err != nil {
		t.Fatal(err)
	}
	// Rotate: the old token stops working, the file holds the new one.
	srv.SetOAuthToken("token-two", "SPCS_SERVICE")
	srv.RevokeOAuthToken("token-one")
	if err := os.WriteFile(tokenFile, []byte("token-two"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := query(); err != nil {
		t.Fatalf("after the token rotated: %v", err)
	}
	if n := srv.Stats().Requests["POST /session/v1/login-request"]; n < 2 {
		t.Fatalf("%d logins, want one per connection", n)
	}
	// A token the server never issued is refused.
	if err := os.WriteFile(tokenFile, []byte("forged"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := query(); err == nil || !strings.Contains(err.Error(), "Invalid OAuth access token") {
		t.Fatalf("forged token: %v", err)
	}
}

// silentListener accepts TCP connections on loopback and never answers:
// an address that is reachable but dead, like a firewalled endpoint.
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// A Snowflake target or store whose address never answers fails within the
// login timeout with an error that says so; it used to hang for minutes
// (the driver's default login timeout is 5 minutes, its requests have none).
// Every Snowflake DSN fbctl builds sets loginTimeout=30 and
// requestTimeout=60 unless params say otherwise; here params shorten them.
func TestSnowflakeUnreachableFailsInBoundedTime(t *testing.T) {
	addr := silentListener(t)
	host, port, _ := net.SplitHostPort(addr)
	c := loadConn(t, fmt.Sprintf(`connection "snowflake" "dead" {
  account  = "local"
  host     = %q
  port     = %s
  protocol = "http"
  user     = "u"
  password = "p"
  params = {
    loginTimeout   = "2"
    clientTimeout  = "2"
    requestTimeout = "2"
  }
}
`, host, port), nil)
	start := time.Now()
	err := ping(t, c)
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("logged in to a silent address")
	}
	if elapsed > 15*time.Second {
		t.Fatalf("took %v", elapsed)
	}
	t.Logf("target: %v after %v", err, elapsed)

	start = time.Now()
	_, err = store.Open(context.Background(), "snowflake://u:p@"+addr+"/FB/RESULTS?account=local&protocol=http&loginTimeout=2&clientTimeout=2&requestTimeout=2", store.Options{})
	if err == nil || time.Since(start) > 15*time.Second {
		t.Fatalf("store: %v after %v", err, time.Since(start))
	}
	t.Logf("store: %v after %v", err, time.Since(start))
}

// The connection block `fbctl dev snowflake-server` prints works as pasted,
// with no environment at all.
func TestDevServerBlockWorksAsPasted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out lockedBuffer
	done := make(chan error, 1)
	go func() { done <- sfserver.Run(ctx, "127.0.0.1:0", "", nil, &out) }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "Press Ctrl-C") {
		if time.Now().After(deadline) {
			t.Fatalf("no connection block:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	block := regexp.MustCompile(`(?s)connection "snowflake" "local" \{.*?\n\}\n`).FindString(out.String())
	if block == "" {
		t.Fatalf("no block in:\n%s", out.String())
	}
	if strings.Contains(block, "env(") {
		t.Errorf("the block reads the environment:\n%s", block)
	}
	c := loadConn(t, block, map[string]string{}) // no environment
	if err := ping(t, c); err != nil {
		t.Fatalf("the pasted block does not connect: %v\n%s", err, block)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
