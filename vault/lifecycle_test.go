package vault

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/policy"
)

func dpo(agency string) candour.Caller {
	return candour.Caller{Principal: candour.Principal{Issuer: "test", Subject: "dpo-" + agency, Agency: agency,
		Roles: []candour.Role{candour.RoleAdmin}}, RequestID: "req-dpo"}
}

func ptr[T any](v T) *T { return &v }

func TestCorrect(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name       string
		subjectRef string
	}{
		{"without a subject reference", ""},
		{"with a subject reference", secretRef},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, nil)
			cw := caseworker("victim-support-north")
			f := feedback()
			f.SubjectRef = tt.subjectRef
			f.Consent.Purposes = append(f.Consent.Purposes, candour.PurposeInterAgency)
			f.Consent.ShareWith = []string{"police-north"}
			rc, err := fx.svc.Submit(ctx, cw, f, candour.Idempotency{})
			if err != nil {
				t.Fatal(err)
			}
			sibling, err := fx.svc.Submit(ctx, cw, f, candour.Idempotency{}) // the same subject's, when there is one
			if err != nil {
				t.Fatal(err)
			}
			pol, _ := policy.Load(ctx, policy.Embedded())
			elsewhere := New(Config{Store: fx.db, DataKeys: fx.db, Log: fx.db, Keys: fx.keys, Policy: pol,
				Now: func() time.Time { return time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC) }})
			if _, err := elsewhere.Read(ctx, reading(cw), sibling.ID); err != nil { // its cache now holds the key
				t.Fatal(err)
			}
			before, _ := fx.db.Record(ctx, rc.ID) // a copy of the row, as a backup keeps it

			const fixed = "The support worker rang back within a day."
			got, err := fx.svc.Correct(ctx, reading(cw), rc.ID, candour.Correction{Comment: ptr(fixed),
				Ratings: &candour.Ratings{Satisfaction: ptr(5)}, Purposes: []candour.Purpose{candour.PurposeServiceImprovement},
				ShareWith: &[]string{}})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Fields, []string{"ratings", "comment", "consent.purposes", "consent.share_with"}) {
				t.Errorf("fields %v", got.Fields)
			}
			read, err := fx.svc.Read(ctx, reading(cw), rc.ID)
			if err != nil {
				t.Fatal(err)
			}
			if read.Comment != fixed || *read.Ratings.Satisfaction != 5 || read.Equality != nil ||
				!slices.Equal(read.Consent.Purposes, []candour.Purpose{candour.PurposeServiceImprovement}) || read.Consent.ShareWith != nil {
				t.Errorf("after correction read %+v", read)
			}
			if read.SubjectRef != tt.subjectRef {
				t.Errorf("the subject reference changed: %q", read.SubjectRef)
			}
			rec, _ := fx.db.Record(ctx, rc.ID)
			if rec.Bands != (candour.Equality{}) {
				t.Errorf("equality bands %+v survived the end of equality-monitoring consent", rec.Bands)
			}
			// The earlier content, from the copy of the row taken before:
			// the key it was sealed under (its own, or its subject's) is
			// gone, and the subject's other record still opens.
			if _, err := fx.svc.open(ctx, before); err == nil {
				t.Error("the content before the correction still opens from a copy of the row")
			}
			if got, err := fx.svc.Read(ctx, reading(cw), sibling.ID); err != nil || got.Comment != secretComment {
				t.Errorf("the subject's other record after the correction: %+v, %v", got, err)
			}
			if got, err := elsewhere.Read(ctx, reading(cw), sibling.ID); err != nil || got.Comment != secretComment {
				t.Errorf("the other record, on a replica whose cache had the old key: %+v, %v", got, err)
			}
			second := rec
			if _, err := fx.svc.Correct(ctx, reading(cw), rc.ID, candour.Correction{Comment: ptr("Second thoughts.")}); err != nil {
				t.Fatal(err)
			}
			if _, err := fx.svc.open(ctx, second); err == nil {
				t.Error("the content of the first correction still opens after the second")
			}
			// The audit entry names the fields, never the values.
			leaves, _ := fx.db.AuditEntries(ctx, candour.AuditFilter{After: got.AuditSeq - 1, Limit: 1})
			e, _ := candour.ParseAuditLeaf(leaves[0].Leaf)
			if e.Action != candour.ActionFeedbackCorrect || e.QueryParams != "fields=ratings,comment,consent.purposes,consent.share_with" ||
				strings.Contains(string(leaves[0].Leaf), "rang back") {
				t.Errorf("correction entry %s", leaves[0].Leaf)
			}
		})
	}
}

func TestCorrectRefuses(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t, nil)
	cw := caseworker("victim-support-north")
	rc, err := fx.svc.Submit(ctx, cw, feedback(), candour.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		caller candour.Caller
		ch     candour.Correction
		code   string
		says   string
	}{
		{"nothing to correct", reading(cw), candour.Correction{}, candour.EINVALID, "at least one field"},
		{"nothing that changes", reading(cw), candour.Correction{Comment: ptr(secretComment)}, candour.EINVALID, "Nothing would change"},
		{"a purpose added", reading(cw), candour.Correction{Purposes: []candour.Purpose{candour.PurposeResearch}}, candour.EINVALID, "only be narrowed"},
		{"a partner added", reading(cw), candour.Correction{ShareWith: &[]string{"housing-north"}}, candour.EINVALID, "only be narrowed"},
		{"every purpose taken away", reading(cw), candour.Correction{Purposes: []candour.Purpose{}}, candour.EINVALID, "withdrawal"},
		{"a rating out of range", reading(cw), candour.Correction{Ratings: &candour.Ratings{Satisfaction: ptr(9)}}, candour.EINVALID, "satisfaction"},
		{"another agency", reading(caseworker("police-north")), candour.Correction{Comment: ptr("x")}, candour.ENOTFOUND, ""},
		{"an administrator", reading(dpo("victim-support-north")), candour.Correction{Comment: ptr("x")}, candour.ENOTFOUND, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fx.svc.Correct(ctx, tt.caller, rc.ID, tt.ch)
			if candour.ErrorCode(err) != tt.code || !strings.Contains(candour.ErrorMessage(err), tt.says) {
				t.Errorf("Correct = %v; want %s saying %q", err, tt.code, tt.says)
			}
		})
	}
	read, _ := fx.svc.Read(ctx, reading(cw), rc.ID)
	rec, _ := fx.db.Record(ctx, rc.ID)
	if read.Comment != secretComment || rec.CorrectedAt != nil || rec.OwnKey {
		t.Errorf("a refused correction changed the record: %+v", read)
	}
}

func TestSubjectAccessAndPreview(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t, nil)
	cw := caseworker("victim-support-north")
	var mine []string
	for i, ref := range []string{secretRef, "VS-OTHER-1", secretRef, ""} {
		f := feedback()
		f.SubjectRef, f.Comment = ref, "comment "+string(rune('A'+i))
		rc, err := fx.svc.Submit(ctx, cw, f, candour.Idempotency{})
		if err != nil {
			t.Fatal(err)
		}
		if ref == secretRef {
			mine = append(mine, rc.ID)
		}
	}
	if _, err := fx.svc.Read(ctx, reading(cw), mine[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.svc.Withdraw(ctx, cw, mine[1]); err != nil {
		t.Fatal(err)
	}
	got, err := fx.svc.SubjectAccess(ctx, dpo("victim-support-north"), secretRef)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Records) != 2 || got.Records[0].ID != mine[0] || got.Records[1].ID != mine[1] {
		t.Fatalf("subject access records %+v; want %v", got.Records, mine)
	}
	first, second := got.Records[0], got.Records[1]
	if first.Comment != "comment A" || first.SubjectRef != secretRef || second.Comment != "" || second.Consent.WithdrawnAt == nil {
		t.Errorf("records %+v / %+v", first.Feedback, second.Feedback)
	}
	actions := func(as []candour.Access) []string {
		var out []string
		for _, a := range as {
			out = append(out, string(a.Action)+"/"+string(a.Purpose)+"/"+a.Agency)
		}
		return out
	}
	if want := []string{"feedback.create//victim-support-north", "feedback.read/case_management/victim-support-north"}; !slices.Equal(actions(first.Accesses), want) {
		t.Errorf("history %v, want %v", actions(first.Accesses), want)
	}
	if want := []string{"feedback.create//victim-support-north", "feedback.withdraw//victim-support-north"}; !slices.Equal(actions(second.Accesses), want) {
		t.Errorf("history %v, want %v", actions(second.Accesses), want)
	}
	if len(first.Accesses[0].Roles) != 1 || first.Accesses[0].Roles[0] != candour.RoleCaseworker {
		t.Errorf("access roles %v", first.Accesses[0].Roles)
	}
	// A second request shows the first among the accesses.
	again, err := fx.svc.SubjectAccess(ctx, dpo("victim-support-north"), secretRef)
	if err != nil {
		t.Fatal(err)
	}
	if last := again.Records[0].Accesses[len(again.Records[0].Accesses)-1]; last.Action != candour.ActionSubjectAccess {
		t.Errorf("the first subject access is not in the history: %+v", last)
	}
	// Another agency's officer finds nothing; a caseworker may not ask.
	if other, err := fx.svc.SubjectAccess(ctx, dpo("police-north"), secretRef); err != nil || len(other.Records) != 0 {
		t.Errorf("another agency's subject access = %+v, %v", other, err)
	}
	if _, err := fx.svc.SubjectAccess(ctx, cw, secretRef); candour.ErrorCode(err) != candour.EFORBIDDEN {
		t.Errorf("a caseworker's subject access: %v", err)
	}
	p, err := fx.svc.PreviewErasure(ctx, dpo("victim-support-north"), secretRef)
	if err != nil || p != (candour.ErasurePreview{Records: 2, Withdrawn: 1}) {
		t.Errorf("preview = %+v, %v", p, err)
	}
	// A hold on one record: the preview shows it, and erasure is refused.
	review := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	h, err := fx.svc.PlaceHold(ctx, dpo("victim-support-north"), candour.HoldRequest{RecordID: mine[0], Reason: "Claim 2026/114", ReviewBy: review})
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := fx.svc.PreviewErasure(ctx, dpo("victim-support-north"), secretRef); p.Held != 1 {
		t.Errorf("preview under a hold = %+v", p)
	}
	if _, err := fx.svc.Erase(ctx, dpo("victim-support-north"), secretRef); candour.ErrorCode(err) != candour.ECONFLICT {
		t.Errorf("erasure under a hold: %v", err)
	}
	if err := fx.svc.ReleaseHold(ctx, dpo("police-north"), h.ID); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("another agency released the hold: %v", err)
	}
	if err := fx.svc.ReleaseHold(ctx, dpo("victim-support-north"), h.ID); err != nil {
		t.Fatal(err)
	}
	if e, err := fx.svc.Erase(ctx, dpo("victim-support-north"), secretRef); err != nil || e.Erased != 2 {
		t.Errorf("erasure after the hold ended = %+v, %v", e, err)
	}
	for _, l := range allLeaves(t, fx) {
		if strings.Contains(string(l), secretRef) || strings.Contains(string(l), "Claim 2026") {
			t.Errorf("an audit entry holds the subject reference or the hold's reason: %s", l)
		}
	}
}

func TestPlaceHoldRefuses(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t, nil)
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	rc, err := fx.svc.Submit(ctx, caseworker("victim-support-north"), feedback(), candour.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		caller candour.Caller
		req    candour.HoldRequest
		code   string
	}{
		{"neither record nor subject", dpo("victim-support-north"), candour.HoldRequest{Reason: "r", ReviewBy: now.AddDate(0, 1, 0)}, candour.EINVALID},
		{"both", dpo("victim-support-north"), candour.HoldRequest{RecordID: rc.ID, SubjectRef: secretRef, Reason: "r", ReviewBy: now.AddDate(0, 1, 0)}, candour.EINVALID},
		{"no reason", dpo("victim-support-north"), candour.HoldRequest{RecordID: rc.ID, Reason: " ", ReviewBy: now.AddDate(0, 1, 0)}, candour.EINVALID},
		{"review in the past", dpo("victim-support-north"), candour.HoldRequest{RecordID: rc.ID, Reason: "r", ReviewBy: now.AddDate(0, 0, -1)}, candour.EINVALID},
		{"review too far", dpo("victim-support-north"), candour.HoldRequest{RecordID: rc.ID, Reason: "r", ReviewBy: now.AddDate(11, 0, 0)}, candour.EINVALID},
		{"another agency's record", dpo("police-north"), candour.HoldRequest{RecordID: rc.ID, Reason: "r", ReviewBy: now.AddDate(0, 1, 0)}, candour.ENOTFOUND},
		{"a caseworker", caseworker("victim-support-north"), candour.HoldRequest{RecordID: rc.ID, Reason: "r", ReviewBy: now.AddDate(0, 1, 0)}, candour.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := fx.svc.PlaceHold(ctx, tt.caller, tt.req); candour.ErrorCode(err) != tt.code {
				t.Errorf("PlaceHold = %v, want %s", err, tt.code)
			}
		})
	}
	if holds, _ := fx.db.Holds(candour.WithAgencies(ctx, "victim-support-north"), "victim-support-north"); len(holds) != 0 {
		t.Errorf("refused holds were stored: %+v", holds)
	}
}

func allLeaves(t *testing.T, fx fixture) [][]byte {
	t.Helper()
	leaves, err := fx.db.AuditEntries(context.Background(), candour.AuditFilter{After: -1, Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, l := range leaves {
		out = append(out, l.Leaf)
	}
	return out
}

// TestSubmitAfterErasureElsewhere: on both stores, a replica that still
// holds a subject's key in its cache after another replica erased the
// subject seals the next record for the subject under a new key (the store
// refuses the old one), and the record opens; the same after another
// replica re-keyed the subject by correcting one of its records.
func TestSubmitAfterErasureElsewhere(t *testing.T) {
	for name, open := range bothStores() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			one, another := serviceOn(t, open(t))
			other := another()
			cw := caseworker("victim-support-north")
			if _, err := other.Submit(ctx, cw, feedback(), candour.Idempotency{}); err != nil {
				t.Fatal(err) // the subject's key is now in other's cache
			}
			if e, err := one.Erase(ctx, dpo("victim-support-north"), secretRef); err != nil || e.Erased != 1 {
				t.Fatalf("Erase = %+v, %v", e, err)
			}
			rc, err := other.Submit(ctx, cw, feedback(), candour.Idempotency{})
			if err != nil {
				t.Fatalf("a submission after the erasure elsewhere: %v", err)
			}
			if got, err := one.Read(ctx, reading(cw), rc.ID); err != nil || got.Comment != secretComment {
				t.Fatalf("the record submitted after the erasure does not open: %+v, %v", got, err)
			}
			if _, err := one.Correct(ctx, reading(cw), rc.ID, candour.Correction{Comment: ptr("Corrected.")}); err != nil {
				t.Fatal(err)
			}
			rc2, err := other.Submit(ctx, cw, feedback(), candour.Idempotency{})
			if err != nil {
				t.Fatalf("a submission after a re-key elsewhere: %v", err)
			}
			if got, err := one.Read(ctx, reading(cw), rc2.ID); err != nil || got.Comment != secretComment {
				t.Fatalf("the record submitted after the re-key does not open: %+v, %v", got, err)
			}
		})
	}
}
