// Package storetest is the conformance suite every Candour store runs: the
// same tests, unchanged, against SQLite and PostgreSQL.
package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

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
