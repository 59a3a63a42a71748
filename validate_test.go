package candour_test

import (
	"strings"
	"testing"
	"time"

	"github.com/candour-vault/candour"
)

func intp(v int) *int { return &v }

// valid returns a submission that passes validation; each case changes one thing.
func valid() candour.Feedback {
	exp := time.Date(2027, 10, 31, 0, 0, 0, 0, time.UTC)
	return candour.Feedback{
		Service: "victim-support/initial-contact", Touchpoint: "first-contact", Channel: "phone",
		Period:  "2026-10",
		Ratings: candour.Ratings{Satisfaction: intp(4), Effort: intp(2), FeltSafe: "yes", WouldRecommend: intp(8)},
		Comment: "I waited 3 weeks.", SubjectRef: "VS-2026-000123",
		Consent: candour.Consent{Purposes: []candour.Purpose{candour.PurposeServiceImprovement, candour.PurposeInterAgency},
			ShareWith: []string{"police-north"}, Method: "verbal", NoticeVersion: "2026-01", ExpiresAt: &exp},
	}
}

func TestValidate(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	past := now.Add(-time.Hour)
	tests := []struct {
		name    string
		change  func(*candour.Feedback)
		wantErr string // substring of the message; "" means valid
	}{
		{"valid", func(f *candour.Feedback) {}, ""},
		{"comment only", func(f *candour.Feedback) { f.Ratings = candour.Ratings{} }, ""},
		{"ratings only", func(f *candour.Feedback) { f.Comment = "" }, ""},
		{"current month", func(f *candour.Feedback) { f.Period = "2026-11" }, ""},
		{"no service", func(f *candour.Feedback) { f.Service = "" }, "service is required"},
		{"service upper case", func(f *candour.Feedback) { f.Service = "Victim Support" }, "service must be"},
		{"service too deep", func(f *candour.Feedback) { f.Service = "a/b/c/d/e" }, "service must be"},
		{"bad touchpoint", func(f *candour.Feedback) { f.Touchpoint = "first contact" }, "touchpoint"},
		{"bad channel", func(f *candour.Feedback) { f.Channel = "pigeon" }, "channel must be one of"},
		{"no period", func(f *candour.Feedback) { f.Period = "" }, "period is required"},
		{"period a day", func(f *candour.Feedback) { f.Period = "2026-10-01" }, "YYYY-MM"},
		{"period month 13", func(f *candour.Feedback) { f.Period = "2026-13" }, "YYYY-MM"},
		{"period in future", func(f *candour.Feedback) { f.Period = "2026-12" }, "future"},
		{"period too old", func(f *candour.Feedback) { f.Period = "1999-12" }, "2000-01"},
		{"satisfaction 0", func(f *candour.Feedback) { f.Ratings.Satisfaction = intp(0) }, "ratings.satisfaction"},
		{"satisfaction 6", func(f *candour.Feedback) { f.Ratings.Satisfaction = intp(6) }, "ratings.satisfaction"},
		{"effort 9", func(f *candour.Feedback) { f.Ratings.Effort = intp(9) }, "ratings.effort"},
		{"recommend 11", func(f *candour.Feedback) { f.Ratings.WouldRecommend = intp(11) }, "ratings.would_recommend"},
		{"recommend -1", func(f *candour.Feedback) { f.Ratings.WouldRecommend = intp(-1) }, "ratings.would_recommend"},
		{"felt safe maybe", func(f *candour.Feedback) { f.Ratings.FeltSafe = "maybe" }, "ratings.felt_safe"},
		{"felt believed bad", func(f *candour.Feedback) { f.Ratings.FeltBelieved = "Y" }, "ratings.felt_believed"},
		{"nothing said", func(f *candour.Feedback) { f.Ratings = candour.Ratings{}; f.Comment = "  " }, "at least one rating"},
		{"comment too long", func(f *candour.Feedback) { f.Comment = strings.Repeat("a", candour.MaxCommentBytes+1) }, "comment must be at most"},
		{"comment not utf8", func(f *candour.Feedback) { f.Comment = "\xff\xfe" }, "UTF-8"},
		{"subject ref too long", func(f *candour.Feedback) { f.SubjectRef = strings.Repeat("9", 129) }, "subject_ref"},
		{"subject ref padded", func(f *candour.Feedback) { f.SubjectRef = " VS-1" }, "white space"},
		{"bad sensitivity", func(f *candour.Feedback) { f.Sensitivity = "secret" }, "sensitivity must be"},
		{"no purposes", func(f *candour.Feedback) { f.Consent.Purposes = nil; f.Consent.ShareWith = nil }, "at least one purpose"},
		{"unknown purpose", func(f *candour.Feedback) { f.Consent.Purposes = []candour.Purpose{"marketing"} }, "consent.purposes may contain only"},
		{"case management is no consent", func(f *candour.Feedback) { f.Consent.Purposes = []candour.Purpose{"case_management"} }, "consent.purposes may contain only"},
		{"repeated purpose", func(f *candour.Feedback) {
			f.Consent.Purposes = []candour.Purpose{"research", "research"}
			f.Consent.ShareWith = nil
		}, "repeat"},
		{"share without inter-agency", func(f *candour.Feedback) { f.Consent.Purposes = []candour.Purpose{"research"} }, "needs inter_agency_insight"},
		{"bad share agency", func(f *candour.Feedback) { f.Consent.ShareWith = []string{"Police North"} }, "consent.share_with"},
		{"no method", func(f *candour.Feedback) { f.Consent.Method = "" }, "consent.method is required"},
		{"bad method", func(f *candour.Feedback) { f.Consent.Method = "telepathy" }, "consent.method must be"},
		{"no notice", func(f *candour.Feedback) { f.Consent.NoticeVersion = "" }, "notice_version is required"},
		{"bad notice", func(f *candour.Feedback) { f.Consent.NoticeVersion = "v 1" }, "notice_version must be"},
		{"expired consent", func(f *candour.Feedback) { f.Consent.ExpiresAt = &past }, "expires_at must be in the future"},
		{"equality without consent", func(f *candour.Feedback) { f.Equality = &candour.Equality{Sex: "female"} }, "equality is accepted only"},
		{"equality with consent", func(f *candour.Feedback) {
			f.Consent.Purposes = append(f.Consent.Purposes, candour.PurposeEqualityMonitoring)
			f.Equality = &candour.Equality{AgeBand: "35-44", Sex: "female", EthnicGroup: "white", Disability: "no"}
		}, ""},
		{"bad age band", func(f *candour.Feedback) {
			f.Consent.Purposes = append(f.Consent.Purposes, candour.PurposeEqualityMonitoring)
			f.Equality = &candour.Equality{AgeBand: "37"}
		}, "equality.age_band"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := valid()
			tt.change(&f)
			err := f.Validate(now)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				if f.Sensitivity != candour.SensitivityStandard {
					t.Errorf("sensitivity = %q, want the default standard", f.Sensitivity)
				}
				return
			}
			if got := candour.ErrorCode(err); got != candour.EINVALID {
				t.Fatalf("ErrorCode = %q (%v), want %q", got, err, candour.EINVALID)
			}
			msg := candour.ErrorMessage(err)
			if !strings.Contains(msg, tt.wantErr) {
				t.Errorf("message %q, want it to contain %q", msg, tt.wantErr)
			}
			for _, secret := range []string{"I waited 3 weeks", "VS-2026-000123"} {
				if strings.Contains(msg, secret) {
					t.Errorf("message %q repeats submitted text", msg)
				}
			}
		})
	}
}

func TestAuditLeafRoundTrip(t *testing.T) {
	e := candour.AuditEntry{
		Time:   time.Date(2026, 11, 24, 13, 0, 0, 123, time.FixedZone("x", 3600)),
		Actor:  candour.Principal{Issuer: "i", Subject: "s", Agency: "police-north", Roles: []candour.Role{candour.RoleCaseworker}},
		Action: candour.ActionFeedbackRead, Purpose: candour.PurposeCaseManagement, Records: []string{"r1"},
		Decision: candour.AuditDecision{ID: "d", Revision: "sha256:00", Allow: true}, Outcome: candour.OutcomeOK,
	}
	leaf, err := e.MarshalLeaf()
	if err != nil {
		t.Fatal(err)
	}
	again, _ := e.MarshalLeaf()
	if string(leaf) != string(again) {
		t.Fatalf("MarshalLeaf is not deterministic:\n%s\n%s", leaf, again)
	}
	got, err := candour.ParseAuditLeaf(leaf)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Time.Equal(e.Time) || got.Action != e.Action || got.Records[0] != "r1" || got.Version != candour.AuditVersion {
		t.Errorf("round trip = %+v, want %+v", got, e)
	}
	for name, bad := range map[string]string{
		"not json":      "nope",
		"wrong version": strings.Replace(string(leaf), `"v":1`, `"v":2`, 1),
		"spaced":        strings.Replace(string(leaf), `,"time"`, `, "time"`, 1),
		"reordered":     `{"time":"2026-11-24T12:00:00Z","v":1,"actor":{"iss":"","sub":"","agency":"","roles":null},"action":"","decision":{"allow":false},"outcome":""}`,
	} {
		if _, err := candour.ParseAuditLeaf([]byte(bad)); err == nil {
			t.Errorf("%s: ParseAuditLeaf accepted %q", name, bad)
		}
	}
}

func TestErrorCode(t *testing.T) {
	inner := candour.Errorf(candour.ENOTFOUND, "No such record.")
	tests := []struct {
		err      error
		code     string
		contains string
	}{
		{nil, "", ""},
		{candour.Wrap(candour.EUNAVAILABLE, nil, "down"), "", ""},
		{inner, candour.ENOTFOUND, "No such record."},
		{candour.Wrap(candour.EUNAVAILABLE, inner, "down"), candour.ENOTFOUND, "No such record."},
		{candour.Wrap(candour.EUNAVAILABLE, errPlain("db: password=hunter2"), "The store is down."), candour.EUNAVAILABLE, "The store is down."},
		{errPlain("boom"), candour.EINTERNAL, "An internal error occurred."},
	}
	for _, tt := range tests {
		if got := candour.ErrorCode(tt.err); got != tt.code {
			t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, tt.code)
		}
		if got := candour.ErrorMessage(tt.err); got != tt.contains {
			t.Errorf("ErrorMessage(%v) = %q, want %q", tt.err, got, tt.contains)
		}
	}
}

type errPlain string

func (e errPlain) Error() string { return string(e) }
