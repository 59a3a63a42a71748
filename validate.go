package candour

import (
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on submitted fields.
const (
	MaxCommentBytes    = 16 << 10
	MaxSubjectRefBytes = 128
)

var (
	slugPattern    = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
	servicePattern = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*(?:/[a-z0-9]+(?:-[a-z0-9]+)*){0,3}$`)
	periodPattern  = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)
	versionPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$`)
)

// Allowed values of the enumerated fields.
var (
	channels       = []string{"phone", "in_person", "email", "web", "letter", "video", "sms"}
	ternaryAnswers = []string{"yes", "no", "partly"}
	consentMethods = []string{"verbal", "written", "electronic", ConsentMethodSelf}
	ageBands       = []string{"under_18", "18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+", "prefer_not_to_say"}
	sexes          = []string{"female", "male", "other", "prefer_not_to_say"}
	ethnicGroups   = []string{"asian", "black", "mixed", "white", "other", "prefer_not_to_say"}
	disabilities   = []string{"yes", "no", "prefer_not_to_say"}
)

// Sensitivities lists every sensitivity.
func Sensitivities() []Sensitivity {
	return []Sensitivity{SensitivityStandard, SensitivitySpecialCategory, SensitivitySafeguarding}
}

// ValidAgencyID reports whether s has the form of an agency id
// (lowercase words joined by hyphens, at most 64 bytes).
func ValidAgencyID(s string) bool { return len(s) <= 64 && slugPattern.MatchString(s) }

// ValidPeriod reports whether s is a month in the form YYYY-MM.
func ValidPeriod(s string) bool { return periodPattern.MatchString(s) }

// Validate checks a submission before anything is stored, and fills in
// defaults (sensitivity "standard"). now is the server's clock. The returned
// error is an *Error with code EINVALID whose message names the field and the
// rule, and never repeats the submitted value.
func (f *Feedback) Validate(now time.Time) error {
	bad := func(format string, args ...any) error { return Errorf(EINVALID, format, args...) }
	switch {
	case f.Service == "":
		return bad("service is required.")
	case len(f.Service) > 128 || !servicePattern.MatchString(f.Service):
		return bad("service must be lowercase words joined by hyphens, with up to three '/' levels, e.g. victim-support/initial-contact.")
	case f.Touchpoint != "" && (len(f.Touchpoint) > 64 || !slugPattern.MatchString(f.Touchpoint)):
		return bad("touchpoint must be lowercase words joined by hyphens, e.g. first-contact.")
	case f.Channel != "" && !slices.Contains(channels, f.Channel):
		return bad("channel must be one of %s.", strings.Join(channels, ", "))
	case f.Period == "":
		return bad("period is required.")
	case !ValidPeriod(f.Period):
		return bad("period must be a month in the form YYYY-MM, e.g. 2026-10.")
	case f.Period > now.UTC().Format("2006-01"):
		return bad("period must not be in the future.")
	case f.Period < "2000-01":
		return bad("period must not be before 2000-01.")
	}
	if err := f.Ratings.validate(); err != nil {
		return err
	}
	switch {
	case f.Ratings.Empty() && strings.TrimSpace(f.Comment) == "":
		return bad("at least one rating or a comment is required.")
	case !utf8.ValidString(f.Comment):
		return bad("comment must be valid UTF-8.")
	case len(f.Comment) > MaxCommentBytes:
		return bad("comment must be at most %d bytes.", MaxCommentBytes)
	case !utf8.ValidString(f.SubjectRef) || len(f.SubjectRef) > MaxSubjectRefBytes:
		return bad("subject_ref must be valid UTF-8 of at most %d bytes.", MaxSubjectRefBytes)
	case f.SubjectRef != "" && strings.TrimSpace(f.SubjectRef) != f.SubjectRef:
		return bad("subject_ref must not start or end with white space.")
	}
	if f.Sensitivity == "" {
		f.Sensitivity = SensitivityStandard
	}
	if !slices.Contains(Sensitivities(), f.Sensitivity) {
		return bad("sensitivity must be one of standard, special_category, safeguarding.")
	}
	if err := f.Consent.validate(now); err != nil {
		return err
	}
	if f.Equality != nil {
		if !f.Consent.Covers(PurposeEqualityMonitoring) {
			return bad("equality is accepted only when consent.purposes includes equality_monitoring.")
		}
		if err := f.Equality.validate(); err != nil {
			return err
		}
	}
	return nil
}

func (r Ratings) validate() error {
	inRange := func(name string, v *int, lo, hi int) error {
		if v != nil && (*v < lo || *v > hi) {
			return Errorf(EINVALID, "ratings.%s must be a whole number from %d to %d.", name, lo, hi)
		}
		return nil
	}
	oneOf := func(name, v string) error {
		if v != "" && !slices.Contains(ternaryAnswers, v) {
			return Errorf(EINVALID, "ratings.%s must be one of %s.", name, strings.Join(ternaryAnswers, ", "))
		}
		return nil
	}
	for _, err := range []error{
		inRange("satisfaction", r.Satisfaction, 1, 5),
		inRange("effort", r.Effort, 1, 5),
		inRange("would_recommend", r.WouldRecommend, 0, 10),
		oneOf("felt_safe", r.FeltSafe),
		oneOf("felt_believed", r.FeltBelieved),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *Consent) validate(now time.Time) error {
	bad := func(format string, args ...any) error { return Errorf(EINVALID, format, args...) }
	if len(c.Purposes) == 0 {
		return bad("consent.purposes must name at least one purpose the person agreed to.")
	}
	seen := map[Purpose]bool{}
	for _, p := range c.Purposes {
		if !slices.Contains(ConsentPurposes(), p) {
			return bad("consent.purposes may contain only %s.", joinPurposes(ConsentPurposes()))
		}
		if seen[p] {
			return bad("consent.purposes must not repeat a purpose.")
		}
		seen[p] = true
	}
	for _, a := range c.ShareWith {
		if !ValidAgencyID(a) {
			return bad("consent.share_with must hold agency ids such as police-north.")
		}
	}
	if len(c.ShareWith) > 0 && !c.Covers(PurposeInterAgency) {
		return bad("consent.share_with needs inter_agency_insight in consent.purposes.")
	}
	switch {
	case c.Method == "":
		return bad("consent.method is required.")
	case !slices.Contains(consentMethods, c.Method):
		return bad("consent.method must be one of %s.", strings.Join(consentMethods, ", "))
	case c.NoticeVersion == "":
		return bad("consent.notice_version is required.")
	case !versionPattern.MatchString(c.NoticeVersion):
		return bad("consent.notice_version must be a short version label such as 2026-01.")
	case c.ExpiresAt != nil && !c.ExpiresAt.After(now):
		return bad("consent.expires_at must be in the future.")
	}
	return nil
}

func (e Equality) validate() error {
	for _, f := range []struct {
		name, value string
		allowed     []string
	}{
		{"age_band", e.AgeBand, ageBands},
		{"sex", e.Sex, sexes},
		{"ethnic_group", e.EthnicGroup, ethnicGroups},
		{"disability", e.Disability, disabilities},
	} {
		if f.value != "" && !slices.Contains(f.allowed, f.value) {
			return Errorf(EINVALID, "equality.%s must be one of %s.", f.name, strings.Join(f.allowed, ", "))
		}
	}
	return nil
}

func joinPurposes(ps []Purpose) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

// ParseRequestPurpose parses the Candour-Purpose header value.
func ParseRequestPurpose(s string) (Purpose, error) {
	p := Purpose(s)
	if !slices.Contains(RequestPurposes(), p) {
		return "", Errorf(EINVALID, "Candour-Purpose must be one of %s.", joinPurposes(RequestPurposes()))
	}
	return p, nil
}
