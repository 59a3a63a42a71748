package candour

import "testing"

func TestEqualityCoarse(t *testing.T) {
	tests := []struct {
		in, want Equality
	}{
		{Equality{}, Equality{}},
		{Equality{AgeBand: "under_18"}, Equality{AgeBand: "under_25"}},
		{Equality{AgeBand: "18-24"}, Equality{AgeBand: "under_25"}},
		{Equality{AgeBand: "25-34"}, Equality{AgeBand: "25-44"}},
		{Equality{AgeBand: "35-44"}, Equality{AgeBand: "25-44"}},
		{Equality{AgeBand: "45-54"}, Equality{AgeBand: "45-64"}},
		{Equality{AgeBand: "55-64"}, Equality{AgeBand: "45-64"}},
		{Equality{AgeBand: "65-74"}, Equality{AgeBand: "65+"}},
		{Equality{AgeBand: "75+"}, Equality{AgeBand: "65+"}},
		{Equality{AgeBand: "prefer_not_to_say", Sex: "prefer_not_to_say"}, Equality{AgeBand: "prefer_not_to_say", Sex: "prefer_not_to_say"}},
		{Equality{Sex: "female", EthnicGroup: "mixed", Disability: "yes"}, Equality{Sex: "female", EthnicGroup: "mixed", Disability: "yes"}},
		// Anything unvalidated becomes "not given", never a finer value in clear.
		{Equality{AgeBand: "37", Sex: "Jane", EthnicGroup: "white british", Disability: "partial"}, Equality{}},
	}
	for _, tt := range tests {
		if got := tt.in.Coarse(); got != tt.want {
			t.Errorf("%+v.Coarse() = %+v, want %+v", tt.in, got, tt.want)
		}
	}
	// Every band validation accepts has a coarse band.
	for _, b := range ageBands {
		if (Equality{AgeBand: b}).Coarse().AgeBand == "" {
			t.Errorf("age band %q has no coarse band", b)
		}
	}
}
