package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// PublicLimits bound what the public pages (the citizen channel) may take
// of the server, so that a flood on them cannot slow the staff pages or the
// API. Zero fields take DefaultPublicLimits' values.
type PublicLimits struct {
	// PerClient and ClientBurst limit one client's page requests.
	PerClient   rate.Limit
	ClientBurst int
	// PerKey and KeyBurst limit the requests made with one link's token,
	// or to the withdraw page's form from one client.
	PerKey   rate.Limit
	KeyBurst int
	// Total and TotalBurst limit every public page request together.
	Total      rate.Limit
	TotalBurst int
	// InFlight is how many public requests may be served at once; one more
	// is refused at once rather than queued.
	InFlight int
	// MaxBody is the largest form body accepted, in bytes.
	MaxBody int64
	// ClientIPHeader, when set, names the header a trusted reverse proxy
	// puts the client's address in (its last value is used); otherwise
	// the connection's address is.
	ClientIPHeader string
}

// DefaultPublicLimits: a person answers in a few requests a minute; the
// whole channel is held to what one small server stores comfortably
// beside its staff traffic (docs/benchmarks.md).
var DefaultPublicLimits = PublicLimits{
	PerClient: rate.Every(2 * time.Second), ClientBurst: 20,
	PerKey: rate.Every(6 * time.Second), KeyBurst: 20,
	Total: 100, TotalBurst: 200,
	InFlight: 16,
	MaxBody:  64 << 10,
}

func (l PublicLimits) withDefaults() PublicLimits {
	d := DefaultPublicLimits
	if l.PerClient == 0 {
		l.PerClient, l.ClientBurst = d.PerClient, d.ClientBurst
	}
	if l.PerKey == 0 {
		l.PerKey, l.KeyBurst = d.PerKey, d.KeyBurst
	}
	if l.Total == 0 {
		l.Total, l.TotalBurst = d.Total, d.TotalBurst
	}
	if l.InFlight == 0 {
		l.InFlight = d.InFlight
	}
	if l.MaxBody == 0 {
		l.MaxBody = d.MaxBody
	}
	return l
}

// limiter applies PublicLimits. A client is known only by a keyed hash of
// its address, under a key made at start and never stored, held in memory
// while it is active: no address is written anywhere.
type limiter struct {
	cfg      PublicLimits
	secret   [32]byte
	total    *rate.Limiter
	inFlight chan struct{}
	now      func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// idleBucket is how long a quiet client's or link's bucket is kept;
// maxBuckets bounds how many are kept at once (a flood from many
// addresses): past it a new client or link is refused until buckets go.
const (
	idleBucket = 10 * time.Minute
	maxBuckets = 100_000
)

func newLimiter(cfg PublicLimits, now func() time.Time) *limiter {
	cfg = cfg.withDefaults()
	l := &limiter{cfg: cfg, total: rate.NewLimiter(cfg.Total, cfg.TotalBurst),
		inFlight: make(chan struct{}, cfg.InFlight), now: now, buckets: map[string]*bucket{}}
	rand.Read(l.secret[:])
	return l
}

// client is the keyed hash of r's client address.
func (l *limiter) client(r *http.Request) string {
	addr := r.RemoteAddr
	if h := l.cfg.ClientIPHeader; h != "" {
		if vs := r.Header.Values(h); len(vs) > 0 {
			parts := strings.Split(vs[len(vs)-1], ",")
			addr = strings.TrimSpace(parts[len(parts)-1])
		}
	}
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	m := hmac.New(sha256.New, l.secret[:])
	m.Write([]byte(addr))
	return "c:" + string(m.Sum(nil)[:16])
}

// allowKey takes one token from the bucket of key (a client's or a
// link's), made with rate r and burst b when new.
func (l *limiter) allowKey(key string, r rate.Limit, b int) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > idleBucket {
		for k, v := range l.buckets {
			if now.Sub(v.seen) > idleBucket {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	bk := l.buckets[key]
	if bk == nil {
		if len(l.buckets) >= maxBuckets {
			return false
		}
		bk = &bucket{lim: rate.NewLimiter(r, b)}
		l.buckets[key] = bk
	}
	bk.seen = now
	return bk.lim.AllowN(now, 1)
}

// enter admits a public request: within the channel's total and its
// client's share, and with a free place; done gives the place back.
func (l *limiter) enter(r *http.Request) (done func(), ok bool) {
	if !l.allowKey(l.client(r), l.cfg.PerClient, l.cfg.ClientBurst) || !l.total.AllowN(l.now(), 1) {
		return nil, false
	}
	select {
	case l.inFlight <- struct{}{}:
		return func() { <-l.inFlight }, true
	default:
		return nil, false
	}
}

// allowLink admits one more request made with a link's token (or with a
// receipt code from one client), by the token's hash.
func (l *limiter) allowLink(tokenHash []byte) bool {
	return l.allowKey("k:"+string(tokenHash), l.cfg.PerKey, l.cfg.KeyBurst)
}
