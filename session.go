package candour

import (
	"context"
	"time"
)

// Session is a signed-in person's session on the pages, kept on the server
// so that every replica shares it and signing out ends it everywhere. The
// cookie holds a random value; storage holds only its SHA-256 (IDHash), so
// a copy of the database signs nobody in.
type Session struct {
	IDHash    []byte
	Principal Principal
	CreatedAt time.Time
	LastSeen  time.Time
	// LastService is the service the person last recorded feedback on, so
	// that the next form starts there. A service id, never content.
	LastService string
}

// SessionStore keeps sessions.
type SessionStore interface {
	// CreateSession stores s.
	CreateSession(ctx context.Context, s Session) error
	// Session returns the session whose cookie hashes to idHash, or ENOTFOUND.
	Session(ctx context.Context, idHash []byte) (Session, error)
	// TouchSession sets a session's LastSeen and LastService (kept when
	// empty). A missing session is not an error.
	TouchSession(ctx context.Context, idHash []byte, at time.Time, lastService string) error
	// DeleteSession ends a session; a missing one is not an error.
	DeleteSession(ctx context.Context, idHash []byte) error
	// DeleteSessions ends every session last seen before idle or created
	// before absolute, and says how many it ended.
	DeleteSessions(ctx context.Context, idle, absolute time.Time) (int, error)
}

// Catalogue is what the policy data names: agencies, their services, and
// which agencies each shares insight with. Pages offer choices from it; it
// decides nothing (the policy does).
type Catalogue struct {
	Agencies  []Agency
	Services  []Service
	Retention Retention
}

// Agency is one agency of the policy data.
type Agency struct {
	ID, Name string
	// Partners are the agencies this one shares insight with under a
	// data-sharing agreement, sorted.
	Partners []string
}

// Service is one service of the catalogue.
type Service struct {
	ID, Name, Agency string
}

// Agency returns the agency with id, and whether there is one.
func (c Catalogue) Agency(id string) (Agency, bool) {
	for _, a := range c.Agencies {
		if a.ID == id {
			return a, true
		}
	}
	return Agency{}, false
}

// ServiceName returns the name of the service with id, or id when the
// catalogue does not name it.
func (c Catalogue) ServiceName(id string) string {
	if s, ok := c.Service(id); ok && s.Name != "" {
		return s.Name
	}
	return id
}

// AgencyName returns the name of the agency with id, or id when the
// catalogue does not name it.
func (c Catalogue) AgencyName(id string) string {
	if a, ok := c.Agency(id); ok && a.Name != "" {
		return a.Name
	}
	return id
}

// ServicesOf returns the services agency runs, in catalogue order.
func (c Catalogue) ServicesOf(agency string) []Service {
	var out []Service
	for _, s := range c.Services {
		if s.Agency == agency {
			out = append(out, s)
		}
	}
	return out
}

// Service returns the service with id, and whether there is one.
func (c Catalogue) Service(id string) (Service, bool) {
	for _, s := range c.Services {
		if s.ID == id {
			return s, true
		}
	}
	return Service{}, false
}
