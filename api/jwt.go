package api

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/candour-vault/candour"
)

// KeySet finds the key that verifies a token, by the token's key id: the dev
// Issuer, or a JWKS cache of an OIDC issuer (keyfunc.Keyfunc).
type KeySet interface {
	Keyfunc(t *jwt.Token) (any, error)
}

// Algorithms are the only JWT signing algorithms Candour accepts.
func Algorithms() []string { return []string{"EdDSA", "ES256", "RS256"} }

// Leeway is the clock skew tolerated on exp, nbf and iat.
const Leeway = 30 * time.Second

// Verifier checks bearer tokens: signature by a key in the key set with an
// allowed algorithm, the expected issuer and audience, a required exp, nbf and
// iat if present, a subject, and well-formed roles and agency claims.
type Verifier struct {
	keys     KeySet
	parser   *jwt.Parser
	issuer   string
	audience string
}

// NewVerifier returns a Verifier; now is the clock (nil for the wall clock).
func NewVerifier(keys KeySet, issuer, audience string, now func() time.Time) *Verifier {
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(Algorithms()),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
	}
	if now != nil {
		opts = append(opts, jwt.WithTimeFunc(now))
	}
	return &Verifier{keys: keys, parser: jwt.NewParser(opts...), issuer: issuer, audience: audience}
}

// claims are the token claims Candour reads.
type claims struct {
	jwt.RegisteredClaims
	Agency string   `json:"agency,omitempty"`
	Roles  []string `json:"roles,omitempty"`
}

// errBadToken is the one answer every verification failure gives a client.
var errBadToken = candour.Errorf(candour.EUNAUTHORIZED, "A valid bearer token is required.")

// Verify returns the principal of a valid token. Every failure returns the
// same EUNAUTHORIZED error, wrapping the reason for the server's log.
func (v *Verifier) Verify(token string) (candour.Principal, error) {
	var c claims
	_, err := v.parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid == "" {
			return nil, errors.New("token has no kid")
		}
		return v.keys.Keyfunc(t)
	})
	if err != nil {
		return candour.Principal{}, fmt.Errorf("%w: %w", errBadToken, err)
	}
	if c.Subject == "" {
		return candour.Principal{}, fmt.Errorf("%w: no sub", errBadToken)
	}
	if c.Agency != "" && !candour.ValidAgencyID(c.Agency) {
		return candour.Principal{}, fmt.Errorf("%w: malformed agency", errBadToken)
	}
	p := candour.Principal{Issuer: c.Issuer, Subject: c.Subject, Agency: c.Agency}
	for _, r := range c.Roles {
		role := candour.Role(r)
		if !role.Valid() {
			return candour.Principal{}, fmt.Errorf("%w: unknown role", errBadToken)
		}
		if !slices.Contains(p.Roles, role) {
			p.Roles = append(p.Roles, role)
		}
	}
	return p, nil
}
