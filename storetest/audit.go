package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/candour-vault/candour"
)

// testAuditAgencies: an agency's entries are those of its staff and those
// naming its records, whoever the actor; nil agencies keep every entry.
func testAuditAgencies(t *testing.T, s Store) {
	ctx := Context()
	police := func(e candour.AuditEntry) candour.AuditEntry { e.Actor.Agency = "police-north"; return e }
	rec := Record("vs-rec") // victim-support-north's
	if _, err := s.CreateFeedback(ctx, rec, Entry("cw-vs", candour.ActionFeedbackCreate, rec.ID), candour.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	appends := []candour.AuditEntry{
		police(Entry("cw-police", candour.ActionFeedbackRead, rec.ID)), // 1: police tries victim support's record
		police(Entry("cw-police", candour.ActionFeedbackList)),         // 2: police's own business
		Entry("cw-vs", candour.ActionFeedbackList),                     // 3
		police(Entry("cw-police", candour.ActionFeedbackRead, "gone")), // 4: a record that does not exist
	}
	for _, e := range appends {
		if _, err := s.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		agencies []string
		want     []int64
	}{
		{nil, []int64{0, 1, 2, 3, 4}},
		{[]string{"victim-support-north"}, []int64{0, 1, 3}},
		{[]string{"police-north"}, []int64{1, 2, 4}},
		{[]string{"housing-north"}, nil},
		{[]string{}, nil},
	} {
		leaves, err := s.AuditEntries(ctx, candour.AuditFilter{After: -1, Limit: 100, Agencies: tt.agencies})
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, l := range leaves {
			got = append(got, l.Seq)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("agencies %v: entries %v, want %v", tt.agencies, got, tt.want)
		}
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
