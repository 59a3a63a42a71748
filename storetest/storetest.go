// Package storetest is the conformance suite every Candour store runs: the
// same tests, unchanged, against SQLite and PostgreSQL.
package storetest

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/candour-vault/candour"
)

// Store is everything a Candour store implements.
type Store interface {
	candour.FeedbackStore
	candour.AuditLog
	candour.AuditReader
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
		{"DuplicateIDStoresNothing", testDuplicateID},
		{"AuditSequenceGapFree", testAuditSequence},
		{"AuditFilters", testAuditFilters},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

func intp(v int) *int { return &v }

// Record returns a fully populated record with the given id.
func Record(id string) candour.Record {
	at := time.Date(2026, 11, 24, 13, 1, 2, 345678000, time.UTC)
	exp := time.Date(2027, 10, 31, 0, 0, 0, 0, time.UTC)
	return candour.Record{
		ID: id, Agency: "victim-support-north", SubmittedBy: "cw-1", SubmittedAt: at,
		Service: "victim-support/initial-contact", Touchpoint: "first-contact", Channel: "phone", Period: "2026-10",
		Ratings:     candour.Ratings{Satisfaction: intp(4), Effort: intp(2), FeltSafe: "yes", FeltBelieved: "partly", WouldRecommend: intp(0)},
		Sensitivity: candour.SensitivitySpecialCategory,
		Consent: candour.Consent{
			Purposes:  []candour.Purpose{candour.PurposeServiceImprovement, candour.PurposeInterAgency},
			ShareWith: []string{"police-north"}, Method: "verbal", NoticeVersion: "2026-01",
			ExpiresAt: &exp, CapturedAt: at, CapturedBy: "cw-1",
		},
		SubjectHash: []byte{1, 2, 3, 4},
		Sealed:      []byte("candour-envelope/v1\n\x00\x01sealed"),
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
	leaves, err := s.AuditEntries(context.Background(), candour.AuditFilter{After: -1, Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	return leaves
}

func testRecordRoundTrip(t *testing.T, s Store) {
	ctx := context.Background()
	minimal := candour.Record{ID: "rec-min", Agency: "police-north", SubmittedBy: "cw-2",
		SubmittedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Service: "police/report-a-crime", Period: "2026-01",
		Sensitivity: candour.SensitivityStandard,
		Consent: candour.Consent{Purposes: []candour.Purpose{candour.PurposeResearch}, Method: "written",
			NoticeVersion: "1", CapturedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), CapturedBy: "cw-2"},
		Sealed: []byte("x")}
	for _, want := range []candour.Record{Record("rec-full"), minimal} {
		seq, err := s.CreateFeedback(ctx, want, Entry("cw-1", candour.ActionFeedbackCreate, want.ID))
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
		if last := leaves[len(leaves)-1]; last.Seq != seq {
			t.Errorf("CreateFeedback returned seq %d, last entry is %d", seq, last.Seq)
		}
	}
}

func testMissingRecord(t *testing.T, s Store) {
	_, err := s.Record(context.Background(), "no-such-id")
	if got := candour.ErrorCode(err); got != candour.ENOTFOUND {
		t.Errorf("Record(missing) code = %q (%v), want %q", got, err, candour.ENOTFOUND)
	}
}

func testDuplicateID(t *testing.T, s Store) {
	ctx := context.Background()
	if _, err := s.CreateFeedback(ctx, Record("dup"), Entry("cw-1", candour.ActionFeedbackCreate, "dup")); err != nil {
		t.Fatal(err)
	}
	second := Record("dup")
	second.Service = "other/service"
	_, err := s.CreateFeedback(ctx, second, Entry("cw-1", candour.ActionFeedbackCreate, "dup"))
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
	ctx := context.Background()
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
					_, err := s.CreateFeedback(ctx, Record(id), Entry(fmt.Sprintf("w%d", w), candour.ActionFeedbackCreate, id))
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
	ctx := context.Background()
	s.CreateFeedback(ctx, Record("a"), Entry("alice", candour.ActionFeedbackCreate, "a")) // 0
	s.AppendAudit(ctx, Entry("bob", candour.ActionFeedbackRead, "a"))                     // 1
	s.AppendAudit(ctx, Entry("bob", candour.ActionFeedbackRead, "b"))                     // 2
	s.AppendAudit(ctx, Entry("carol", candour.ActionAuditRead))                           // 3
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := seqs(tt.f); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("seqs = %v, want %v", got, tt.want)
			}
		})
	}
}
