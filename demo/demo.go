// Package demo makes synthetic but realistic feedback for `candour dev
// --seed N`: the demo agencies' services, touchpoints and channels, ratings
// that hang together, varied consent and sensitivity, and comments in the
// voice of victims' feedback — some with identifiers in them, as real
// comments have. Nothing here is about a real person: phone numbers are from
// Ofcom's drama ranges, emails use example domains, names are invented.
package demo

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/candour-vault/candour"
)

// Agencies are the demo agencies and the services each runs.
var agencies = []struct {
	id       string
	services []string
	prefix   string
}{
	{"victim-support-north", []string{"victim-support/initial-contact", "victim-support/ongoing-support", "victim-support/court-preparation"}, "VS"},
	{"police-north", []string{"police/report-a-crime", "police/victim-updates", "police/investigation"}, "PN"},
	{"council-north-social-care", []string{"social-care/assessment", "social-care/safeguarding-enquiry", "social-care/care-planning"}, "SC"},
}

// AgencyIDs returns the demo agencies' ids.
func AgencyIDs() []string {
	ids := make([]string, len(agencies))
	for i, a := range agencies {
		ids[i] = a.id
	}
	return ids
}

var (
	touchpoints = []string{"first-contact", "follow-up", "home-visit", "court-day", "referral", "case-closure"}
	channels    = []string{"phone", "phone", "in_person", "email", "web", "letter", "video", "sms"}
	names       = []string{"Mrs Patel", "Mr Okafor", "PC Evans", "DC Hughes", "Sgt Lewis", "Dr Chen", "Sarah", "Tom Whitfield", "Aisha", "Mr Kowalski"}
	good        = []string{
		"The officer who called me back was kind, and explained what would happen next.",
		"My support worker listened and never made me feel it was my fault.",
		"I felt believed for the first time since it happened.",
		"They kept me updated every week, which meant a lot.",
		"The court visit beforehand helped me feel less scared on the day.",
		"Having someone to ring when I was panicking made all the difference.",
	}
	bad = []string{
		"I waited 3 weeks for anyone to call me back.",
		"Nobody told me the case had been closed; I found out from a letter.",
		"I had to repeat my story to four different people.",
		"I did not feel safe going home and nobody asked.",
		"The person on the phone sounded like they did not believe me.",
		"I was passed between departments and gave up in the end.",
	}
	identifying = []string{
		"You can reach me on 07700 900%03d if anyone wants to follow up.",
		"Please email me at resident%d@example.org, not my work address.",
		"%s was brilliant, please pass on my thanks.",
		"My crime reference is 13/%06d/26 and I still have no update.",
		"I live at %d Station Road, LS6 2QT, and the visit was on time.",
		"I was born on %02d/03/1984 and they kept getting my date of birth wrong.",
	}
)

// Record is one generated submission, the agency that owns it and the
// caseworker who recorded it (one of Caseworkers in each agency).
type Record struct {
	Agency    string
	Submitter string
	Feedback  candour.Feedback
}

// Caseworkers is how many caseworkers record the synthetic feedback of each
// agency, so that insight's contributor rules see a realistic team.
const Caseworkers = 12

// Generate returns n records with periods in the twelve months up to now. The
// same seed gives the same records.
func Generate(seed uint64, n int, now time.Time) []Record {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]Record, n)
	for i := range out {
		out[i] = one(r, now)
	}
	return out
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func one(r *rand.Rand, now time.Time) Record {
	a := pick(r, agencies)
	month := now.UTC().AddDate(0, -r.IntN(12), 0)
	// One underlying experience drives every rating, so they hang together.
	exp := r.Float64()
	clamp := func(v, lo, hi int) int { return max(lo, min(hi, v)) }
	sat := clamp(1+int(exp*5), 1, 5)
	effort := clamp(6-sat+r.IntN(3)-1, 1, 5)
	rec := clamp(int(exp*11)+r.IntN(3)-1, 0, 10)
	answer := func(p float64) string {
		switch x := r.Float64(); {
		case x < p:
			return "yes"
		case x < p+0.15:
			return "partly"
		default:
			return "no"
		}
	}
	f := candour.Feedback{
		Service:    pick(r, a.services),
		Touchpoint: pick(r, touchpoints),
		Channel:    pick(r, channels),
		Period:     month.Format("2006-01"),
		Ratings: candour.Ratings{
			Satisfaction: &sat, Effort: &effort, WouldRecommend: &rec,
			FeltSafe: answer(0.3 + 0.6*exp), FeltBelieved: answer(0.25 + 0.65*exp),
		},
		Sensitivity: candour.SensitivityStandard,
	}
	switch x := r.Float64(); {
	case x < 0.08:
		f.Sensitivity = candour.SensitivitySafeguarding
	case x < 0.20:
		f.Sensitivity = candour.SensitivitySpecialCategory
	}
	if r.Float64() < 0.2 { // not every question is answered
		f.Ratings.WouldRecommend = nil
	}
	if r.Float64() < 0.7 {
		f.Comment = comment(r, exp)
	}
	if r.Float64() < 0.85 {
		f.SubjectRef = fmt.Sprintf("%s-%d-%06d", a.prefix, month.Year(), r.IntN(1_000_000))
	}
	f.Consent = consent(r, a.id, now)
	if f.Consent.Covers(candour.PurposeEqualityMonitoring) && r.Float64() < 0.8 {
		f.Equality = &candour.Equality{
			AgeBand:     pick(r, []string{"18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+", "prefer_not_to_say"}),
			Sex:         pick(r, []string{"female", "female", "male", "other", "prefer_not_to_say"}),
			EthnicGroup: pick(r, []string{"white", "white", "white", "asian", "black", "mixed", "other", "prefer_not_to_say"}),
			Disability:  pick(r, []string{"yes", "no", "no", "prefer_not_to_say"}),
		}
	}
	return Record{Agency: a.id, Submitter: fmt.Sprintf("dev-seed-%s-%02d", strings.ToLower(a.prefix), 1+r.IntN(Caseworkers)), Feedback: f}
}

func comment(r *rand.Rand, exp float64) string {
	var parts []string
	if exp > 0.5 {
		parts = append(parts, pick(r, good))
	} else {
		parts = append(parts, pick(r, bad))
	}
	if r.Float64() < 0.3 {
		parts = append(parts, pick(r, slices.Concat(good, bad)))
	}
	if r.Float64() < 0.35 {
		t := pick(r, identifying)
		switch {
		case strings.Contains(t, "%s"):
			parts = append(parts, fmt.Sprintf(t, pick(r, names)))
		case strings.Contains(t, "%02d"):
			parts = append(parts, fmt.Sprintf(t, 1+r.IntN(28)))
		default:
			parts = append(parts, fmt.Sprintf(t, r.IntN(999)))
		}
	}
	return strings.Join(parts, " ")
}

func consent(r *rand.Rand, agency string, now time.Time) candour.Consent {
	c := candour.Consent{
		Method:        pick(r, []string{"verbal", "verbal", "written", "electronic"}),
		NoticeVersion: pick(r, []string{"2025-06", "2026-01"}),
		Purposes:      []candour.Purpose{candour.PurposeServiceImprovement},
	}
	for _, p := range []struct {
		purpose candour.Purpose
		chance  float64
	}{
		{candour.PurposeInterAgency, 0.6},
		{candour.PurposeResearch, 0.3},
		{candour.PurposeEqualityMonitoring, 0.5},
		{candour.PurposeContactBack, 0.25},
	} {
		if r.Float64() < p.chance {
			c.Purposes = append(c.Purposes, p.purpose)
		}
	}
	if c.Covers(candour.PurposeInterAgency) {
		for _, other := range AgencyIDs() {
			if other != agency && r.Float64() < 0.7 {
				c.ShareWith = append(c.ShareWith, other)
			}
		}
	}
	if r.Float64() < 0.3 {
		exp := now.UTC().AddDate(1+r.IntN(2), 0, 0).Truncate(24 * time.Hour)
		c.ExpiresAt = &exp
	}
	return c
}
