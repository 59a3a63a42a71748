package web

import (
	"time"

	"github.com/candour-vault/candour"
)

// option is one choice on a form: the value sent and the words shown.
type option struct {
	Value, Text, Hint string
}

func inOptions(list []option, v string) bool {
	for _, o := range list {
		if o.Value == v {
			return true
		}
	}
	return false
}

func labelOf(list []option, v string) string {
	for _, o := range list {
		if o.Value == v {
			return o.Text
		}
	}
	return v
}

// The choices of the record feedback form, in the words a caseworker reads
// out. The values are the API's.
var (
	consentPurposes = []option{
		{string(candour.PurposeServiceImprovement), "Improving the service", "Your agency uses the answers, without names, to improve how it supports people."},
		{string(candour.PurposeInterAgency), "Sharing insight with partner agencies", "Partner agencies you choose below see figures and redacted comments, never a name or contact details."},
		{string(candour.PurposeResearch), "Research", "Approved research about services like this one, using figures and redacted comments only."},
		{string(candour.PurposeEqualityMonitoring), "Equality monitoring", "Checking that the service treats everyone fairly. You will then be asked a few optional questions about the person."},
		{string(candour.PurposeContactBack), "Contacting them again about this feedback", "Someone from your agency may get back in touch about what they said."},
	}
	consentMethods = []option{
		{"verbal", "Verbally, for example on the phone", ""},
		{"written", "In writing, for example a signed form", ""},
		{"electronic", "Electronically, for example by email or an online form", ""},
	}
	channels = []option{
		{"phone", "Phone", ""}, {"in_person", "In person", ""}, {"video", "Video call", ""},
		{"email", "Email", ""}, {"web", "Website or online form", ""}, {"letter", "Letter", ""}, {"sms", "Text message", ""},
	}
	touchpoints = []option{
		{"first-contact", "First contact", ""}, {"needs-assessment", "Needs assessment", ""},
		{"ongoing-support", "Ongoing support", ""}, {"court-or-hearing", "Court or hearing", ""},
		{"referral", "Referral to another service", ""}, {"case-closure", "Case closure", ""},
	}
	scale5  = []option{{"1", "1", ""}, {"2", "2", ""}, {"3", "3", ""}, {"4", "4", ""}, {"5", "5", ""}}
	scale10 = []option{{"0", "0", ""}, {"1", "1", ""}, {"2", "2", ""}, {"3", "3", ""}, {"4", "4", ""}, {"5", "5", ""},
		{"6", "6", ""}, {"7", "7", ""}, {"8", "8", ""}, {"9", "9", ""}, {"10", "10", ""}}
	ternary  = []option{{"yes", "Yes", ""}, {"partly", "Partly", ""}, {"no", "No", ""}}
	ageBands = []option{{"under_18", "Under 18", ""}, {"18-24", "18 to 24", ""}, {"25-34", "25 to 34", ""},
		{"35-44", "35 to 44", ""}, {"45-54", "45 to 54", ""}, {"55-64", "55 to 64", ""}, {"65-74", "65 to 74", ""},
		{"75+", "75 or over", ""}, {"prefer_not_to_say", "Prefer not to say", ""}}
	sexes = []option{{"female", "Female", ""}, {"male", "Male", ""}, {"other", "Another way", ""},
		{"prefer_not_to_say", "Prefer not to say", ""}}
	ethnicGroups = []option{{"asian", "Asian or Asian British", ""}, {"black", "Black, Black British, Caribbean or African", ""},
		{"mixed", "Mixed or multiple ethnic groups", ""}, {"white", "White", ""}, {"other", "Another ethnic group", ""},
		{"prefer_not_to_say", "Prefer not to say", ""}}
	disabilities  = []option{{"yes", "Yes", ""}, {"no", "No", ""}, {"prefer_not_to_say", "Prefer not to say", ""}}
	sensitivities = []option{
		{string(candour.SensitivityStandard), "Standard", "Nothing beyond the usual."},
		{string(candour.SensitivitySpecialCategory), "Special category", "It touches on health, sexuality, religion, ethnicity or other special category data."},
		{string(candour.SensitivitySafeguarding), "Safeguarding", "Someone may be at risk. It never leaves your agency."},
	}
)

// serviceOptions are services as the choices of a form.
func serviceOptions(services []candour.Service) []option {
	out := make([]option, len(services))
	for i, s := range services {
		out[i] = option{Value: s.ID, Text: s.Name}
	}
	return out
}

func purposeText(p candour.Purpose) string { return labelOf(consentPurposes, string(p)) }

// monthName writes "2026-10" as "October 2026".
func monthName(period string) string {
	t, err := time.Parse("2006-01", period)
	if err != nil {
		return period
	}
	return t.Format("January 2006")
}
