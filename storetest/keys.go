package storetest

import (
	"errors"
	"testing"

	"github.com/candour-vault/candour"
)

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
