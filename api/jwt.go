package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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
	keys        KeySet
	parser      *jwt.Parser
	issuer      string
	audience    string
	maxLifetime time.Duration
	mapping     candour.ClaimMapping
	now         func() time.Time
	cache       *tokenCache
}

// DefaultMaxLifetime is the longest a token may be valid for, from its iat
// (or from now when it has none) to its exp, unless WithMaxLifetime says
// otherwise.
const DefaultMaxLifetime = 24 * time.Hour

// MaxClaimBytes bounds the sub and iss claims: longer values are refused at
// the edge, before they reach a log line or an audit entry.
const MaxClaimBytes = 255

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
	if now == nil {
		now = time.Now
	}
	return &Verifier{keys: keys, parser: jwt.NewParser(opts...), issuer: issuer, audience: audience,
		maxLifetime: DefaultMaxLifetime, now: now, cache: newTokenCache(verifiedTokens, verifiedFor)}
}

// WithMaxLifetime sets the longest validity a token may carry and returns v.
func (v *Verifier) WithMaxLifetime(d time.Duration) *Verifier {
	v.maxLifetime = d
	return v
}

// WithClaimMapping sets where tokens keep roles and agency, and how the
// provider's role values map onto Candour's (the same mapping the pages'
// sign-in uses), and returns v.
func (v *Verifier) WithClaimMapping(m candour.ClaimMapping) *Verifier {
	v.mapping = m
	return v
}

// checkShape refuses what RFC 7515, 7519 and 8725 say to refuse before a
// token's signature is even looked at: a crit header (Candour understands no
// extension), a payload that is not one JSON object with distinct member
// names, and exp, nbf or iat that are not JSON numbers.
func checkShape(token string) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return errors.New("not a compact JWS")
	}
	header, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return errors.New("header is not base64url")
	}
	h, err := members(header)
	if err != nil {
		return fmt.Errorf("header: %w", err)
	}
	if _, ok := h["crit"]; ok {
		return errors.New("crit header: no extension is understood")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return errors.New("payload is not base64url")
	}
	p, err := members(payload)
	if err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	for _, name := range []string{"exp", "nbf", "iat"} {
		if raw, ok := p[name]; ok {
			var n json.Number
			if len(raw) == 0 || raw[0] == '"' || json.Unmarshal(raw, &n) != nil {
				return fmt.Errorf("%s is not a number", name)
			}
		}
	}
	return nil
}

// members returns the members of one JSON object, refusing repeated names.
func members(b []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	out := map[string]json.RawMessage{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, errors.New("not a JSON object")
		}
		name, _ := t.(string)
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("member %q repeated", name)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, errors.New("not a JSON object")
		}
		out[name] = v
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return nil, errors.New("not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data")
	}
	return out, nil
}

// validClaim reports whether an iss or sub claim is safe to keep: valid
// UTF-8 of at most MaxClaimBytes, with no control characters.
func validClaim(s string) bool {
	if len(s) > MaxClaimBytes || !utf8.ValidString(s) {
		return false
	}
	return !strings.ContainsFunc(s, unicode.IsControl)
}

// errBadToken is the one answer every verification failure gives a client.
var errBadToken = candour.Errorf(candour.EUNAUTHORIZED, "A valid bearer token is required.")

// Verify returns the principal of a valid token. Every failure returns the
// same EUNAUTHORIZED error, wrapping the reason for the server's log.
func (v *Verifier) Verify(token string) (candour.Principal, error) {
	now := v.now()
	key := sha256.Sum256([]byte(token))
	if p, ok := v.cache.get(key, now); ok {
		return p, nil
	}
	if err := checkShape(token); err != nil {
		return candour.Principal{}, fmt.Errorf("%w: %w", errBadToken, err)
	}
	// One decoding of the claims serves the checks and the claim mapping.
	var all jwt.MapClaims
	_, err := v.parser.ParseWithClaims(token, &all, func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid == "" {
			return nil, errors.New("token has no kid")
		}
		return v.keys.Keyfunc(t)
	})
	if err != nil {
		return candour.Principal{}, fmt.Errorf("%w: %w", errBadToken, err)
	}
	sub, err1 := all.GetSubject()
	iss, err2 := all.GetIssuer()
	iat, err3 := all.GetIssuedAt()
	exp, err4 := all.GetExpirationTime()
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return candour.Principal{}, fmt.Errorf("%w: %w", errBadToken, err)
	}
	if sub == "" {
		return candour.Principal{}, fmt.Errorf("%w: no sub", errBadToken)
	}
	if !validClaim(sub) || !validClaim(iss) {
		return candour.Principal{}, fmt.Errorf("%w: sub or iss too long or with control characters", errBadToken)
	}
	from := v.now()
	if iat != nil {
		from = iat.Time
	}
	if v.maxLifetime > 0 && exp.Sub(from) > v.maxLifetime {
		return candour.Principal{}, fmt.Errorf("%w: valid for longer than %s", errBadToken, v.maxLifetime)
	}
	p, err := v.mapping.Principal(iss, sub, all)
	if err != nil {
		return candour.Principal{}, fmt.Errorf("%w: %w", errBadToken, err)
	}
	v.cache.put(key, p, now, exp.Add(Leeway))
	return p, nil
}
