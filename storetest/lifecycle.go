package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/candour-vault/candour"
)

// Lifecycle is what the retention sweeper and legal holds need of a store.
type Lifecycle interface {
	Store
	candour.RetentionStore
	candour.HoldStore
}

// RunLifecycle runs the lifecycle part of the suite.
func RunLifecycle(t *testing.T, newStore func(t *testing.T) Lifecycle) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Lifecycle)
	}{
		{"DestroyRecordsWithKeysOnceAndAudited", testDestroyRecords},
		{"HeldRecordsSurvive", testHolds},
		{"ErasureRefusedUnderHold", testEraseHeld},
		{"CorrectFeedback", testCorrect},
		{"SweepLeaseOneAtATime", testSweepLease},
		{"ConcurrentDestroyersNeverTwice", testConcurrentDestroy},
		{"ReleaseCellsDestroyed", testReleaseCells},
		{"SealedUnderAKeyThatIsGone", testSealedUnder},
		{"RekeySubject", testRekeySubject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

func put(t *testing.T, s Store, id, agency string, hash []byte) {
	t.Helper()
	rec := Record(id)
	rec.Agency, rec.SubjectHash = agency, hash
	if _, err := s.CreateFeedback(Context(), rec, Entry("cw", candour.ActionFeedbackCreate, id), candour.Idempotency{}); err != nil {
		t.Fatal(err)
	}
}

func sweepEntry() candour.AuditEntry {
	return candour.AuditEntry{Time: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		Actor: candour.Principal{Issuer: "candour", Subject: "retention-sweeper"}, Action: candour.ActionRetentionSweep,
		QueryParams: "rules=vs-24m:2; revision=sha256:00", Outcome: candour.OutcomeOK,
		Decision: candour.AuditDecision{Revision: "sha256:00", Allow: true}}
}

func testDestroyRecords(t *testing.T, s Lifecycle) {
	ctx := Context()
	subject := []byte("subject-hash-0001")
	put(t, s, "d-1", "victim-support-north", subject)
	put(t, s, "d-2", "victim-support-north", subject)
	put(t, s, "d-3", "victim-support-north", nil)
	subjectKey := candour.SubjectKeyID("victim-support-north", subject)
	s.AddDataKey(ctx, subjectKey, []byte("ks"))
	s.AddDataKey(ctx, candour.RecordKeyID("d-3"), []byte("k3"))

	gone, seq, err := s.DestroyRecords(ctx, []string{"d-1", "d-3", "never-was"}, sweepEntry())
	if err != nil || !reflect.DeepEqual(gone, []string{"d-1", "d-3"}) {
		t.Fatalf("DestroyRecords = %v, %v; want d-1 and d-3", gone, err)
	}
	for id, want := range map[string]string{"d-1": candour.ENOTFOUND, "d-2": "", "d-3": candour.ENOTFOUND} {
		if _, err := s.Record(ctx, id); candour.ErrorCode(err) != want {
			t.Errorf("Record(%s): %v, want code %q", id, err, want)
		}
	}
	if _, err := s.DataKey(ctx, candour.RecordKeyID("d-3")); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("d-3's own key survived: %v", err)
	}
	if _, err := s.DataKey(ctx, subjectKey); err != nil {
		t.Errorf("the subject's key went while d-2 still needs it: %v", err)
	}
	leaves, _ := s.AuditEntries(ctx, candour.AuditFilter{After: seq - 1, Limit: 1})
	e, err := candour.ParseAuditLeaf(leaves[0].Leaf)
	if err != nil || e.Action != candour.ActionRetentionSweep || !reflect.DeepEqual(e.Records, []string{"d-1", "d-3"}) {
		t.Errorf("sweep entry %+v, %v", e, err)
	}
	// The entry stays visible to the records' agency's auditor.
	scoped, _ := s.AuditEntries(ctx, candour.AuditFilter{After: seq - 1, Limit: 1, Agencies: []string{"victim-support-north"}})
	if len(scoped) != 1 {
		t.Errorf("the sweep entry is not in victim-support-north's part of the log")
	}
	// Again: nothing is destroyed twice, and nothing is audited.
	size, _ := s.AuditSize(ctx)
	if gone, _, err := s.DestroyRecords(ctx, []string{"d-1", "d-3"}, sweepEntry()); err != nil || len(gone) != 0 {
		t.Errorf("second destruction = %v, %v; want nothing", gone, err)
	}
	if after, _ := s.AuditSize(ctx); after != size {
		t.Errorf("a destruction of nothing wrote %d entries", after-size)
	}
	// The subject's last record takes the subject's key with it.
	if _, _, err := s.DestroyRecords(ctx, []string{"d-2"}, sweepEntry()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DataKey(ctx, subjectKey); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("the subject's key survived its last record: %v", err)
	}
}

func hold(id, agency, record string, subject []byte) candour.LegalHold {
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	return candour.LegalHold{ID: id, Agency: agency, RecordID: record, SubjectHash: subject, Reason: "claim 2026/114",
		ReviewBy: at.AddDate(1, 0, 0), CreatedAt: at, CreatedBy: "dpo-1"}
}

func testHolds(t *testing.T, s Lifecycle) {
	ctx := Context()
	subject := []byte("subject-hash-held")
	put(t, s, "h-1", "victim-support-north", nil)
	put(t, s, "h-2", "victim-support-north", subject)
	put(t, s, "h-3", "victim-support-north", subject)
	put(t, s, "h-4", "victim-support-north", nil)
	put(t, s, "h-5", "police-north", subject) // the same hash in another agency is another person's
	if _, err := s.AddHold(ctx, hold("hold-1", "victim-support-north", "h-1", nil), Entry("dpo", candour.ActionHoldPlace, "h-1")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddHold(ctx, hold("hold-2", "victim-support-north", "", subject), Entry("dpo", candour.ActionHoldPlace)); err != nil {
		t.Fatal(err)
	}
	all := candour.RetentionQuery{PeriodThrough: "9999-12", Limit: 100}
	police := all
	police.Agency = "police-north"
	if other, err := s.RetentionRows(ctx, police); err != nil || len(other) != 1 || other[0].ID != "h-5" {
		t.Errorf("police-north's rows: %v, %v; want h-5 only", other, err)
	}
	if none, err := s.RetentionRows(ctx, candour.RetentionQuery{PeriodThrough: "2026-09", Limit: 100}); err != nil || len(none) != 0 {
		t.Errorf("rows of 2026-10 asked for up to 2026-09: %v, %v", none, err)
	}
	rows, err := s.RetentionRows(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	heldIDs := []string{}
	for _, r := range rows {
		if r.Held {
			heldIDs = append(heldIDs, r.ID)
		}
	}
	if !reflect.DeepEqual(heldIDs, []string{"h-1", "h-2", "h-3"}) {
		t.Errorf("held rows %v, want h-1, h-2, h-3", heldIDs)
	}
	gone, _, err := s.DestroyRecords(ctx, []string{"h-1", "h-2", "h-3", "h-4", "h-5"}, sweepEntry())
	if err != nil || !reflect.DeepEqual(gone, []string{"h-4", "h-5"}) {
		t.Fatalf("DestroyRecords under holds = %v, %v; want only h-4 and h-5", gone, err)
	}
	holds, err := s.Holds(ctx, "victim-support-north")
	if err != nil || len(holds) != 2 {
		t.Fatalf("Holds = %v, %v", holds, err)
	}
	if _, err := s.ReleaseHold(ctx, "police-north", "hold-1", time.Now(), "dpo-2", Entry("dpo", candour.ActionHoldRelease)); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("another agency released the hold: %v", err)
	}
	if _, err := s.ReleaseHold(ctx, "victim-support-north", "hold-1", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), "dpo-1", Entry("dpo", candour.ActionHoldRelease)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReleaseHold(ctx, "victim-support-north", "hold-1", time.Now(), "dpo-1", Entry("dpo", candour.ActionHoldRelease)); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("a released hold was released again: %v", err)
	}
	holds, _ = s.Holds(ctx, "victim-support-north")
	if holds[0].ID != "hold-2" || holds[1].ReleasedAt == nil || holds[1].ReleasedBy != "dpo-1" {
		t.Errorf("holds after release %+v; want the one in force first, then the released one", holds)
	}
	if gone, _, err := s.DestroyRecords(ctx, []string{"h-1", "h-2"}, sweepEntry()); err != nil || !reflect.DeepEqual(gone, []string{"h-1"}) {
		t.Errorf("after the record's hold is released, DestroyRecords = %v, %v; want h-1", gone, err)
	}
}

func testEraseHeld(t *testing.T, s Lifecycle) {
	ctx := Context()
	subject := []byte("subject-hash-erase")
	put(t, s, "x-1", "victim-support-north", subject)
	put(t, s, "x-2", "victim-support-north", subject)
	if _, err := s.AddHold(ctx, hold("hold-x", "victim-support-north", "x-2", nil), Entry("dpo", candour.ActionHoldPlace, "x-2")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.EraseSubject(ctx, "victim-support-north", subject, Entry("dpo", candour.ActionSubjectErase)); candour.ErrorCode(err) != candour.ECONFLICT {
		t.Fatalf("erasure under a hold: %v, want ECONFLICT", err)
	}
	for _, id := range []string{"x-1", "x-2"} {
		if _, err := s.Record(ctx, id); err != nil {
			t.Errorf("a refused erasure lost %s: %v", id, err)
		}
	}
}

func testCorrect(t *testing.T, s Lifecycle) {
	ctx := Context()
	put(t, s, "c-1", "victim-support-north", []byte("subject-hash-c"))
	rec := Record("c-1")
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	rec.Touchpoint, rec.Channel, rec.Ratings = "court-visit", "video", candour.Ratings{Satisfaction: intp(2)}
	rec.Sensitivity, rec.Consent.Purposes = candour.SensitivityStandard, []candour.Purpose{candour.PurposeServiceImprovement}
	rec.Consent.ShareWith, rec.Sealed, rec.HasComment, rec.Bands = nil, []byte("resealed"), false, candour.Equality{}
	rec.CorrectedAt, rec.NewDataKey = &at, &candour.WrappedKey{ID: candour.RecordKeyID("c-1"), Wrapped: []byte("fresh-1")}
	if _, err := s.CorrectFeedback(ctx, rec, Entry("cw", candour.ActionFeedbackCorrect, "c-1")); err != nil {
		t.Fatal(err)
	}
	got, err := s.Record(ctx, "c-1")
	if err != nil {
		t.Fatal(err)
	}
	want := Record("c-1")
	want.Touchpoint, want.Channel, want.Ratings, want.Sensitivity = rec.Touchpoint, rec.Channel, rec.Ratings, rec.Sensitivity
	want.Consent.Purposes, want.Consent.ShareWith, want.Sealed, want.HasComment = rec.Consent.Purposes, nil, rec.Sealed, false
	want.Bands, want.OwnKey, want.CorrectedAt, want.SubjectHash = candour.Equality{}, true, &at, []byte("subject-hash-c")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("corrected record\n got %+v\nwant %+v", got, want)
	}
	// Summaries follow: the month released after the correction counts
	// the corrected values.
	if _, err := s.ReleasePeriod(ctx, rec.Period, at); err != nil {
		t.Fatal(err)
	}
	scope := candour.Scope{Grants: []candour.ScopeGrant{{Agency: rec.Agency, Purposes: []candour.Purpose{candour.PurposeServiceImprovement},
		Sensitivities: []candour.Sensitivity{candour.SensitivityStandard}}}}
	strata, err := s.ReleaseStrata(ctx, scope, candour.SummaryQuery{})
	if err != nil || len(strata) != 1 || strata[0].SatSum != 2 || strata[0].SatN != 1 {
		t.Errorf("strata after the correction %+v, %v; want the corrected satisfaction 2", strata, err)
	}
	// A second correction replaces the record's own key.
	rec.NewDataKey = &candour.WrappedKey{ID: candour.RecordKeyID("c-1"), Wrapped: []byte("fresh-2")}
	if _, err := s.CorrectFeedback(ctx, rec, Entry("cw", candour.ActionFeedbackCorrect, "c-1")); err != nil {
		t.Fatal(err)
	}
	if k, err := s.DataKey(ctx, candour.RecordKeyID("c-1")); err != nil || string(k) != "fresh-2" {
		t.Errorf("own key after a second correction = %q, %v; want the fresh one", k, err)
	}
	if _, err := s.WithdrawFeedback(ctx, "c-1", at, Entry("cw", candour.ActionFeedbackWithdraw, "c-1")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CorrectFeedback(ctx, rec, Entry("cw", candour.ActionFeedbackCorrect, "c-1")); candour.ErrorCode(err) != candour.ECONFLICT {
		t.Errorf("correcting a withdrawn record: %v, want ECONFLICT", err)
	}
	rec.ID = "c-none"
	if _, err := s.CorrectFeedback(ctx, rec, Entry("cw", candour.ActionFeedbackCorrect, "c-none")); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("correcting a missing record: %v, want ENOTFOUND", err)
	}
}

func testSweepLease(t *testing.T, s Lifecycle) {
	ctx := Context()
	now := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	steps := []struct {
		holder string
		at     time.Time
		want   bool
	}{
		{"a", now, true},
		{"b", now.Add(time.Minute), false},     // a holds it
		{"a", now.Add(2 * time.Minute), true},  // a renews
		{"b", now.Add(6 * time.Minute), false}, // renewed until 7 minutes
		{"b", now.Add(8 * time.Minute), true},  // a's lease ran out
	}
	for i, st := range steps {
		got, err := s.AcquireSweepLease(ctx, st.holder, st.at, st.at.Add(5*time.Minute))
		if err != nil || got != st.want {
			t.Errorf("step %d: %s acquires at %v = %v, %v; want %v", i, st.holder, st.at, got, err, st.want)
		}
	}
	if err := s.ReleaseSweepLease(ctx, "a"); err != nil { // not a's to give back: nothing happens
		t.Fatal(err)
	}
	if got, _ := s.AcquireSweepLease(ctx, "a", now.Add(9*time.Minute), now.Add(14*time.Minute)); got {
		t.Error("a took the lease b holds after giving back one it no longer had")
	}
	if err := s.ReleaseSweepLease(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.AcquireSweepLease(ctx, "a", now.Add(9*time.Minute), now.Add(14*time.Minute)); !got {
		t.Error("the lease given back could not be taken")
	}
	sw := candour.Sweep{StartedAt: now, FinishedAt: now.Add(time.Second), Revision: "sha256:01", Examined: 10,
		Destroyed: 3, Held: 1, ByRule: map[string]int{"vs-24m": 2, candour.ConsentGraceRule: 1}, AuditSeq: 7}
	if err := s.AddSweep(ctx, sw); err != nil {
		t.Fatal(err)
	}
	sw2 := sw
	sw2.StartedAt, sw2.Destroyed, sw2.ByRule = now.Add(time.Hour), 0, map[string]int{}
	if err := s.AddSweep(ctx, sw2); err != nil {
		t.Fatal(err)
	}
	got, err := s.Sweeps(ctx, 10)
	if err != nil || len(got) != 2 || !reflect.DeepEqual(got[1], sw) || !got[0].StartedAt.Equal(sw2.StartedAt) {
		t.Errorf("Sweeps = %+v, %v; want the later one first, then %+v", got, err, sw)
	}
}

func testConcurrentDestroy(t *testing.T, s Lifecycle) {
	ctx := Context()
	var ids []string
	for i := range 60 {
		id := fmt.Sprintf("cc-%03d", i)
		put(t, s, id, "victim-support-north", []byte(fmt.Sprintf("subject-%d", i%7)))
		s.AddDataKey(ctx, candour.SubjectKeyID("victim-support-north", []byte(fmt.Sprintf("subject-%d", i%7))), []byte("k"))
		ids = append(ids, id)
	}
	// Two sweepers on overlapping batches, in opposite orders, with a
	// submission and an erasure beside them.
	reversed := slices.Clone(ids)
	slices.Reverse(reversed)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total []string
	)
	for _, batch := range [][]string{ids, reversed, ids[10:40]} {
		wg.Go(func() {
			gone, _, err := s.DestroyRecords(ctx, batch, sweepEntry())
			if err != nil {
				t.Errorf("DestroyRecords: %v", err)
			}
			mu.Lock()
			total = append(total, gone...)
			mu.Unlock()
		})
	}
	wg.Go(func() { put(t, s, "cc-new", "victim-support-north", []byte("subject-3")) })
	wg.Go(func() { // a key rotation rewrapping every key meanwhile
		for after := ""; ; {
			keys, err := s.DataKeysAfter(ctx, after, 10)
			if err != nil || len(keys) == 0 {
				return
			}
			for _, k := range keys {
				if _, err := s.ReplaceDataKey(ctx, k.ID, k.Wrapped, append([]byte("v2-"), k.Wrapped...)); err != nil {
					t.Errorf("ReplaceDataKey beside sweepers: %v", err)
				}
			}
			after = keys[len(keys)-1].ID
		}
	})
	wg.Go(func() {
		if _, _, err := s.EraseSubject(ctx, "victim-support-north", []byte("subject-5"), Entry("dpo", candour.ActionSubjectErase)); err != nil {
			t.Errorf("EraseSubject beside sweepers: %v", err)
		}
	})
	wg.Wait()
	slices.Sort(total)
	if len(slices.Compact(slices.Clone(total))) != len(total) {
		t.Errorf("a record was destroyed twice: %v", total)
	}
	for _, id := range ids {
		if _, err := s.Record(ctx, id); candour.ErrorCode(err) != candour.ENOTFOUND {
			t.Errorf("%s survived: %v", id, err)
		}
	}
	if _, err := s.Record(ctx, "cc-new"); err != nil {
		t.Errorf("the submission beside the sweepers was lost: %v", err)
	}
}

func testReleaseCells(t *testing.T, s Lifecycle) {
	ctx := Context()
	for i, period := range []string{"2024-01", "2024-01", "2024-02"} {
		rec := Record(fmt.Sprintf("rc-%d", i))
		rec.Period, rec.SubjectHash = period, []byte(fmt.Sprintf("s-%d", i))
		if _, err := s.CreateFeedback(ctx, rec, Entry("cw", candour.ActionFeedbackCreate, rec.ID), candour.Idempotency{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"2024-01", "2024-02"} {
		if _, err := s.ReleasePeriod(ctx, p, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
	}
	cells, err := s.ReleaseCells(ctx)
	if err != nil || len(cells) != 2 || cells[0].Period != "2024-01" || cells[0].Rows != 2 {
		t.Fatalf("ReleaseCells = %+v, %v", cells, err)
	}
	if n, err := s.DestroyReleaseCells(ctx, cells[:1]); err != nil || n != 2 {
		t.Fatalf("DestroyReleaseCells = %d, %v; want 2 rows", n, err)
	}
	cells, _ = s.ReleaseCells(ctx)
	if len(cells) != 1 || cells[0].Period != "2024-02" {
		t.Errorf("cells left %+v; want 2024-02 only", cells)
	}
	all := candour.Scope{Grants: []candour.ScopeGrant{{Agency: "victim-support-north", Purposes: []candour.Purpose{candour.PurposeServiceImprovement},
		Sensitivities: []candour.Sensitivity{candour.SensitivitySpecialCategory}}}}
	strata, err := s.ReleaseStrata(ctx, all, candour.SummaryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range strata {
		if st.Period == "2024-01" {
			t.Errorf("a stratum of the destroyed month is left: %+v", st)
		}
	}
}

func testSealedUnder(t *testing.T, s Lifecycle) {
	ctx := Context()
	rec := Record("su-1")
	key := candour.SubjectKeyID(rec.Agency, rec.SubjectHash)
	rec.SealedUnder = &candour.WrappedKey{ID: key, Wrapped: []byte("k")}
	if _, err := s.CreateFeedback(ctx, rec, Entry("cw", candour.ActionFeedbackCreate, "su-1"), candour.Idempotency{}); !errors.Is(err, candour.ErrDataKeyGone) {
		t.Fatalf("a record sealed under a key not stored: %v, want ErrDataKeyGone", err)
	}
	if _, err := s.Record(ctx, "su-1"); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("the refused record was stored: %v", err)
	}
	if size, _ := s.AuditSize(ctx); size != 0 {
		t.Errorf("the refused record was audited: %d entries", size)
	}
	s.AddDataKey(ctx, key, []byte("k2"))
	if _, err := s.CreateFeedback(ctx, rec, Entry("cw", candour.ActionFeedbackCreate, "su-1"), candour.Idempotency{}); !errors.Is(err, candour.ErrDataKeyGone) {
		t.Fatalf("a record sealed under another version of the key: %v, want ErrDataKeyGone", err)
	}
	rec.SealedUnder.Wrapped = []byte("k2")
	if _, err := s.CreateFeedback(ctx, rec, Entry("cw", candour.ActionFeedbackCreate, "su-1"), candour.Idempotency{}); err != nil {
		t.Fatalf("a record sealed under the stored key: %v", err)
	}
}

func testRekeySubject(t *testing.T, s Lifecycle) {
	ctx := Context()
	subject := []byte("subject-rekey")
	for _, id := range []string{"rk-1", "rk-2", "rk-own", "rk-gone"} {
		put(t, s, id, "victim-support-north", subject)
	}
	put(t, s, "rk-other", "victim-support-north", []byte("another"))
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	own := Record("rk-own")
	own.SubjectHash, own.CorrectedAt = subject, &at
	own.NewDataKey = &candour.WrappedKey{ID: candour.RecordKeyID("rk-own"), Wrapped: []byte("own")}
	if _, err := s.CorrectFeedback(ctx, own, Entry("cw", candour.ActionFeedbackCorrect, "rk-own")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WithdrawFeedback(ctx, "rk-gone", at, Entry("cw", candour.ActionFeedbackWithdraw, "rk-gone")); err != nil {
		t.Fatal(err)
	}
	called := false
	reseal := func(recs []candour.Record, wrapped []byte) ([]byte, map[string][]byte, error) {
		called = true
		var ids []string
		out := map[string][]byte{}
		for _, r := range recs {
			ids = append(ids, r.ID)
			out[r.ID] = []byte("resealed-" + r.ID)
		}
		if !reflect.DeepEqual(ids, []string{"rk-1", "rk-2"}) || string(wrapped) != "old" {
			t.Errorf("reseal was given %v under %q; want rk-1 and rk-2 under the stored key", ids, wrapped)
		}
		return []byte("new"), out, nil
	}
	if err := s.RekeySubject(ctx, "victim-support-north", subject, reseal); err != nil || called {
		t.Fatalf("without a stored key: %v, reseal called %v; want nothing done", err, called)
	}
	key := candour.SubjectKeyID("victim-support-north", subject)
	s.AddDataKey(ctx, key, []byte("old"))
	if err := s.RekeySubject(ctx, "victim-support-north", subject, reseal); err != nil || !called {
		t.Fatalf("RekeySubject: %v", err)
	}
	for id, want := range map[string]string{"rk-1": "resealed-rk-1", "rk-2": "resealed-rk-2", "rk-own": string(Record("rk-own").Sealed),
		"rk-other": string(Record("rk-other").Sealed)} {
		if r, err := s.Record(ctx, id); err != nil || string(r.Sealed) != want {
			t.Errorf("%s sealed %q, %v; want %q", id, r.Sealed, err, want)
		}
	}
	if k, err := s.DataKey(ctx, key); err != nil || string(k) != "new" {
		t.Errorf("the subject's key after the rekey: %q, %v", k, err)
	}
	failing := func([]candour.Record, []byte) ([]byte, map[string][]byte, error) {
		return nil, nil, errors.New("no key provider")
	}
	if err := s.RekeySubject(ctx, "victim-support-north", subject, failing); err == nil {
		t.Error("a failed reseal was not reported")
	}
	if k, _ := s.DataKey(ctx, key); string(k) != "new" {
		t.Errorf("a failed rekey changed the key: %q", k)
	}
}
