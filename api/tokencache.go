package api

import (
	"slices"
	"sync"
	"time"

	"github.com/candour-vault/candour"
)

// A verified token is remembered, by its SHA-256, for a short while, so that
// a client sending the same token with every request pays for one signature
// check a minute instead of one a request.
//
// Guarantees: only a token that passed every check of Verify is
// remembered; it is answered from memory no longer than verifiedFor after
// it was checked and never after its exp (with the leeway Verify allows);
// a changed token (any byte) is another key; at most verifiedTokens are
// held. A key removed from the key set stops being accepted within
// verifiedFor.
const (
	verifiedTokens = 10_000
	verifiedFor    = time.Minute
)

type tokenCache struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	byKey map[[32]byte]verified
}

type verified struct {
	p     candour.Principal
	until time.Time
}

func newTokenCache(max int, ttl time.Duration) *tokenCache {
	return &tokenCache{max: max, ttl: ttl, byKey: map[[32]byte]verified{}}
}

// get returns the principal of a remembered token still within its time.
func (c *tokenCache) get(key [32]byte, now time.Time) (candour.Principal, bool) {
	c.mu.Lock()
	v, ok := c.byKey[key]
	c.mu.Unlock()
	if !ok || !now.Before(v.until) {
		return candour.Principal{}, false
	}
	v.p.Roles = slices.Clone(v.p.Roles)
	return v.p, true
}

// put remembers a verified token until the earlier of its expiry and the
// cache's time. When full, it drops what has run out, and everything if
// that is not enough.
func (c *tokenCache) put(key [32]byte, p candour.Principal, now, expires time.Time) {
	until := now.Add(c.ttl)
	if expires.Before(until) {
		until = expires
	}
	if !now.Before(until) {
		return
	}
	p.Roles = slices.Clone(p.Roles)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.byKey) >= c.max {
		for k, v := range c.byKey {
			if !now.Before(v.until) {
				delete(c.byKey, k)
			}
		}
		if len(c.byKey) >= c.max {
			clear(c.byKey)
		}
	}
	c.byKey[key] = verified{p: p, until: until}
}
