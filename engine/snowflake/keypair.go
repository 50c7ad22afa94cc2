package snowflake

// Key-pair authentication for Snowflake: a private_key_file (PKCS#1, PKCS#8,
// or encrypted PKCS#8 with a passphrase) becomes the driver Config's
// PrivateKey, with the SNOWFLAKE_JWT authenticator.
// Decrypting PKCS#8 is github.com/youmark/pkcs8's job (PBES2 with PBKDF2 or
// scrypt, AES or DES-EDE3, what `openssl pkcs8 -topk8` writes), not code of
// this project's.

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"

	"github.com/youmark/pkcs8"
)

// loadPrivateKey reads an RSA private key for key-pair authentication from
// a PEM file: "PRIVATE KEY" (PKCS#8), "RSA PRIVATE KEY" (PKCS#1) or
// "ENCRYPTED PRIVATE KEY" (PKCS#8 encrypted with passphrase). Errors never
// contain the key or the passphrase.
func loadPrivateKey(path string, passphrase []byte) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("private_key_file: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("private_key_file %s: no PEM block", path)
	}
	var key any
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("private_key_file %s: not a PKCS#1 RSA key", path)
		}
		return k, nil
	case "ENCRYPTED PRIVATE KEY":
		if len(passphrase) == 0 {
			return nil, fmt.Errorf("private_key_file %s is encrypted: set private_key_passphrase (from env)", path)
		}
		if key, err = pkcs8.ParsePKCS8PrivateKey(block.Bytes, passphrase); err != nil {
			return nil, fmt.Errorf("private_key_file %s: wrong passphrase, damaged key or unsupported encryption (re-encrypt with `openssl pkcs8 -topk8 -v2 aes-256-cbc`)", path)
		}
	case "PRIVATE KEY":
		if key, err = x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
			return nil, fmt.Errorf("private_key_file %s: not a PKCS#8 key", path)
		}
	default:
		return nil, fmt.Errorf("private_key_file %s: PEM block %q is not a private key", path, block.Type)
	}
	rk, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("private_key_file %s: Snowflake key-pair authentication needs an RSA key, not %T", path, key)
	}
	return rk, nil
}
