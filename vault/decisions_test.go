package vault

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/policy"
	"github.com/candour-vault/candour/postgres/pgtest"
	"github.com/candour-vault/candour/sqlite"
	"github.com/candour-vault/candour/storetest"
	"github.com/candour-vault/candour/vault/keyring"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// store is what the feedback service's tests need of a database: all a
// store does (storetest.Openers opens one of each kind).
type store = storetest.Lifecycle

// bothStores opens an empty store of each kind.
func bothStores() map[string]func(t *testing.T) store { return storetest.Openers() }

// serviceOn returns a feedback service on db with a key file of its own and
// the embedded policy, and a function that makes more services sharing them
// (but not their caches); change, when given, adjusts their Config.
func serviceOn(t *testing.T, db store, change ...func(*Config)) (*Service, func() *Service) {
	t.Helper()
	keys, err := keyring.LoadOrCreate(filepath.Join(t.TempDir(), "keyring.json"))
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.Load(context.Background(), policy.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	newSvc := func() *Service {
		c := Config{Store: db, DataKeys: db, Log: db, Keys: keys, Policy: pol}
		for _, f := range change {
			f(&c)
		}
		return New(c)
	}
	return newSvc(), newSvc
}

// TestEveryEntryNamesItsDecision: on both stores, every audit entry of a
// read or a withdrawal names the policy decision and revision, and another
// agency's record is refused (denied) by the policy, not just hidden
// (PostgreSQL's row-level security hides the row before the policy could
// see it); a missing record is not_found. Both answer 404.
func TestEveryEntryNamesItsDecision(t *testing.T) {
	for name, open := range bothStores() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := open(t)
			svc, _ := serviceOn(t, db)
			own, other := caseworker("victim-support-north"), caseworker("police-north")
			rc, err := svc.Submit(ctx, own, feedback(), candour.Idempotency{})
			if err != nil {
				t.Fatal(err)
			}
			missing := uuid.Must(uuid.NewV7()).String()
			for _, tt := range []struct {
				name string
				do   func() error
				want string
			}{
				{"own read", func() error { _, err := svc.Read(ctx, reading(own), rc.ID); return err }, ""},
				{"another agency's read", func() error { _, err := svc.Read(ctx, reading(other), rc.ID); return err }, candour.ENOTFOUND},
				{"missing read", func() error { _, err := svc.Read(ctx, reading(own), missing); return err }, candour.ENOTFOUND},
				{"another agency's withdrawal", func() error { _, err := svc.Withdraw(ctx, other, rc.ID); return err }, candour.ENOTFOUND},
				{"missing withdrawal", func() error { _, err := svc.Withdraw(ctx, own, missing); return err }, candour.ENOTFOUND},
			} {
				if err := tt.do(); candour.ErrorCode(err) != tt.want {
					t.Errorf("%s: %v, want code %q", tt.name, err, tt.want)
				}
			}
			leaves, err := db.AuditEntries(storetest.Context(), candour.AuditFilter{After: -1, Limit: 100})
			if err != nil || len(leaves) != 6 {
				t.Fatalf("%d audit entries, %v; want 6", len(leaves), err)
			}
			var outcomes []string
			for _, l := range leaves {
				e, err := candour.ParseAuditLeaf(l.Leaf)
				if err != nil {
					t.Fatal(err)
				}
				if e.Decision.ID == "" || e.Decision.Revision == "" {
					t.Errorf("entry %d (%s, %s) names no decision", l.Seq, e.Action, e.Outcome)
				}
				outcomes = append(outcomes, string(e.Action)+":"+e.Outcome)
			}
			want := []string{"feedback.create:ok", "feedback.read:ok", "feedback.read:denied", "feedback.read:not_found",
				"feedback.withdraw:denied", "feedback.withdraw:not_found"}
			for i := range want {
				if outcomes[i] != want[i] {
					t.Errorf("entry %d: %s, want %s", i, outcomes[i], want[i])
				}
			}
		})
	}
}

// TestNoOrphanKeys: a submission whose audit write fails leaves no data key
// behind, and concurrent first submissions about one subject share the key
// one of them stored, each readable after.
func TestNoOrphanKeys(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "candour.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	svc, newSvc := serviceOn(t, db)
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	count := func() int {
		var n int
		if err := raw.QueryRow(`SELECT count(*) FROM data_keys`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// The audit log refuses every insert: the submission fails, and no key
	// of the subject, nor of a record without one, is left.
	if _, err := raw.Exec(`CREATE TRIGGER audit_refuses BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'refused'); END`); err != nil {
		t.Fatal(err)
	}
	for _, f := range []candour.Feedback{feedback(), func() candour.Feedback { f := feedback(); f.SubjectRef = ""; return f }()} {
		if _, err := svc.Submit(ctx, caseworker("victim-support-north"), f, candour.Idempotency{}); candour.ErrorCode(err) != candour.EUNAVAILABLE {
			t.Fatalf("submit with the audit log refusing: %v, want EUNAVAILABLE", err)
		}
	}
	if n := count(); n != 0 {
		t.Errorf("%d data keys left behind by failed submissions", n)
	}
	if _, err := raw.Exec(`DROP TRIGGER audit_refuses`); err != nil {
		t.Fatal(err)
	}
	// Eight first submissions about one subject at once, through services
	// of their own (no shared cache): one key, every record readable.
	ids := make([]string, 8)
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			own := newSvc()
			rc, err := own.Submit(ctx, caseworker("victim-support-north"), feedback(), candour.Idempotency{})
			ids[i], errs[i] = rc.ID, err
		})
	}
	wg.Wait()
	for i, id := range ids {
		if errs[i] != nil {
			t.Fatalf("submission %d: %v", i, errs[i])
		}
		if f, err := svc.Read(ctx, reading(caseworker("victim-support-north")), id); err != nil || f.Comment != secretComment {
			t.Errorf("record %d does not open: %v", i, err)
		}
	}
	if n := count(); n != 1 {
		t.Errorf("%d data keys for one subject, want 1", n)
	}
}
