package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/candour-vault/candour"
)

// CorrectFeedback implements candour.FeedbackStore.
func (d *DB) CorrectFeedback(ctx context.Context, rec candour.Record, e candour.AuditEntry) (int64, error) {
	var seq int64
	err := d.inTx(ctx, func(tx pgx.Tx) error {
		var withdrawn *time.Time
		err := tx.QueryRow(ctx, `SELECT consent_withdrawn_at FROM feedback WHERE id = $1 FOR UPDATE`, rec.ID).Scan(&withdrawn)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return candour.Errorf(candour.ENOTFOUND, "No such record.")
		case err != nil:
			return fmt.Errorf("select feedback: %w", err)
		case withdrawn != nil:
			return candour.Errorf(candour.ECONFLICT, "Consent for this record was withdrawn, so it can no longer be corrected.")
		}
		r, c := rec.Ratings, rec.Consent
		small := func(v *int) *int16 {
			if v == nil {
				return nil
			}
			n := int16(*v)
			return &n
		}
		var done bool
		if err := tx.QueryRow(ctx, `SELECT candour_correct($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)`,
			rec.ID, rec.Touchpoint, rec.Channel, small(r.Satisfaction), small(r.Effort), r.FeltSafe, r.FeltBelieved,
			small(r.WouldRecommend), string(rec.Sensitivity), purposeStrings(c.Purposes), nonNil(c.ShareWith), rec.Sealed,
			rec.HasComment, rec.Bands.AgeBand, rec.Bands.Sex, rec.Bands.EthnicGroup, rec.Bands.Disability, rec.CorrectedAt).Scan(&done); err != nil {
			return fmt.Errorf("correct feedback: %w", err)
		}
		if !done {
			return candour.Errorf(candour.ENOTFOUND, "No such record.")
		}
		k := rec.NewDataKey
		if _, err := tx.Exec(ctx, `DELETE FROM data_keys WHERE id = $1`, k.ID); err != nil {
			return fmt.Errorf("delete data key: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO data_keys (id, wrapped) VALUES ($1, $2)`, k.ID, k.Wrapped); err != nil {
			return fmt.Errorf("insert data key: %w", err)
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
	return d.inTx(ctx, func(tx pgx.Tx) error {
		id := candour.SubjectKeyID(agency, subjectHash)
		var wrapped []byte
		err := tx.QueryRow(ctx, `SELECT wrapped FROM data_keys WHERE id = $1 FOR UPDATE`, id).Scan(&wrapped)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("lock the subject's key: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT `+recordColumns+` FROM feedback WHERE agency = $1 AND subject_hash = $2
			AND NOT own_key AND consent_withdrawn_at IS NULL ORDER BY id`, agency, subjectHash)
		if err != nil {
			return fmt.Errorf("select the subject's records: %w", err)
		}
		recs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (candour.Record, error) { return scanRecord(r) })
		if err != nil {
			return fmt.Errorf("select the subject's records: %w", err)
		}
		newWrapped, sealed, err := reseal(recs, wrapped)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if _, err := tx.Exec(ctx, `UPDATE feedback SET sealed = $1 WHERE id = $2`, sealed[r.ID], r.ID); err != nil {
				return fmt.Errorf("reseal: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE data_keys SET wrapped = $1 WHERE id = $2`, newWrapped, id); err != nil {
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
	var out []candour.RetentionRow
	err := d.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT f.id, f.agency, f.service, f.sensitivity, f.period, f.consent_expires_at,
			f.consent_withdrawn_at, `+heldSQL+` FROM feedback f WHERE f.id > $1 AND ($3 = '' OR f.agency = $3)
			AND (f.period <= $4 OR f.consent_expires_at < $5 OR f.consent_withdrawn_at < $6)
			ORDER BY f.id LIMIT $2`, q.After, q.Limit, q.Agency, q.PeriodThrough, q.ExpiredBefore, q.WithdrawnBefore)
		if err != nil {
			return fmt.Errorf("select retention rows: %w", err)
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (candour.RetentionRow, error) {
			var (
				row  candour.RetentionRow
				sens string
			)
			err := r.Scan(&row.ID, &row.Agency, &row.Service, &sens, &row.Period, &row.ExpiresAt, &row.WithdrawnAt, &row.Held)
			row.Sensitivity, row.ExpiresAt, row.WithdrawnAt = candour.Sensitivity(sens), utc(row.ExpiresAt), utc(row.WithdrawnAt)
			return row, err
		})
		return err
	})
	return out, err
}

// DestroyRecords implements candour.RetentionStore. The rows are locked in
// id order, so that two sweepers, or a sweeper and an erasure, wait for
// each other instead of deadlocking; a row another took first is simply
// not there any more.
func (d *DB) DestroyRecords(ctx context.Context, ids []string, e candour.AuditEntry) ([]string, int64, error) {
	var (
		destroyed []string
		seq       int64
	)
	err := d.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT f.id, f.agency, f.subject_hash FROM feedback f
			WHERE f.id = ANY($1) AND NOT `+heldSQL+` ORDER BY f.id FOR UPDATE OF f`, ids)
		if err != nil {
			return fmt.Errorf("lock records: %w", err)
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
		if err := rows.Err(); err != nil {
			return fmt.Errorf("lock records: %w", err)
		}
		if len(destroyed) == 0 {
			return nil
		}
		if err := lostFromRelease(ctx, tx, "id = ANY($1)", destroyed); err != nil {
			return err
		}
		keys := make([]string, 0, len(destroyed)+len(subjects))
		for _, id := range destroyed {
			keys = append(keys, candour.RecordKeyID(id))
		}
		gone, err := lastOfSubjects(ctx, tx, subjects, destroyed)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM data_keys WHERE id = ANY($1)`, append(keys, gone...)); err != nil {
			return fmt.Errorf("delete data keys: %w", err)
		}
		// The entry before the rows go, so that it names their agency for
		// the agency's auditors; as late as that, so that the log's head is
		// held for as short a time as may be.
		e.Records = destroyed
		for _, part := range e.Split() {
			if seq, err = appendAudit(ctx, tx, part); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM feedback WHERE id = ANY($1)`, destroyed); err != nil {
			return fmt.Errorf("delete records: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return destroyed, seq, nil
}

// subject is one subject of one agency.
type subject struct {
	agency string
	hash   []byte
}

// lastOfSubjects returns the data key ids of the subjects that have no
// record left once the records destroyed go. Each subject's key row is
// locked first: a submission for the subject holds its key (KEY SHARE)
// until it commits, so a record it adds meanwhile is seen here, and its key
// is kept.
func lastOfSubjects(ctx context.Context, tx pgx.Tx, subjects []subject, destroyed []string) ([]string, error) {
	if len(subjects) == 0 {
		return nil, nil
	}
	ids := make([]string, len(subjects))
	for i, s := range subjects {
		ids[i] = candour.SubjectKeyID(s.agency, s.hash)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if _, err := tx.Exec(ctx, `SELECT id FROM data_keys WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids); err != nil {
		return nil, fmt.Errorf("lock subjects' keys: %w", err)
	}
	var gone []string
	for _, s := range subjects {
		var left bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM feedback WHERE agency = $1 AND subject_hash = $2 AND id <> ALL($3))`,
			s.agency, s.hash, destroyed).Scan(&left); err != nil {
			return nil, fmt.Errorf("subject's records left: %w", err)
		}
		if !left {
			gone = append(gone, candour.SubjectKeyID(s.agency, s.hash))
		}
	}
	return gone, nil
}

// ReleaseCells implements candour.RetentionStore.
func (d *DB) ReleaseCells(ctx context.Context) ([]candour.ReleaseCell, error) {
	var out []candour.ReleaseCell
	err := d.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT agency, service, sensitivity, period, count(*) FROM insight_release_rows
			GROUP BY agency, service, sensitivity, period ORDER BY agency, period, service, sensitivity`)
		if err != nil {
			return fmt.Errorf("select release cells: %w", err)
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (candour.ReleaseCell, error) {
			var (
				c    candour.ReleaseCell
				sens string
			)
			err := r.Scan(&c.Agency, &c.Service, &sens, &c.Period, &c.Rows)
			c.Sensitivity = candour.Sensitivity(sens)
			return c, err
		})
		return err
	})
	return out, err
}

// DestroyReleaseCells implements candour.RetentionStore.
func (d *DB) DestroyReleaseCells(ctx context.Context, cells []candour.ReleaseCell) (int, error) {
	var n int
	err := d.inTx(ctx, func(tx pgx.Tx) error {
		type month struct{ agency, period string }
		var months []month
		for _, c := range cells {
			tag, err := tx.Exec(ctx, `DELETE FROM insight_release_rows WHERE agency = $1 AND service = $2
				AND sensitivity = $3 AND period = $4`, c.Agency, c.Service, string(c.Sensitivity), c.Period)
			if err != nil {
				return fmt.Errorf("delete released rows: %w", err)
			}
			n += int(tag.RowsAffected())
			months = append(months, month{c.Agency, c.Period})
		}
		slices.SortFunc(months, func(a, b month) int {
			return cmp.Or(strings.Compare(a.agency, b.agency), strings.Compare(a.period, b.period))
		})
		for _, m := range slices.Compact(months) {
			if _, err := tx.Exec(ctx, `DELETE FROM insight_release_strata WHERE agency = $1 AND period = $2`, m.agency, m.period); err != nil {
				return fmt.Errorf("delete strata: %w", err)
			}
			if err := buildStrata(ctx, tx, "agency = $1 AND period = $2", m.agency, m.period); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// AcquireSweepLease implements candour.RetentionStore.
func (d *DB) AcquireSweepLease(ctx context.Context, holder string, now, until time.Time) (bool, error) {
	tag, err := d.pool.Exec(ctx, `UPDATE retention_lease SET holder = $1, expires_at = $2
		WHERE id = 1 AND (expires_at <= $3 OR holder = $1)`, holder, until, now)
	if err != nil {
		return false, fmt.Errorf("sweep lease: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseSweepLease implements candour.RetentionStore.
func (d *DB) ReleaseSweepLease(ctx context.Context, holder string) error {
	if _, err := d.pool.Exec(ctx, `UPDATE retention_lease SET holder = '', expires_at = '-infinity'
		WHERE id = 1 AND holder = $1`, holder); err != nil {
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
	_, err = d.pool.Exec(ctx, `INSERT INTO retention_sweeps (started_at, finished_at, revision, examined, destroyed, held, by_rule, audit_seq)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`, s.StartedAt, s.FinishedAt, s.Revision, s.Examined, s.Destroyed, s.Held, byRule, s.AuditSeq)
	if err != nil {
		return fmt.Errorf("insert sweep: %w", err)
	}
	return nil
}

// Sweeps implements candour.RetentionStore.
func (d *DB) Sweeps(ctx context.Context, limit int) ([]candour.Sweep, error) {
	rows, err := d.pool.Query(ctx, `SELECT started_at, finished_at, revision, examined, destroyed, held, by_rule, audit_seq
		FROM retention_sweeps ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("select sweeps: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (candour.Sweep, error) {
		var (
			s      candour.Sweep
			byRule []byte
		)
		if err := r.Scan(&s.StartedAt, &s.FinishedAt, &s.Revision, &s.Examined, &s.Destroyed, &s.Held, &byRule, &s.AuditSeq); err != nil {
			return s, err
		}
		s.StartedAt, s.FinishedAt = s.StartedAt.UTC(), s.FinishedAt.UTC()
		return s, json.Unmarshal(byRule, &s.ByRule)
	})
}

// AddHold implements candour.HoldStore.
func (d *DB) AddHold(ctx context.Context, h candour.LegalHold, e candour.AuditEntry) (int64, error) {
	var seq int64
	err := d.inTx(ctx, func(tx pgx.Tx) error {
		var record *string
		if h.RecordID != "" {
			record = &h.RecordID
		}
		if _, err := tx.Exec(ctx, `INSERT INTO legal_holds (id, agency, record_id, subject_hash, reason, review_by, created_at, created_by)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`, h.ID, h.Agency, record, h.SubjectHash, h.Reason, h.ReviewBy, h.CreatedAt, h.CreatedBy); err != nil {
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
	err := d.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE legal_holds SET released_at = $1, released_by = $2
			WHERE id = $3 AND agency = $4 AND released_at IS NULL`, at, by, id, agency)
		if err != nil {
			return fmt.Errorf("release hold: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return candour.Errorf(candour.ENOTFOUND, "No such hold in force.")
		}
		seq, err = appendAudit(ctx, tx, e)
		return err
	})
	return seq, err
}

// Holds implements candour.HoldStore.
func (d *DB) Holds(ctx context.Context, agency string) ([]candour.LegalHold, error) {
	var out []candour.LegalHold
	err := d.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, agency, coalesce(record_id, ''), subject_hash, reason, review_by, created_at,
			created_by, released_at, coalesce(released_by, '') FROM legal_holds WHERE agency = $1
			ORDER BY released_at IS NOT NULL, created_at DESC, id`, agency)
		if err != nil {
			return fmt.Errorf("select holds: %w", err)
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (candour.LegalHold, error) {
			var h candour.LegalHold
			err := r.Scan(&h.ID, &h.Agency, &h.RecordID, &h.SubjectHash, &h.Reason, &h.ReviewBy, &h.CreatedAt,
				&h.CreatedBy, &h.ReleasedAt, &h.ReleasedBy)
			h.ReviewBy, h.CreatedAt, h.ReleasedAt = h.ReviewBy.UTC(), h.CreatedAt.UTC(), utc(h.ReleasedAt)
			return h, err
		})
		return err
	})
	return out, err
}
