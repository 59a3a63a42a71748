package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/candour-vault/candour"
)

// AppendAudit implements candour.AuditLog. Concurrent appends are committed
// together in batches (group commit) by the store's sequencer.
func (d *DB) AppendAudit(ctx context.Context, e candour.AuditEntry) (int64, error) {
	return d.seq.append(ctx, e, nil)
}

// appendAudit writes e at the next sequence number inside tx. The row lock on
// audit_head, held until tx ends, keeps the sequence gap-free.
func appendAudit(ctx context.Context, tx pgx.Tx, e candour.AuditEntry) (int64, error) {
	args, err := auditArgs(e)
	if err != nil {
		return 0, err
	}
	var seq int64
	if err := tx.QueryRow(ctx, auditStatement, args...).Scan(&seq); err != nil {
		return 0, fmt.Errorf("append audit entry: %w", err)
	}
	return seq, nil
}

// auditStatement appends one entry in one round trip: it takes the log's
// head, writes the entry and its record links, and returns the entry's
// sequence number. The head's row stays locked until the transaction ends,
// so callers append as the last thing before COMMIT.
const auditStatement = `WITH h AS (UPDATE audit_head SET next = next + 1 WHERE id = 1 RETURNING next - 1 AS seq),
	l AS (INSERT INTO audit_log (seq, time, actor, action, leaf, actor_agency, outcome)
		SELECT h.seq, $1, $2, $3, $4, $5, $6 FROM h RETURNING seq),
	r AS (INSERT INTO audit_records (record_id, seq, agency)
		SELECT x, l.seq, coalesce(candour_record_agency(x), '') FROM l, unnest($7::text[]) AS x)
	SELECT seq FROM l`

// auditArgs are auditStatement's arguments for e.
func auditArgs(e candour.AuditEntry) ([]any, error) {
	leaf, err := e.MarshalLeaf()
	if err != nil {
		return nil, fmt.Errorf("encode audit entry: %w", err)
	}
	return []any{e.Time, e.Actor.Subject, string(e.Action), leaf, e.Actor.Agency, e.Outcome, nonNil(e.Records)}, nil
}

// AuditEntries implements candour.AuditReader.
func (d *DB) AuditEntries(ctx context.Context, f candour.AuditFilter) ([]candour.AuditLeaf, error) {
	q := `SELECT l.seq, l.leaf FROM audit_log l WHERE l.seq > $1`
	args := []any{f.After}
	if f.Actor != "" {
		args = append(args, f.Actor)
		q += ` AND l.actor = $` + strconv.Itoa(len(args))
	}
	if f.Action != "" {
		args = append(args, string(f.Action))
		q += ` AND l.action = $` + strconv.Itoa(len(args))
	}
	if f.Outcome != "" {
		args = append(args, f.Outcome)
		q += ` AND l.outcome = $` + strconv.Itoa(len(args))
	}
	if f.Record != "" {
		args = append(args, f.Record)
		q += ` AND l.seq IN (SELECT seq FROM audit_records WHERE record_id = $` + strconv.Itoa(len(args)) + `)`
	}
	if !f.Since.IsZero() {
		args = append(args, f.Since)
		q += ` AND l.time >= $` + strconv.Itoa(len(args))
	}
	if !f.Until.IsZero() {
		args = append(args, f.Until)
		q += ` AND l.time < $` + strconv.Itoa(len(args))
	}
	if f.Before > 0 {
		args = append(args, f.Before)
		q += ` AND l.seq < $` + strconv.Itoa(len(args))
	}
	if f.Agencies != nil {
		args = append(args, f.Agencies)
		n := strconv.Itoa(len(args))
		q += ` AND (l.actor_agency = ANY($` + n + `) OR l.seq IN (SELECT seq FROM audit_records WHERE agency = ANY($` + n + `)))`
	}
	order := ` ORDER BY l.seq`
	if f.Newest {
		order = ` ORDER BY l.seq DESC`
	}
	args = append(args, f.Limit)
	q += order + ` LIMIT $` + strconv.Itoa(len(args))
	rows, err := d.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("select audit entries: %w", err)
	}
	leaves, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (candour.AuditLeaf, error) {
		var l candour.AuditLeaf
		err := r.Scan(&l.Seq, &l.Leaf)
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("scan audit entries: %w", err)
	}
	return leaves, nil
}

// AuditSize returns how many audit leaves are sequenced.
func (d *DB) AuditSize(ctx context.Context) (int64, error) {
	var n int64
	err := d.pool.QueryRow(ctx, `SELECT coalesce(max(seq) + 1, 0) FROM audit_log`).Scan(&n)
	return n, err
}

// AuditLeaves returns the leaves with seq in [from, to), in order.
func (d *DB) AuditLeaves(ctx context.Context, from, to int64) ([][]byte, error) {
	rows, err := d.pool.Query(ctx, `SELECT leaf FROM audit_log WHERE seq >= $1 AND seq < $2 ORDER BY seq`, from, to)
	if err != nil {
		return nil, fmt.Errorf("select leaves: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[[]byte])
}

// TreeSize returns how many leaves are integrated into the tree.
func (d *DB) TreeSize(ctx context.Context) (int64, error) {
	var n int64
	err := d.pool.QueryRow(ctx, `SELECT size FROM audit_tree WHERE id = 1`).Scan(&n)
	return n, err
}

// ReadTreeHashes returns the stored tree hashes at the given indexes.
func (d *DB) ReadTreeHashes(ctx context.Context, indexes []int64) ([][32]byte, error) {
	rows, err := d.pool.Query(ctx, `SELECT idx, hash FROM audit_hashes WHERE idx = ANY($1)`, indexes)
	if err != nil {
		return nil, fmt.Errorf("select tree hashes: %w", err)
	}
	found := map[int64][]byte{}
	var idx int64
	var h []byte
	if _, err := pgx.ForEachRow(rows, []any{&idx, &h}, func() error { found[idx] = h; return nil }); err != nil {
		return nil, fmt.Errorf("scan tree hashes: %w", err)
	}
	out := make([][32]byte, len(indexes))
	for i, ix := range indexes {
		got, ok := found[ix]
		if !ok || len(got) != 32 {
			return nil, fmt.Errorf("tree hash %d is missing", ix)
		}
		copy(out[i][:], got)
	}
	return out, nil
}

// AddTreeHashes stores hashes after the last stored one and moves the tree
// from oldSize to newSize; ECONFLICT if the tree is no longer at oldSize.
func (d *DB) AddTreeHashes(ctx context.Context, oldSize, newSize int64, hashes [][32]byte) error {
	return pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE audit_tree SET size = $1 WHERE id = 1 AND size = $2`, newSize, oldSize)
		if err != nil {
			return fmt.Errorf("update tree size: %w", err)
		}
		if tag.RowsAffected() != 1 {
			return candour.Errorf(candour.ECONFLICT, "The tree has moved on.")
		}
		var next int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(idx) + 1, 0) FROM audit_hashes`).Scan(&next); err != nil {
			return fmt.Errorf("next hash index: %w", err)
		}
		idx := make([]int64, len(hashes))
		hs := make([][]byte, len(hashes))
		for i := range hashes {
			idx[i], hs[i] = next+int64(i), hashes[i][:]
		}
		if _, err := tx.Exec(ctx, `INSERT INTO audit_hashes (idx, hash) SELECT * FROM unnest($1::bigint[], $2::bytea[])`, idx, hs); err != nil {
			return fmt.Errorf("insert tree hashes: %w", err)
		}
		return nil
	})
}

// AddCheckpoint stores a signed checkpoint; ECONFLICT if one of that size exists.
func (d *DB) AddCheckpoint(ctx context.Context, size int64, signed []byte) error {
	_, err := d.pool.Exec(ctx, `INSERT INTO audit_checkpoints (size, signed) VALUES ($1, $2)`, size, signed)
	if isUniqueViolation(err) {
		return candour.Errorf(candour.ECONFLICT, "A checkpoint of this size exists.")
	}
	return err
}

// LatestCheckpoint returns the checkpoint of the largest size, or ENOTFOUND.
func (d *DB) LatestCheckpoint(ctx context.Context) (int64, []byte, error) {
	var size int64
	var signed []byte
	err := d.pool.QueryRow(ctx, `SELECT size, signed FROM audit_checkpoints ORDER BY size DESC LIMIT 1`).Scan(&size, &signed)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, candour.Errorf(candour.ENOTFOUND, "No checkpoint has been issued yet.")
	}
	return size, signed, err
}

// AllCheckpoints returns every stored checkpoint, smallest size first.
func (d *DB) AllCheckpoints(ctx context.Context) ([][]byte, error) {
	rows, err := d.pool.Query(ctx, `SELECT signed FROM audit_checkpoints ORDER BY size`)
	if err != nil {
		return nil, fmt.Errorf("select checkpoints: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[[]byte])
}
