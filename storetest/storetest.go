// Package storetest is the conformance suite every Candour store runs: the
// same tests, unchanged, against SQLite and PostgreSQL.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/audit"
)

// Store is everything a Candour store implements.
type Store interface {
	candour.FeedbackStore
	candour.DataKeyStore
	candour.AuditLog
	candour.AuditReader
	candour.RecordLister
	candour.SessionStore
	candour.InvitationStore
	audit.Store
	// DataKeysAfter and ReplaceDataKey serve key rotation.
	DataKeysAfter(ctx context.Context, after string, limit int) ([]candour.WrappedKey, error)
	ReplaceDataKey(ctx context.Context, id string, old, new []byte) (bool, error)
	// ScopedRecords returns whole records in scope.
	ScopedRecords(ctx context.Context, scope candour.Scope, now time.Time, q candour.SummaryQuery) ([]candour.Record, error)
	// The releases insight reads.
	PendingPeriods(ctx context.Context, through string) ([]string, error)
	ReleasePeriod(ctx context.Context, period string, at time.Time) (candour.Release, error)
	ReleasedPeriods(ctx context.Context) ([]candour.Release, error)
	ReleaseStrata(ctx context.Context, scope candour.Scope, q candour.SummaryQuery) ([]candour.Stratum, error)
	CommentTallies(ctx context.Context, scope candour.Scope, q candour.SummaryQuery) ([]candour.CommentTally, error)
	CommentMembers(ctx context.Context, scope candour.Scope, now time.Time, agency, service, period string) ([]candour.Record, error)
	ReleaseGroups(ctx context.Context, agencies []string, now time.Time, q candour.SummaryQuery) ([]candour.ReleaseGroup, error)
}

// Run runs the suite. newStore must return an empty store of its own for each
// call.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"RecordRoundTrip", testRecordRoundTrip},
		{"MissingRecord", testMissingRecord},
		{"RecordAgencyWhateverTheAgencies", testRecordAgency},
		{"DuplicateIDStoresNothing", testDuplicateID},
		{"AuditSequenceGapFree", testAuditSequence},
		{"AuditFilters", testAuditFilters},
		{"ScopeMatchesReference", testScope},
		{"IdempotentRetry", testIdempotency},
		{"IdempotentConcurrentRetries", testIdempotencyConcurrent},
		{"AuditTreeMatchesReplay", testAuditTree},
		{"AuditTreeConcurrentIntegrators", testAuditTreeConcurrent},
		{"Checkpoints", testCheckpoints},
		{"DataKeysFirstWins", testDataKeys},
		{"NewDataKeyStoredWithItsRecord", testNewDataKey},
		{"Withdraw", testWithdraw},
		{"EraseSubject", testErase},
		{"ReleasesMatchReference", testReleases},
		{"WithdrawnKeepsNoAnalyticalValues", testWithdrawnValues},
		{"ListRecords", testListRecords},
		{"Sessions", testSessions},
		{"AuditAgencies", testAuditAgencies},
		{"InvitationsUsedOnce", testInvitationUsedOnce},
		{"InvitationsExpire", testInvitationExpiry},
		{"InvitationsList", testInvitationList},
		{"ReceiptGoesWithItsRecord", testReceipt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

func intp(v int) *int { return &v }

// Agencies are the agencies the suite's records belong to.
func Agencies() []string {
	return []string{"victim-support-north", "police-north", "council-north-social-care", "housing-north"}
}

// Context returns a context that may see the rows of every agency the suite
// uses (stores with row-level security show nothing without one).
func Context() context.Context { return candour.WithAgencies(context.Background(), Agencies()...) }

// Record returns a fully populated record with the given id. Times are whole
// microseconds: stores keep microsecond precision.
func Record(id string) candour.Record {
	at := time.Date(2026, 11, 24, 13, 1, 2, 345678000, time.UTC)
	exp := time.Date(2027, 10, 31, 0, 0, 0, 0, time.UTC)
	return candour.Record{
		ID: id, Agency: "victim-support-north", SubmittedBy: "cw-1", SubmittedAt: at,
		Service: "victim-support/initial-contact", Touchpoint: "first-contact", Channel: "phone", Period: "2026-10",
		Ratings:     candour.Ratings{Satisfaction: intp(4), Effort: intp(2), FeltSafe: "yes", FeltBelieved: "partly", WouldRecommend: intp(0)},
		Sensitivity: candour.SensitivitySpecialCategory,
		Consent: candour.Consent{
			Purposes:  []candour.Purpose{candour.PurposeServiceImprovement, candour.PurposeInterAgency, candour.PurposeEqualityMonitoring},
			ShareWith: []string{"police-north"}, Method: "verbal", NoticeVersion: "2026-01",
			ExpiresAt: &exp, CapturedAt: at, CapturedBy: "cw-1",
		},
		SubjectHash: []byte{1, 2, 3, 4},
		Sealed:      []byte("candour-envelope/v1\n\x00\x01sealed"),
		RecordKey:   201,
		Bands:       candour.Equality{AgeBand: "25-44", Sex: "female", EthnicGroup: "white", Disability: "no"},
	}
}

// Entry returns an audit entry by actor sub for the given records.
func Entry(sub string, a candour.Action, records ...string) candour.AuditEntry {
	return candour.AuditEntry{
		Time:    time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC),
		Actor:   candour.Principal{Issuer: "test", Subject: sub, Agency: "victim-support-north", Roles: []candour.Role{candour.RoleCaseworker}},
		Action:  a,
		Records: records, Outcome: candour.OutcomeOK,
		Decision: candour.AuditDecision{ID: "d-1", Revision: "sha256:00", Allow: true},
	}
}

func all(t *testing.T, s Store) []candour.AuditLeaf {
	t.Helper()
	leaves, err := s.AuditEntries(Context(), candour.AuditFilter{After: -1, Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	return leaves
}

func testRecordRoundTrip(t *testing.T, s Store) {
	ctx := Context()
	minimal := candour.Record{ID: "rec-min", Agency: "police-north", SubmittedBy: "cw-2",
		SubmittedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Service: "police/report-a-crime", Period: "2026-01",
		Sensitivity: candour.SensitivityStandard,
		Consent: candour.Consent{Purposes: []candour.Purpose{candour.PurposeResearch}, Method: "written",
			NoticeVersion: "1", CapturedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), CapturedBy: "cw-2"},
		Sealed: []byte("x")}
	for _, want := range []candour.Record{Record("rec-full"), minimal} {
		rc, err := s.CreateFeedback(ctx, want, Entry("cw-1", candour.ActionFeedbackCreate, want.ID), candour.Idempotency{})
		if err != nil {
			t.Fatalf("CreateFeedback(%s): %v", want.ID, err)
		}
		got, err := s.Record(ctx, want.ID)
		if err != nil {
			t.Fatalf("Record(%s): %v", want.ID, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Record(%s):\n got %+v\nwant %+v", want.ID, got, want)
		}
		leaves := all(t, s)
		if last := leaves[len(leaves)-1]; last.Seq != rc.AuditSeq || rc.ID != want.ID || rc.Replayed {
			t.Errorf("CreateFeedback returned %+v, last entry is %d", rc, last.Seq)
		}
	}
}

func testMissingRecord(t *testing.T, s Store) {
	_, err := s.Record(Context(), "no-such-id")
	if got := candour.ErrorCode(err); got != candour.ENOTFOUND {
		t.Errorf("Record(missing) code = %q (%v), want %q", got, err, candour.ENOTFOUND)
	}
}

// testRecordAgency: the owning agency of a record is found whatever agencies
// the context may see (row-level security aside), and a missing record is
// ENOTFOUND.
func testRecordAgency(t *testing.T, s Store) {
	rec := Record("ra-1")
	if _, err := s.CreateFeedback(Context(), rec, Entry("cw", candour.ActionFeedbackCreate, rec.ID), candour.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	police := candour.WithAgencies(context.Background(), "police-north")
	if a, err := s.RecordAgency(police, rec.ID); err != nil || a != rec.Agency {
		t.Errorf("RecordAgency from another agency = %q, %v; want %q", a, err, rec.Agency)
	}
	if _, err := s.RecordAgency(police, "no-such"); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("RecordAgency of a missing record: %v, want ENOTFOUND", err)
	}
}

func testDuplicateID(t *testing.T, s Store) {
	ctx := Context()
	if _, err := s.CreateFeedback(ctx, Record("dup"), Entry("cw-1", candour.ActionFeedbackCreate, "dup"), candour.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	second := Record("dup")
	second.Service = "other/service"
	_, err := s.CreateFeedback(ctx, second, Entry("cw-1", candour.ActionFeedbackCreate, "dup"), candour.Idempotency{})
	if got := candour.ErrorCode(err); got != candour.ECONFLICT {
		t.Errorf("second CreateFeedback code = %q (%v), want %q", got, err, candour.ECONFLICT)
	}
	if n := len(all(t, s)); n != 1 {
		t.Errorf("%d audit entries after a failed create, want 1: the entry must roll back with the record", n)
	}
	got, err := s.Record(ctx, "dup")
	if err != nil || got.Service != Record("dup").Service {
		t.Errorf("the first record was changed: %+v, %v", got, err)
	}
}

func testAuditSequence(t *testing.T, s Store) {
	ctx := Context()
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if w%2 == 0 {
					_, err := s.AppendAudit(ctx, Entry(fmt.Sprintf("w%d", w), candour.ActionAuditRead))
					errs <- err
				} else {
					id := fmt.Sprintf("r-%d-%d", w, i)
					_, err := s.CreateFeedback(ctx, Record(id), Entry(fmt.Sprintf("w%d", w), candour.ActionFeedbackCreate, id), candour.Idempotency{})
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	leaves := all(t, s)
	if len(leaves) != writers*each {
		t.Fatalf("%d entries, want %d", len(leaves), writers*each)
	}
	for i, l := range leaves {
		if l.Seq != int64(i) {
			t.Fatalf("entry %d has seq %d: the sequence must be 0-based and gap-free", i, l.Seq)
		}
		if _, err := candour.ParseAuditLeaf(l.Leaf); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
	}
}

func testAuditFilters(t *testing.T, s Store) {
	ctx := Context()
	at := func(i int) time.Time { return time.Date(2026, 11, 24, 13, i, 0, 0, time.UTC) }
	timed := func(e candour.AuditEntry, i int) candour.AuditEntry { e.Time = at(i); return e }
	s.CreateFeedback(ctx, Record("a"), timed(Entry("alice", candour.ActionFeedbackCreate, "a"), 0), candour.Idempotency{})
	s.AppendAudit(ctx, timed(Entry("bob", candour.ActionFeedbackRead, "a"), 1))
	s.AppendAudit(ctx, timed(Entry("bob", candour.ActionFeedbackRead, "b"), 2))
	denied := Entry("carol", candour.ActionAuditRead)
	denied.Outcome = candour.OutcomeDenied
	s.AppendAudit(ctx, timed(denied, 3))
	seqs := func(f candour.AuditFilter) []int64 {
		t.Helper()
		leaves, err := s.AuditEntries(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		out := []int64{}
		for _, l := range leaves {
			out = append(out, l.Seq)
		}
		return out
	}
	tests := []struct {
		name string
		f    candour.AuditFilter
		want []int64
	}{
		{"all", candour.AuditFilter{After: -1, Limit: 10}, []int64{0, 1, 2, 3}},
		{"after", candour.AuditFilter{After: 1, Limit: 10}, []int64{2, 3}},
		{"limit", candour.AuditFilter{After: -1, Limit: 2}, []int64{0, 1}},
		{"actor", candour.AuditFilter{After: -1, Limit: 10, Actor: "bob"}, []int64{1, 2}},
		{"action", candour.AuditFilter{After: -1, Limit: 10, Action: candour.ActionAuditRead}, []int64{3}},
		{"record", candour.AuditFilter{After: -1, Limit: 10, Record: "a"}, []int64{0, 1}},
		{"record and actor", candour.AuditFilter{After: -1, Limit: 10, Record: "a", Actor: "bob"}, []int64{1}},
		{"nothing", candour.AuditFilter{After: -1, Limit: 10, Actor: "dave"}, []int64{}},
		{"since", candour.AuditFilter{After: -1, Limit: 10, Since: at(2)}, []int64{2, 3}},
		{"until", candour.AuditFilter{After: -1, Limit: 10, Until: at(1)}, []int64{0}},
		{"since and until", candour.AuditFilter{After: -1, Limit: 10, Since: at(1), Until: at(3)}, []int64{1, 2}},
		{"newest first", candour.AuditFilter{After: -1, Limit: 3, Newest: true}, []int64{3, 2, 1}},
		{"newest first, the page before", candour.AuditFilter{After: -1, Limit: 3, Newest: true, Before: 1}, []int64{0}},
		{"newest first, by actor", candour.AuditFilter{After: -1, Limit: 10, Newest: true, Actor: "bob"}, []int64{2, 1}},
		{"outcome", candour.AuditFilter{After: -1, Limit: 10, Outcome: candour.OutcomeDenied}, []int64{3}},
		{"outcome ok", candour.AuditFilter{After: -1, Limit: 10, Outcome: candour.OutcomeOK}, []int64{0, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := seqs(tt.f); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("seqs = %v, want %v", got, tt.want)
			}
		})
	}
}

// testScope stores varied records and checks that the store's SQL selects
// exactly the records candour.Scope.Contains admits, for scopes like those the
// policy issues and for random ones.
func testScope(t *testing.T, s Store) {
	ctx := Context()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(1, 2))
	agencies := Agencies()
	purposes := candour.ConsentPurposes()
	sens := candour.Sensitivities()
	var recs []candour.Record
	for i := range 300 {
		rec := Record(fmt.Sprintf("s-%03d", i))
		rec.Agency = agencies[r.IntN(len(agencies))]
		rec.Sensitivity = sens[r.IntN(len(sens))]
		rec.Consent.Purposes = nil
		for _, p := range purposes {
			if r.IntN(2) == 0 {
				rec.Consent.Purposes = append(rec.Consent.Purposes, p)
			}
		}
		rec.Consent.ShareWith = nil
		for _, a := range agencies {
			if a != rec.Agency && r.IntN(2) == 0 {
				rec.Consent.ShareWith = append(rec.Consent.ShareWith, a)
			}
		}
		rec.Consent.ExpiresAt, rec.Consent.WithdrawnAt = nil, nil
		switch r.IntN(6) {
		case 0:
			at := now.Add(-time.Duration(1+r.IntN(1000)) * time.Hour)
			rec.Consent.WithdrawnAt = &at
		case 1:
			at := now.Add(-time.Duration(r.IntN(1000)) * time.Microsecond) // expired, some by a hair
			rec.Consent.ExpiresAt = &at
		case 2:
			at := now.Add(time.Duration(1+r.IntN(1000)) * time.Microsecond) // live, some by a hair
			rec.Consent.ExpiresAt = &at
		}
		if _, err := s.CreateFeedback(ctx, rec, Entry("cw", candour.ActionFeedbackCreate, rec.ID), candour.Idempotency{}); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	policyLike := candour.Scope{Grants: []candour.ScopeGrant{
		{Agency: "police-north", Purposes: []candour.Purpose{candour.PurposeServiceImprovement},
			Sensitivities: sens},
		{Agency: "victim-support-north", Purposes: []candour.Purpose{candour.PurposeServiceImprovement},
			Sensitivities: []candour.Sensitivity{candour.SensitivityStandard}, SharedWith: "police-north"},
	}}
	scopes := map[string]candour.Scope{
		"empty":                  {},
		"policy-like":            policyLike,
		"grant without purposes": {Grants: []candour.ScopeGrant{{Agency: "police-north", Sensitivities: sens}}},
	}
	for i := range 40 {
		var sc candour.Scope
		for range 1 + r.IntN(3) {
			g := candour.ScopeGrant{Agency: agencies[r.IntN(len(agencies))]}
			for _, se := range sens {
				if r.IntN(2) == 0 {
					g.Sensitivities = append(g.Sensitivities, se)
				}
			}
			for _, p := range purposes {
				if r.IntN(3) == 0 {
					g.Purposes = append(g.Purposes, p)
				}
			}
			if r.IntN(2) == 0 {
				g.SharedWith = agencies[r.IntN(len(agencies))]
			}
			sc.Grants = append(sc.Grants, g)
		}
		scopes[fmt.Sprintf("random-%02d", i)] = sc
	}
	nonEmpty := 0
	for name, sc := range scopes {
		t.Run(name, func(t *testing.T) {
			want := []string{}
			for _, rec := range recs {
				if sc.Contains(rec, now) {
					want = append(want, rec.ID)
				}
			}
			full, err := s.ScopedRecords(ctx, sc, now, candour.SummaryQuery{})
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for i, r := range full {
				if at := indexOf(recs, r.ID); at < 0 || !reflect.DeepEqual(r, recs[at]) {
					t.Fatalf("ScopedRecords gave %s, not as the record stored", r.ID)
				}
				if i > 0 && full[i-1].ID >= r.ID {
					t.Fatalf("ScopedRecords is not in id order at %s", r.ID)
				}
				got = append(got, r.ID)
			}
			slices.Sort(got)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("store selected %d records, reference %d:\n got %v\nwant %v", len(got), len(want), got, want)
			}
			if len(want) > 0 {
				nonEmpty++
			}
		})
	}
	if nonEmpty < 10 {
		t.Errorf("only %d scopes selected anything; the comparison proves little", nonEmpty)
	}
}

func testIdempotency(t *testing.T, s Store) {
	ctx := Context()
	idem := func(sub, key, body string) candour.Idempotency {
		return candour.Idempotency{Key: key, Issuer: "test", Subject: sub, RequestHash: []byte(body)}
	}
	first, err := s.CreateFeedback(ctx, Record("i-1"), Entry("cw", candour.ActionFeedbackCreate, "i-1"), idem("cw", "k1", "body-a"))
	if err != nil || first.Replayed {
		t.Fatalf("first: %+v, %v", first, err)
	}
	again, err := s.CreateFeedback(ctx, Record("i-2"), Entry("cw", candour.ActionFeedbackCreate, "i-2"), idem("cw", "k1", "body-a"))
	if err != nil || !again.Replayed || again.ID != first.ID || again.AuditSeq != first.AuditSeq {
		t.Errorf("retry: %+v, %v; want the first receipt %+v, replayed", again, err, first)
	}
	if _, err := s.Record(ctx, "i-2"); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("the retry stored a second record: %v", err)
	}
	_, err = s.CreateFeedback(ctx, Record("i-3"), Entry("cw", candour.ActionFeedbackCreate, "i-3"), idem("cw", "k1", "body-b"))
	if candour.ErrorCode(err) != candour.ECONFLICT {
		t.Errorf("same key, other body: %v, want ECONFLICT", err)
	}
	if size, err := s.AuditSize(ctx); err != nil || size != 1 {
		t.Errorf("audit entries after a retry and a conflict: %d, %v; want the first's only", size, err)
	}
	other, err := s.CreateFeedback(ctx, Record("i-4"), Entry("cw2", candour.ActionFeedbackCreate, "i-4"), idem("cw2", "k1", "body-a"))
	if err != nil || other.Replayed || other.ID != "i-4" {
		t.Errorf("same key from another principal: %+v, %v; want a new record", other, err)
	}
	if n := len(all(t, s)); n != 2 {
		t.Errorf("%d audit entries, want 2: retries and conflicts append nothing", n)
	}
}

func testIdempotencyConcurrent(t *testing.T, s Store) {
	ctx := Context()
	const n = 12
	var wg sync.WaitGroup
	receipts := make([]candour.Receipt, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("c-%02d", i)
			receipts[i], errs[i] = s.CreateFeedback(ctx, Record(id), Entry("cw", candour.ActionFeedbackCreate, id),
				candour.Idempotency{Key: "same", Issuer: "test", Subject: "cw", RequestHash: []byte("body")})
		}()
	}
	wg.Wait()
	fresh := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("attempt %d: %v", i, errs[i])
		}
		if receipts[i].ID != receipts[0].ID {
			t.Errorf("attempt %d got record %s, attempt 0 got %s", i, receipts[i].ID, receipts[0].ID)
		}
		if !receipts[i].Replayed {
			fresh++
		}
	}
	if fresh != 1 {
		t.Errorf("%d attempts created a record, want exactly 1", fresh)
	}
	if got := len(all(t, s)); got != 1 {
		t.Errorf("%d audit entries, want 1", got)
	}
}

func newLog(t *testing.T, s Store) *audit.Log {
	t.Helper()
	skey, _, err := audit.GenerateKey("candour.test/audit")
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.NewLog(s, skey)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func appendN(t *testing.T, s Store, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if _, err := s.AppendAudit(Context(), Entry(fmt.Sprintf("actor-%d", i), candour.ActionAuditRead)); err != nil {
			t.Fatal(err)
		}
	}
}

// replayed recomputes the tree from the store's leaves in memory.
// replayed replays the stored log, keeping the roots at the sizes given.
func replayed(t *testing.T, s Store, sizes ...int64) *audit.Replay {
	t.Helper()
	var r audit.Replay
	for _, size := range sizes {
		r.Want(size)
	}
	for _, l := range all(t, s) {
		if err := r.Add(l.Leaf); err != nil {
			t.Fatal(err)
		}
	}
	return &r
}

func testAuditTree(t *testing.T, s Store) {
	ctx := Context()
	l := newLog(t, s)
	total := 0
	for _, n := range []int{1, 2, 5, 57, 200} {
		appendN(t, s, total, n)
		total += n
		size, err := l.Integrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if size != int64(total) {
			t.Fatalf("Integrate = %d, want %d", size, total)
		}
	}
	sizes := []int64{1, 2, 3, 8, 9, 64, 65, int64(total)}
	r := replayed(t, s, sizes...)
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		hs, err := s.ReadTreeHashes(ctx, idx)
		out := make([]tlog.Hash, len(hs))
		for i, h := range hs {
			out[i] = h
		}
		return out, err
	})
	for _, size := range sizes {
		want, err := r.Root(size)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tlog.TreeHash(size, reader)
		if err != nil || got != want {
			t.Errorf("tree hash at %d from stored hashes = %x, %v; replay gives %x", size, got, err, want)
		}
	}
	// A stale integrator loses, and stores nothing.
	before, _ := s.TreeSize(ctx)
	if err := s.AddTreeHashes(ctx, before-1, before+1, [][32]byte{{1}, {2}}); candour.ErrorCode(err) != candour.ECONFLICT {
		t.Errorf("AddTreeHashes from a stale size: %v, want ECONFLICT", err)
	}
	if after, _ := s.TreeSize(ctx); after != before {
		t.Errorf("tree size %d after a refused add, want %d", after, before)
	}
}

func testAuditTreeConcurrent(t *testing.T, s Store) {
	ctx := Context()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := newLog(t, s)
			for i := range 30 {
				if _, err := s.AppendAudit(ctx, Entry(fmt.Sprintf("w%d-%d", w, i), candour.ActionAuditRead)); err != nil {
					t.Error(err)
					return
				}
				if i%7 == 0 {
					if _, err := l.Integrate(ctx); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	l := newLog(t, s)
	size, err := l.Integrate(ctx)
	if err != nil || size != 120 {
		t.Fatalf("Integrate = %d, %v; want 120", size, err)
	}
	want, err := replayed(t, s).Root(size)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := audit.ParseCheckpoint(signed, l.VerifierKey())
	if err != nil || c.Size != size || c.Hash != want {
		t.Errorf("checkpoint %+v, %v; want size %d root %x from replay", c, err, size, want)
	}
}

func testCheckpoints(t *testing.T, s Store) {
	ctx := Context()
	l := newLog(t, s)
	if _, err := l.Latest(ctx); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("Latest before any: %v, want ENOTFOUND", err)
	}
	appendN(t, s, 0, 10)
	first, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again, err := l.Checkpoint(ctx)
	if err != nil || string(again) != string(first) {
		t.Errorf("a second checkpoint with nothing new: %v; want the first again", err)
	}
	appendN(t, s, 10, 7)
	second, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c1, err1 := audit.ParseCheckpoint(first, l.VerifierKey())
	c2, err2 := audit.ParseCheckpoint(second, l.VerifierKey())
	if err1 != nil || err2 != nil || c1.Size != 10 || c2.Size != 17 {
		t.Fatalf("checkpoints %+v %v, %+v %v", c1, err1, c2, err2)
	}
	if latest, _ := l.Latest(ctx); string(latest) != string(second) {
		t.Error("Latest is not the newest checkpoint")
	}
	if all, err := s.AllCheckpoints(ctx); err != nil || len(all) != 2 || string(all[0]) != string(first) || string(all[1]) != string(second) {
		t.Errorf("AllCheckpoints = %d checkpoints, %v; want the two, smallest first", len(all), err)
	}
	// Proofs check out against the checkpoints with tlog's own checkers.
	for seq := int64(0); seq < 17; seq++ {
		p, err := l.InclusionProof(ctx, seq, 17)
		if err != nil {
			t.Fatal(err)
		}
		leaves, _ := s.AuditLeaves(ctx, seq, seq+1)
		if err := tlog.CheckRecord(toTlog(p), 17, c2.Hash, seq, tlog.RecordHash(leaves[0])); err != nil {
			t.Errorf("inclusion of %d in 17: %v", seq, err)
		}
	}
	p, err := l.ConsistencyProof(ctx, 10, 17)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckTree(toTlog(p), 17, c2.Hash, 10, c1.Hash); err != nil {
		t.Errorf("consistency 10 → 17: %v", err)
	}
	for _, bad := range [][2]int64{{-1, 17}, {17, 17}, {3, 40}} {
		if _, err := l.InclusionProof(ctx, bad[0], bad[1]); candour.ErrorCode(err) != candour.EINVALID {
			t.Errorf("InclusionProof(%d, %d): %v, want EINVALID", bad[0], bad[1], err)
		}
	}
	// Another key cannot pass for the log's.
	other := newLog(t, s)
	if _, err := audit.ParseCheckpoint(second, other.VerifierKey()); err == nil {
		t.Error("a checkpoint verified with another log's key")
	}
}

func toTlog(hs [][32]byte) []tlog.Hash {
	out := make([]tlog.Hash, len(hs))
	for i, h := range hs {
		out[i] = h
	}
	return out
}

func testDataKeys(t *testing.T, s Store) {
	ctx := Context()
	if _, err := s.DataKey(ctx, "s:x"); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("DataKey before any: %v, want ENOTFOUND", err)
	}
	got, err := s.AddDataKey(ctx, "s:x", []byte("first"))
	if err != nil || string(got) != "first" {
		t.Fatalf("AddDataKey = %q, %v", got, err)
	}
	got, err = s.AddDataKey(ctx, "s:x", []byte("second"))
	if err != nil || string(got) != "first" {
		t.Errorf("a second AddDataKey = %q, %v; want the first key kept", got, err)
	}
	if got, err := s.DataKey(ctx, "s:x"); err != nil || string(got) != "first" {
		t.Errorf("DataKey = %q, %v", got, err)
	}
	for _, id := range []string{"r:b", "r:a", "s:y"} {
		s.AddDataKey(ctx, id, []byte("w-"+id))
	}
	page, err := s.DataKeysAfter(ctx, "", 2)
	if err != nil || len(page) != 2 || page[0].ID != "r:a" || page[1].ID != "r:b" {
		t.Fatalf("first page %+v, %v", page, err)
	}
	page, _ = s.DataKeysAfter(ctx, "r:b", 10)
	if len(page) != 2 || page[0].ID != "s:x" || page[1].ID != "s:y" {
		t.Errorf("second page %+v", page)
	}
	if ok, err := s.ReplaceDataKey(ctx, "s:x", []byte("first"), []byte("rewrapped")); !ok || err != nil {
		t.Errorf("ReplaceDataKey = %v, %v", ok, err)
	}
	if ok, _ := s.ReplaceDataKey(ctx, "s:x", []byte("first"), []byte("again")); ok {
		t.Error("a replacement from a stale value succeeded")
	}
	if got, _ := s.DataKey(ctx, "s:x"); string(got) != "rewrapped" {
		t.Errorf("after replacement: %q", got)
	}
	if ok, _ := s.ReplaceDataKey(ctx, "s:gone", []byte("x"), []byte("y")); ok {
		t.Error("replaced a key that does not exist")
	}
}

// testNewDataKey: a record's new data key is stored in the record's own
// transaction: with it, or not at all.
func testNewDataKey(t *testing.T, s Store) {
	ctx := Context()
	rec := Record("nk-1")
	rec.SubjectHash = []byte("subject-nk")
	kid := candour.SubjectKeyID(rec.Agency, rec.SubjectHash)
	rec.NewDataKey = &candour.WrappedKey{ID: kid, Wrapped: []byte("wrapped-1")}
	if _, err := s.CreateFeedback(ctx, rec, Entry("cw", candour.ActionFeedbackCreate, rec.ID), candour.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.DataKey(ctx, kid); err != nil || string(got) != "wrapped-1" {
		t.Fatalf("the new key: %q, %v", got, err)
	}
	// Another record for the subject with a key of its own: refused, and
	// nothing of it stored.
	other := Record("nk-2")
	other.SubjectHash, other.NewDataKey = rec.SubjectHash, &candour.WrappedKey{ID: kid, Wrapped: []byte("wrapped-2")}
	if _, err := s.CreateFeedback(ctx, other, Entry("cw", candour.ActionFeedbackCreate, other.ID), candour.Idempotency{}); !errors.Is(err, candour.ErrDataKeyTaken) {
		t.Errorf("a second new key under the same id: %v, want ErrDataKeyTaken", err)
	}
	if _, err := s.Record(ctx, other.ID); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("the refused record was stored: %v", err)
	}
	if got, _ := s.DataKey(ctx, kid); string(got) != "wrapped-1" {
		t.Errorf("the stored key changed to %q", got)
	}
	// A record that fails (its id is taken) leaves no new key behind.
	dup := Record("nk-1")
	dup.SubjectHash = []byte("subject-nk-other")
	dup.NewDataKey = &candour.WrappedKey{ID: candour.SubjectKeyID(dup.Agency, dup.SubjectHash), Wrapped: []byte("wrapped-3")}
	if _, err := s.CreateFeedback(ctx, dup, Entry("cw", candour.ActionFeedbackCreate, dup.ID), candour.Idempotency{}); err == nil {
		t.Fatal("a record with a taken id was stored")
	}
	if _, err := s.DataKey(ctx, dup.NewDataKey.ID); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("a failed record left its new key behind: %v", err)
	}
}

func testWithdraw(t *testing.T, s Store) {
	ctx := Context()
	rec := Record("w-1")
	if _, err := s.CreateFeedback(ctx, rec, Entry("cw", candour.ActionFeedbackCreate, rec.ID), candour.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	s.AddDataKey(ctx, candour.RecordKeyID(rec.ID), []byte("k"))
	at := time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC)
	if _, err := s.WithdrawFeedback(ctx, "no-such", at, Entry("cw", candour.ActionFeedbackWithdraw, "no-such")); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("withdraw a missing record: %v, want ENOTFOUND", err)
	}
	seq, err := s.WithdrawFeedback(ctx, rec.ID, at, Entry("cw", candour.ActionFeedbackWithdraw, rec.ID))
	if err != nil || seq != 1 {
		t.Fatalf("WithdrawFeedback = %d, %v; want seq 1", seq, err)
	}
	got, err := s.Record(ctx, rec.ID)
	if err != nil || got.Consent.WithdrawnAt == nil || !got.Consent.WithdrawnAt.Equal(at) || len(got.Sealed) != 0 || got.Bands != (candour.Equality{}) {
		t.Errorf("after withdrawal: withdrawn %v, sealed %d bytes, bands %+v, %v; want withdrawn at %v, no content and no bands",
			got.Consent.WithdrawnAt, len(got.Sealed), got.Bands, err, at)
	}
	if _, err := s.DataKey(ctx, candour.RecordKeyID(rec.ID)); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("the record's data key survived: %v", err)
	}
	if _, err := s.WithdrawFeedback(ctx, rec.ID, at, Entry("cw", candour.ActionFeedbackWithdraw, rec.ID)); candour.ErrorCode(err) != candour.ECONFLICT {
		t.Errorf("a second withdrawal: %v, want ECONFLICT", err)
	}
	if n := len(all(t, s)); n != 2 {
		t.Errorf("%d audit entries, want 2 (the create and one withdrawal)", n)
	}
}

func testErase(t *testing.T, s Store) {
	ctx := Context()
	subject, other := []byte("subject-hash-0001"), []byte("subject-hash-0002")
	put := func(id, agency string, hash []byte) {
		t.Helper()
		rec := Record(id)
		rec.Agency, rec.SubjectHash = agency, hash
		if _, err := s.CreateFeedback(ctx, rec, Entry("cw", candour.ActionFeedbackCreate, id), candour.Idempotency{}); err != nil {
			t.Fatal(err)
		}
	}
	put("e-1", "victim-support-north", subject)
	put("e-2", "victim-support-north", subject)
	put("e-3", "victim-support-north", other)
	put("e-4", "police-north", subject)
	s.AddDataKey(ctx, candour.SubjectKeyID("victim-support-north", subject), []byte("k1"))
	s.AddDataKey(ctx, candour.SubjectKeyID("police-north", subject), []byte("k2"))
	ids, seq, err := s.EraseSubject(ctx, "victim-support-north", subject, Entry("dpo", candour.ActionSubjectErase))
	if err != nil || !reflect.DeepEqual(ids, []string{"e-1", "e-2"}) {
		t.Fatalf("EraseSubject = %v, %v; want e-1 and e-2", ids, err)
	}
	for id, want := range map[string]string{"e-1": candour.ENOTFOUND, "e-2": candour.ENOTFOUND, "e-3": "", "e-4": ""} {
		if _, err := s.Record(ctx, id); candour.ErrorCode(err) != want {
			t.Errorf("Record(%s) after erasure: %v, want code %q", id, err, want)
		}
	}
	if _, err := s.DataKey(ctx, candour.SubjectKeyID("victim-support-north", subject)); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("the subject's data key survived: %v", err)
	}
	if _, err := s.DataKey(ctx, candour.SubjectKeyID("police-north", subject)); err != nil {
		t.Errorf("another agency's key for the same subject was erased: %v", err)
	}
	leaves, _ := s.AuditEntries(ctx, candour.AuditFilter{After: seq - 1, Limit: 1})
	e, err := candour.ParseAuditLeaf(leaves[0].Leaf)
	if err != nil || e.Action != candour.ActionSubjectErase || !reflect.DeepEqual(e.Records, []string{"e-1", "e-2"}) {
		t.Errorf("erasure entry %+v, %v; want it to name e-1 and e-2", e, err)
	}
	// A subject with many records: the erasure is logged in entries of at
	// most MaxAuditRecords ids, which together name every record.
	many := []byte("subject-hash-many")
	var want []string
	for i := range 2*candour.MaxAuditRecords + 17 {
		id := fmt.Sprintf("em-%04d", i)
		put(id, "victim-support-north", many)
		want = append(want, id)
	}
	before, _ := s.AuditSize(ctx)
	ids, last, err := s.EraseSubject(ctx, "victim-support-north", many, Entry("dpo", candour.ActionSubjectErase))
	if err != nil || len(ids) != len(want) {
		t.Fatalf("erasing %d records: %d, %v", len(want), len(ids), err)
	}
	leaves, _ = s.AuditEntries(ctx, candour.AuditFilter{After: before - 1, Limit: 100})
	var named []string
	for _, l := range leaves {
		e, err := candour.ParseAuditLeaf(l.Leaf)
		if err != nil || e.Action != candour.ActionSubjectErase || len(e.Records) > candour.MaxAuditRecords {
			t.Errorf("erasure entry %d: %v, %d records", l.Seq, err, len(e.Records))
		}
		named = append(named, e.Records...)
	}
	if len(leaves) != 3 || last != leaves[len(leaves)-1].Seq || !reflect.DeepEqual(named, want) {
		t.Errorf("%d erasure entries naming %d records, last seq %d; want 3 naming all %d", len(leaves), len(named), last, len(want))
	}
}

func indexOf(recs []candour.Record, id string) int {
	for i, r := range recs {
		if r.ID == id {
			return i
		}
	}
	return -1
}
