package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/candour-vault/candour"
)

func invitation(id, agency string, subject []byte, created time.Time) candour.Invitation {
	return candour.Invitation{ID: id, Agency: agency, Service: "victim-support/initial-contact", Touchpoint: "first-contact",
		Channel: "phone", Period: "2026-10", Sensitivity: candour.SensitivityStandard, SubjectHash: subject,
		CreatedBy: "cw-1", CreatedAt: created, ExpiresAt: created.Add(30 * 24 * time.Hour)}
}

func tokenHash(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

func invite(t *testing.T, s Store, invs ...candour.Invitation) {
	t.Helper()
	hashes := make([][]byte, len(invs))
	for i, v := range invs {
		hashes[i] = tokenHash("token-" + v.ID)
	}
	if _, err := s.CreateInvitations(Context(), invs, hashes, Entry("cw-1", candour.ActionInvitationCreate)); err != nil {
		t.Fatal(err)
	}
}

// ownRecord is a record given through the invitation id, with its receipt.
func ownRecord(id, invitationID, receipt string) candour.Record {
	rec := Record(id)
	rec.SubjectHash = nil
	rec.Consent.Method, rec.SubmittedBy, rec.Consent.CapturedBy = candour.ConsentMethodSelf, candour.PersonSubject, candour.PersonSubject
	rec.Invitation = &candour.InvitationUse{TokenHash: tokenHash("token-" + invitationID), ReceiptHash: tokenHash(receipt)}
	return rec
}

func testInvitationUsedOnce(t *testing.T, s Store) {
	ctx := Context()
	created := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	want := invitation("inv-1", "victim-support-north", []byte{9, 9}, created)
	invite(t, s, want)
	// Any agencies: the token is the authority.
	got, err := s.Invitation(context.Background(), tokenHash("token-inv-1"))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(func() candour.Invitation { w := want; w.Subject = true; return w }()) {
		t.Errorf("Invitation = %+v, want %+v", got, want)
	}
	if _, err := s.Invitation(ctx, tokenHash("token-nope")); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("unknown token: %v, want ENOTFOUND", err)
	}

	// Eight submissions race for one invitation: exactly one is stored.
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		stored int
	)
	for i := range 8 {
		wg.Go(func() {
			_, err := s.CreateFeedback(ctx, ownRecord(fmt.Sprintf("own-%d", i), "inv-1", fmt.Sprintf("receipt-%d", i)),
				Entry(candour.PersonSubject, candour.ActionFeedbackCreate, fmt.Sprintf("own-%d", i)), candour.Idempotency{})
			switch {
			case err == nil:
				mu.Lock()
				stored++
				mu.Unlock()
			case !errors.Is(err, candour.ErrInvitationUsed):
				t.Errorf("racing submission: %v, want nil or ErrInvitationUsed", err)
			}
		})
	}
	wg.Wait()
	if stored != 1 {
		t.Fatalf("%d submissions stored through one invitation, want 1", stored)
	}
	if got, _ := s.Invitation(ctx, tokenHash("token-inv-1")); !got.Used {
		t.Error("invitation not marked used")
	}
	creates, err := s.AuditEntries(ctx, candour.AuditFilter{After: -1, Limit: 100, Action: candour.ActionFeedbackCreate})
	if err != nil {
		t.Fatal(err)
	}
	if len(creates) != 1 {
		t.Errorf("%d creation entries in the log, want 1 (a refused submission writes none)", len(creates))
	}
}

func testInvitationExpiry(t *testing.T, s Store) {
	ctx := Context()
	created := time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)
	invite(t, s, invitation("inv-old", "victim-support-north", nil, created))
	rec := ownRecord("own-late", "inv-old", "receipt-late")
	rec.SubmittedAt = created.Add(30*24*time.Hour + time.Second)
	if _, err := s.CreateFeedback(ctx, rec, Entry(candour.PersonSubject, candour.ActionFeedbackCreate, rec.ID), candour.Idempotency{}); !errors.Is(err, candour.ErrInvitationUsed) {
		t.Fatalf("submission after expiry: %v, want ErrInvitationUsed", err)
	}
	if _, err := s.Record(ctx, rec.ID); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("record of a refused submission stored: %v", err)
	}
	rec.SubmittedAt = created.Add(24 * time.Hour)
	if _, err := s.CreateFeedback(ctx, rec, Entry(candour.PersonSubject, candour.ActionFeedbackCreate, rec.ID), candour.Idempotency{}); err != nil {
		t.Fatalf("submission before expiry: %v", err)
	}
}

func testInvitationList(t *testing.T, s Store) {
	base := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	a := invitation("inv-a", "victim-support-north", []byte{1}, base)
	b := invitation("inv-b", "victim-support-north", nil, base.Add(time.Hour))
	b.CreatedBy = "cw-2"
	c := invitation("inv-c", "police-north", nil, base.Add(2*time.Hour))
	c.Service = "police/victim-updates"
	invite(t, s, a, b, c)
	tests := []struct {
		agency, by string
		want       []string
	}{
		{"victim-support-north", "", []string{"inv-b", "inv-a"}},
		{"victim-support-north", "cw-1", []string{"inv-a"}},
		{"police-north", "", []string{"inv-c"}},
	}
	for _, tt := range tests {
		got, err := s.Invitations(Context(), tt.agency, tt.by, 10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, v := range got {
			ids = append(ids, v.ID)
			if v.SubjectHash != nil {
				t.Errorf("list returned %s's subject hash", v.ID)
			}
		}
		if fmt.Sprint(ids) != fmt.Sprint(tt.want) {
			t.Errorf("Invitations(%s, %q) = %v, want %v", tt.agency, tt.by, ids, tt.want)
		}
	}
	if got, _ := s.Invitations(Context(), "victim-support-north", "", 10); len(got) == 2 && !got[1].Subject {
		t.Error("list does not say inv-a carries a subject reference")
	}
}

func testReceipt(t *testing.T, s Store) {
	ctx := Context()
	created := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	subject := []byte{7, 7, 7}
	invite(t, s, invitation("inv-r", "victim-support-north", subject, created),
		invitation("inv-pending", "victim-support-north", subject, created))
	rec := ownRecord("own-r", "inv-r", "receipt-r")
	rec.SubjectHash = subject
	if _, err := s.CreateFeedback(ctx, rec, Entry(candour.PersonSubject, candour.ActionFeedbackCreate, rec.ID), candour.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	id, err := s.ReceiptRecord(context.Background(), tokenHash("receipt-r"))
	if err != nil || id != "own-r" {
		t.Fatalf("ReceiptRecord = %q, %v; want own-r", id, err)
	}
	if _, err := s.ReceiptRecord(ctx, tokenHash("receipt-nope")); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("unknown receipt: %v, want ENOTFOUND", err)
	}
	// Erasing the subject takes the record, its receipt and the link not
	// yet used.
	if _, _, err := s.EraseSubject(ctx, "victim-support-north", subject, Entry("admin", candour.ActionSubjectErase)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReceiptRecord(ctx, tokenHash("receipt-r")); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("receipt after erasure: %v, want ENOTFOUND", err)
	}
	if _, err := s.Invitation(ctx, tokenHash("token-inv-pending")); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("unused invitation for an erased subject: %v, want ENOTFOUND", err)
	}
}
