package policy

import (
	"testing"
	"time"
)

// TestStretch holds the stretches of time to the thresholds: an instant a
// nanosecond before a threshold, the threshold and a nanosecond after fall
// in three stretches; times OPA would not convert to nanoseconds fall in
// none (and are decided in full). A clock without thresholds has one
// stretch, which holds every time, even those OPA would not convert: its
// residual does not read the time.
func TestStretch(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	start, end := at("2026-01-01T00:00:00Z"), at("2027-12-31T23:59:59Z")
	c := clock{thresholds: []int64{start.UnixNano(), end.UnixNano()}}
	for _, tc := range []struct {
		name string
		now  time.Time
		want int
		ok   bool
	}{
		{"long before", at("1999-01-01T00:00:00Z"), 0, true},
		{"a nanosecond before the first", start.Add(-time.Nanosecond), 0, true},
		{"the first", start, 1, true},
		{"the first, written in another zone", start.In(time.FixedZone("", -5*3600)), 1, true},
		{"a nanosecond after the first", start.Add(time.Nanosecond), 2, true},
		{"the last", end, 3, true},
		{"after the last", end.Add(time.Nanosecond), 4, true},
		{"after 2262, which OPA does not convert", at("2300-01-01T00:00:00Z"), 0, false},
		{"a year RFC 3339 cannot write", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := c.stretch(tc.now)
			if got != tc.want || ok != tc.ok {
				t.Errorf("stretch = %d, %v; want %d, %v", got, ok, tc.want, tc.ok)
			}
			if got, ok := (clock{}).stretch(tc.now); got != 0 || !ok {
				t.Errorf("without thresholds: stretch = %d, %v; want 0, true", got, ok)
			}
		})
	}
}
