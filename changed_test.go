package candour_test

import (
	"slices"
	"testing"

	"github.com/candour-vault/candour"
)

// TestChanged: a correction names only the fields whose values differ;
// the same answers given again, or the same consent in another order, are
// no change.
func TestChanged(t *testing.T) {
	four, five := 4, 5
	base := candour.Feedback{Touchpoint: "first-contact", Comment: "ok", Sensitivity: candour.SensitivityStandard,
		Ratings: candour.Ratings{Satisfaction: &four},
		Consent: candour.Consent{Purposes: []candour.Purpose{"service_improvement", "research"}, ShareWith: []string{"police-north"}}}
	tests := []struct {
		name string
		edit func(f *candour.Feedback)
		want []string
	}{
		{"nothing", func(f *candour.Feedback) {}, nil},
		{"the same rating, another pointer", func(f *candour.Feedback) { n := 4; f.Ratings.Satisfaction = &n }, nil},
		{"purposes reordered", func(f *candour.Feedback) { f.Consent.Purposes = []candour.Purpose{"research", "service_improvement"} }, nil},
		{"a rating", func(f *candour.Feedback) { f.Ratings.Satisfaction = &five }, []string{"ratings"}},
		{"a rating taken away", func(f *candour.Feedback) { f.Ratings.Satisfaction = nil }, []string{"ratings"}},
		{"comment and sensitivity", func(f *candour.Feedback) {
			f.Comment, f.Sensitivity = "better", candour.SensitivitySafeguarding
		}, []string{"comment", "sensitivity"}},
		{"a purpose and the partners", func(f *candour.Feedback) {
			f.Consent.Purposes, f.Consent.ShareWith = []candour.Purpose{"research"}, nil
		}, []string{"consent.purposes", "consent.share_with"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			after := base
			after.Consent.Purposes = slices.Clone(base.Consent.Purposes)
			tt.edit(&after)
			if got := candour.Changed(base, after); !slices.Equal(got, tt.want) {
				t.Errorf("Changed = %v, want %v", got, tt.want)
			}
		})
	}
}
