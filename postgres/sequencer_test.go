package postgres_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/postgres"
	"github.com/candour-vault/candour/postgres/pgtest"
	"github.com/candour-vault/candour/storetest"
)

// TestBatchRefusesOneSubmissionAlone commits one batch by hand (so that the
// requests surely share it): submissions the database refuses are answered
// with their refusal, and the rest of the batch is committed without them,
// at gap-free sequence numbers, with the idempotency key pointing at its own
// entry.
func TestBatchRefusesOneSubmissionAlone(t *testing.T) {
	ctx := storetest.Context()
	db, _ := pgtest.OpenMigrated(t)
	if _, err := db.CreateFeedback(ctx, storetest.Record("taken"), storetest.Entry("cw", candour.ActionFeedbackCreate, "taken"), candour.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	key := candour.Idempotency{Key: "k", Issuer: "test", Subject: "cw", RequestHash: []byte("body")}
	agencies := strings.Join(candour.AgenciesFrom(ctx), ",")
	submit := func(id string, idem candour.Idempotency) postgres.BatchRequest {
		rec := storetest.Record(id)
		return postgres.BatchRequest{Record: &rec, Idem: idem, Agencies: agencies,
			Entry: storetest.Entry("cw", candour.ActionFeedbackCreate, id)}
	}
	answers, err := db.CommitBatch([]postgres.BatchRequest{
		submit("a", key),                       // stored
		submit("taken", candour.Idempotency{}), // its id is taken: ECONFLICT
		{Entry: storetest.Entry("cw", candour.ActionFeedbackRead, "taken")}, // an entry alone: appended
		submit("b", key),                   // a's key: refused as a replay
		submit("c", candour.Idempotency{}), // stored
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		i    int
		seq  int64
		want func(error) bool
	}{
		{"stored", 0, 1, func(err error) bool { return err == nil }},
		{"duplicate id", 1, 0, func(err error) bool { return candour.ErrorCode(err) == candour.ECONFLICT }},
		{"entry alone", 2, 2, func(err error) bool { return err == nil }},
		{"key taken in the batch", 3, 0, func(err error) bool { return errors.Is(err, postgres.ErrReplay) }},
		{"stored after a refusal", 4, 3, func(err error) bool { return err == nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := answers[tt.i]
			if !tt.want(a.Err) || (a.Err == nil && a.Seq != tt.seq) {
				t.Errorf("answer %d, %v; want seq %d", a.Seq, a.Err, tt.seq)
			}
		})
	}
	for id, want := range map[string]bool{"a": true, "b": false, "c": true} {
		if _, err := db.Record(ctx, id); (err == nil) != want {
			t.Errorf("record %s: %v, stored = %v wanted", id, err, want)
		}
	}
	if size, err := db.AuditSize(ctx); err != nil || size != 4 {
		t.Errorf("AuditSize %d, %v; want 4 (the first record, then three of the batch)", size, err)
	}
	if rc, err := db.Replay(ctx, key); err != nil || rc.ID != "a" || rc.AuditSeq != 1 {
		t.Errorf("the key answers %+v, %v; want record a at entry 1", rc, err)
	}
	for _, id := range []string{"a", "c"} {
		got, err := db.AuditEntries(ctx, candour.AuditFilter{After: -1, Limit: 10, Record: id})
		if err != nil || len(got) != 1 {
			t.Errorf("record %s is linked to %d entries, %v; want 1", id, len(got), err)
		}
	}
}
