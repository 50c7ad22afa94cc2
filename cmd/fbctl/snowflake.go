package main

// Snowflake-specific pieces that need the gosnowflake driver. The engine
// imports no driver, so the run engine takes these as hooks:
//
//   - snowflakeQueryID is an executor.SQLTarget QueryID hook: the driver's
//     documented WithQueryIDChan, filled from the query response itself (no
//     extra round trip), for successes and failures alike;
//   - classifySnowflake is an executor.Classifier: a *gosnowflake.
//     SnowflakeError becomes its six-digit error code ("000625", "000606")
//     with its SQLSTATE; anything else goes to executor.ClassifyError;
//   - openSnowflakeTarget is the run.TargetFactory for Snowflake: an
//     executor.SQLTarget on its own pool with that hook (register it with
//     classifySnowflake in targets.go's nativeTargets and classifiers);
//   - loadSnowflakePrivateKey / snowflakePrivateKeyParam turn a
//     private_key_file (PKCS#1, PKCS#8, or encrypted PKCS#8 with a
//     passphrase) into the driver's privateKey DSN parameter for
//     authenticator=SNOWFLAKE_JWT.

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"os"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/run"
	"github.com/flakebench/fbctl/engine/target"
)

// snowflakeQueryID is the executor.SQLTarget QueryID hook for Snowflake
// targets. The channel is buffered because the driver sends on it from the
// request path; the reader never blocks (no id when the request never got
// a response).
func snowflakeQueryID(ctx context.Context) (context.Context, func() string) {
	ch := make(chan string, 1)
	return sf.WithQueryIDChan(ctx, ch), func() string {
		select {
		case id := <-ch:
			return id
		default:
			return ""
		}
	}
}

// snowflakeTarget runs a phase through database/sql on its own pool, with
// the driver's query-id capture on every operation.
type snowflakeTarget struct {
	executor.SQLTarget
	db *target.DB
}

// Close closes the phase's pool.
func (t *snowflakeTarget) Close() { t.db.Close() }

var _ run.NativeTarget = (*snowflakeTarget)(nil)

// openSnowflakeTarget is the run.TargetFactory for Snowflake connections:
// SQLTarget with snowflakeQueryID, so QUERY_EXECUTIONS.TARGET_QUERY_ID is
// filled and enrichment can match QUERY_HISTORY.
func openSnowflakeTarget(ctx context.Context, c *dsl.Connection, queries []executor.QuerySpec, init []string, maxConns int) (run.NativeTarget, error) {
	db, err := target.Open(c)
	if err != nil {
		return nil, err
	}
	db.SetMaxIdleConns(max(maxConns, 1) + 2)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connection %s: %w", c.Key(), err)
	}
	return &snowflakeTarget{
		SQLTarget: executor.SQLTarget{DB: db.DB, Queries: queries, Init: init, QueryID: snowflakeQueryID},
		db:        db,
	}, nil
}

// classifySnowflake is the executor.Classifier for Snowflake targets.
func classifySnowflake(err error) executor.ErrorInfo {
	var se *sf.SnowflakeError
	if errors.As(err, &se) {
		return executor.ErrorInfo{Code: fmt.Sprintf("%06d", se.Number), SQLState: se.SQLState, Message: err.Error()}
	}
	return executor.ClassifyError(err)
}

// snowflakeErrorQueryID returns the query id a failed statement's error
// carries ("" when none).
func snowflakeErrorQueryID(err error) string {
	var se *sf.SnowflakeError
	if errors.As(err, &se) {
		return se.QueryID
	}
	return ""
}

// loadSnowflakePrivateKey reads an RSA private key for key-pair
// authentication from a PEM file: "PRIVATE KEY" (PKCS#8), "RSA PRIVATE KEY"
// (PKCS#1) or "ENCRYPTED PRIVATE KEY" (PKCS#8 with PBES2: PBKDF2 with
// HMAC-SHA1/SHA-256/SHA-512 and AES-CBC or DES-EDE3-CBC, what `openssl
// pkcs8 -topk8` writes). Errors never contain the key or the passphrase.
func loadSnowflakePrivateKey(path string, passphrase []byte) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("private_key_file: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("private_key_file %s: no PEM block", path)
	}
	der := block.Bytes
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("private_key_file %s: not a PKCS#1 RSA key", path)
		}
		return k, nil
	case "ENCRYPTED PRIVATE KEY":
		if len(passphrase) == 0 {
			return nil, fmt.Errorf("private_key_file %s is encrypted: set private_key_passphrase (from env)", path)
		}
		if der, err = decryptPKCS8(der, passphrase); err != nil {
			return nil, fmt.Errorf("private_key_file %s: %w", path, err)
		}
	case "PRIVATE KEY":
	default:
		return nil, fmt.Errorf("private_key_file %s: PEM block %q is not a private key", path, block.Type)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		if block.Type == "ENCRYPTED PRIVATE KEY" {
			return nil, fmt.Errorf("private_key_file %s: wrong passphrase or damaged key", path)
		}
		return nil, fmt.Errorf("private_key_file %s: not a PKCS#8 key", path)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("private_key_file %s: Snowflake key-pair authentication needs an RSA key, not %T", path, k)
	}
	return rk, nil
}

// snowflakePrivateKeyParam is the driver's privateKey DSN parameter for k:
// base64url of the PKCS#8 DER (gosnowflake's own DSN encoding). It is a
// secret.
func snowflakePrivateKeyParam(k *rsa.PrivateKey) (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", err
	}
	return base64.URLEncoding.EncodeToString(der), nil
}

var (
	oidPBES2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3CBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
)

type encryptedPrivateKeyInfo struct {
	Algo pkix.AlgorithmIdentifier
	Data []byte
}

type pbes2Params struct {
	KDF    pkix.AlgorithmIdentifier
	Cipher pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt       []byte
	Iterations int
	KeyLength  int                      `asn1:"optional"`
	PRF        pkix.AlgorithmIdentifier `asn1:"optional"`
}

// decryptPKCS8 decrypts an EncryptedPrivateKeyInfo with PBES2.
func decryptPKCS8(der, passphrase []byte) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		return nil, errors.New("not an encrypted PKCS#8 key")
	}
	if !info.Algo.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("unsupported key encryption %v (want PBES2; re-encrypt with `openssl pkcs8 -topk8 -v2 aes-256-cbc`)", info.Algo.Algorithm)
	}
	var p pbes2Params
	if _, err := asn1.Unmarshal(info.Algo.Parameters.FullBytes, &p); err != nil || !p.KDF.Algorithm.Equal(oidPBKDF2) {
		return nil, errors.New("unsupported PBES2 parameters (want PBKDF2)")
	}
	var kdf pbkdf2Params
	if _, err := asn1.Unmarshal(p.KDF.Parameters.FullBytes, &kdf); err != nil {
		return nil, errors.New("bad PBKDF2 parameters")
	}
	var prf func() hash.Hash
	switch {
	case len(kdf.PRF.Algorithm) == 0, kdf.PRF.Algorithm.Equal(oidHMACSHA1):
		prf = sha1.New
	case kdf.PRF.Algorithm.Equal(oidHMACSHA256):
		prf = sha256.New
	case kdf.PRF.Algorithm.Equal(oidHMACSHA512):
		prf = sha512.New
	default:
		return nil, fmt.Errorf("unsupported PBKDF2 PRF %v", kdf.PRF.Algorithm)
	}
	var (
		keyLen   int
		newBlock func([]byte) (cipher.Block, error)
	)
	switch c := p.Cipher.Algorithm; {
	case c.Equal(oidAES128CBC):
		keyLen, newBlock = 16, aes.NewCipher
	case c.Equal(oidAES192CBC):
		keyLen, newBlock = 24, aes.NewCipher
	case c.Equal(oidAES256CBC):
		keyLen, newBlock = 32, aes.NewCipher
	case c.Equal(oidDESEDE3CBC):
		keyLen, newBlock = 24, des.NewTripleDESCipher
	default:
		return nil, fmt.Errorf("unsupported key cipher %v", c)
	}
	var iv []byte
	if _, err := asn1.Unmarshal(p.Cipher.Parameters.FullBytes, &iv); err != nil {
		return nil, errors.New("bad cipher parameters")
	}
	key, err := pbkdf2.Key(prf, string(passphrase), kdf.Salt, kdf.Iterations, keyLen)
	if err != nil {
		return nil, err
	}
	block, err := newBlock(key)
	if err != nil {
		return nil, err
	}
	bs := block.BlockSize()
	if len(iv) != bs || len(info.Data) == 0 || len(info.Data)%bs != 0 {
		return nil, errors.New("damaged encrypted key")
	}
	out := make([]byte, len(info.Data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, info.Data)
	pad := int(out[len(out)-1])
	if pad == 0 || pad > bs || pad > len(out) {
		return nil, errors.New("wrong passphrase or damaged key")
	}
	for _, b := range out[len(out)-pad:] {
		if int(b) != pad {
			return nil, errors.New("wrong passphrase or damaged key")
		}
	}
	return out[:len(out)-pad], nil
}
