package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/candour-vault/candour"
)

var _ candour.InvitationStore = (*DB)(nil)

const invitationColumns = `id, agency, service, touchpoint, channel, period, sensitivity, subject_hash,
	created_by, created_at, expires_at, used`

func scanInvitation(r pgx.Row) (candour.Invitation, error) {
	var (
		inv         candour.Invitation
		sensitivity string
	)
	err := r.Scan(&inv.ID, &inv.Agency, &inv.Service, &inv.Touchpoint, &inv.Channel, &inv.Period, &sensitivity,
		&inv.SubjectHash, &inv.CreatedBy, &inv.CreatedAt, &inv.ExpiresAt, &inv.Used)
	inv.Sensitivity, inv.Subject = candour.Sensitivity(sensitivity), inv.SubjectHash != nil
	inv.CreatedAt, inv.ExpiresAt = inv.CreatedAt.UTC(), inv.ExpiresAt.UTC()
	return inv, err
}

// CreateInvitations implements candour.InvitationStore.
func (d *DB) CreateInvitations(ctx context.Context, invs []candour.Invitation, hashes [][]byte, e candour.AuditEntry) (int64, error) {
	var seq int64
	err := d.inTx(ctx, func(tx pgx.Tx) error {
		// One statement for the batch (COPY is not allowed under row-level
		// security).
		n := len(invs)
		var (
			ids, agencies, services, touchpoints = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			channels, periods, sensitivities, by = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			subjects                             = make([][]byte, n)
			created, expires                     = make([]time.Time, n), make([]time.Time, n)
		)
		for i, v := range invs {
			ids[i], agencies[i], services[i], touchpoints[i] = v.ID, v.Agency, v.Service, v.Touchpoint
			channels[i], periods[i], sensitivities[i], by[i] = v.Channel, v.Period, string(v.Sensitivity), v.CreatedBy
			subjects[i], created[i], expires[i] = v.SubjectHash, v.CreatedAt, v.ExpiresAt
		}
		cols := []any{ids, hashes, agencies, services, touchpoints, channels, periods, sensitivities, subjects, by, created, expires}
		if _, err := tx.Exec(ctx, `INSERT INTO invitations (id, token_hash, agency, service, touchpoint, channel, period,
			sensitivity, subject_hash, created_by, created_at, expires_at)
			SELECT * FROM unnest($1::text[], $2::bytea[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
				$8::text[], $9::bytea[], $10::text[], $11::timestamptz[], $12::timestamptz[])`, cols...); err != nil {
			return fmt.Errorf("insert invitations: %w", err)
		}
		var err error
		seq, err = appendAudit(ctx, tx, e)
		return err
	})
	return seq, err
}

// Invitation implements candour.InvitationStore.
func (d *DB) Invitation(ctx context.Context, tokenHash []byte) (candour.Invitation, error) {
	inv, err := scanInvitation(d.pool.QueryRow(ctx, `SELECT `+invitationColumns+` FROM candour_invitation($1)`, tokenHash))
	if errors.Is(err, pgx.ErrNoRows) {
		return candour.Invitation{}, candour.Errorf(candour.ENOTFOUND, "No such invitation.")
	}
	if err != nil {
		return candour.Invitation{}, fmt.Errorf("select invitation: %w", err)
	}
	return inv, nil
}

// Invitations implements candour.InvitationStore.
func (d *DB) Invitations(ctx context.Context, agency, createdBy string, limit int) ([]candour.Invitation, error) {
	var out []candour.Invitation
	err := d.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+invitationColumns+` FROM invitations
			WHERE agency = $1 AND ($2 = '' OR created_by = $2) ORDER BY created_at DESC, id LIMIT $3`, agency, createdBy, limit)
		if err != nil {
			return fmt.Errorf("select invitations: %w", err)
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (candour.Invitation, error) {
			inv, err := scanInvitation(r)
			inv.SubjectHash = nil
			return inv, err
		})
		return err
	})
	return out, err
}

// ReceiptRecord implements candour.InvitationStore.
func (d *DB) ReceiptRecord(ctx context.Context, receiptHash []byte) (string, error) {
	var id *string
	if err := d.pool.QueryRow(ctx, `SELECT candour_receipt_record($1)`, receiptHash).Scan(&id); err != nil {
		return "", fmt.Errorf("select receipt: %w", err)
	}
	if id == nil {
		return "", candour.Errorf(candour.ENOTFOUND, "No such receipt.")
	}
	return *id, nil
}

// DeleteInvitations implements candour.RetentionStore.
func (d *DB) DeleteInvitations(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := d.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM invitations WHERE expires_at < $1`, before)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete invitations: %w", err)
	}
	return int(n), nil
}
