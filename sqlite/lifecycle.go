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

// CorrectFeedback implements candour.FeedbackStore.
func (d *DB) CorrectFeedback(ctx context.Context, rec candour.Record, e candour.AuditEntry) (int64, error) {
	var seq int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		var withdrawn sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT consent_withdrawn_at FROM feedback WHERE id = ?`, rec.ID).Scan(&withdrawn)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return candour.Errorf(candour.ENOTFOUND, "No such record.")
		case err != nil:
			return fmt.Errorf("select feedback: %w", err)
		case withdrawn.Valid:
			return candour.Errorf(candour.ECONFLICT, "Consent for this record was withdrawn, so it can no longer be corrected.")
		}
		purposes, _ := json.Marshal(rec.Consent.Purposes)
		shareWith, _ := json.Marshal(nonNil(rec.Consent.ShareWith))
		r := rec.Ratings
		if _, err := tx.ExecContext(ctx, `UPDATE feedback SET touchpoint = ?, channel = ?, satisfaction = ?, effort = ?,
			felt_safe = ?, felt_believed = ?, would_recommend = ?, sensitivity = ?, consent_purposes = ?,
			consent_share_with = ?, sealed = ?, has_comment = ?, age_band = ?, sex = ?, ethnic_group = ?,
			disability = ?, own_key = 1, corrected_at = ? WHERE id = ?`,
			rec.Touchpoint, rec.Channel, nullInt(r.Satisfaction), nullInt(r.Effort), r.FeltSafe, r.FeltBelieved,
			nullInt(r.WouldRecommend), string(rec.Sensitivity), string(purposes), string(shareWith), rec.Sealed,
			rec.HasComment, rec.Bands.AgeBand, rec.Bands.Sex, rec.Bands.EthnicGroup, rec.Bands.Disability,
			nullTime(rec.CorrectedAt), rec.ID); err != nil {
			return fmt.Errorf("correct feedback: %w", err)
		}
		k := rec.NewDataKey
		if _, err := tx.ExecContext(ctx, `INSERT INTO data_keys (id, wrapped, created_at) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET wrapped = excluded.wrapped, created_at = excluded.created_at`,
			k.ID, k.Wrapped, formatTime(*rec.CorrectedAt)); err != nil {
			return fmt.Errorf("store data key: %w", err)
		}
		seq, err = appendAudit(ctx, tx, e)
		return err
	})
	return seq, err
}

// errHeld refuses to erase a subject some of whose records are under a
// legal hold.
var errHeld = candour.Errorf(candour.ECONFLICT, "Some of this subject's records are under a legal hold, so nothing was erased. Release the hold first if the reason for it has ended.")

// RekeySubject implements candour.FeedbackStore.
func (d *DB) RekeySubject(ctx context.Context, agency string, subjectHash []byte, reseal candour.Reseal) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		id := candour.SubjectKeyID(agency, subjectHash)
		var wrapped []byte
		err := tx.QueryRowContext(ctx, `SELECT wrapped FROM data_keys WHERE id = ?`, id).Scan(&wrapped)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("the subject's key: %w", err)
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+recordColumns+` FROM feedback WHERE agency = ? AND subject_hash = ?
			AND own_key = 0 AND consent_withdrawn_at IS NULL ORDER BY id`, agency, subjectHash)
		if err != nil {
			return fmt.Errorf("select the subject's records: %w", err)
		}
		recs, err := scanRecords(rows)
		if err != nil {
			return err
		}
		newWrapped, sealed, err := reseal(recs, wrapped)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if _, err := tx.ExecContext(ctx, `UPDATE feedback SET sealed = ? WHERE id = ?`, sealed[r.ID], r.ID); err != nil {
				return fmt.Errorf("reseal: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE data_keys SET wrapped = ? WHERE id = ?`, newWrapped, id); err != nil {
			return fmt.Errorf("store the subject's new key: %w", err)
		}
		return nil
	})
}

// heldSQL is true for a record (the alias f) under a legal hold in force.
const heldSQL = `EXISTS (SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL AND h.agency = f.agency
	AND (h.record_id = f.id OR h.subject_hash = f.subject_hash))`

// RetentionRows implements candour.RetentionStore.
func (d *DB) RetentionRows(ctx context.Context, q candour.RetentionQuery) ([]candour.RetentionRow, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT f.id, f.agency, f.service, f.sensitivity, f.period, f.consent_expires_at,
		f.consent_withdrawn_at, `+heldSQL+` FROM feedback f WHERE f.id > ? AND (? = '' OR f.agency = ?)
		AND (f.period <= ? OR f.consent_expires_at < ? OR f.consent_withdrawn_at < ?)
		ORDER BY f.id LIMIT ?`, q.After, q.Agency, q.Agency, q.PeriodThrough, formatTime(q.ExpiredBefore), formatTime(q.WithdrawnBefore), q.Limit)
	if err != nil {
		return nil, fmt.Errorf("select retention rows: %w", err)
	}
	defer rows.Close()
	var out []candour.RetentionRow
	for rows.Next() {
		var (
			row                candour.RetentionRow
			sens               string
			expires, withdrawn sql.NullString
		)
		if err := rows.Scan(&row.ID, &row.Agency, &row.Service, &sens, &row.Period, &expires, &withdrawn, &row.Held); err != nil {
			return nil, err
		}
		row.Sensitivity = candour.Sensitivity(sens)
		if row.ExpiresAt, err = parseNullTime(expires); err != nil {
			return nil, err
		}
		if row.WithdrawnAt, err = parseNullTime(withdrawn); err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// jsonIDs is a condition on id against a JSON array of ids (one argument).
const jsonIDs = `id IN (SELECT value FROM json_each(?))`

// DestroyRecords implements candour.RetentionStore. SQLite runs one write
// transaction at a time, so two sweepers take turns, and a row the first
// destroyed is not there for the second.
func (d *DB) DestroyRecords(ctx context.Context, ids []string, e candour.AuditEntry) ([]string, int64, error) {
	var (
		destroyed []string
		seq       int64
	)
	want, _ := json.Marshal(ids)
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT f.id, f.agency, f.subject_hash FROM feedback f
			WHERE f.`+jsonIDs+` AND NOT `+heldSQL+` ORDER BY f.id`, string(want))
		if err != nil {
			return fmt.Errorf("select records: %w", err)
		}
		type subject struct {
			agency string
			hash   []byte
		}
		var subjects []subject
		for rows.Next() {
			var (
				id, agency string
				hash       []byte
			)
			if err := rows.Scan(&id, &agency, &hash); err != nil {
				rows.Close()
				return err
			}
			destroyed = append(destroyed, id)
			if hash != nil {
				subjects = append(subjects, subject{agency, hash})
			}
		}
		rows.Close()
		if len(destroyed) == 0 {
			return nil
		}
		gone, _ := json.Marshal(destroyed)
		if err := lostFromRelease(ctx, tx, jsonIDs, string(gone)); err != nil {
			return err
		}
		keys := make([]string, 0, len(destroyed)+len(subjects))
		for _, id := range destroyed {
			keys = append(keys, candour.RecordKeyID(id))
		}
		for _, s := range subjects {
			var left bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM feedback WHERE agency = ? AND subject_hash = ?
				AND id NOT IN (SELECT value FROM json_each(?)))`, s.agency, s.hash, string(gone)).Scan(&left); err != nil {
				return fmt.Errorf("subject's records left: %w", err)
			}
			if !left {
				keys = append(keys, candour.SubjectKeyID(s.agency, s.hash))
			}
		}
		if err := deleteKeys(ctx, tx, keys); err != nil {
			return err
		}
		// The entry before the rows go, so that it names their agency for
		// the agency's auditors.
		e.Records = destroyed
		for _, part := range e.Split() {
			if seq, err = appendAudit(ctx, tx, part); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM feedback WHERE `+jsonIDs, string(gone)); err != nil {
			return fmt.Errorf("delete records: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return destroyed, seq, nil
}

// deleteKeys deletes the data keys with the given ids.
func deleteKeys(ctx context.Context, tx *sql.Tx, ids []string) error {
	b, _ := json.Marshal(ids)
	if _, err := tx.ExecContext(ctx, `DELETE FROM data_keys WHERE `+jsonIDs, string(b)); err != nil {
		return fmt.Errorf("delete data keys: %w", err)
	}
	return nil
}

// ReleaseCells implements candour.RetentionStore.
func (d *DB) ReleaseCells(ctx context.Context) ([]candour.ReleaseCell, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT agency, service, sensitivity, period, count(*) FROM insight_release_rows
		GROUP BY agency, service, sensitivity, period ORDER BY agency, period, service, sensitivity`)
	if err != nil {
		return nil, fmt.Errorf("select release cells: %w", err)
	}
	defer rows.Close()
	var out []candour.ReleaseCell
	for rows.Next() {
		var (
			c    candour.ReleaseCell
			sens string
		)
		if err := rows.Scan(&c.Agency, &c.Service, &sens, &c.Period, &c.Rows); err != nil {
			return nil, err
		}
		c.Sensitivity = candour.Sensitivity(sens)
		out = append(out, c)
	}
	return out, rows.Err()
}

// DestroyReleaseCells implements candour.RetentionStore.
func (d *DB) DestroyReleaseCells(ctx context.Context, cells []candour.ReleaseCell) (int, error) {
	var n int
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		months := map[[2]string]bool{}
		for _, c := range cells {
			res, err := tx.ExecContext(ctx, `DELETE FROM insight_release_rows WHERE agency = ? AND service = ?
				AND sensitivity = ? AND period = ?`, c.Agency, c.Service, string(c.Sensitivity), c.Period)
			if err != nil {
				return fmt.Errorf("delete released rows: %w", err)
			}
			k, _ := res.RowsAffected()
			n += int(k)
			months[[2]string{c.Agency, c.Period}] = true
		}
		for m := range months {
			if _, err := tx.ExecContext(ctx, `DELETE FROM insight_release_strata WHERE agency = ? AND period = ?`, m[0], m[1]); err != nil {
				return fmt.Errorf("delete strata: %w", err)
			}
			if err := buildStrata(ctx, tx, "agency = ? AND period = ?", m[0], m[1]); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// AcquireSweepLease implements candour.RetentionStore.
func (d *DB) AcquireSweepLease(ctx context.Context, holder string, now, until time.Time) (bool, error) {
	res, err := d.db.ExecContext(ctx, `UPDATE retention_lease SET holder = ?, expires_at = ?
		WHERE id = 1 AND (expires_at <= ? OR holder = ?)`, holder, formatTime(until), formatTime(now), holder)
	if err != nil {
		return false, fmt.Errorf("sweep lease: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseSweepLease implements candour.RetentionStore.
func (d *DB) ReleaseSweepLease(ctx context.Context, holder string) error {
	if _, err := d.db.ExecContext(ctx, `UPDATE retention_lease SET holder = '', expires_at = ?
		WHERE id = 1 AND holder = ?`, formatTime(time.Time{}), holder); err != nil {
		return fmt.Errorf("sweep lease: %w", err)
	}
	return nil
}

// AddSweep implements candour.RetentionStore.
func (d *DB) AddSweep(ctx context.Context, s candour.Sweep) error {
	byRule, err := json.Marshal(s.ByRule)
	if err != nil {
		return err
	}
	_, err = d.db.ExecContext(ctx, `INSERT INTO retention_sweeps (started_at, finished_at, revision, examined, destroyed, held, by_rule, audit_seq)
		VALUES (?,?,?,?,?,?,?,?)`, formatTime(s.StartedAt), formatTime(s.FinishedAt), s.Revision, s.Examined, s.Destroyed,
		s.Held, string(byRule), s.AuditSeq)
	if err != nil {
		return fmt.Errorf("insert sweep: %w", err)
	}
	return nil
}

// Sweeps implements candour.RetentionStore.
func (d *DB) Sweeps(ctx context.Context, limit int) ([]candour.Sweep, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT started_at, finished_at, revision, examined, destroyed, held, by_rule, audit_seq
		FROM retention_sweeps ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("select sweeps: %w", err)
	}
	defer rows.Close()
	var out []candour.Sweep
	for rows.Next() {
		var (
			s                      candour.Sweep
			started, finished, rul string
		)
		if err := rows.Scan(&started, &finished, &s.Revision, &s.Examined, &s.Destroyed, &s.Held, &rul, &s.AuditSeq); err != nil {
			return nil, err
		}
		if s.StartedAt, err = parseTime(started); err != nil {
			return nil, err
		}
		if s.FinishedAt, err = parseTime(finished); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(rul), &s.ByRule); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// AddHold implements candour.HoldStore.
func (d *DB) AddHold(ctx context.Context, h candour.LegalHold, e candour.AuditEntry) (int64, error) {
	var seq int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		var record any
		if h.RecordID != "" {
			record = h.RecordID
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO legal_holds (id, agency, record_id, subject_hash, reason, review_by, created_at, created_by)
			VALUES (?,?,?,?,?,?,?,?)`, h.ID, h.Agency, record, h.SubjectHash, h.Reason, formatTime(h.ReviewBy),
			formatTime(h.CreatedAt), h.CreatedBy); err != nil {
			return fmt.Errorf("insert hold: %w", err)
		}
		var err error
		seq, err = appendAudit(ctx, tx, e)
		return err
	})
	return seq, err
}

// ReleaseHold implements candour.HoldStore.
func (d *DB) ReleaseHold(ctx context.Context, agency, id string, at time.Time, by string, e candour.AuditEntry) (int64, error) {
	var seq int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE legal_holds SET released_at = ?, released_by = ?
			WHERE id = ? AND agency = ? AND released_at IS NULL`, formatTime(at), by, id, agency)
		if err != nil {
			return fmt.Errorf("release hold: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return candour.Errorf(candour.ENOTFOUND, "No such hold in force.")
		}
		seq, err = appendAudit(ctx, tx, e)
		return err
	})
	return seq, err
}

// Holds implements candour.HoldStore.
func (d *DB) Holds(ctx context.Context, agency string) ([]candour.LegalHold, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, agency, coalesce(record_id, ''), subject_hash, reason, review_by,
		created_at, created_by, released_at, coalesce(released_by, '') FROM legal_holds WHERE agency = ?
		ORDER BY released_at IS NOT NULL, created_at DESC, id`, agency)
	if err != nil {
		return nil, fmt.Errorf("select holds: %w", err)
	}
	defer rows.Close()
	var out []candour.LegalHold
	for rows.Next() {
		var (
			h               candour.LegalHold
			review, created string
			released        sql.NullString
		)
		if err := rows.Scan(&h.ID, &h.Agency, &h.RecordID, &h.SubjectHash, &h.Reason, &review, &created,
			&h.CreatedBy, &released, &h.ReleasedBy); err != nil {
			return nil, err
		}
		if h.ReviewBy, err = parseTime(review); err != nil {
			return nil, err
		}
		if h.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		if h.ReleasedAt, err = parseNullTime(released); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}
