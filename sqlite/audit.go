package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/candour-vault/candour"
)

// AppendAudit implements candour.AuditLog.
func (d *DB) AppendAudit(ctx context.Context, e candour.AuditEntry) (int64, error) {
	var seq int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		seq, err = appendAudit(ctx, tx, e)
		return err
	})
	return seq, err
}

// appendAudit writes e at the next sequence number inside tx, which must hold
// the write lock.
func appendAudit(ctx context.Context, tx *sql.Tx, e candour.AuditEntry) (int64, error) {
	leaf, err := e.MarshalLeaf()
	if err != nil {
		return 0, fmt.Errorf("encode audit entry: %w", err)
	}
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq) + 1, 0) FROM audit_log`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("next audit seq: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (seq, time, actor, action, leaf, actor_agency, outcome) VALUES (?,?,?,?,?,?,?)`,
		seq, formatTime(e.Time), e.Actor.Subject, string(e.Action), leaf, e.Actor.Agency, e.Outcome); err != nil {
		return 0, fmt.Errorf("insert audit entry: %w", err)
	}
	for _, id := range e.Records {
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_records (record_id, seq, agency)
			VALUES (?, ?, coalesce((SELECT agency FROM feedback WHERE id = ?), ''))`, id, seq, id); err != nil {
			return 0, fmt.Errorf("insert audit record link: %w", err)
		}
	}
	return seq, nil
}

// AuditEntries implements candour.AuditReader.
func (d *DB) AuditEntries(ctx context.Context, f candour.AuditFilter) ([]candour.AuditLeaf, error) {
	q := `SELECT l.seq, l.leaf FROM audit_log l WHERE l.seq > ?`
	args := []any{f.After}
	if f.Actor != "" {
		q += ` AND l.actor = ?`
		args = append(args, f.Actor)
	}
	if f.Action != "" {
		q += ` AND l.action = ?`
		args = append(args, string(f.Action))
	}
	if f.Outcome != "" {
		q += ` AND l.outcome = ?`
		args = append(args, f.Outcome)
	}
	if f.Record != "" {
		q += ` AND l.seq IN (SELECT seq FROM audit_records WHERE record_id = ?)`
		args = append(args, f.Record)
	}
	if !f.Since.IsZero() {
		q += ` AND l.time >= ?`
		args = append(args, formatTime(f.Since))
	}
	if !f.Until.IsZero() {
		q += ` AND l.time < ?`
		args = append(args, formatTime(f.Until))
	}
	if f.Before > 0 {
		q += ` AND l.seq < ?`
		args = append(args, f.Before)
	}
	if f.Agencies != nil {
		in := strings.TrimSuffix(strings.Repeat("?,", len(f.Agencies)), ",")
		if in == "" {
			in = "NULL"
		}
		q += ` AND (l.actor_agency IN (` + in + `) OR l.seq IN (SELECT seq FROM audit_records WHERE agency IN (` + in + `)))`
		for range 2 {
			for _, a := range f.Agencies {
				args = append(args, a)
			}
		}
	}
	order := ` ORDER BY l.seq`
	if f.Newest {
		order = ` ORDER BY l.seq DESC`
	}
	q += order + ` LIMIT ?`
	args = append(args, f.Limit)
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("select audit entries: %w", err)
	}
	defer rows.Close()
	var out []candour.AuditLeaf
	for rows.Next() {
		var l candour.AuditLeaf
		if err := rows.Scan(&l.Seq, &l.Leaf); err != nil {
			return nil, fmt.Errorf("scan audit entry: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// AuditSize returns how many audit leaves are sequenced.
func (d *DB) AuditSize(ctx context.Context) (int64, error) {
	var n int64
	err := d.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq) + 1, 0) FROM audit_log`).Scan(&n)
	return n, err
}

// AuditLeaves returns the leaves with seq in [from, to), in order.
func (d *DB) AuditLeaves(ctx context.Context, from, to int64) ([][]byte, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT leaf FROM audit_log WHERE seq >= ? AND seq < ? ORDER BY seq`, from, to)
	if err != nil {
		return nil, fmt.Errorf("select leaves: %w", err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var l []byte
		if err := rows.Scan(&l); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// TreeSize returns how many leaves are integrated into the tree.
func (d *DB) TreeSize(ctx context.Context) (int64, error) {
	var n int64
	err := d.db.QueryRowContext(ctx, `SELECT size FROM audit_tree WHERE id = 1`).Scan(&n)
	return n, err
}

// ReadTreeHashes returns the stored tree hashes at the given indexes.
func (d *DB) ReadTreeHashes(ctx context.Context, indexes []int64) ([][32]byte, error) {
	if len(indexes) == 0 {
		return nil, nil
	}
	args := make([]any, len(indexes))
	for i, idx := range indexes {
		args[i] = idx
	}
	rows, err := d.db.QueryContext(ctx, `SELECT idx, hash FROM audit_hashes WHERE idx IN (?`+strings.Repeat(",?", len(indexes)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("select tree hashes: %w", err)
	}
	defer rows.Close()
	found := map[int64][]byte{}
	for rows.Next() {
		var idx int64
		var h []byte
		if err := rows.Scan(&idx, &h); err != nil {
			return nil, err
		}
		found[idx] = h
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return orderHashes(indexes, found)
}

// orderHashes returns the hashes found for indexes, in the order asked.
func orderHashes(indexes []int64, found map[int64][]byte) ([][32]byte, error) {
	out := make([][32]byte, len(indexes))
	for i, idx := range indexes {
		h, ok := found[idx]
		if !ok || len(h) != 32 {
			return nil, fmt.Errorf("tree hash %d is missing", idx)
		}
		copy(out[i][:], h)
	}
	return out, nil
}

// AddTreeHashes stores hashes after the last stored one and moves the tree
// from oldSize to newSize; ECONFLICT if the tree is no longer at oldSize.
func (d *DB) AddTreeHashes(ctx context.Context, oldSize, newSize int64, hashes [][32]byte) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE audit_tree SET size = ? WHERE id = 1 AND size = ?`, newSize, oldSize)
		if err != nil {
			return fmt.Errorf("update tree size: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return candour.Errorf(candour.ECONFLICT, "The tree has moved on.")
		}
		var next int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(idx) + 1, 0) FROM audit_hashes`).Scan(&next); err != nil {
			return fmt.Errorf("next hash index: %w", err)
		}
		for i, h := range hashes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO audit_hashes (idx, hash) VALUES (?, ?)`, next+int64(i), h[:]); err != nil {
				return fmt.Errorf("insert tree hash: %w", err)
			}
		}
		return nil
	})
}

// AddCheckpoint stores a signed checkpoint; ECONFLICT if one of that size exists.
func (d *DB) AddCheckpoint(ctx context.Context, size int64, signed []byte) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO audit_checkpoints (size, signed, created_at) VALUES (?, ?, ?)`,
		size, signed, formatTime(time.Now()))
	if err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed") {
		return candour.Errorf(candour.ECONFLICT, "A checkpoint of this size exists.")
	}
	return err
}

// LatestCheckpoint returns the checkpoint of the largest size, or ENOTFOUND.
func (d *DB) LatestCheckpoint(ctx context.Context) (int64, []byte, error) {
	var size int64
	var signed []byte
	err := d.db.QueryRowContext(ctx, `SELECT size, signed FROM audit_checkpoints ORDER BY size DESC LIMIT 1`).Scan(&size, &signed)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, candour.Errorf(candour.ENOTFOUND, "No checkpoint has been issued yet.")
	}
	return size, signed, err
}

// AllCheckpoints returns every stored checkpoint, smallest size first.
func (d *DB) AllCheckpoints(ctx context.Context) ([][]byte, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT signed FROM audit_checkpoints ORDER BY size`)
	if err != nil {
		return nil, fmt.Errorf("select checkpoints: %w", err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}
