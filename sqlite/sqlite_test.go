package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/audit"
	"github.com/candour-vault/candour/sqlite"
	"github.com/candour-vault/candour/storetest"
)

func open(t *testing.T) (*sqlite.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "candour.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		db, _ := open(t)
		return db
	})
}

func TestLifecycleConformance(t *testing.T) {
	storetest.RunLifecycle(t, func(t *testing.T) storetest.Lifecycle {
		db, _ := open(t)
		return db
	})
}

// raw opens a second, plain connection to the file, as an attacker with the
// file (or a careless operator) would.
func raw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestAuditTablesRefuseChange(t *testing.T) {
	ctx := context.Background()
	db, path := open(t)
	if _, err := db.CreateFeedback(ctx, storetest.Record("r1"), storetest.Entry("cw", candour.ActionFeedbackCreate, "r1"), candour.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	conn := raw(t, path)
	for _, stmt := range []string{
		`UPDATE audit_log SET actor = 'someone-else'`,
		`DELETE FROM audit_log`,
		`UPDATE audit_records SET record_id = 'r2'`,
		`DELETE FROM audit_records`,
	} {
		if _, err := conn.ExecContext(ctx, stmt); err == nil {
			t.Errorf("%s succeeded; the audit tables must be append-only", stmt)
		}
	}
	leaves, err := db.AuditEntries(ctx, candour.AuditFilter{After: -1, Limit: 10})
	if err != nil || len(leaves) != 1 {
		t.Fatalf("after the attempts: %d entries, %v; want the one entry intact", len(leaves), err)
	}
}

func TestRecordNotStoredWhenAuditFails(t *testing.T) {
	ctx := context.Background()
	db, path := open(t)
	conn := raw(t, path)
	if _, err := conn.ExecContext(ctx, `ALTER TABLE audit_log RENAME TO audit_log_gone`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateFeedback(ctx, storetest.Record("r1"), storetest.Entry("cw", candour.ActionFeedbackCreate, "r1"), candour.Idempotency{}); err == nil {
		t.Fatal("CreateFeedback succeeded with no audit table")
	}
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM feedback`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d feedback rows stored although their audit entry failed, want 0", n)
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "candour.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateFeedback(ctx, storetest.Record("r1"), storetest.Entry("cw", candour.ActionFeedbackCreate, "r1"), candour.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(ctx, path) // migrations already applied: must be a no-op
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Record(ctx, "r1"); err != nil {
		t.Errorf("after reopening: %v", err)
	}
}

// TestLogRefusesToSignOverARewrite rewrites a stored tree hash behind the
// log's back; the log must refuse to sign a checkpoint that would not extend
// the one it signed before.
func TestLogRefusesToSignOverARewrite(t *testing.T) {
	ctx := storetest.Context()
	db, path := open(t)
	skey, _, err := audit.GenerateKey("candour.test/refuse")
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.NewLog(db, skey)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		if _, err := db.AppendAudit(ctx, storetest.Entry(fmt.Sprint("cw-", i), candour.ActionAuditRead)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	// Rewrite the stored node over leaves 0-7, on which the signed root of
	// size 8 rests.
	conn := raw(t, path)
	if _, err := conn.ExecContext(ctx, `DROP TRIGGER audit_hashes_no_update`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `UPDATE audit_hashes SET hash = zeroblob(32) WHERE idx = ?`, tlog.StoredHashIndex(3, 0)); err != nil {
		t.Fatal(err)
	}
	db.AppendAudit(ctx, storetest.Entry("cw-8", candour.ActionAuditRead))
	if _, err := l.Checkpoint(ctx); !errors.Is(err, audit.ErrInconsistent) {
		t.Errorf("Checkpoint over a rewritten tree: %v, want ErrInconsistent", err)
	}
}
