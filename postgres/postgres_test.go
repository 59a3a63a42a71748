package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/postgres"
	"github.com/candour-vault/candour/postgres/pgtest"
	"github.com/candour-vault/candour/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		db, _ := pgtest.OpenMigrated(t)
		return db
	})
}

func TestLifecycleConformance(t *testing.T) {
	storetest.RunLifecycle(t, func(t *testing.T) storetest.Lifecycle {
		db, _ := pgtest.OpenMigrated(t)
		return db
	})
}

func exec(t *testing.T, url, stmt string, args ...any) error {
	t.Helper()
	_, err := pgtest.Connect(t, url).Exec(context.Background(), stmt, args...)
	return err
}

func TestAppRoleCannotAlterAudit(t *testing.T) {
	ctx := storetest.Context()
	db, d := pgtest.OpenMigrated(t)
	if _, err := db.CreateFeedback(ctx, storetest.Record("r1"), storetest.Entry("cw", candour.ActionFeedbackCreate, "r1"), candour.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, url, stmt string
	}{
		{"app updates an entry", d.AppURL, `UPDATE audit_log SET actor = 'someone-else'`},
		{"app deletes an entry", d.AppURL, `DELETE FROM audit_log`},
		{"app truncates the log", d.AppURL, `TRUNCATE audit_log CASCADE`},
		{"app deletes record links", d.AppURL, `DELETE FROM audit_records`},
		{"app rewinds the head", d.AppURL, `UPDATE audit_head SET next = 0`},
		{"app rewrites analytical columns", d.AppURL, `UPDATE feedback SET satisfaction = 5`},
		{"app rewrites a release", d.AppURL, `UPDATE insight_release_rows SET satisfaction = 5`},
		{"app moves a release", d.AppURL, `UPDATE insight_releases SET released_at = now()`},
		{"app deletes a release", d.AppURL, `DELETE FROM insight_releases`},
		{"app rewrites a release group", d.AppURL, `UPDATE insight_release_groups SET members = 0`},
		{"owner updates an entry", d.OwnerURL, `UPDATE audit_log SET actor = 'someone-else'`},
		{"owner deletes an entry", d.OwnerURL, `DELETE FROM audit_log`},
		{"owner truncates the log", d.OwnerURL, `TRUNCATE audit_log CASCADE`},
		{"owner rewinds the head", d.OwnerURL, `UPDATE audit_head SET next = 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := exec(t, tt.url, tt.stmt); err == nil {
				t.Errorf("%s succeeded", tt.stmt)
			}
		})
	}
	leaves, err := db.AuditEntries(ctx, candour.AuditFilter{After: -1, Limit: 10})
	if err != nil || len(leaves) != 1 {
		t.Fatalf("after the attempts: %d entries, %v; want the one entry intact", len(leaves), err)
	}
	if e, _ := candour.ParseAuditLeaf(leaves[0].Leaf); e.Actor.Subject != "cw" {
		t.Errorf("entry changed: %+v", e)
	}
}

func TestRowLevelSecurity(t *testing.T) {
	db, d := pgtest.OpenMigrated(t)
	police := candour.WithAgencies(context.Background(), "police-north")
	victim := candour.WithAgencies(context.Background(), "victim-support-north")
	rec := storetest.Record("rls-1") // belongs to victim-support-north
	if _, err := db.CreateFeedback(police, rec, storetest.Entry("cw", candour.ActionFeedbackCreate, rec.ID), candour.Idempotency{}); err == nil {
		t.Fatal("a transaction for police-north stored a victim-support-north record")
	}
	if _, err := db.CreateFeedback(victim, rec, storetest.Entry("cw", candour.ActionFeedbackCreate, rec.ID), candour.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ctx  context.Context
		want string
	}{
		{"own agency", victim, ""},
		{"other agency", police, candour.ENOTFOUND},
		{"no agencies named", context.Background(), candour.ENOTFOUND},
		{"several including own", candour.WithAgencies(context.Background(), "police-north", "victim-support-north"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.Record(tt.ctx, rec.ID)
			if got := candour.ErrorCode(err); got != tt.want {
				t.Errorf("Record: code %q (%v), want %q", got, err, tt.want)
			}
		})
	}
	// A scope wider than the transaction's agencies still sees only them.
	scope := candour.Scope{Grants: []candour.ScopeGrant{{Agency: "victim-support-north",
		Purposes: rec.Consent.Purposes[:1], Sensitivities: candour.Sensitivities()}}}
	recs, err := db.ScopedRecords(police, scope, rec.SubmittedAt, candour.SummaryQuery{})
	if err != nil || len(recs) != 0 {
		t.Errorf("ScopedRecords for police-north: %d records, %v; want nothing", len(recs), err)
	}
	// The same for releases: one for police-north takes nothing of
	// victim-support-north's, and reads nothing of a release that did.
	if rel, err := db.ReleasePeriod(police, rec.Period, rec.SubmittedAt); err != nil || rel.Records != 0 {
		t.Fatalf("release for police-north: %+v, %v; want no records", rel, err)
	}
	if err := exec(t, d.OwnerURL, `DELETE FROM insight_releases`); err != nil {
		t.Fatal(err)
	}
	if rel, err := db.ReleasePeriod(victim, rec.Period, rec.SubmittedAt); err != nil || rel.Records != 1 {
		t.Fatalf("release for victim-support-north: %+v, %v; want the record", rel, err)
	}
	for ctx, want := range map[context.Context]int{police: 0, victim: 1} {
		strata, err := db.ReleaseStrata(ctx, scope, candour.SummaryQuery{})
		if err != nil || len(strata) != want {
			t.Errorf("ReleaseStrata for %v: %d strata, %v; want %d", candour.AgenciesFrom(ctx), len(strata), err, want)
		}
	}
}

func TestSchemaVersionChecked(t *testing.T) {
	ctx := context.Background()
	d := pgtest.NewDatabase(t)
	_, err := postgres.Open(ctx, d.OwnerURL)
	var se *postgres.SchemaError
	if !errors.As(err, &se) || se.Current != 0 || !strings.Contains(err.Error(), "candour migrate up") {
		t.Fatalf("Open on an empty database: %v, want a SchemaError asking for candour migrate up", err)
	}
	st, err := postgres.Status(ctx, d.OwnerURL)
	if err != nil || len(st) == 0 || !st[0].AppliedAt.IsZero() {
		t.Fatalf("Status before migrating: %+v, %v", st, err)
	}
	applied, err := postgres.Migrate(ctx, d.OwnerURL)
	if err != nil || len(applied) != len(st) {
		t.Fatalf("Migrate: %v, %v; want %d migrations applied", applied, err, len(st))
	}
	if again, err := postgres.Migrate(ctx, d.OwnerURL); err != nil || len(again) != 0 {
		t.Fatalf("Migrate again: %v, %v; want nothing to do", again, err)
	}
	db, err := postgres.Open(ctx, d.AppURL)
	if err != nil {
		t.Fatalf("Open after migrating: %v", err)
	}
	db.Close()
	// A schema newer than the binary: the server must refuse it too.
	if err := exec(t, d.OwnerURL, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (999, true)`); err != nil {
		t.Fatal(err)
	}
	_, err = postgres.Open(ctx, d.AppURL)
	if !errors.As(err, &se) || se.Current != 999 || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open on a newer schema: %v, want a SchemaError", err)
	}
}

// TestUnreachable holds every way in to the database to one plain sentence
// when it cannot be reached: why, in PostgreSQL's words or the network's,
// not pgx's account of each address it tried.
func TestUnreachable(t *testing.T) {
	ctx := context.Background()
	d := pgtest.NewDatabase(t)
	noDatabase, err := url.Parse(d.OwnerURL)
	if err != nil {
		t.Fatal(err)
	}
	noDatabase.Path = "/candour_no_such_database"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "postgres://postgres@" + l.Addr().String() + "/candour?sslmode=disable"
	l.Close() // nothing listens there now
	ways := []struct {
		name string
		call func(url string) error
	}{
		{"open", func(u string) error { _, err := postgres.Open(ctx, u); return err }},
		{"status", func(u string) error { _, err := postgres.Status(ctx, u); return err }},
		{"migrate", func(u string) error { _, err := postgres.Migrate(ctx, u); return err }},
		{"roles", func(u string) error { return postgres.EnsureRoles(ctx, u) }},
	}
	for _, where := range []struct {
		name, url, want string
	}{
		{"no such database", noDatabase.String(), `the database cannot be reached: database "candour_no_such_database" does not exist`},
		{"nothing listening", closed, "the database cannot be reached: connect: connection refused"},
	} {
		for _, way := range ways {
			t.Run(where.name+"/"+way.name, func(t *testing.T) {
				err := way.call(where.url)
				if err == nil || err.Error() != where.want {
					t.Fatalf("got %v, want %q", err, where.want)
				}
			})
		}
	}
}

// TestConcurrentErasures erases many subjects at once whose records share
// months, taken in opposite orders, while submissions go on: every erasure
// must succeed (none may be chosen as a deadlock victim).
func TestConcurrentErasures(t *testing.T) {
	ctx := storetest.Context()
	db, _ := pgtest.OpenMigrated(t)
	const subjects = 16
	periods := []string{"2026-01", "2026-02", "2026-03", "2026-04"}
	for round := range len(periods) {
		for s := range subjects {
			rec := storetest.Record(fmt.Sprintf("ce-%02d-%d", s, round))
			rec.SubjectHash = []byte{byte(s)}
			if s%2 == 0 { // even subjects walk the periods forwards, odd ones backwards
				rec.Period = periods[round]
			} else {
				rec.Period = periods[len(periods)-1-round]
			}
			if _, err := db.CreateFeedback(ctx, rec, storetest.Entry("cw", candour.ActionFeedbackCreate, rec.ID), candour.Idempotency{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, subjects+1)
	for s := range subjects {
		wg.Go(func() {
			ids, _, err := db.EraseSubject(ctx, "victim-support-north", []byte{byte(s)}, storetest.Entry("admin", candour.ActionSubjectErase))
			if err == nil && len(ids) != len(periods) {
				err = fmt.Errorf("subject %d: %d records erased, want %d", s, len(ids), len(periods))
			}
			errs <- err
		})
	}
	wg.Go(func() { // submissions to the same rollup rows meanwhile
		for i := range 20 {
			rec := storetest.Record(fmt.Sprintf("ce-new-%02d", i))
			rec.SubjectHash, rec.Period = nil, periods[i%len(periods)]
			if _, err := db.CreateFeedback(ctx, rec, storetest.Entry("cw", candour.ActionFeedbackCreate, rec.ID), candour.Idempotency{}); err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	scope := candour.Scope{Grants: []candour.ScopeGrant{{Agency: "victim-support-north",
		Purposes: []candour.Purpose{candour.PurposeServiceImprovement}, Sensitivities: candour.Sensitivities()}}}
	recs, err := db.ScopedRecords(ctx, scope, storetest.Record("").SubmittedAt, candour.SummaryQuery{})
	if err != nil || len(recs) != 20 {
		t.Errorf("after the erasures: %d records, %v; want the 20 new records only", len(recs), err)
	}
}

// TestAuditBadEntryFailsAlone appends many entries at once, a few of which
// PostgreSQL refuses (a NUL byte in the actor): those fail, and every other
// entry of their group commit is appended, gap-free.
func TestAuditBadEntryFailsAlone(t *testing.T) {
	ctx := storetest.Context()
	db, _ := pgtest.OpenMigrated(t)
	const n = 300
	var wg sync.WaitGroup
	seqs := make([]int64, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			e := storetest.Entry(fmt.Sprint("cw-", i), candour.ActionFeedbackRead, fmt.Sprint("rec-", i))
			if i%50 == 7 {
				e.Actor.Subject = "bad\x00subject"
			}
			seqs[i], errs[i] = db.AppendAudit(ctx, e)
		})
	}
	wg.Wait()
	seen := map[int64]bool{}
	for i := range n {
		switch {
		case i%50 == 7 && errs[i] == nil:
			t.Errorf("entry %d with a NUL byte was appended", i)
		case i%50 != 7 && errs[i] != nil:
			t.Errorf("entry %d failed with its batch: %v", i, errs[i])
		case errs[i] == nil:
			seen[seqs[i]] = true
		}
	}
	for seq := range int64(len(seen)) {
		if !seen[seq] {
			t.Errorf("sequence number %d is missing: the log has a gap", seq)
		}
	}
	if size, err := db.AuditSize(ctx); err != nil || size != int64(len(seen)) {
		t.Errorf("AuditSize %d, %v; want %d", size, err, len(seen))
	}
}

// TestRolesScript runs deploy/postgres/roles.sql twice with psql, for a
// database name of its own: both runs succeed, the database exists, owned
// by candour_owner, and the application role may connect but not create.
func TestRolesScript(t *testing.T) {
	psql, err := osexec.LookPath("psql")
	if err != nil {
		matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/psql")
		if len(matches) == 0 {
			t.Fatal("no psql: install Debian's postgresql-client")
		}
		psql = matches[0]
	}
	server := pgtest.ServerURL(t)
	name := fmt.Sprintf("candour_roles_%d", time.Now().UnixNano())
	t.Cleanup(func() { osexec.Command(psql, server, "-c", "DROP DATABASE IF EXISTS "+name).Run() })
	for run := range 2 {
		cmd := osexec.Command(psql, server, "-v", "dbname="+name, "-v", "owner_password="+pgtest.Password,
			"-v", "app_password="+pgtest.Password, "-f", "../deploy/postgres/roles.sql")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("run %d: %v\n%s", run+1, err, out)
		}
	}
	owner := queryString(t, server, `SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1`, name)
	if owner != "candour_owner" {
		t.Errorf("the database is owned by %q, want candour_owner", owner)
	}
	if ok := queryString(t, server, `SELECT has_database_privilege('candour_app', $1, 'CONNECT')::text || '/' ||
		has_database_privilege('candour_app', $1, 'CREATE')::text`, name); ok != "true/false" {
		t.Errorf("candour_app connect/create on the database: %s, want true/false", ok)
	}
	out, err := osexec.Command(psql, server, "-v", "dbname="+name, "-f", "../deploy/postgres/roles.sql").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "owner_password") {
		t.Errorf("without passwords: %v %s; want a sentence asking for them", err, out)
	}
}

func queryString(t *testing.T, url, query string, args ...any) string {
	t.Helper()
	var s string
	if err := pgtest.Connect(t, url).QueryRow(context.Background(), query, args...).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}
