package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/candour-vault/candour"
)

var _ candour.InvitationStore = (*DB)(nil)

const invitationColumns = `id, agency, service, touchpoint, channel, period, sensitivity, subject_hash,
	created_by, created_at, expires_at, used`

func scanInvitation(r interface{ Scan(...any) error }) (candour.Invitation, error) {
	var (
		inv              candour.Invitation
		sensitivity      string
		created, expires string
	)
	if err := r.Scan(&inv.ID, &inv.Agency, &inv.Service, &inv.Touchpoint, &inv.Channel, &inv.Period, &sensitivity,
		&inv.SubjectHash, &inv.CreatedBy, &created, &expires, &inv.Used); err != nil {
		return inv, err
	}
	inv.Sensitivity, inv.Subject = candour.Sensitivity(sensitivity), inv.SubjectHash != nil
	var err error
	if inv.CreatedAt, err = parseTime(created); err != nil {
		return inv, err
	}
	inv.ExpiresAt, err = parseTime(expires)
	return inv, err
}

// CreateInvitations implements candour.InvitationStore.
func (d *DB) CreateInvitations(ctx context.Context, invs []candour.Invitation, hashes [][]byte, e candour.AuditEntry) (int64, error) {
	var seq int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		for i, v := range invs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO invitations (`+invitationColumns+`, token_hash)
				VALUES (?,?,?,?,?,?,?,?,?,?,?,0,?)`, v.ID, v.Agency, v.Service, v.Touchpoint, v.Channel, v.Period,
				string(v.Sensitivity), v.SubjectHash, v.CreatedBy, formatTime(v.CreatedAt), formatTime(v.ExpiresAt), hashes[i]); err != nil {
				return fmt.Errorf("insert invitation: %w", err)
			}
		}
		var err error
		seq, err = appendAudit(ctx, tx, e)
		return err
	})
	return seq, err
}

// Invitation implements candour.InvitationStore.
func (d *DB) Invitation(ctx context.Context, tokenHash []byte) (candour.Invitation, error) {
	inv, err := scanInvitation(d.db.QueryRowContext(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE token_hash = ?`, tokenHash))
	if errors.Is(err, sql.ErrNoRows) {
		return candour.Invitation{}, candour.Errorf(candour.ENOTFOUND, "No such invitation.")
	}
	if err != nil {
		return candour.Invitation{}, fmt.Errorf("select invitation: %w", err)
	}
	return inv, nil
}

// Invitations implements candour.InvitationStore.
func (d *DB) Invitations(ctx context.Context, agency, createdBy string, limit int) ([]candour.Invitation, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+invitationColumns+` FROM invitations
		WHERE agency = ? AND (? = '' OR created_by = ?) ORDER BY created_at DESC, id LIMIT ?`, agency, createdBy, createdBy, limit)
	if err != nil {
		return nil, fmt.Errorf("select invitations: %w", err)
	}
	defer rows.Close()
	var out []candour.Invitation
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, err
		}
		inv.SubjectHash = nil
		out = append(out, inv)
	}
	return out, rows.Err()
}

// ReceiptRecord implements candour.InvitationStore.
func (d *DB) ReceiptRecord(ctx context.Context, receiptHash []byte) (string, error) {
	var id string
	err := d.db.QueryRowContext(ctx, `SELECT id FROM feedback WHERE receipt_hash = ?`, receiptHash).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", candour.Errorf(candour.ENOTFOUND, "No such receipt.")
	}
	if err != nil {
		return "", fmt.Errorf("select receipt: %w", err)
	}
	return id, nil
}

// useInvitation marks the invitation used in tx, or refuses the record with
// ErrInvitationUsed.
func useInvitation(ctx context.Context, tx *sql.Tx, tokenHash []byte, at time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE invitations SET used = 1 WHERE token_hash = ? AND used = 0 AND expires_at > ?`,
		tokenHash, formatTime(at))
	if err != nil {
		return fmt.Errorf("use invitation: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return candour.ErrInvitationUsed
	}
	return nil
}

// DeleteInvitations implements candour.RetentionStore.
func (d *DB) DeleteInvitations(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM invitations WHERE expires_at < ?`, formatTime(before))
		if err == nil {
			n, _ = res.RowsAffected()
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete invitations: %w", err)
	}
	return int(n), nil
}
