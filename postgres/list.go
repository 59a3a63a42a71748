package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/candour-vault/candour"
)

var _ candour.RecordLister = (*DB)(nil)

// ListRecords implements candour.RecordLister: f's filters in SQL, newest
// first, sealed content left out, under row-level security for the
// agencies of ctx.
func (d *DB) ListRecords(ctx context.Context, f candour.RecordFilter) ([]candour.Record, error) {
	where, args := []string{"agency = $1"}, []any{f.Agency}
	add := func(column string, v any) {
		args = append(args, v)
		where = append(where, column+" $"+strconv.Itoa(len(args)))
	}
	if f.Period != "" {
		add("period =", f.Period)
	}
	if f.Service != "" {
		add("service =", f.Service)
	}
	if f.SubmittedBy != "" {
		add("submitted_by =", f.SubmittedBy)
	}
	if f.SubjectHash != nil {
		add("subject_hash =", f.SubjectHash)
	}
	if f.Before != "" {
		add("id <", f.Before)
	}
	args = append(args, f.Limit)
	columns := listColumns
	if f.Sealed {
		columns = recordColumns
	}
	query := `SELECT ` + columns + ` FROM feedback WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY id DESC LIMIT $` + strconv.Itoa(len(args))
	var out []candour.Record
	err := d.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("list feedback: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanRecord(rows)
			if err != nil {
				return fmt.Errorf("list feedback: %w", err)
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}
