package vault

import (
	"container/list"
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// CacheLimits bound the data-key cache: a key is dropped after MaxAge, after
// MaxUses uses, or when MaxKeys others are more recent. Zero values disable
// the cache.
type CacheLimits struct {
	MaxAge  time.Duration
	MaxUses int
	MaxKeys int
	// PoolMaxAge bounds how long a pre-wrapped fresh key waits in the pool:
	// after a key rotation, keys wrapped under the old version stop being
	// handed out within it. Zero means one minute.
	PoolMaxAge time.Duration
}

// DefaultCacheLimits keeps a key five minutes or a thousand uses, and at most
// ten thousand keys; pooled fresh keys wait at most a minute.
var DefaultCacheLimits = CacheLimits{MaxAge: 5 * time.Minute, MaxUses: 1000, MaxKeys: 10000, PoolMaxAge: time.Minute}

// keyCache holds unwrapped data keys in memory within its limits; a key is
// zeroed when it leaves. It is safe for concurrent use.
type keyCache struct {
	mu      sync.Mutex
	limits  CacheLimits
	now     func() time.Time
	entries map[string]*list.Element
	lru     *list.List // front: most recent
}

type cached struct {
	id      string
	key     []byte
	wrapped []byte // the key as stored, wrapped: which version of the key it is
	added   time.Time
	uses    int
}

func newKeyCache(l CacheLimits, now func() time.Time) *keyCache {
	return &keyCache{limits: l, now: now, entries: map[string]*list.Element{}, lru: list.New()}
}

func (c *keyCache) enabled() bool {
	return c.limits.MaxAge > 0 && c.limits.MaxUses > 0 && c.limits.MaxKeys > 0
}

// get returns a copy of the cached key, which the caller clears, and its
// wrapped form as stored.
func (c *keyCache) get(id string) (key, wrapped []byte, ok bool) {
	if !c.enabled() {
		return nil, nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[id]
	if !ok {
		return nil, nil, false
	}
	e := el.Value.(*cached)
	if c.now().Sub(e.added) >= c.limits.MaxAge || e.uses >= c.limits.MaxUses {
		c.removeLocked(el)
		return nil, nil, false
	}
	e.uses++
	c.lru.MoveToFront(el)
	return append([]byte(nil), e.key...), e.wrapped, true
}

// put caches a copy of key, stored wrapped as wrapped.
func (c *keyCache) put(id string, key, wrapped []byte) {
	if !c.enabled() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[id]; ok {
		c.removeLocked(el)
	}
	c.entries[id] = c.lru.PushFront(&cached{id: id, key: append([]byte(nil), key...), wrapped: wrapped, added: c.now()})
	for c.lru.Len() > c.limits.MaxKeys {
		c.removeLocked(c.lru.Back())
	}
}

// drop removes a key, as erasure and withdrawal do.
func (c *keyCache) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[id]; ok {
		c.removeLocked(el)
	}
}

func (c *keyCache) removeLocked(el *list.Element) {
	e := el.Value.(*cached)
	clear(e.key)
	delete(c.entries, e.id)
	c.lru.Remove(el)
}

// poolBatch is how many fresh data keys one provider call wraps.
const poolBatch = 100

// keyPool hands out fresh data keys, plain and wrapped, generated and wrapped
// a batch at a time, so that new subjects cost one provider call per hundred.
type keyPool struct {
	mu      sync.Mutex
	maxAge  time.Duration
	now     func() time.Time
	filled  time.Time
	plain   [][]byte
	wrapped [][]byte
}

func (p *keyPool) take(ctx context.Context, kek KEK) (plain, wrapped []byte, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.plain) > 0 && p.now().Sub(p.filled) >= p.maxAge {
		for _, k := range p.plain {
			clear(k)
		}
		p.plain, p.wrapped = nil, nil
	}
	if len(p.plain) == 0 {
		fresh := make([][]byte, poolBatch)
		for i := range fresh {
			fresh[i] = make([]byte, 32)
			if _, err := rand.Read(fresh[i]); err != nil {
				return nil, nil, err
			}
		}
		w, err := kek.WrapKeys(ctx, fresh)
		if err != nil {
			for _, k := range fresh {
				clear(k)
			}
			return nil, nil, fmt.Errorf("wrap data keys: %w", err)
		}
		p.plain, p.wrapped, p.filled = fresh, w, p.now()
	}
	n := len(p.plain) - 1
	plain, wrapped = p.plain[n], p.wrapped[n]
	p.plain, p.wrapped = p.plain[:n], p.wrapped[:n]
	return plain, wrapped, nil
}

// countingKEK counts calls to the key provider, for /metrics and the
// benchmarks.
type countingKEK struct {
	KEK
	wraps, unwraps, hashes atomic.Int64
}

func (c *countingKEK) WrapKeys(ctx context.Context, keys [][]byte) ([][]byte, error) {
	c.wraps.Add(1)
	return c.KEK.WrapKeys(ctx, keys)
}

func (c *countingKEK) UnwrapKeys(ctx context.Context, wrapped [][]byte) ([][]byte, error) {
	c.unwraps.Add(1)
	return c.KEK.UnwrapKeys(ctx, wrapped)
}

func (c *countingKEK) SubjectHash(ctx context.Context, ref string) ([]byte, error) {
	c.hashes.Add(1)
	return c.KEK.SubjectHash(ctx, ref)
}
