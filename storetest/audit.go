package storetest

import (
	"slices"
	"testing"

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
