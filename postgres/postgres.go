// Package postgres is Candour's production store: every storage interface of
// the root package on PostgreSQL through a pgx pool. It passes the same
// conformance suite (storetest) as the embedded SQLite store.
//
// Guarantees: a record, its creation's audit entry and its idempotency key
// commit in one transaction; audit sequence numbers are 0-based and gap-free
// across any number of replicas (one row lock hands them out); the service
// role cannot change or remove audit rows (no grant, and triggers refuse even
// the owner); every transaction names the agencies it may see, and row-level
// security hides every other agency's feedback.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/candour-vault/candour"
)

// DB is a Candour store on PostgreSQL. It is safe for concurrent use.
type DB struct {
	pool *pgxpool.Pool
	seq  *sequencer
}

var (
	_ candour.FeedbackStore = (*DB)(nil)
	_ candour.AuditLog      = (*DB)(nil)
	_ candour.AuditReader   = (*DB)(nil)
	_ candour.Pinger        = (*DB)(nil)
)

// Open connects to the database at url and refuses, with a *SchemaError, a
// schema that is not exactly at this binary's latest migration.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("the database URL is not valid: %w", redact(err))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, unreachable(fmt.Errorf("connect: %w", err))
	}
	current, target, err := versions(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, err
	}
	if current != target {
		pool.Close()
		return nil, &SchemaError{Current: current, Target: target}
	}
	return &DB{pool: pool, seq: newSequencer(pool)}, nil
}

// ObserveAuditBatches has f told of each group commit of the audit log:
// how many entries it carried, how long it took, and whether it failed.
func (d *DB) ObserveAuditBatches(f func(entries int, took time.Duration, failed bool)) {
	d.seq.observe.Store(&f)
}

// PoolStats says how the connection pool is used: connections in use, idle,
// open in all, and the most it may open.
func (d *DB) PoolStats() (acquired, idle, total, max int32) {
	st := d.pool.Stat()
	return st.AcquiredConns(), st.IdleConns(), st.TotalConns(), st.MaxConns()
}

// Close stops the audit sequencer and closes the pool.
func (d *DB) Close() {
	d.seq.close()
	d.pool.Close()
}

// Ping reports whether the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.pool.Ping(ctx) }

// inTx runs fn in a transaction that may see the agencies of ctx
// (candour.WithAgencies) and commits it if fn returns nil.
func (d *DB) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return d.tx(ctx, setAgencies, fn)
}

// setAgencies names, for the rest of the transaction, the agencies whose
// rows it may see (row-level security reads candour.agencies).
const setAgencies = `SELECT set_config('candour.agencies', $1, true)`

// queryScoped runs one query that may see the agencies of ctx, and reads its
// row with read, in one round trip: the agencies are set and the query run
// in one implicit transaction.
func (d *DB) queryScoped(ctx context.Context, read func(pgx.Row) error, query string, args ...any) error {
	var b pgx.Batch
	b.Queue(setAgencies, strings.Join(candour.AgenciesFrom(ctx), ","))
	b.Queue(query, args...)
	res := d.pool.SendBatch(ctx, &b)
	_, err := res.Exec()
	if err == nil {
		err = read(res.QueryRow())
	}
	if cerr := res.Close(); err == nil {
		err = cerr
	}
	return err
}

// inScopeTx is inTx for a query over a policy scope. It also asks for a plan
// made for the query's own values: after five runs of a prepared statement
// PostgreSQL may switch to a generic plan, which for a scope over a million
// rows took twice as long (docs/benchmarks.md).
func (d *DB) inScopeTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return d.tx(ctx, `SELECT set_config('candour.agencies', $1, true), set_config('plan_cache_mode', 'force_custom_plan', true)`, fn)
}

func (d *DB) tx(ctx context.Context, setup string, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, setup, strings.Join(candour.AgenciesFrom(ctx), ",")); err != nil {
			return fmt.Errorf("set agencies: %w", err)
		}
		return fn(tx)
	})
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
func scanRecord(row pgx.Row) (candour.Record, error) {
	var (
		r                      candour.Record
		sensitivity            string
		purposes               []string
		sat, effort, recommend *int16
	)
	if err := row.Scan(
		&r.ID, &r.Agency, &r.SubmittedBy, &r.SubmittedAt, &r.Service, &r.Touchpoint, &r.Channel,
		&r.Period, &sat, &effort, &r.Ratings.FeltSafe, &r.Ratings.FeltBelieved, &recommend,
		&sensitivity, &purposes, &r.Consent.ShareWith, &r.Consent.Method, &r.Consent.NoticeVersion,
		&r.Consent.ExpiresAt, &r.Consent.CapturedAt, &r.Consent.CapturedBy, &r.Consent.WithdrawnAt,
		&r.SubjectHash, &r.Sealed, &r.RecordKey,
		&r.Bands.AgeBand, &r.Bands.Sex, &r.Bands.EthnicGroup, &r.Bands.Disability, &r.HasComment, &r.Released,
		&r.OwnKey, &r.CorrectedAt); err != nil {
		return candour.Record{}, err
	}
	r.Sensitivity = candour.Sensitivity(sensitivity)
	r.Ratings.Satisfaction, r.Ratings.Effort, r.Ratings.WouldRecommend = intPtr(sat), intPtr(effort), intPtr(recommend)
	for _, p := range purposes {
		r.Consent.Purposes = append(r.Consent.Purposes, candour.Purpose(p))
	}
	if len(r.Consent.ShareWith) == 0 {
		r.Consent.ShareWith = nil
	}
	r.SubmittedAt, r.Consent.CapturedAt = r.SubmittedAt.UTC(), r.Consent.CapturedAt.UTC()
	r.Consent.ExpiresAt, r.Consent.WithdrawnAt = utc(r.Consent.ExpiresAt), utc(r.Consent.WithdrawnAt)
	r.CorrectedAt = utc(r.CorrectedAt)
	return r, nil
}

// Record implements candour.FeedbackStore.
func (d *DB) Record(ctx context.Context, id string) (candour.Record, error) {
	var r candour.Record
	err := d.queryScoped(ctx, func(row pgx.Row) error {
		var err error
		r, err = scanRecord(row)
		return err
	}, `SELECT `+recordColumns+` FROM feedback WHERE id = $1`, id)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return candour.Record{}, candour.Errorf(candour.ENOTFOUND, "No such record.")
	case err != nil:
		return candour.Record{}, fmt.Errorf("select feedback: %w", err)
	}
	return r, nil
}

// RecordAgency returns the agency that owns the record with the given id,
// whatever agencies ctx may see, or ENOTFOUND. It reveals the agency only.
func (d *DB) RecordAgency(ctx context.Context, id string) (string, error) {
	var agency *string
	if err := d.pool.QueryRow(ctx, `SELECT candour_record_agency($1)`, id).Scan(&agency); err != nil {
		return "", fmt.Errorf("record agency: %w", err)
	}
	if agency == nil {
		return "", candour.Errorf(candour.ENOTFOUND, "No such record.")
	}
	return *agency, nil
}

// ScopedRecords returns the records in scope at now that pass q's filters,
// sealed content included, ordered by id. The scope is applied in SQL.
func (d *DB) ScopedRecords(ctx context.Context, scope candour.Scope, now time.Time, q candour.SummaryQuery) ([]candour.Record, error) {
	where, args := queryWhere(scope, now, q)
	var out []candour.Record
	err := d.inScopeTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+recordColumns+` FROM feedback WHERE `+where+` ORDER BY id`, args...)
		if err != nil {
			return fmt.Errorf("select in scope: %w", err)
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (candour.Record, error) { return scanRecord(r) })
		return err
	})
	return out, err
}

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

func purposeStrings(ps []candour.Purpose) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func intPtr(v *int16) *int {
	if v == nil {
		return nil
	}
	i := int(*v)
	return &i
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// DataKey implements candour.DataKeyStore.
func (d *DB) DataKey(ctx context.Context, id string) ([]byte, error) {
	var w []byte
	err := d.pool.QueryRow(ctx, `SELECT wrapped FROM data_keys WHERE id = $1`, id).Scan(&w)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, candour.Errorf(candour.ENOTFOUND, "No such data key.")
	}
	return w, err
}

// AddDataKey implements candour.DataKeyStore.
func (d *DB) AddDataKey(ctx context.Context, id string, wrapped []byte) ([]byte, error) {
	if _, err := d.pool.Exec(ctx, `INSERT INTO data_keys (id, wrapped) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, id, wrapped); err != nil {
		return nil, fmt.Errorf("insert data key: %w", err)
	}
	return d.DataKey(ctx, id)
}

// WithdrawFeedback implements candour.FeedbackStore.
func (d *DB) WithdrawFeedback(ctx context.Context, id string, at time.Time, e candour.AuditEntry) (int64, error) {
	var seq int64
	err := d.inTx(ctx, func(tx pgx.Tx) error {
		var withdrawn *time.Time
		err := tx.QueryRow(ctx, `SELECT consent_withdrawn_at FROM feedback WHERE id = $1 FOR UPDATE`, id).Scan(&withdrawn)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return candour.Errorf(candour.ENOTFOUND, "No such record.")
		case err != nil:
			return fmt.Errorf("select feedback: %w", err)
		case withdrawn != nil:
			return candour.Errorf(candour.ECONFLICT, "Consent for this record was already withdrawn.")
		}
		if err := lostFromRelease(ctx, tx, "id = $1", id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE feedback SET consent_withdrawn_at = $1, sealed = ''::bytea,
			age_band = '', sex = '', ethnic_group = '', disability = '' WHERE id = $2`, at, id); err != nil {
			return fmt.Errorf("withdraw: %w", err)
		}
		// Every other analytical value goes too, through the one function
		// that may clear them (migration 10).
		if _, err := tx.Exec(ctx, `SELECT candour_clear_withdrawn($1)`, id); err != nil {
			return fmt.Errorf("withdraw: clear values: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM data_keys WHERE id = $1`, candour.RecordKeyID(id)); err != nil {
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
	err := d.inTx(ctx, func(tx pgx.Tx) error {
		// The subject's records first, in id order, then their key: the
		// order a retention sweep takes them in, so that the two wait for
		// each other instead of deadlocking. A submission for the subject
		// holds the key until it commits; its record, committed by the
		// time the key is ours, is seen and erased by the DELETE below
		// (each statement reads what has committed before it).
		if _, err := tx.Exec(ctx, `SELECT id FROM feedback WHERE agency = $1 AND subject_hash = $2 ORDER BY id FOR UPDATE`,
			agency, subjectHash); err != nil {
			return fmt.Errorf("lock the subject's records: %w", err)
		}
		if _, err := tx.Exec(ctx, `SELECT id FROM data_keys WHERE id = $1 FOR UPDATE`, candour.SubjectKeyID(agency, subjectHash)); err != nil {
			return fmt.Errorf("lock the subject's key: %w", err)
		}
		var held bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM feedback f WHERE f.agency = $1 AND f.subject_hash = $2
			AND `+heldSQL+`)`, agency, subjectHash).Scan(&held); err != nil {
			return fmt.Errorf("select holds: %w", err)
		}
		if held {
			return errHeld
		}
		if err := lostFromRelease(ctx, tx, "agency = $1 AND subject_hash = $2", agency, subjectHash); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `DELETE FROM feedback WHERE agency = $1 AND subject_hash = $2 RETURNING id`, agency, subjectHash)
		if err != nil {
			return fmt.Errorf("delete subject's records: %w", err)
		}
		if ids, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return fmt.Errorf("delete subject's records: %w", err)
		}
		slices.Sort(ids)
		// A link not yet used would lead to a new record about the subject.
		if _, err := tx.Exec(ctx, `DELETE FROM invitations WHERE agency = $1 AND subject_hash = $2 AND NOT used`, agency, subjectHash); err != nil {
			return fmt.Errorf("delete subject's invitations: %w", err)
		}
		if err := eraseReleased(ctx, tx, agency, subjectHash); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM data_keys WHERE id = ANY($1)`, candour.ErasedKeyIDs(agency, subjectHash, ids)); err != nil {
			return fmt.Errorf("delete data keys: %w", err)
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

// DataKeysAfter returns up to limit wrapped data keys with ids after after,
// in id order.
func (d *DB) DataKeysAfter(ctx context.Context, after string, limit int) ([]candour.WrappedKey, error) {
	rows, err := d.pool.Query(ctx, `SELECT id, wrapped FROM data_keys WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("select data keys: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (candour.WrappedKey, error) {
		var k candour.WrappedKey
		err := r.Scan(&k.ID, &k.Wrapped)
		return k, err
	})
}

// ReplaceDataKey swaps the wrapped key under id from old to new, and reports
// false when it was no longer old (erased, or replaced by someone else).
func (d *DB) ReplaceDataKey(ctx context.Context, id string, old, new []byte) (bool, error) {
	tag, err := d.pool.Exec(ctx, `UPDATE data_keys SET wrapped = $1 WHERE id = $2 AND wrapped = $3`, new, id, old)
	if err != nil {
		return false, fmt.Errorf("replace data key: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}
