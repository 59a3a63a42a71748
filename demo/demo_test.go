package demo

import (
	"reflect"
	"testing"
	"time"
)

func TestGenerateIsValidAndVaried(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	recs := Generate(1, 2000, now)
	seen := map[string]map[string]bool{"agency": {}, "sensitivity": {}, "period": {}, "service": {}}
	withComment, withRef := 0, 0
	for i, r := range recs {
		f := r.Feedback
		if err := f.Validate(now); err != nil {
			t.Fatalf("record %d does not validate: %v", i, err)
		}
		seen["agency"][r.Agency] = true
		seen["sensitivity"][string(f.Sensitivity)] = true
		seen["period"][f.Period] = true
		seen["service"][f.Service] = true
		if f.Comment != "" {
			withComment++
		}
		if f.SubjectRef != "" {
			withRef++
		}
	}
	for dim, want := range map[string]int{"agency": 3, "sensitivity": 3, "period": 12, "service": 9} {
		if got := len(seen[dim]); got != want {
			t.Errorf("%d distinct %s values, want %d", got, dim, want)
		}
	}
	if withComment < 1000 || withRef < 1400 {
		t.Errorf("%d with comments, %d with subject refs, of 2000: want most of each", withComment, withRef)
	}
	if !reflect.DeepEqual(Generate(7, 50, now), Generate(7, 50, now)) {
		t.Error("the same seed gave different records")
	}
}
