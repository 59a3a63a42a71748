package api

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/candour-vault/candour"
)

// The dev issuer's identity. Tokens it mints carry these iss and aud values.
const (
	DevIssuer   = "candour-dev"
	DevAudience = "candour"
)

// Issuer is the built-in Ed25519 token issuer of `candour dev`. Its private
// key lives in a PEM file of mode 0600 in the data directory; its public key is
// served as a JWKS. It is not an identity provider: it signs whatever it is
// asked to, and exists so that Candour can be tried without one.
type Issuer struct {
	key ed25519.PrivateKey
	kid string
	now func() time.Time
}

var _ KeySet = (*Issuer)(nil)

// LoadOrCreateIssuer loads the issuer key at path, creating it when missing.
func LoadOrCreateIssuer(path string, now func() time.Time) (*Issuer, error) {
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("issuer: generate key: %w", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return nil, fmt.Errorf("issuer: encode key: %w", err)
		}
		if err := writeNew(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
			return nil, err
		}
	}
	return LoadIssuer(path, now)
}

// LoadIssuer loads the issuer key at path; now is the clock (nil for the wall
// clock).
func LoadIssuer(path string, now func() time.Time) (*Issuer, error) {
	if now == nil {
		now = time.Now
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("issuer: %s is not a PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	priv, ok := k.(ed25519.PrivateKey)
	if err != nil || !ok {
		return nil, fmt.Errorf("issuer: %s is not an Ed25519 private key", path)
	}
	return &Issuer{key: priv, kid: thumbprint(priv.Public().(ed25519.PublicKey)), now: now}, nil
}

func writeNew(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("issuer: create %s: %w", path, err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("issuer: write %s: %w", path, err)
	}
	return f.Close()
}

// thumbprint is the RFC 7638 JWK thumbprint of an Ed25519 public key.
func thumbprint(pub ed25519.PublicKey) string {
	canon := fmt.Sprintf(`{"crv":"Ed25519","kty":"OKP","x":"%s"}`, base64.RawURLEncoding.EncodeToString(pub))
	sum := sha256.Sum256([]byte(canon))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Mint signs a token for sub in agency with the given roles, valid for ttl.
func (i *Issuer) Mint(sub, agency string, roles []candour.Role, ttl time.Duration) (string, error) {
	if sub == "" {
		return "", errors.New("a token needs a subject")
	}
	if agency != "" && !candour.ValidAgencyID(agency) {
		return "", errors.New("agency must be lowercase words joined by hyphens, such as police-north")
	}
	if ttl <= 0 || ttl > 24*time.Hour {
		return "", errors.New("ttl must be more than zero and at most 24h")
	}
	names := make([]string, len(roles))
	for n, r := range roles {
		if !r.Valid() {
			return "", fmt.Errorf("unknown role %q: want caseworker, analyst, auditor or admin", r)
		}
		names[n] = string(r)
	}
	now := i.now()
	jti := make([]byte, 12)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	c := devClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    DevIssuer,
			Subject:   sub,
			Audience:  jwt.ClaimStrings{DevAudience},
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        base64.RawURLEncoding.EncodeToString(jti),
		},
		Agency: agency,
		Roles:  names,
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	t.Header["kid"] = i.kid
	return t.SignedString(i.key)
}

// Keyfunc implements KeySet.
func (i *Issuer) Keyfunc(t *jwt.Token) (any, error) {
	if kid, _ := t.Header["kid"].(string); kid != i.kid {
		return nil, errors.New("unknown key id")
	}
	return i.key.Public(), nil
}

// JWKS returns the issuer's public key as a JSON Web Key Set.
func (i *Issuer) JWKS() []byte {
	b, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": i.kid,
		"x": base64.RawURLEncoding.EncodeToString(i.key.Public().(ed25519.PublicKey)),
	}}})
	return b
}

// devClaims are the claims the dev issuer mints: Candour's role names in
// "roles" and the agency in "agency", as the default ClaimMapping reads them.
type devClaims struct {
	jwt.RegisteredClaims
	Agency string   `json:"agency,omitempty"`
	Roles  []string `json:"roles,omitempty"`
}
