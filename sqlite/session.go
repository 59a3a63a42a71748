package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/candour-vault/candour"
)

var _ candour.SessionStore = (*DB)(nil)

// CreateSession implements candour.SessionStore.
func (d *DB) CreateSession(ctx context.Context, s candour.Session) error {
	roles, err := json.Marshal(s.Principal.Roles)
	if err != nil {
		return err
	}
	_, err = d.db.ExecContext(ctx, `INSERT INTO web_sessions (id_hash, issuer, subject, agency, roles, created_at, last_seen, last_service)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, s.IDHash, s.Principal.Issuer, s.Principal.Subject, s.Principal.Agency, string(roles),
		formatTime(s.CreatedAt), formatTime(s.LastSeen), s.LastService)
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

// Session implements candour.SessionStore.
func (d *DB) Session(ctx context.Context, idHash []byte) (candour.Session, error) {
	var (
		s                    candour.Session
		roles, created, seen string
	)
	err := d.db.QueryRowContext(ctx, `SELECT id_hash, issuer, subject, agency, roles, created_at, last_seen, last_service
		FROM web_sessions WHERE id_hash = ?`, idHash).Scan(&s.IDHash, &s.Principal.Issuer, &s.Principal.Subject,
		&s.Principal.Agency, &roles, &created, &seen, &s.LastService)
	if errors.Is(err, sql.ErrNoRows) {
		return candour.Session{}, candour.Errorf(candour.ENOTFOUND, "No such session.")
	}
	if err != nil {
		return candour.Session{}, fmt.Errorf("select session: %w", err)
	}
	if err := json.Unmarshal([]byte(roles), &s.Principal.Roles); err != nil {
		return candour.Session{}, fmt.Errorf("session roles: %w", err)
	}
	if s.CreatedAt, err = parseTime(created); err == nil {
		s.LastSeen, err = parseTime(seen)
	}
	if err != nil {
		return candour.Session{}, fmt.Errorf("session times: %w", err)
	}
	return s, nil
}

// TouchSession implements candour.SessionStore.
func (d *DB) TouchSession(ctx context.Context, idHash []byte, at time.Time, lastService string) error {
	_, err := d.db.ExecContext(ctx, `UPDATE web_sessions SET last_seen = ?,
		last_service = CASE WHEN ? = '' THEN last_service ELSE ? END WHERE id_hash = ?`,
		formatTime(at), lastService, lastService, idHash)
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession implements candour.SessionStore.
func (d *DB) DeleteSession(ctx context.Context, idHash []byte) error {
	if _, err := d.db.ExecContext(ctx, `DELETE FROM web_sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteSessions implements candour.SessionStore.
func (d *DB) DeleteSessions(ctx context.Context, idle, absolute time.Time) (int, error) {
	res, err := d.db.ExecContext(ctx, `DELETE FROM web_sessions WHERE last_seen < ? OR created_at < ?`,
		formatTime(idle), formatTime(absolute))
	if err != nil {
		return 0, fmt.Errorf("delete sessions: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
