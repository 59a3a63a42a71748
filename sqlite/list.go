package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/candour-vault/candour"
)

var _ candour.RecordLister = (*DB)(nil)

// ListRecords implements candour.RecordLister: f's filters in SQL, newest
// first, sealed content left out.
func (d *DB) ListRecords(ctx context.Context, f candour.RecordFilter) ([]candour.Record, error) {
	where, args := []string{"agency = ?"}, []any{f.Agency}
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if f.Period != "" {
		add("period = ?", f.Period)
	}
	if f.Service != "" {
		add("service = ?", f.Service)
	}
	if f.SubmittedBy != "" {
		add("submitted_by = ?", f.SubmittedBy)
	}
	if f.SubjectHash != nil {
		add("subject_hash = ?", f.SubjectHash)
	}
	if f.Before != "" {
		add("id < ?", f.Before)
	}
	args = append(args, f.Limit)
	columns := listColumns
	if f.Sealed {
		columns = recordColumns
	}
	rows, err := d.db.QueryContext(ctx, `SELECT `+columns+` FROM feedback WHERE `+
		strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list feedback: %w", err)
	}
	return scanRecords(rows)
}
