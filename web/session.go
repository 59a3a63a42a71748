package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/candour-vault/candour"
)

// Session lifetimes unless configured otherwise.
const (
	DefaultIdleTimeout     = 15 * time.Minute
	DefaultAbsoluteTimeout = 8 * time.Hour
	// touchEvery bounds how often a session's last-seen time is written:
	// the idle timeout is kept to within this much.
	touchEvery = time.Minute
)

// sessions issues, finds and ends sessions. The cookie holds 32 random
// bytes; the store holds their SHA-256 only.
type sessions struct {
	store    candour.SessionStore
	idle     time.Duration
	absolute time.Duration
	secure   bool
	now      func() time.Time
}

// cookieName is __Host- prefixed (Secure, Path=/, no Domain), except on a
// dev server on loopback over plain HTTP, where browsers would refuse it.
func (s *sessions) cookieName() string {
	if s.secure {
		return "__Host-candour-session"
	}
	return "candour-session"
}

func hashID(v string) []byte {
	sum := sha256.Sum256([]byte(v))
	return sum[:]
}

// start signs p in: a new session, its cookie set on w. Sessions past their
// time are cleared on the way.
func (s *sessions) start(ctx context.Context, w http.ResponseWriter, p candour.Principal) error {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	value := base64.RawURLEncoding.EncodeToString(b)
	now := s.now().UTC()
	if _, err := s.store.DeleteSessions(ctx, now.Add(-s.idle), now.Add(-s.absolute)); err != nil {
		return err
	}
	if err := s.store.CreateSession(ctx, candour.Session{IDHash: hashID(value), Principal: p, CreatedAt: now, LastSeen: now}); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: value, Path: "/", HttpOnly: true,
		Secure: s.secure, SameSite: http.SameSiteLaxMode})
	return nil
}

// current returns the session of r, if it has one in force. A session past
// its idle or absolute time is ended. The error is the store's.
func (s *sessions) current(r *http.Request) (candour.Session, bool, error) {
	c, err := r.Cookie(s.cookieName())
	if err != nil || len(c.Value) != 43 {
		return candour.Session{}, false, nil
	}
	ctx := r.Context()
	sess, err := s.store.Session(ctx, hashID(c.Value))
	if candour.ErrorCode(err) == candour.ENOTFOUND {
		return candour.Session{}, false, nil
	}
	if err != nil {
		return candour.Session{}, false, err
	}
	now := s.now().UTC()
	if now.Sub(sess.LastSeen) > s.idle || now.Sub(sess.CreatedAt) > s.absolute {
		return candour.Session{}, false, s.store.DeleteSession(ctx, sess.IDHash)
	}
	if now.Sub(sess.LastSeen) >= touchEvery {
		if err := s.store.TouchSession(ctx, sess.IDHash, now, ""); err != nil {
			return candour.Session{}, false, err
		}
		sess.LastSeen = now
	}
	return sess, true, nil
}

// remember keeps the service last recorded on, for the next form.
func (s *sessions) remember(ctx context.Context, sess candour.Session, service string) error {
	return s.store.TouchSession(ctx, sess.IDHash, s.now().UTC(), service)
}

// end signs the person out everywhere: the session is deleted from the
// store every replica reads, and the cookie cleared.
func (s *sessions) end(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(s.cookieName()); err == nil {
		if err := s.store.DeleteSession(r.Context(), hashID(c.Value)); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.secure, SameSite: http.SameSiteLaxMode})
	return nil
}
