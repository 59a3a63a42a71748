package api

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/candour-vault/candour"
)

// switchableKeys is a key set whose key can be taken away.
type switchableKeys struct {
	KeySet
	gone bool
}

func (k *switchableKeys) Keyfunc(t *jwt.Token) (any, error) {
	if k.gone {
		return nil, errors.New("no such key")
	}
	return k.KeySet.Keyfunc(t)
}

// TestVerifiedTokenCache: a verified token is answered from memory for at
// most a minute and never after its exp; a key taken away stops a token
// within that minute; what comes from memory cannot be changed by the
// caller; a token that failed is never remembered.
func TestVerifiedTokenCache(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	iss, err := LoadOrCreateIssuer(filepath.Join(t.TempDir(), "issuer.key"), clock)
	if err != nil {
		t.Fatal(err)
	}
	keys := &switchableKeys{KeySet: iss}
	v := NewVerifier(keys, DevIssuer, DevAudience, clock)
	long, err := iss.Mint("cw-1", "police-north", []candour.Role{candour.RoleCaseworker}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	short, err := iss.Mint("cw-2", "police-north", []candour.Role{candour.RoleCaseworker}, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{long, short} {
		p, err := v.Verify(tok)
		if err != nil {
			t.Fatal(err)
		}
		p.Roles[0] = candour.RoleAdmin // the caller's copy
	}
	keys.gone = true
	steps := []struct {
		after     time.Duration
		tok       string
		wantValid bool
	}{
		{0, long, true},                  // from memory, though the key is gone
		{30 * time.Second, short, true},  // exp 20 s + leeway 30 s
		{51 * time.Second, short, false}, // past exp + leeway
		{59 * time.Second, long, true},   // within the minute
		{61 * time.Second, long, false},  // the minute is over: checked again, the key is gone
		{0, long + "x", false},           // another token
		{0, "not.a.token", false},        // never verified
	}
	for _, s := range steps {
		now = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC).Add(s.after)
		p, err := v.Verify(s.tok)
		if (err == nil) != s.wantValid {
			t.Errorf("after %s: %v, want valid %v", s.after, err, s.wantValid)
		}
		if err == nil && (p.Roles[0] != candour.RoleCaseworker || p.Subject == "") {
			t.Errorf("after %s: principal %+v changed by an earlier caller", s.after, p)
		}
	}
	if len(v.cache.byKey) > 2 {
		t.Errorf("%d tokens remembered, want only the 2 verified", len(v.cache.byKey))
	}
}

// TestTokenCacheBounded: a full cache drops what ran out, then everything.
func TestTokenCacheBounded(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	c := newTokenCache(3, time.Minute)
	for i := range 3 {
		c.put([32]byte{byte(i)}, candour.Principal{Subject: "s"}, now, now.Add(time.Duration(i+1)*10*time.Second))
	}
	c.put([32]byte{9}, candour.Principal{Subject: "s"}, now.Add(15*time.Second), now.Add(time.Hour))
	if _, ok := c.get([32]byte{0}, now.Add(15*time.Second)); ok || len(c.byKey) != 3 {
		t.Errorf("after one ran out: %d held, want 3 with the expired one dropped", len(c.byKey))
	}
	c.put([32]byte{10}, candour.Principal{Subject: "s"}, now.Add(15*time.Second), now.Add(time.Hour))
	if len(c.byKey) != 1 {
		t.Errorf("full with nothing run out: %d held, want 1 after clearing", len(c.byKey))
	}
}
