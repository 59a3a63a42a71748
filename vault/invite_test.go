package vault

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/candour-vault/candour"
)

// TestReceiptWords checks the receipt code's strength and its word list.
func TestReceiptWords(t *testing.T) {
	w := newWords()
	bits := receiptWords * math.Log2(float64(len(w.list)))
	if bits < 64 {
		t.Fatalf("a receipt code holds %.1f bits, want at least 64", bits)
	}
	for _, bad := range []string{"revolver", "unsafe", "wound", "stranger", "violate", "hate"} {
		if w.known[bad] {
			t.Errorf("%q may appear in a receipt code", bad)
		}
	}
	seen := map[string]bool{}
	for range 1000 {
		c, err := w.code()
		if err != nil {
			t.Fatal(err)
		}
		if parts := strings.Split(c, "-"); len(parts) != receiptWords {
			t.Fatalf("code %q has %d words", c, len(parts))
		}
		if seen[c] {
			t.Fatalf("code %q drawn twice in 1000", c)
		}
		seen[c] = true
	}
}

// TestParseReceipt reads codes as people type them back.
func TestParseReceipt(t *testing.T) {
	s := New(Config{})
	code, err := s.words.code()
	if err != nil {
		t.Fatal(err)
	}
	spaced := strings.ToUpper(strings.ReplaceAll(code, "-", "  "))
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{code, code, true},
		{spaced, code, true},
		{" " + strings.ReplaceAll(code, "-", ", ") + ".", code, true},
		{strings.Join(strings.Split(code, "-")[:4], "-"), "", false},
		{code + "-" + strings.Split(code, "-")[0], "", false},
		{"zzzzq-" + strings.Join(strings.Split(code, "-")[1:], "-"), "", false},
		{"", "", false},
		{strings.Repeat("a", 300), "", false},
	}
	for _, tt := range tests {
		got, ok := s.ParseReceipt(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseReceipt(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// citizenOn is a feedback service on db whose clock the test moves, with
// feedback links at https://feedback.test.
func citizenOn(t *testing.T, db store, now *time.Time) *Service {
	t.Helper()
	svc, _ := serviceOn(t, db, func(c *Config) {
		c.LinkBase, c.Now = "https://feedback.test/", func() time.Time { return *now }
	})
	return svc
}

func admin(agency string) candour.Caller {
	return candour.Caller{Principal: candour.Principal{Issuer: "test", Subject: "admin-" + agency, Agency: agency,
		Roles: []candour.Role{candour.RoleAdmin}}, RequestID: "req-admin"}
}

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	token, ok := strings.CutPrefix(link, "https://feedback.test/f/")
	if !ok {
		t.Fatalf("link %q is not under the link base", link)
	}
	return token
}

func ownFeedback() candour.OwnFeedback {
	two := 2
	return candour.OwnFeedback{Purposes: []candour.Purpose{candour.PurposeServiceImprovement},
		Ratings: candour.Ratings{Satisfaction: &two, FeltSafe: "no"}, Comment: secretComment}
}

// TestCitizenChannel follows one link on both stores: made by a
// caseworker, answered once by the person, opened by no caseworker, found
// by subject access, taken back with the receipt; and checks what the log
// holds of it.
func TestCitizenChannel(t *testing.T) {
	for name, open := range bothStores() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
			db := open(t)
			svc := citizenOn(t, db, &now)
			cw := caseworker("victim-support-north")
			got, err := svc.Invite(ctx, cw, candour.InvitationRequest{Service: "victim-support/initial-contact",
				Touchpoint: "first-contact", Channel: "phone", Period: "2026-11", SubjectRef: secretRef})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Invitations) != 1 {
				t.Fatalf("%d invitations, want 1", len(got.Invitations))
			}
			token := tokenOf(t, got.Invitations[0].Link)
			if raw, err := tokenEncoding.DecodeString(token); err != nil || len(raw) != tokenBytes {
				t.Fatalf("token of %d bytes (%v), want %d", len(raw), err, tokenBytes)
			}
			if want := now.Add(DefaultInvitationTTL); !got.Invitations[0].ExpiresAt.Equal(want) {
				t.Errorf("expires %v, want %v", got.Invitations[0].ExpiresAt, want)
			}
			inv, err := svc.OpenInvitation(ctx, token)
			if err != nil {
				t.Fatal(err)
			}
			if inv.Service != "victim-support/initial-contact" || inv.Agency != "victim-support-north" || !inv.Subject {
				t.Errorf("invitation %+v", inv)
			}

			rc, err := svc.SubmitOwn(ctx, "req-person", token, ownFeedback(), "citizen-1")
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := svc.ParseReceipt(rc.Code); !ok {
				t.Fatalf("receipt %q does not parse", rc.Code)
			}
			// The link works once.
			for _, err := range []error{
				func() error { _, err := svc.OpenInvitation(ctx, token); return err }(),
				func() error { _, err := svc.SubmitOwn(ctx, "req-2", token, ownFeedback(), "citizen-1"); return err }(),
			} {
				if candour.ErrorCode(err) != candour.ENOTFOUND {
					t.Errorf("used link: %v, want ENOTFOUND", err)
				}
			}

			list, err := svc.List(ctx, reading(cw), candour.ListQuery{})
			if err != nil || len(list.Records) != 1 {
				t.Fatalf("list: %v, %v", list, err)
			}
			rec := list.Records[0]
			if rec.SubmittedBy != candour.PersonSubject || rec.Channel != "phone" || rec.Touchpoint != "first-contact" || rec.Period != "2026-11" {
				t.Errorf("listed record %+v, want the invitation's values, given by the person", rec)
			}
			// No caseworker opens it; the administrator does (flagged).
			if _, err := svc.Read(ctx, reading(cw), rec.ID); candour.ErrorCode(err) != candour.ENOTFOUND {
				t.Errorf("caseworker read of the person's own feedback: %v, want ENOTFOUND", err)
			}
			adm := admin("victim-support-north")
			f, err := svc.Read(ctx, reading(adm), rec.ID)
			if err != nil {
				t.Fatal(err)
			}
			if f.Comment != secretComment || f.Consent.Method != candour.ConsentMethodSelf || f.Consent.NoticeVersion != "citizen-1" ||
				f.Consent.CapturedBy != candour.PersonSubject || f.Sensitivity != candour.SensitivityStandard {
				t.Errorf("record as read %+v", f)
			}
			sa, err := svc.SubjectAccess(ctx, adm, secretRef)
			if err != nil {
				t.Fatal(err)
			}
			if len(sa.Records) != 1 || sa.Records[0].Feedback.ID != rec.ID {
				t.Errorf("subject access found %d records, want the person's one", len(sa.Records))
			}

			// The receipt takes it back, once.
			for _, tt := range []struct {
				code string
				want string
			}{
				{"not a code", candour.EINVALID},
				{strings.Repeat("apple ", 5), candour.ENOTFOUND},
				{strings.ToUpper(strings.ReplaceAll(rc.Code, "-", " ")), ""},
				{rc.Code, candour.ECONFLICT},
			} {
				_, err := svc.WithdrawOwn(ctx, "req-w", tt.code)
				if candour.ErrorCode(err) != tt.want {
					t.Errorf("WithdrawOwn(%q) = %v, want code %q", tt.code, err, tt.want)
				}
			}
			if list, _ := svc.List(ctx, reading(cw), candour.ListQuery{}); len(list.Records) != 1 || !list.Records[0].Withdrawn {
				t.Errorf("after withdrawal: %+v, want the record withdrawn", list.Records)
			}

			// The log: the person acts as "person" of the agency; no token,
			// receipt, subject reference or comment anywhere in it.
			leaves, err := db.AuditEntries(candour.WithAgencies(ctx, "victim-support-north"), candour.AuditFilter{After: -1, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			// The receipt code whole, as typed with spaces or without, and
			// any two of its words together: a single word of the code
			// alone (some are three letters, "ion") is ordinary text.
			words := strings.Split(rc.Code, "-")
			secrets := []string{token, secretRef, secretComment, "feedback.test", strings.Join(words, " "), strings.Join(words, "")}
			for i := 1; i < len(words); i++ {
				secrets = append(secrets, words[i-1]+"-"+words[i], words[i-1]+" "+words[i])
			}
			var person []string
			for _, l := range leaves {
				for _, secret := range secrets {
					if strings.Contains(string(l.Leaf), secret) {
						t.Errorf("audit entry %d holds %q", l.Seq, secret)
					}
				}
				e, err := candour.ParseAuditLeaf(l.Leaf)
				if err != nil {
					t.Fatal(err)
				}
				if e.Actor.Subject == candour.PersonSubject {
					person = append(person, string(e.Action)+":"+e.Outcome)
					if e.Actor.Agency != "victim-support-north" || e.Decision.Revision == "" {
						t.Errorf("person's entry %+v", e)
					}
				}
			}
			// (the second withdrawal, of a record already withdrawn, is
			// refused by the store and leaves no entry)
			if want := "[feedback.create:ok feedback.withdraw:ok]"; fmt.Sprint(person) != want {
				t.Errorf("the person's entries %v, want %s", person, want)
			}
		})
	}
}

// TestInvitationRefusals: expiry, guessing, batches, other agencies'
// services, a caseworker claiming the person's consent, and no link base.
func TestInvitationRefusals(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	open := bothStores()["sqlite"]
	db := open(t)
	svc := citizenOn(t, db, &now)
	cw := caseworker("victim-support-north")
	req := candour.InvitationRequest{Service: "victim-support/initial-contact", Period: "2026-11"}
	got, err := svc.Invite(ctx, cw, req)
	if err != nil {
		t.Fatal(err)
	}
	token := tokenOf(t, got.Invitations[0].Link)

	gone := func(tok string) error { _, err := svc.OpenInvitation(ctx, tok); return err }
	for _, tok := range []string{"", "x", strings.Repeat("a", 32), strings.ToUpper(token), token + "a", token[:31] + "1",
		strings.Repeat("%", 32), "../../v1/feedback"} {
		if err := gone(tok); candour.ErrorCode(err) != candour.ENOTFOUND || candour.ErrorMessage(err) != candour.ErrorMessage(errLinkGone()) {
			t.Errorf("token %q: %v, want the one link-gone answer", tok, err)
		}
	}
	now = now.Add(DefaultInvitationTTL)
	if err := gone(token); candour.ErrorMessage(err) != candour.ErrorMessage(errLinkGone()) {
		t.Errorf("expired link: %v, want the one link-gone answer", err)
	}
	if _, err := svc.SubmitOwn(ctx, "r", token, ownFeedback(), "citizen-1"); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("submission through an expired link: %v, want ENOTFOUND", err)
	}
	now = now.Add(-DefaultInvitationTTL)

	tests := []struct {
		name string
		c    candour.Caller
		req  candour.InvitationRequest
		want string
	}{
		{"caseworker batch", cw, candour.InvitationRequest{Service: req.Service, Period: req.Period, Count: 2}, candour.EFORBIDDEN},
		{"admin batch", admin("victim-support-north"), candour.InvitationRequest{Service: req.Service, Period: req.Period, Count: 3}, ""},
		{"batch too big", admin("victim-support-north"), candour.InvitationRequest{Service: req.Service, Period: req.Period, Count: 501}, candour.EINVALID},
		{"batch with a subject", admin("victim-support-north"), candour.InvitationRequest{Service: req.Service, Period: req.Period, Count: 2, SubjectRef: "x"}, candour.EINVALID},
		{"another agency's service", caseworker("police-north"), req, candour.EFORBIDDEN},
		{"analyst", candour.Caller{Principal: candour.Principal{Subject: "a", Agency: "victim-support-north", Roles: []candour.Role{candour.RoleAnalyst}}}, req, candour.EFORBIDDEN},
		{"future month", cw, candour.InvitationRequest{Service: req.Service, Period: "2027-01"}, candour.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := svc.Invite(ctx, tt.c, tt.req)
			if candour.ErrorCode(err) != tt.want {
				t.Fatalf("Invite: %v, want code %q", err, tt.want)
			}
			if err == nil && len(got.Invitations) != tt.req.Count {
				t.Errorf("%d links, want %d", len(got.Invitations), tt.req.Count)
			}
		})
	}

	f := feedback()
	f.Consent.Method = candour.ConsentMethodSelf
	if _, err := svc.Submit(ctx, cw, f, candour.Idempotency{}); candour.ErrorCode(err) != candour.EINVALID {
		t.Errorf("caseworker submission claiming the person's own consent: %v, want EINVALID", err)
	}
	noBase := New(Config{Store: db, DataKeys: db, Log: db, Keys: svc.keys.KEK, Policy: svc.policy})
	if _, err := noBase.Invite(ctx, cw, req); candour.ErrorCode(err) != candour.EUNAVAILABLE {
		t.Errorf("no link base: %v, want EUNAVAILABLE", err)
	}
}

// TestLinkAcrossAgencies: a link made in one agency leads to a record of
// that agency only, invisible to another's caseworkers; and a link whose
// row names a service of another agency (a row written past the service,
// or a service moved in the policy since) is refused by the policy, with
// nothing stored and the link still unused.
func TestLinkAcrossAgencies(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	for name, open := range bothStores() {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			svc := citizenOn(t, db, &now)
			police := caseworker("police-north")
			got, err := svc.Invite(ctx, police, candour.InvitationRequest{Service: "police/victim-updates", Period: "2026-11"})
			if err != nil {
				t.Fatal(err)
			}
			rc, err := svc.SubmitOwn(ctx, "r", tokenOf(t, got.Invitations[0].Link), ownFeedback(), "citizen-1")
			if err != nil {
				t.Fatal(err)
			}
			if l, _ := svc.List(ctx, reading(police), candour.ListQuery{}); len(l.Records) != 1 {
				t.Errorf("police-north's list: %d records, want the person's one", len(l.Records))
			}
			if l, _ := svc.List(ctx, reading(caseworker("victim-support-north")), candour.ListQuery{}); len(l.Records) != 0 {
				t.Errorf("victim-support-north's list shows %d records of police-north", len(l.Records))
			}
			if _, err := svc.WithdrawOwn(ctx, "w", rc.Code); err != nil {
				t.Errorf("withdrawal with the receipt: %v", err)
			}

			// A row naming another agency's service.
			token := strings.Repeat("q", 32)
			hash := sha256.Sum256([]byte(token))
			inv := candour.Invitation{ID: "0193a000-0000-7000-8000-000000000001", Agency: "victim-support-north", Service: "police/victim-updates",
				Period: "2026-11", Sensitivity: candour.SensitivityStandard, CreatedBy: "x", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
			if _, err := db.CreateInvitations(candour.WithAgencies(ctx, inv.Agency), []candour.Invitation{inv}, [][]byte{hash[:]},
				candour.AuditEntry{Time: now, Action: candour.ActionInvitationCreate, Outcome: candour.OutcomeOK}); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.SubmitOwn(ctx, "r", token, ownFeedback(), "citizen-1"); candour.ErrorCode(err) != candour.EFORBIDDEN {
				t.Errorf("a link naming another agency's service: %v, want EFORBIDDEN", err)
			}
			if _, err := svc.OpenInvitation(ctx, token); err != nil {
				t.Errorf("the refused link was used up: %v", err)
			}
		})
	}
}
