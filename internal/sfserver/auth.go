package sfserver

import (
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The logins the server checks, like Snowflake does:
//
//   - SNOWFLAKE (user and password): against Options.Users when set, else
//     any non-empty user is accepted;
//   - SNOWFLAKE_JWT (key-pair): the JWT in the request must be signed
//     (RS256) by the private key whose public key is registered for the
//     user (Options.PublicKeys), with iss ACCOUNT.USER.SHA256:<fingerprint of
//     that key>, sub ACCOUNT.USER and an expiry in the future;
//   - OAUTH: the token must be one the server issued for a user
//     (Options.OAuthTokens, SetOAuthToken), as inside Snowpark Container
//     Services, where Snowflake mounts a rotating token file.

// SetOAuthToken makes token a valid OAuth access token for user (upper
// case); RevokeOAuthToken makes it invalid again. Together they rotate a
// token the way Snowflake rotates /snowflake/session/token.
func (s *Server) SetOAuthToken(token, user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.oauth == nil {
		s.oauth = map[string]string{}
	}
	s.oauth[token] = strings.ToUpper(user)
}

// RevokeOAuthToken invalidates an OAuth token.
func (s *Server) RevokeOAuthToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.oauth, token)
}

// RegisterPublicKey registers user's public key for key-pair logins.
func (s *Server) RegisterPublicKey(user string, key *rsa.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pubKeys == nil {
		s.pubKeys = map[string]*rsa.PublicKey{}
	}
	s.pubKeys[strings.ToUpper(user)] = key
}

// authenticate checks a login request and returns the session's user, or
// the message of the refusal.
func (s *Server) authenticate(req *loginRequest) (user, refusal string) {
	d := req.Data
	switch a := strings.ToUpper(d.Authenticator); a {
	case "", "SNOWFLAKE":
		if d.LoginName == "" || (len(s.opts.Users) > 0 && (d.Password == "" || s.opts.Users[d.LoginName] != d.Password)) {
			return "", "Incorrect username or password was specified."
		}
		return d.LoginName, ""
	case "SNOWFLAKE_JWT":
		// The driver sends no LOGIN_NAME: the user is the token's
		// subject, ACCOUNT.USER, checked against the signature below.
		user := d.LoginName
		if user == "" {
			claims := jwt.MapClaims{}
			if _, _, err := jwt.NewParser().ParseUnverified(d.Token, claims); err == nil {
				sub, _ := claims["sub"].(string)
				_, user, _ = strings.Cut(sub, ".")
			}
		}
		if err := s.verifyJWT(user, d.Token); err != nil {
			return "", "JWT token is invalid: " + err.Error()
		}
		return user, ""
	case "OAUTH":
		s.mu.Lock()
		u, ok := s.oauth[d.Token]
		s.mu.Unlock()
		if d.Token == "" || !ok {
			return "", "Invalid OAuth access token."
		}
		return u, ""
	default:
		return "", "The local server accepts password, key-pair (SNOWFLAKE_JWT) and OAUTH logins, not " + a + "."
	}
}

// verifyJWT checks a key-pair login token for user.
func (s *Server) verifyJWT(user, token string) error {
	s.mu.Lock()
	key := s.pubKeys[strings.ToUpper(user)]
	s.mu.Unlock()
	if key == nil {
		return fmt.Errorf("no public key is registered for user %s", strings.ToUpper(user))
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return key, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired(), jwt.WithLeeway(time.Minute))
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(der)
	subject := strings.ToUpper(s.opts.Account) + "." + strings.ToUpper(user)
	if iss, _ := claims["iss"].(string); iss != subject+".SHA256:"+base64.StdEncoding.EncodeToString(sum[:]) {
		return fmt.Errorf("issuer %q does not name the account, user and registered key", iss)
	}
	if sub, _ := claims["sub"].(string); sub != subject {
		return fmt.Errorf("subject %q is not %s", sub, subject)
	}
	return nil
}
