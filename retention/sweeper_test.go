package retention_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/policy"
	"github.com/candour-vault/candour/postgres/pgtest"
	"github.com/candour-vault/candour/retention"
	"github.com/candour-vault/candour/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

type store = storetest.Lifecycle

// stores opens an empty store of each kind.
func stores(*testing.T) map[string]func(t *testing.T) store { return storetest.Openers() }

// now is the sweeps' clock: 2026-12-02.
var now = time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)

// seed stores a record of vs-north (rule vs-24m, or vs-safeguarding-72m)
// in period, with its own key.
func seed(t *testing.T, s store, id, period string, sens candour.Sensitivity, expires *time.Time, subject []byte) {
	t.Helper()
	rec := storetest.Record(id)
	rec.Period, rec.Sensitivity, rec.Consent.ExpiresAt, rec.SubjectHash = period, sens, expires, subject
	if subject == nil {
		rec.NewDataKey = &candour.WrappedKey{ID: candour.RecordKeyID(id), Wrapped: []byte("k-" + id)}
	}
	rec.Consent.CapturedAt = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := s.CreateFeedback(storetest.Context(), rec, storetest.Entry("cw", candour.ActionFeedbackCreate, id), candour.Idempotency{}); err != nil {
		t.Fatal(err)
	}
}

func newSweeper(t testing.TB, s store, holder string) *retention.Sweeper {
	t.Helper()
	pol, err := policy.Load(context.Background(), policy.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	return retention.New(retention.Config{Store: s, Rules: pol, Holder: holder, Now: func() time.Time { return now }})
}

func TestSweep(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := storetest.Context()
			s := open(t)
			lapsed := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)                     // consent ran out 62 days ago: past the 30-day grace
			recent := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)                    // 12 days ago: within the grace
			seed(t, s, "old-1", "2024-10", candour.SensitivityStandard, nil, nil)      // due 2026-11-01 under vs-24m
			seed(t, s, "old-held", "2024-10", candour.SensitivityStandard, nil, nil)   // due, but held
			seed(t, s, "edge", "2024-11", candour.SensitivityStandard, nil, nil)       // due 2026-12-01: today is 12-02
			seed(t, s, "young", "2024-12", candour.SensitivityStandard, nil, nil)      // due 2027-01-01
			seed(t, s, "safe", "2024-10", candour.SensitivitySafeguarding, nil, nil)   // 72 months
			seed(t, s, "lapsed", "2026-09", candour.SensitivityStandard, &lapsed, nil) // consent grace
			seed(t, s, "grace", "2026-09", candour.SensitivityStandard, &recent, nil)  // still in grace
			seed(t, s, "subj-old", "2024-01", candour.SensitivityStandard, nil, []byte("subject-a"))
			seed(t, s, "subj-new", "2026-10", candour.SensitivityStandard, nil, []byte("subject-a"))
			subjectKey := candour.SubjectKeyID("victim-support-north", []byte("subject-a"))
			s.AddDataKey(ctx, subjectKey, []byte("ks"))
			if _, err := s.ReleasePeriod(ctx, "2024-10", now); err != nil {
				t.Fatal(err)
			}
			if _, err := s.AddHold(ctx, candour.LegalHold{ID: "hold-1", Agency: "victim-support-north", RecordID: "old-held",
				Reason: "claim", ReviewBy: now.AddDate(1, 0, 0), CreatedAt: now, CreatedBy: "dpo"}, storetest.Entry("dpo", candour.ActionHoldPlace, "old-held")); err != nil {
				t.Fatal(err)
			}
			sw := newSweeper(t, s, "test")
			size, _ := s.AuditSize(ctx)
			if cells, _ := s.ReleaseCells(ctx); len(cells) == 0 {
				t.Fatal("the release of 2024-10 kept no copies")
			}

			plan, err := sw.Plan(context.Background(), "", now, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"edge", "lapsed", "old-1", "subj-old"}
			// Read: the candidates under the shortest rule of any agency
			// (housing-north's 18 months, so 2025-05 and before) and the
			// consent that ended before the grace: not grace or subj-new.
			if got := sorted(plan.Destroyable()); !slices.Equal(got, want) || plan.Held() != 1 || plan.Examined != 7 {
				t.Fatalf("plan: destroy %v, held %d, read %d; want %v, 1 held, 7 read", got, plan.Held(), plan.Examined, want)
			}
			if after, _ := s.AuditSize(ctx); after != size {
				t.Error("a dry run wrote to the audit log")
			}
			if _, err := s.Record(ctx, "old-1"); err != nil {
				t.Errorf("a dry run destroyed a record: %v", err)
			}

			sweep, err := sw.Run(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if sweep.Destroyed != 4 || sweep.Held != 1 || sweep.ByRule["victim-support-north/vs-24m"] != 3 ||
				sweep.ByRule["victim-support-north/"+candour.ConsentGraceRule] != 1 {
				t.Errorf("sweep %+v", sweep)
			}
			for _, id := range []string{"edge", "lapsed", "old-1", "subj-old"} {
				if _, err := s.Record(ctx, id); candour.ErrorCode(err) != candour.ENOTFOUND {
					t.Errorf("%s survived the sweep: %v", id, err)
				}
				if id != "subj-old" {
					if _, err := s.DataKey(ctx, candour.RecordKeyID(id)); candour.ErrorCode(err) != candour.ENOTFOUND {
						t.Errorf("%s's key survived the sweep: %v", id, err)
					}
				}
			}
			for _, id := range []string{"old-held", "young", "safe", "grace", "subj-new"} {
				if _, err := s.Record(ctx, id); err != nil {
					t.Errorf("%s was destroyed: %v", id, err)
				}
			}
			if _, err := s.DataKey(ctx, subjectKey); err != nil {
				t.Errorf("the subject's key went while subj-new needs it: %v", err)
			}
			// The released copies of 2024-10 under vs-24m are gone; the
			// safeguarding one (72 months) stays.
			if cells, _ := s.ReleaseCells(ctx); len(cells) != 1 || cells[0].Sensitivity != candour.SensitivitySafeguarding {
				t.Errorf("release cells after the sweep %+v; want the safeguarding one only", cells)
			}
			// Every destroyed record is named by a sweep entry with its rule
			// and the policy revision.
			leaves, _ := s.AuditEntries(ctx, candour.AuditFilter{After: size - 1, Limit: 100, Action: candour.ActionRetentionSweep})
			var named []string
			for _, l := range leaves {
				e, err := candour.ParseAuditLeaf(l.Leaf)
				if err != nil || !strings.Contains(e.QueryParams, "vs-24m") || e.Decision.Revision != plan.Revision || e.Actor.Subject != "retention-sweeper" {
					t.Errorf("sweep entry %s: %v", l.Leaf, err)
				}
				named = append(named, e.Records...)
			}
			if !slices.Equal(sorted(named), want) {
				t.Errorf("sweep entries name %v, want %v", named, want)
			}
			sweeps, err := s.Sweeps(ctx, 5)
			if err != nil || len(sweeps) != 1 || sweeps[0].Destroyed != 4 {
				t.Errorf("recorded sweeps %+v, %v", sweeps, err)
			}
			// A second sweep finds nothing new.
			if again, err := sw.Run(context.Background(), nil); err != nil || again.Destroyed != 0 {
				t.Errorf("second sweep %+v, %v", again, err)
			}
			// The overview for the agency's officer.
			o, err := sw.Overview(context.Background(), "victim-support-north", now)
			if err != nil {
				t.Fatal(err)
			}
			if o.Held != 1 || o.DueNow != 0 || o.Upcoming["vs-24m"] != 1 || len(o.Sweeps) != 2 || o.Sweeps[1].Destroyed != 4 || len(o.Rules) != 2 {
				t.Errorf("overview %+v", o)
			}
			if other, _ := sw.Overview(context.Background(), "police-north", now); other.Sweeps[1].Destroyed != 0 {
				t.Errorf("police-north's overview counts another agency's records: %+v", other.Sweeps)
			}
		})
	}
}

// TestSweepersTakeTurns: two sweepers, as on two replicas, at once: one
// sweeps and the other is told it is busy, or they run one after the other;
// either way no record is destroyed twice, and submissions beside them are
// kept.
func TestSweepersTakeTurns(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := storetest.Context()
			s := open(t)
			for i := range 250 {
				seed(t, s, fmt.Sprintf("due-%03d", i), "2023-05", candour.SensitivityStandard, nil, nil)
			}
			var (
				wg     sync.WaitGroup
				mu     sync.Mutex
				total  int
				busy   int
				failed []error
			)
			for _, holder := range []string{"replica-a", "replica-b"} {
				sw := newSweeper(t, s, holder)
				wg.Go(func() {
					sweep, err := sw.Run(context.Background(), nil)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case errors.Is(err, retention.ErrBusy):
						busy++
					case err != nil:
						failed = append(failed, err)
					default:
						total += sweep.Destroyed
					}
				})
			}
			wg.Go(func() {
				for i := range 20 {
					seed(t, s, fmt.Sprintf("new-%02d", i), "2026-10", candour.SensitivityStandard, nil, nil)
				}
			})
			wg.Wait()
			if len(failed) > 0 || total != 250 {
				t.Fatalf("sweepers destroyed %d in all (busy %d), errors %v; want 250", total, busy, failed)
			}
			leaves, _ := s.AuditEntries(ctx, candour.AuditFilter{After: -1, Limit: 10000, Action: candour.ActionRetentionSweep})
			var named []string
			for _, l := range leaves {
				e, _ := candour.ParseAuditLeaf(l.Leaf)
				named = append(named, e.Records...)
			}
			if n := len(named); n != 250 || len(slices.Compact(sorted(named))) != 250 {
				t.Errorf("the audit log names %d destructions, want 250 distinct", n)
			}
			for i := range 20 {
				if _, err := s.Record(ctx, fmt.Sprintf("new-%02d", i)); err != nil {
					t.Errorf("a submission beside the sweep was lost: %v", err)
				}
			}
		})
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// TestSweepDeletesLongExpiredLinks: a sweep deletes the feedback links
// that expired more than InvitationKeep ago, used or not, on both stores,
// and keeps the others.
func TestSweepDeletesLongExpiredLinks(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			ctx := storetest.Context()
			var invs []candour.Invitation
			var hashes [][]byte
			for i, expired := range []time.Duration{-(candour.InvitationKeep + time.Hour), -(candour.InvitationKeep - time.Hour), time.Hour} {
				id := fmt.Sprintf("0193a000-0000-7000-8000-00000000000%d", i)
				invs = append(invs, candour.Invitation{ID: id, Agency: "victim-support-north", Service: "victim-support/initial-contact",
					Period: "2026-10", Sensitivity: candour.SensitivityStandard, SubjectHash: []byte{byte(i)}, CreatedBy: "cw",
					CreatedAt: now.Add(expired - 30*24*time.Hour), ExpiresAt: now.Add(expired)})
				h := sha256.Sum256([]byte(id))
				hashes = append(hashes, h[:])
			}
			if _, err := s.CreateInvitations(ctx, invs, hashes, storetest.Entry("cw", candour.ActionInvitationCreate)); err != nil {
				t.Fatal(err)
			}
			sweep, err := newSweeper(t, s, "links").Run(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if sweep.Invitations != 1 {
				t.Errorf("the sweep deleted %d links, want the 1 expired more than %s ago", sweep.Invitations, candour.InvitationKeep)
			}
			left, err := s.Invitations(ctx, "victim-support-north", "", 10)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, v := range left {
				ids = append(ids, v.ID[len(v.ID)-1:])
			}
			if fmt.Sprint(ids) != "[2 1]" {
				t.Errorf("links left %v, want the two younger ones", ids)
			}
		})
	}
}
