// Package sqlite is Candour's embedded store: every storage interface of the
// root package on SQLite, through the pure-Go driver modernc.org/sqlite, so
// that `candour dev` needs nothing installed.
//
// Guarantees: a record and the audit entry that records its creation commit in
// one transaction; audit sequence numbers are 0-based and gap-free because
// every write transaction takes SQLite's write lock before it reads the next
// number; the audit tables refuse UPDATE and DELETE through triggers.
package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/candour-vault/candour"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a Candour store on one SQLite database file. It is safe for
// concurrent use.
type DB struct {
	db *sql.DB
	// tx admits one transaction of this process at a time. Every
	// transaction takes SQLite's write lock when it begins; queueing here
	// instead of in SQLite's busy handler, which sleeps in growing steps,
	// keeps the slowest submissions close to the typical ones.
	tx chan struct{}
}

var (
	_ candour.FeedbackStore = (*DB)(nil)
	_ candour.AuditLog      = (*DB)(nil)
	_ candour.AuditReader   = (*DB)(nil)
	_ candour.Pinger        = (*DB)(nil)
)

// Open opens (creating if need be) the database file at path and brings its
// schema up to date. Write transactions take the write lock when they begin
// (BEGIN IMMEDIATE) and wait up to ten seconds for it.
func Open(ctx context.Context, path string) (*DB, error) {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	d := &DB{db: db, tx: make(chan struct{}, 1)}
	if err := d.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

func (d *DB) migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, d.db, sub)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate sqlite: %w", err)
	}
	return nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// Ping reports whether the database answers.
func (d *DB) Ping(ctx context.Context) error {
	var one int
	return d.db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// CreateFeedback implements candour.FeedbackStore.
func (d *DB) CreateFeedback(ctx context.Context, rec candour.Record, e candour.AuditEntry, idem candour.Idempotency) (candour.Receipt, error) {
	var rc candour.Receipt
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		if idem.Key != "" {
			var hash []byte
			err := tx.QueryRowContext(ctx, `SELECT request_hash, record_id, audit_seq FROM idempotency
				WHERE issuer = ? AND subject = ? AND key = ?`, idem.Issuer, idem.Subject, idem.Key).Scan(&hash, &rc.ID, &rc.AuditSeq)
			switch {
			case err == nil && bytes.Equal(hash, idem.RequestHash):
				rc.Replayed = true
				return nil
			case err == nil:
				return candour.Errorf(candour.ECONFLICT, "This Idempotency-Key was already used with a different request.")
			case !errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("select idempotency key: %w", err)
			}
		}
		if k := rec.NewDataKey; k != nil {
			res, err := tx.ExecContext(ctx, `INSERT INTO data_keys (id, wrapped, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`,
				k.ID, k.Wrapped, formatTime(rec.SubmittedAt))
			if err != nil {
				return fmt.Errorf("insert data key: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return candour.ErrDataKeyTaken
			}
		} else if k := rec.SealedUnder; k != nil {
			// Transactions take turns here, so the key checked is the key
			// at commit: an erasure or a sweep either came first or sees
			// this record.
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM data_keys WHERE id = ? AND wrapped = ?`, k.ID, k.Wrapped).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return candour.ErrDataKeyGone
			}
			if err != nil {
				return fmt.Errorf("the subject's key: %w", err)
			}
		}
		var receiptHash []byte
		if u := rec.Invitation; u != nil {
			if err := useInvitation(ctx, tx, u.TokenHash, rec.SubmittedAt); err != nil {
				return err
			}
			receiptHash = u.ReceiptHash
		}
		purposes, _ := json.Marshal(rec.Consent.Purposes)
		shareWith, _ := json.Marshal(nonNil(rec.Consent.ShareWith))
		c := rec.Consent
		_, err := tx.ExecContext(ctx, `INSERT INTO feedback (
			id, agency, submitted_by, submitted_at, service, touchpoint, channel, period,
			satisfaction, effort, felt_safe, felt_believed, would_recommend, sensitivity,
			consent_purposes, consent_share_with, consent_method, consent_notice_version,
			consent_expires_at, consent_captured_at, consent_captured_by, consent_withdrawn_at,
			subject_hash, sealed, record_key, age_band, sex, ethnic_group, disability, has_comment, receipt_hash)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			rec.ID, rec.Agency, rec.SubmittedBy, formatTime(rec.SubmittedAt), rec.Service,
			rec.Touchpoint, rec.Channel, rec.Period,
			nullInt(rec.Ratings.Satisfaction), nullInt(rec.Ratings.Effort), rec.Ratings.FeltSafe,
			rec.Ratings.FeltBelieved, nullInt(rec.Ratings.WouldRecommend), string(rec.Sensitivity),
			string(purposes), string(shareWith), c.Method, c.NoticeVersion,
			nullTime(c.ExpiresAt), formatTime(c.CapturedAt), c.CapturedBy, nullTime(c.WithdrawnAt),
			rec.SubjectHash, rec.Sealed, rec.RecordKey,
			rec.Bands.AgeBand, rec.Bands.Sex, rec.Bands.EthnicGroup, rec.Bands.Disability, rec.HasComment, receiptHash)
		if err != nil {
			if strings.Contains(err.Error(), "UNIQUE constraint failed") {
				return candour.Errorf(candour.ECONFLICT, "A record with this id already exists.")
			}
			return fmt.Errorf("insert feedback: %w", err)
		}
		rc.ID = rec.ID
		if rc.AuditSeq, err = appendAudit(ctx, tx, e); err != nil {
			return err
		}
		if idem.Key != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO idempotency (issuer, subject, key, request_hash, record_id, audit_seq, created_at)
				VALUES (?,?,?,?,?,?,?)`, idem.Issuer, idem.Subject, idem.Key, idem.RequestHash, rc.ID, rc.AuditSeq, formatTime(e.Time)); err != nil {
				return fmt.Errorf("insert idempotency key: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return candour.Receipt{}, err
	}
	return rc, nil
}

// recordColumns are the columns scanRecord reads, in order; listColumns
// the same with the sealed content read as NULL.
const (
	recordColumns = columnsHead + `sealed, ` + columnsTail
	listColumns   = columnsHead + `NULL, ` + columnsTail
	columnsHead   = `id, agency, submitted_by, submitted_at, service,
		touchpoint, channel, period, satisfaction, effort, felt_safe, felt_believed,
		would_recommend, sensitivity, consent_purposes, consent_share_with, consent_method,
		consent_notice_version, consent_expires_at, consent_captured_at, consent_captured_by,
		consent_withdrawn_at, subject_hash, `
	columnsTail = `record_key, age_band, sex, ethnic_group, disability,
		has_comment, released, own_key, corrected_at`
)

// scanRecord reads one row of recordColumns.
func scanRecord(row interface{ Scan(...any) error }) (candour.Record, error) {
	var (
		r                                 candour.Record
		submittedAt, capturedAt           string
		expiresAt, withdrawnAt, corrected sql.NullString
		sat, effort, recommend            sql.NullInt64
		purposes, shareWith, sensitivity  string
	)
	if err := row.Scan(&r.ID, &r.Agency, &r.SubmittedBy, &submittedAt, &r.Service, &r.Touchpoint, &r.Channel,
		&r.Period, &sat, &effort, &r.Ratings.FeltSafe, &r.Ratings.FeltBelieved, &recommend,
		&sensitivity, &purposes, &shareWith, &r.Consent.Method, &r.Consent.NoticeVersion,
		&expiresAt, &capturedAt, &r.Consent.CapturedBy, &withdrawnAt, &r.SubjectHash, &r.Sealed, &r.RecordKey,
		&r.Bands.AgeBand, &r.Bands.Sex, &r.Bands.EthnicGroup, &r.Bands.Disability, &r.HasComment, &r.Released,
		&r.OwnKey, &corrected); err != nil {
		return candour.Record{}, err
	}
	r.Sensitivity = candour.Sensitivity(sensitivity)
	r.Ratings.Satisfaction, r.Ratings.Effort, r.Ratings.WouldRecommend = intPtr(sat), intPtr(effort), intPtr(recommend)
	var perr error
	r.SubmittedAt, perr = parseTime(submittedAt)
	if perr == nil {
		r.Consent.CapturedAt, perr = parseTime(capturedAt)
	}
	if perr == nil {
		r.Consent.ExpiresAt, perr = parseNullTime(expiresAt)
	}
	if perr == nil {
		r.Consent.WithdrawnAt, perr = parseNullTime(withdrawnAt)
	}
	if perr == nil {
		r.CorrectedAt, perr = parseNullTime(corrected)
	}
	if perr == nil {
		perr = json.Unmarshal([]byte(purposes), &r.Consent.Purposes)
	}
	if perr == nil {
		perr = json.Unmarshal([]byte(shareWith), &r.Consent.ShareWith)
	}
	if perr != nil {
		return candour.Record{}, fmt.Errorf("decode feedback row: %w", perr)
	}
	if len(r.Consent.ShareWith) == 0 {
		r.Consent.ShareWith = nil
	}
	return r, nil
}

// Record implements candour.FeedbackStore.
func (d *DB) Record(ctx context.Context, id string) (candour.Record, error) {
	r, err := scanRecord(d.db.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM feedback WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return candour.Record{}, candour.Errorf(candour.ENOTFOUND, "No such record.")
	}
	if err != nil {
		return candour.Record{}, fmt.Errorf("select feedback: %w", err)
	}
	return r, nil
}

// RecordAgency returns the agency that owns the record with the given id,
// or ENOTFOUND.
func (d *DB) RecordAgency(ctx context.Context, id string) (string, error) {
	var agency string
	err := d.db.QueryRowContext(ctx, `SELECT agency FROM feedback WHERE id = ?`, id).Scan(&agency)
	if errors.Is(err, sql.ErrNoRows) {
		return "", candour.Errorf(candour.ENOTFOUND, "No such record.")
	}
	if err != nil {
		return "", fmt.Errorf("record agency: %w", err)
	}
	return agency, nil
}

// ScopedRecords returns the records in scope at now that pass q's filters,
// sealed content included, ordered by id. The scope is applied in SQL.
func (d *DB) ScopedRecords(ctx context.Context, scope candour.Scope, now time.Time, q candour.SummaryQuery) ([]candour.Record, error) {
	where, args := queryWhere(scope, now, q)
	rows, err := d.db.QueryContext(ctx, `SELECT `+recordColumns+` FROM feedback WHERE `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("select in scope: %w", err)
	}
	return scanRecords(rows)
}

// scanRecords reads every row of recordColumns (or listColumns) and closes
// rows.
func scanRecords(rows *sql.Rows) ([]candour.Record, error) {
	defer rows.Close()
	var out []candour.Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (d *DB) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	select {
	case d.tx <- struct{}{}:
		defer func() { <-d.tx }()
	case <-ctx.Done():
		return fmt.Errorf("begin: %w", ctx.Err())
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// timeLayout is fixed-width UTC, so that text order is time order in SQL.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

func parseNullTime(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	return &t, err
}

func nullInt(v *int) any {
	if v == nil {
		return nil
	}
	return int64(*v)
}

func intPtr(v sql.NullInt64) *int {
	if !v.Valid {
		return nil
	}
	i := int(v.Int64)
	return &i
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// WithdrawFeedback implements candour.FeedbackStore.
func (d *DB) WithdrawFeedback(ctx context.Context, id string, at time.Time, e candour.AuditEntry) (int64, error) {
	var seq int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		var withdrawn sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT consent_withdrawn_at FROM feedback WHERE id = ?`, id).Scan(&withdrawn)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return candour.Errorf(candour.ENOTFOUND, "No such record.")
		case err != nil:
			return fmt.Errorf("select feedback: %w", err)
		case withdrawn.Valid:
			return candour.Errorf(candour.ECONFLICT, "Consent for this record was already withdrawn.")
		}
		if err := lostFromRelease(ctx, tx, "id = ?", id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE feedback SET consent_withdrawn_at = ?, sealed = x'', `+withdrawnValues+`
			WHERE id = ?`, formatTime(at), id); err != nil {
			return fmt.Errorf("withdraw: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM data_keys WHERE id = ?`, candour.RecordKeyID(id)); err != nil {
			return fmt.Errorf("delete data key: %w", err)
		}
		seq, err = appendAudit(ctx, tx, e)
		return err
	})
	return seq, err
}

// EraseSubject implements candour.FeedbackStore.
func (d *DB) EraseSubject(ctx context.Context, agency string, subjectHash []byte, e candour.AuditEntry) ([]string, int64, error) {
	var (
		ids []string
		seq int64
	)
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		var held bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM feedback f WHERE f.agency = ? AND f.subject_hash = ?
			AND `+heldSQL+`)`, agency, subjectHash).Scan(&held); err != nil {
			return fmt.Errorf("select holds: %w", err)
		}
		if held {
			return errHeld
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM feedback WHERE agency = ? AND subject_hash = ? ORDER BY id`, agency, subjectHash)
		if err != nil {
			return fmt.Errorf("select subject's records: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := lostFromRelease(ctx, tx, "agency = ? AND subject_hash = ?", agency, subjectHash); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM invitations WHERE agency = ? AND subject_hash = ? AND used = 0`, agency, subjectHash); err != nil {
			return fmt.Errorf("delete subject's invitations: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM feedback WHERE agency = ? AND subject_hash = ?`, agency, subjectHash); err != nil {
			return fmt.Errorf("delete subject's records: %w", err)
		}
		if err := eraseReleased(ctx, tx, agency, subjectHash); err != nil {
			return err
		}
		if err := deleteKeys(ctx, tx, candour.ErasedKeyIDs(agency, subjectHash, ids)); err != nil {
			return err
		}
		e.Records = ids
		for _, part := range e.Split() { // an erasure of many records is several entries
			if seq, err = appendAudit(ctx, tx, part); err != nil {
				return err
			}
		}
		return nil
	})
	return ids, seq, err
}
