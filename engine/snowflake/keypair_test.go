package snowflake

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/flakebench/fbctl/dsl"
)

// A throwaway 1024-bit test key (never used anywhere else), as `openssl
// pkcs8 -topk8` writes it: unencrypted, and encrypted with the passphrase
// "test-passphrase" by PBES2 (PBKDF2-HMAC-SHA256 + AES-256-CBC, and
// PBKDF2-HMAC-SHA1 + DES-EDE3-CBC).
const (
	testKeyPlain = `-----BEGIN PRIVATE KEY-----
MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBAOoklNodK7r5ByOA
BNQggLmnhQ55ZEKVpa6KAPlkExFdq84hhF2X1boWaOmb8P6F/10lfxDGD7Kixkl8
5u9NPMT+XEzCA4YQWV0c+q5cY1XXYNamhsmkYO2NODveIp7q4A+601GRNxMmGnnI
c3IPJ9ilF6XzFbnLzYesjP2eSJtNAgMBAAECgYEAx8uNZQ1tSm/Dgqxz8lsF3OYw
qOg3AIZXybcjG6wkhTYMK6n4HDE7BD6pKWaS322SOXaMldCcho9ValH1cY/T4Jdi
fg52qwjcDWuWprJJ7hlMxDIFFxfnx8RDg+3mgkA40iP0OAbH5GdZi1Ws+nak3RHr
rzl7UuVc90MstxdJqyECQQD13bwfhVCT6+RJqq5ngsqcJXVsDB5Bme3uq4d+hF51
xaotkxCdij9BBEjfnHjbN+q8DlmKGUOTZ6RbIbLAcLn5AkEA88sl9Ke9hj8W1hrF
+bL9OrcdBqKZthaAVxJfirTON44oD2vl12h1ZVTy0PhV01+MnJ3vvOg1TherjTRL
YkOg9QJAQaQeaqf0GFn9S/GmuHoBz+hsThl6JneLP5JKDWwXsAfC5IIECJt1Qc18
Cz9CQPzPzb9jBmyyTvN3vODlUV2HOQJBAJvOTSeavEk7sMCMw9HdTnFj7az75fi1
ULhVCbJ/8vsWYwvYDUAphj2ImNZsn41DF35QgZLdZJPQFNddgIAAcLECQBJKlVc2
TcbeclWkcA2tBv84lueyoXKeRtic6TetS3amv0wSPm6+0lkTluODCFtQaT64cmxj
XZ7ozTVMk91snAM=
-----END PRIVATE KEY-----
`
	testKeyAES = `-----BEGIN ENCRYPTED PRIVATE KEY-----
MIIC3TBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQIrQ0BnA8v+5YCAggA
MAwGCCqGSIb3DQIJBQAwHQYJYIZIAWUDBAEqBBD7bCWSXawiAij2EEY0cM1fBIIC
gGnHTFO48SQqhPxVvwyROHQzOfdLuR53ZGZo6tVbFgqYnZ//THPd+H8Rbo5sDLAG
6wF9XAnnADo9sWAPq5WNoIvZiDvT72f8snCRGDdX3bd5DEmdHvquypqVT1oWw/eK
fSIFV7MtVcpmkW6UGzW3Dnp5E4vMLhyBd02X9IGAK8SQIaR2p7/DAoCQWxFq+Zdy
J+70YLaMx1e0SB0ZdA8OepJuyoeiBgDpjDYCCYnlyZh49Fnc35+iDD0jiGucecQG
3m8MUw/juh9wk3oh5z2MeSqredeOw4ULh4WKw3y5sksTdH34R15GSLP98bzj2j3b
P8epZcWe/ota3o7rgY+LBjfjlur44ysCk/e62TinM5XzKfSIArzWbxDKsm4LuqTR
GNPDp8SfklRPsTiIzwNdepihgzHBmgli3Vg4GrrnKziJXKKsuqhvdecRYnVq0z+i
7GiE8nxzrPIrxDR2+OzyTJcDCYPoa0GtnKYyh8RqD4UlTIwO4cNtgMslMdAF7B6p
1ZVcav20BDr/6hRVYjh5p3VgLjGmQQC42Z8FxJPNc9IdFH2pscBKaDNHe4Y8Jz/d
CWgqG5cOCIYVLSoWst3l8HEH1yWuBkoiAs4NoS+F2uTAdaxr5qUV23fBuRoH67Lz
ff84OdRCRxdUnkDNCA+Usyf6/eaZuF8bP3LLZky2L6sQ6zlKVXo2Pwrfz0MVBL7P
8iJTfRrekEZ/R/SF9R4QCRxCPd3sGw5TTiWd2m6rBp5+RAMnSDAdGyGeEzWUCgVR
noQHh2NhzIF6+fx5BfdEVxcKyPgYotbDQEnfN7CjIy637fT77Dwo9da5ZTl5HJCQ
1KsBoVSw+UMPMxUyyChpuo8=
-----END ENCRYPTED PRIVATE KEY-----
`
	testKeyDES3 = `-----BEGIN ENCRYPTED PRIVATE KEY-----
MIICxjBABgkqhkiG9w0BBQ0wMzAbBgkqhkiG9w0BBQwwDgQIRfH550yEgtACAggA
MBQGCCqGSIb3DQMHBAhYJfcLs+4xngSCAoAt5Bnxrcu5gvbldeGlkT89qBexSCr4
HBMY9dHtswuj8u/93/hYdVHXO2kVmp+EOXDWlLZXjCgu/rbrfel2DT8Vq3rb3XRw
7xoAdpT6OPpo1Qmez+ReLKYIr7Cr5xgpCMs9ibJP31KMQrJRdoVLhPIKMFM5Csgb
NgUVQwTqzakL9+PSOa9cu/ShMTtL4cTg1kx7FDBxlv2iad9CvVmXWMzIiYi0veGg
l4wLWnvDHHJGPoQmH3LwA9Yh7gdOHF1N6uz/XUjH6bLhe/q6WY7mmZk2m9R5xEMJ
39ePUTCjEoK5FqTr7xBoxjo3iRs+sOCe0DVmg6fBgafkTilChvmPCtY7fxu1AKL1
/UrMvgxzARY2oulvJXN4cqmR49zMr6gObpi/0si8XohE3D6oGVFZNyVJpH6CTzg+
BzjI+k66jtlAbFN3GKR8VW/Mm80oUEQkhUc/HdH2wIlYdUbJgCppLUogPKTEJHzz
yVqpfiLd8fzUZYwvp4959Yy0eM3ppRMS0im8XbJyZqwk4w9TR03J/P7asSW9AUps
dFKNJOT5lqclGXFszTQdQa50KgjYtRHpQg2ydnRcZbulhmt78i4feYxbuETY2zp6
55H67XfztpNFFA6HlGY/vWAJ3tfmxgft7flslqrfzaP37cHPi1IeuUH35moXT1Bp
Tbbh0m/Th+UO3Lfk3DTfzila/E0AnBOq2MzoA9shH8M0rDQQheoALM2YhoZ0Rhpl
iyjgWEBdf6CRFqeGOHMyumKGjC+quhzMajlax6/MwSFy02e+IErROU8tewsxxReL
7kZTvGMJq/O5E+0NAcxLyPbN4jyntanwy1fiX+4Fbh1AvoHazS2quwX1
-----END ENCRYPTED PRIVATE KEY-----
`
)

// Key-pair authentication: every key form Snowflake's docs produce loads,
// a wrong or missing passphrase is refused without echoing it, and the DSN
// parameter is what gosnowflake decodes back into the same key.
func TestSnowflakePrivateKey(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	want, err := loadPrivateKey(write("plain.p8", testKeyPlain), nil)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(want)}))
	for _, tc := range []struct{ name, body, pass string }{
		{"pkcs1.pem", pkcs1, ""},
		{"aes.p8", testKeyAES, "test-passphrase"},
		{"des3.p8", testKeyDES3, "test-passphrase"},
	} {
		got, err := loadPrivateKey(write(tc.name, tc.body), []byte(tc.pass))
		if err != nil || !got.Equal(want) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	for _, pass := range []string{"", "wrong-passphrase"} {
		_, err := loadPrivateKey(write("aes.p8", testKeyAES), []byte(pass))
		if err == nil || (pass != "" && strings.Contains(err.Error(), pass)) {
			t.Errorf("passphrase %q: %v", pass, err)
		}
	}
	if _, err := loadPrivateKey(filepath.Join(dir, "missing.p8"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// A connection with private_key_file gets the key in the driver's Config
// (encrypted keys with the passphrase from the block's secrets) and the JWT
// authenticator, and the DSN the driver writes for it reads back the same.
func TestKeyPairConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key.p8")
	if err := os.WriteFile(path, []byte(testKeyAES), 0o600); err != nil {
		t.Fatal(err)
	}
	c := dslConn(map[string]string{"account": "xy12345", "user": "bench", "private_key_file": path},
		map[string]string{"private_key_passphrase": "test-passphrase"})
	cfg, err := Config(c)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := loadPrivateKey(path, []byte("test-passphrase"))
	if cfg.Authenticator != sf.AuthTypeJwt || cfg.PrivateKey == nil || !cfg.PrivateKey.Equal(want) {
		t.Fatalf("driver config: authenticator %v, key set %v", cfg.Authenticator, cfg.PrivateKey != nil)
	}
	dsn, err := DSN(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := sf.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if back.Authenticator != sf.AuthTypeJwt || back.PrivateKey == nil || !back.PrivateKey.Equal(want) {
		t.Fatalf("DSN read back: authenticator %v, key set %v", back.Authenticator, back.PrivateKey != nil)
	}
	c.Secrets = map[string]string{"private_key_passphrase": "wrong-passphrase"}
	if _, err := Config(c); err == nil || strings.Contains(err.Error(), "wrong-passphrase") {
		t.Fatalf("a wrong passphrase must fail without echoing it: %v", err)
	}
}

func dslConn(fields, secrets map[string]string) *dsl.Connection {
	return &dsl.Connection{Type: dsl.ConnSnowflake, Name: "kp", Fields: fields, Secrets: secrets}
}
