package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/candour-vault/candour"
)

// testListRecords checks ListRecords against a filter written in Go over the
// same records, for each filter alone and together, and that paging with
// the cursor visits every match once, newest first, without sealed content.
func testListRecords(t *testing.T, s Store) {
	ctx := Context()
	var stored []candour.Record
	for i := range 23 {
		r := Record(fmt.Sprintf("0190aaaa-0000-7000-8000-%012d", i))
		r.Agency = []string{"victim-support-north", "police-north"}[i%2]
		r.Period = []string{"2026-09", "2026-10", "2026-11"}[i%3]
		r.Service = []string{"victim-support/initial-contact", "victim-support/court"}[i/3%2]
		r.SubmittedBy = []string{"cw-1", "cw-2", "cw-3", "cw-4"}[i%4]
		r.SubjectHash = []byte{byte(i % 5)}
		if i%5 == 4 {
			r.SubjectHash = nil
		}
		if _, err := s.CreateFeedback(ctx, r, Entry("cw-1", candour.ActionFeedbackCreate, r.ID), candour.Idempotency{}); err != nil {
			t.Fatal(err)
		}
		stored = append(stored, r)
	}
	want := func(f candour.RecordFilter) []string {
		var ids []string
		for _, r := range slices.Backward(stored) {
			if r.Agency == f.Agency && (f.Period == "" || r.Period == f.Period) &&
				(f.Service == "" || r.Service == f.Service) &&
				(f.SubmittedBy == "" || r.SubmittedBy == f.SubmittedBy) &&
				(f.SubjectHash == nil || r.SubjectHash != nil && bytes.Equal(r.SubjectHash, f.SubjectHash)) &&
				(f.Before == "" || r.ID < f.Before) {
				ids = append(ids, r.ID)
			}
		}
		return ids
	}
	filters := []candour.RecordFilter{
		{Agency: "victim-support-north"},
		{Agency: "police-north", Period: "2026-10"},
		{Agency: "victim-support-north", Service: "victim-support/court"},
		{Agency: "victim-support-north", SubmittedBy: "cw-3"},
		{Agency: "police-north", SubjectHash: []byte{1}},
		{Agency: "victim-support-north", Period: "2026-11", Service: "victim-support/initial-contact", SubmittedBy: "cw-1"},
		{Agency: "housing-north"},
		{Agency: "victim-support-north", Before: stored[10].ID},
	}
	for _, f := range filters {
		t.Run(fmt.Sprintf("%+v", f), func(t *testing.T) {
			w := want(f)
			var got []string
			for page := 0; page < 20; page++ {
				f.Limit = 3
				recs, err := s.ListRecords(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range recs {
					if r.Sealed != nil {
						t.Fatalf("record %s listed with its sealed content", r.ID)
					}
					got = append(got, r.ID)
				}
				if len(recs) < 3 {
					break
				}
				f.Before = recs[len(recs)-1].ID
			}
			if strings.Join(got, ",") != strings.Join(w, ",") {
				t.Errorf("listed %v, want %v", got, w)
			}
		})
	}
	t.Run("DimensionsKept", func(t *testing.T) {
		recs, err := s.ListRecords(ctx, candour.RecordFilter{Agency: "victim-support-north", Limit: 1})
		if err != nil || len(recs) != 1 {
			t.Fatalf("ListRecords: %v, %d records", err, len(recs))
		}
		got, w := recs[0], stored[22]
		if got.ID != w.ID || got.Service != w.Service || got.Period != w.Period || got.SubmittedBy != w.SubmittedBy ||
			!got.SubmittedAt.Equal(w.SubmittedAt) || got.Sensitivity != w.Sensitivity || got.Consent.WithdrawnAt != nil {
			t.Errorf("listed %+v, want the dimensions of %+v", got, w)
		}
	})
}
