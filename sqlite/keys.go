package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/candour-vault/candour"
)

// DataKey implements candour.DataKeyStore.
func (d *DB) DataKey(ctx context.Context, id string) ([]byte, error) {
	var w []byte
	err := d.db.QueryRowContext(ctx, `SELECT wrapped FROM data_keys WHERE id = ?`, id).Scan(&w)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, candour.Errorf(candour.ENOTFOUND, "No such data key.")
	}
	return w, err
}

// AddDataKey implements candour.DataKeyStore.
func (d *DB) AddDataKey(ctx context.Context, id string, wrapped []byte) ([]byte, error) {
	var stored []byte
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO data_keys (id, wrapped, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			id, wrapped, formatTime(time.Now())); err != nil {
			return fmt.Errorf("insert data key: %w", err)
		}
		return tx.QueryRowContext(ctx, `SELECT wrapped FROM data_keys WHERE id = ?`, id).Scan(&stored)
	})
	return stored, err
}

// DataKeysAfter returns up to limit wrapped data keys with ids after after,
// in id order.
func (d *DB) DataKeysAfter(ctx context.Context, after string, limit int) ([]candour.WrappedKey, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, wrapped FROM data_keys WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("select data keys: %w", err)
	}
	defer rows.Close()
	var out []candour.WrappedKey
	for rows.Next() {
		var k candour.WrappedKey
		if err := rows.Scan(&k.ID, &k.Wrapped); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// ReplaceDataKey swaps the wrapped key under id from old to new, and reports
// false when it was no longer old (erased, or replaced by someone else).
func (d *DB) ReplaceDataKey(ctx context.Context, id string, old, new []byte) (bool, error) {
	res, err := d.db.ExecContext(ctx, `UPDATE data_keys SET wrapped = ? WHERE id = ? AND wrapped = ?`, new, id, old)
	if err != nil {
		return false, fmt.Errorf("replace data key: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
