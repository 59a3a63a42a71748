package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/candour-vault/candour"
)

var _ candour.SessionStore = (*DB)(nil)

// CreateSession implements candour.SessionStore.
func (d *DB) CreateSession(ctx context.Context, s candour.Session) error {
	_, err := d.pool.Exec(ctx, `INSERT INTO web_sessions (id_hash, issuer, subject, agency, roles, created_at, last_seen, last_service)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, s.IDHash, s.Principal.Issuer, s.Principal.Subject, s.Principal.Agency,
		roleNames(s.Principal.Roles), s.CreatedAt, s.LastSeen, s.LastService)
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

func roleNames(roles []candour.Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return out
}

// Session implements candour.SessionStore.
func (d *DB) Session(ctx context.Context, idHash []byte) (candour.Session, error) {
	var (
		s     candour.Session
		roles []string
	)
	err := d.pool.QueryRow(ctx, `SELECT id_hash, issuer, subject, agency, roles, created_at, last_seen, last_service
		FROM web_sessions WHERE id_hash = $1`, idHash).Scan(&s.IDHash, &s.Principal.Issuer, &s.Principal.Subject,
		&s.Principal.Agency, &roles, &s.CreatedAt, &s.LastSeen, &s.LastService)
	if errors.Is(err, pgx.ErrNoRows) {
		return candour.Session{}, candour.Errorf(candour.ENOTFOUND, "No such session.")
	}
	if err != nil {
		return candour.Session{}, fmt.Errorf("select session: %w", err)
	}
	for _, r := range roles {
		s.Principal.Roles = append(s.Principal.Roles, candour.Role(r))
	}
	s.CreatedAt, s.LastSeen = s.CreatedAt.UTC(), s.LastSeen.UTC()
	return s, nil
}

// TouchSession implements candour.SessionStore.
func (d *DB) TouchSession(ctx context.Context, idHash []byte, at time.Time, lastService string) error {
	_, err := d.pool.Exec(ctx, `UPDATE web_sessions SET last_seen = $2,
		last_service = CASE WHEN $3 = '' THEN last_service ELSE $3 END WHERE id_hash = $1`, idHash, at, lastService)
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession implements candour.SessionStore.
func (d *DB) DeleteSession(ctx context.Context, idHash []byte) error {
	if _, err := d.pool.Exec(ctx, `DELETE FROM web_sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteSessions implements candour.SessionStore.
func (d *DB) DeleteSessions(ctx context.Context, idle, absolute time.Time) (int, error) {
	tag, err := d.pool.Exec(ctx, `DELETE FROM web_sessions WHERE last_seen < $1 OR created_at < $2`, idle, absolute)
	if err != nil {
		return 0, fmt.Errorf("delete sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
