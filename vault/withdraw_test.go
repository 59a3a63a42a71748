package vault

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/candour-vault/candour"
)

func TestWithdraw(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t, nil)
	cw := caseworker("victim-support-north")
	noSubject := feedback()
	noSubject.SubjectRef = ""
	rc, err := fx.svc.Submit(ctx, cw, noSubject, candour.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Withdraw(ctx, caseworker("police-north"), rc.ID); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("another agency withdraws: %v, want ENOTFOUND", err)
	}
	w, err := fx.svc.Withdraw(ctx, cw, rc.ID)
	if err != nil || w.ID != rc.ID || w.WithdrawnAt.IsZero() {
		t.Fatalf("Withdraw = %+v, %v", w, err)
	}
	if _, err := fx.svc.Withdraw(ctx, cw, rc.ID); candour.ErrorCode(err) != candour.ECONFLICT {
		t.Errorf("second withdrawal: %v, want ECONFLICT", err)
	}
	if _, err := fx.svc.Read(ctx, reading(cw), rc.ID); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("read after withdrawal: %v, want ENOTFOUND", err)
	}
	rec, err := fx.db.Record(candour.WithAgencies(ctx, "victim-support-north"), rc.ID)
	if err != nil || len(rec.Sealed) != 0 || rec.Consent.WithdrawnAt == nil {
		t.Errorf("stored after withdrawal: sealed %d bytes, withdrawn %v, %v; want no content", len(rec.Sealed), rec.Consent.WithdrawnAt, err)
	}
	if _, err := fx.db.DataKey(ctx, candour.RecordKeyID(rc.ID)); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("the record's data key survived the withdrawal: %v", err)
	}
}

// TestEraseShredsBackups copies a subject's rows aside first, as a backup
// would, erases the subject, and shows the copies can no longer be opened —
// even written back into the database — while another agency's records of
// the same person, and other subjects' records, are untouched.
func TestEraseShredsBackups(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t, nil)
	cw := caseworker("victim-support-north")
	var ids []string
	for range 3 {
		rc, err := fx.svc.Submit(ctx, cw, feedback(), candour.Idempotency{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rc.ID)
	}
	other := feedback()
	other.SubjectRef = "VS-2026-000001"
	otherRC, _ := fx.svc.Submit(ctx, cw, other, candour.Idempotency{})
	police := feedback()
	police.Service = "police/victim-updates"
	policeRC, err := fx.svc.Submit(ctx, caseworker("police-north"), police, candour.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	var backup []candour.Record
	for _, id := range ids {
		rec, err := fx.db.Record(candour.WithAgencies(ctx, "victim-support-north"), id)
		if err != nil {
			t.Fatal(err)
		}
		backup = append(backup, rec)
	}
	admin := candour.Caller{Principal: candour.Principal{Subject: "dpo", Agency: "victim-support-north", Roles: []candour.Role{candour.RoleAdmin}}}
	if _, err := fx.svc.Erase(ctx, cw, secretRef); candour.ErrorCode(err) != candour.EFORBIDDEN {
		t.Errorf("a caseworker erases: %v, want EFORBIDDEN", err)
	}
	er, err := fx.svc.Erase(ctx, admin, secretRef)
	if err != nil || er.Erased != 3 {
		t.Fatalf("Erase = %+v, %v; want 3 erased", er, err)
	}
	for _, rec := range backup {
		if _, err := fx.svc.open(ctx, rec); !errors.Is(err, errEnvelope) {
			t.Errorf("backup copy of %s opened after erasure: %v", rec.ID, err)
		}
		// Written back through the store as sealed under its subject's
		// key, a copy is refused: the key is gone.
		rec.SealedUnder = &candour.WrappedKey{ID: keyID(rec), Wrapped: []byte("as it was")}
		if _, err := fx.db.CreateFeedback(ctx, rec, candour.AuditEntry{Time: time.Now(), Action: "restore", Outcome: "ok"}, candour.Idempotency{}); !errors.Is(err, candour.ErrDataKeyGone) {
			t.Errorf("a copy of %s written back under its erased subject's key: %v, want ErrDataKeyGone", rec.ID, err)
		}
	}
	if _, err := fx.svc.Read(ctx, reading(cw), otherRC.ID); err != nil {
		t.Errorf("another subject's record: %v", err)
	}
	if _, err := fx.svc.Read(ctx, reading(caseworker("police-north")), policeRC.ID); err != nil {
		t.Errorf("the same person's record at another agency: %v", err)
	}
	leaves, _ := fx.db.AuditEntries(ctx, candour.AuditFilter{After: -1, Limit: 100})
	found := false
	for _, l := range leaves {
		if bytes.Contains(l.Leaf, []byte(secretRef)) {
			t.Fatal("an audit entry holds the subject reference")
		}
		e, _ := candour.ParseAuditLeaf(l.Leaf)
		if e.Action == candour.ActionSubjectErase && e.Outcome == candour.OutcomeOK && len(e.Records) == 3 {
			found = true
		}
	}
	if !found {
		t.Error("no erasure entry naming the 3 erased records")
	}
	if again, err := fx.svc.Erase(ctx, admin, secretRef); err != nil || again.Erased != 0 {
		t.Errorf("erasing once more: %+v, %v; want 0 erased", again, err)
	}
}
