package api

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/candour-vault/candour"
)

func TestVerifier(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	iss, err := LoadOrCreateIssuer(filepath.Join(t.TempDir(), "issuer.key"), clock)
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	v := NewVerifier(iss, DevIssuer, DevAudience, clock)

	base := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": DevIssuer, "aud": DevAudience, "sub": "cw-1", "agency": "police-north",
			"roles": []string{"caseworker"}, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	}
	sign := func(c jwt.MapClaims, edit func(*jwt.Token), key any) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
		tok.Header["kid"] = iss.kid
		if edit != nil {
			edit(tok)
		}
		if key == nil {
			key = iss.key
		}
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	with := func(k string, v any) jwt.MapClaims {
		c := base()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	// raw signs a payload exactly as written, repeated members and all.
	raw := func(payload string) string {
		header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"EdDSA","kid":"` + iss.kid + `","typ":"JWT"}`))
		signing := header + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
		sig, err := jwt.SigningMethodEdDSA.Sign(signing, iss.key)
		if err != nil {
			t.Fatal(err)
		}
		return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
	}
	minted, err := iss.Mint("cw-1", "police-north", []candour.Role{candour.RoleCaseworker}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	pub := []byte(iss.key.Public().(ed25519.PublicKey))
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, base())
	hs.Header["kid"] = iss.kid
	confused, _ := hs.SignedString(pub)
	none := jwt.NewWithClaims(jwt.SigningMethodNone, base())
	none.Header["kid"] = iss.kid
	unsigned, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)

	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"minted", minted, true},
		{"hand made", sign(base(), nil, nil), true},
		{"expired within leeway", sign(with("exp", now.Add(-10*time.Second).Unix()), nil, nil), true},
		{"expired", sign(with("exp", now.Add(-time.Minute).Unix()), nil, nil), false},
		{"no exp", sign(with("exp", nil), nil, nil), false},
		{"not yet valid", sign(with("nbf", now.Add(time.Minute).Unix()), nil, nil), false},
		{"issued in future", sign(with("iat", now.Add(time.Hour).Unix()), nil, nil), false},
		{"wrong issuer", sign(with("iss", "evil"), nil, nil), false},
		{"no issuer", sign(with("iss", nil), nil, nil), false},
		{"wrong audience", sign(with("aud", "other"), nil, nil), false},
		{"no subject", sign(with("sub", nil), nil, nil), false},
		{"unknown role beside caseworker ignored", sign(with("roles", []string{"caseworker", "superuser"}), nil, nil), true},
		{"roles not strings", sign(with("roles", []int{1}), nil, nil), false},
		{"malformed agency", sign(with("agency", "Police North"), nil, nil), false},
		{"other key same kid", sign(base(), nil, otherKey), false},
		{"unknown kid", sign(base(), func(tok *jwt.Token) { tok.Header["kid"] = "nope" }, nil), false},
		{"no kid", sign(base(), func(tok *jwt.Token) { delete(tok.Header, "kid") }, nil), false},
		{"HS256 with public key", confused, false},
		{"alg none", unsigned, false},
		{"garbage", "not.a.token", false},
		{"unknown crit header", sign(base(), func(tok *jwt.Token) { tok.Header["crit"] = []string{"exp"} }, nil), false},
		{"exp a string", sign(with("exp", fmt.Sprint(now.Add(time.Hour).Unix())), nil, nil), false},
		{"nbf a string", sign(with("nbf", fmt.Sprint(now.Unix())), nil, nil), false},
		{"iat a string", sign(with("iat", fmt.Sprint(now.Unix())), nil, nil), false},
		{"duplicate sub", raw(`{"iss":"candour-dev","aud":"candour","sub":"cw-1","sub":"admin","agency":"police-north","roles":["caseworker"],"exp":` +
			fmt.Sprint(now.Add(time.Hour).Unix()) + `}`), false},
		{"unique claims, hand made", raw(`{"iss":"candour-dev","aud":"candour","sub":"cw-1","agency":"police-north","roles":["caseworker"],"exp":` +
			fmt.Sprint(now.Add(time.Hour).Unix()) + `}`), true},
		{"valid for 25 hours", sign(with("exp", now.Add(25*time.Hour).Unix()), nil, nil), false},
		{"no iat, valid for 25 hours from now", sign(func() jwt.MapClaims { c := with("iat", nil); c["exp"] = now.Add(25 * time.Hour).Unix(); return c }(), nil, nil), false},
		{"sub with a NUL byte", sign(with("sub", "cw-1\x00"), nil, nil), false},
		{"sub with a newline", sign(with("sub", "cw-1\nadmin"), nil, nil), false},
		{"sub of 300 bytes", sign(with("sub", strings.Repeat("a", 300)), nil, nil), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.Verify(tt.token)
			if tt.ok {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if p.Subject != "cw-1" || p.Agency != "police-north" || !p.Has(candour.RoleCaseworker) || p.Issuer != DevIssuer {
					t.Errorf("principal = %+v", p)
				}
				return
			}
			if err == nil {
				t.Fatalf("Verify accepted the token: %+v", p)
			}
			if candour.ErrorCode(err) != candour.EUNAUTHORIZED || candour.ErrorMessage(err) != "A valid bearer token is required." {
				t.Errorf("error %v: want the one generic 401", err)
			}
		})
	}
}

// TestVerifierClaimMapping: a provider that keeps roles elsewhere under its
// own names (Keycloak's realm_access.roles) gives the same principal.
func TestVerifierClaimMapping(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	iss, err := LoadOrCreateIssuer(filepath.Join(t.TempDir(), "issuer.key"), clock)
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerifier(iss, DevIssuer, DevAudience, clock).WithClaimMapping(candour.ClaimMapping{
		RolesClaim: "realm_access.roles", AgencyClaim: "org",
		RoleValues: map[string]candour.Role{"candour-cw": candour.RoleCaseworker}})
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{"iss": DevIssuer, "aud": DevAudience, "sub": "cw-1",
		"org": "police-north", "realm_access": map[string]any{"roles": []string{"offline_access", "candour-cw"}},
		"roles": []string{"admin"}, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	tok.Header["kid"] = iss.kid
	s, err := tok.SignedString(iss.key)
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(s)
	if err != nil {
		t.Fatal(err)
	}
	if p.Agency != "police-north" || len(p.Roles) != 1 || p.Roles[0] != candour.RoleCaseworker {
		t.Errorf("principal %+v, want the caseworker of police-north (and not the admin of the unmapped roles claim)", p)
	}
}

func TestMintRefuses(t *testing.T) {
	iss, err := LoadOrCreateIssuer(filepath.Join(t.TempDir(), "issuer.key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, sub, agency string
		roles             []candour.Role
		ttl               time.Duration
	}{
		{"no subject", "", "police-north", []candour.Role{candour.RoleAnalyst}, time.Hour},
		{"bad agency", "a", "Police", []candour.Role{candour.RoleAnalyst}, time.Hour},
		{"bad role", "a", "police-north", []candour.Role{"root"}, time.Hour},
		{"too long", "a", "police-north", []candour.Role{candour.RoleAnalyst}, 48 * time.Hour},
		{"zero ttl", "a", "police-north", []candour.Role{candour.RoleAnalyst}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := iss.Mint(tt.sub, tt.agency, tt.roles, tt.ttl); err == nil {
				t.Error("Mint succeeded")
			}
		})
	}
}
