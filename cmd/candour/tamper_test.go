package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/audit"
	"github.com/candour-vault/candour/postgres"
	"github.com/candour-vault/candour/postgres/pgtest"
)

// tamperLog makes a PostgreSQL audit log of n entries with a signed checkpoint
// of all of them saved to a file, as an auditor would keep it, and returns the
// database, the checkpoint file and the verifier key.
func tamperLog(t *testing.T, n int) (pgtest.Database, string, string) {
	t.Helper()
	ctx := context.Background()
	d := pgtest.NewMigratedDatabase(t)
	db, err := postgres.Open(ctx, d.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	appendEntries(t, db, 0, n)
	skey, vkey, err := audit.GenerateKey("candour.test/tamper")
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.NewLog(db, skey)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "checkpoint.txt")
	if err := os.WriteFile(file, signed, 0o600); err != nil {
		t.Fatal(err)
	}
	return d, file, vkey
}

func appendEntries(t *testing.T, db *postgres.DB, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		e := candour.AuditEntry{Time: timeAt(i), Actor: candour.Principal{Issuer: "test", Subject: fmt.Sprintf("caseworker-%d", i%7),
			Agency: "police-north", Roles: []candour.Role{candour.RoleCaseworker}},
			Action: candour.ActionFeedbackRead, Purpose: candour.PurposeCaseManagement,
			Records: []string{fmt.Sprintf("rec-%04d", i)}, Outcome: candour.OutcomeOK}
		if _, err := db.AppendAudit(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
}

// superSQL runs statements as the superuser with triggers off, as an insider
// with full database rights would.
func superSQL(t *testing.T, url string, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	conn := pgtest.Connect(t, url)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := tx.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestAuditVerifyCatchesTampering changes the log behind Candour's back in
// every way the issue names, with a checkpoint saved first; candour audit
// verify must fail on each, naming the problem, and pass on the untouched log.
func TestAuditVerifyCatchesTampering(t *testing.T) {
	const n = 40
	tests := []struct {
		name   string
		tamper func(t *testing.T, d pgtest.Database)
		want   string // in the sentence on stderr; "" means the log verifies
	}{
		{"untouched", func(*testing.T, pgtest.Database) {}, ""},
		{"entry changed", func(t *testing.T, d pgtest.Database) {
			superSQL(t, d.Super, `UPDATE audit_log SET leaf = convert_to(replace(convert_from(leaf, 'UTF8'), 'caseworker-3', 'caseworker-4'), 'UTF8') WHERE seq = 17`)
		}, "entry 17 has been changed"},
		{"entry deleted", func(t *testing.T, d pgtest.Database) {
			superSQL(t, d.Super, `DELETE FROM audit_records WHERE seq = 9`, `DELETE FROM audit_log WHERE seq = 9`)
		}, "entry 9 is missing"},
		{"two entries swapped", func(t *testing.T, d pgtest.Database) {
			superSQL(t, d.Super,
				`UPDATE audit_log SET seq = 1000000 WHERE seq = 5`,
				`UPDATE audit_log SET seq = 5 WHERE seq = 6`,
				`UPDATE audit_log SET seq = 6 WHERE seq = 1000000`)
		}, "entry 5 has been changed"},
		{"tail truncated", func(t *testing.T, d pgtest.Database) {
			superSQL(t, d.Super, `DELETE FROM audit_records WHERE seq >= 30`, `DELETE FROM audit_log WHERE seq >= 30`)
		}, "covers 40 entries but the log has only 30"},
		{"rolled back and rewritten", func(t *testing.T, d pgtest.Database) {
			// Restored from a backup taken at 25 entries (tree and
			// checkpoints included), then the service carried on.
			superSQL(t, d.Super,
				`DELETE FROM audit_records WHERE seq >= 25`, `DELETE FROM audit_log WHERE seq >= 25`,
				`DELETE FROM audit_checkpoints`, `DELETE FROM audit_hashes`,
				`UPDATE audit_tree SET size = 0`, `UPDATE audit_head SET next = 25`)
			db, err := postgres.Open(context.Background(), d.AppURL)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			appendEntries(t, db, 1000, 20)
		}, "does not match the log"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, checkpoint, vkey := tamperLog(t, n)
			tt.tamper(t, d)
			stdout, stderr, code := runCLI(t, "audit", "verify", "--database", d.Super, "--verifier-key", vkey, "--checkpoint", checkpoint)
			if tt.want == "" {
				if code != 0 || !strings.Contains(stdout, "Verified 40 entries") {
					t.Fatalf("untouched log: exit %d, %q %q", code, stdout, stderr)
				}
				return
			}
			if code != 1 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit 1 naming %q", code, stderr, tt.want)
			}
		})
	}
}

// TestAuditVerifyExportedLog verifies a log exported to a file, offline, and
// catches a forged signature and an edited file.
func TestAuditVerifyExportedLog(t *testing.T) {
	d, checkpoint, vkey := tamperLog(t, 25)
	out, errOut, code := runCLI(t, "audit", "export", "--database", d.AppURL, "--operator", "auditor-carol")
	if code != 0 {
		t.Fatalf("export: %d %s", code, errOut)
	}
	checkOperatorEntry(t, d.AppURL, actionAuditExport, "auditor-carol")
	logFile := filepath.Join(t.TempDir(), "log.jsonl")
	os.WriteFile(logFile, []byte(out), 0o600)
	if stdout, stderr, code := runCLI(t, "audit", "verify", "--log", logFile, "--verifier-key", vkey, "--checkpoint", checkpoint); code != 0 {
		t.Fatalf("exported log: exit %d %q %q", code, stdout, stderr)
	}
	// Without a checkpoint only internal consistency can be checked: it says
	// so, and exits 3, even for a log rewritten as a whole (an entry edited
	// and the rest of the file left as it is still chains).
	if stdout, _, code := runCLI(t, "audit", "verify", "--log", logFile, "--verifier-key", vkey); code != 3 ||
		!strings.Contains(stdout, "internal consistency only") || strings.Contains(stdout, "consistent with every checkpoint") {
		t.Errorf("no checkpoint: exit %d %q; want 3 and a plain statement", code, stdout)
	}
	var entries []exported
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var e exported
		json.Unmarshal([]byte(l), &e)
		entries = append(entries, e)
	}
	entries[5].Leaf = bytes.Replace(entries[5].Leaf, []byte(`"outcome":"ok"`), []byte(`"outcome":"denied"`), 1)
	var forged strings.Builder
	for _, e := range entries {
		b, _ := json.Marshal(e)
		forged.Write(append(b, '\n'))
	}
	forgedFile := filepath.Join(t.TempDir(), "forged.jsonl")
	os.WriteFile(forgedFile, []byte(forged.String()), 0o600)
	if _, _, code := runCLI(t, "audit", "verify", "--log", forgedFile, "--verifier-key", vkey); code != 3 {
		t.Errorf("a log rewritten as a whole, no checkpoint: exit %d, want 3 (not verified)", code)
	}
	if _, stderr, code := runCLI(t, "audit", "verify", "--log", forgedFile, "--verifier-key", vkey, "--checkpoint", checkpoint); code != 1 || !strings.Contains(stderr, "does not match") {
		t.Errorf("a log rewritten as a whole, with a checkpoint: exit %d %q, want 1", code, stderr)
	}
	_, otherKey, _ := audit.GenerateKey("candour.test/tamper")
	if _, stderr, code := runCLI(t, "audit", "verify", "--log", logFile, "--verifier-key", otherKey, "--checkpoint", checkpoint); code != 1 || !strings.Contains(stderr, "signature does not verify") {
		t.Errorf("another key: exit %d %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	lines[3], lines[4] = lines[4], lines[3]
	os.WriteFile(logFile, []byte(strings.Join(lines, "\n")), 0o600)
	if _, stderr, code := runCLI(t, "audit", "verify", "--log", logFile, "--verifier-key", vkey); code != 1 || !strings.Contains(stderr, "entry 3 is missing") {
		t.Errorf("reordered file: exit %d %q", code, stderr)
	}
}

func timeAt(i int) time.Time { return time.Date(2026, 11, 24, 9, 0, i, 0, time.UTC) }
