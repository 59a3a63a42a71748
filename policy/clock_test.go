package policy

import (
	"slices"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
)

// TestTimeOnly holds the clock to residuals whose answer can change only
// where the time crosses a threshold: the time parsed and compared with a
// whole number, on either side, negated or not, in a rule or a
// comprehension. Everything else that reads the request, replaces a value
// with `with`, or calls a non-deterministic built-in gets no clock.
func TestTimeOnly(t *testing.T) {
	const now = "time.parse_rfc3339_ns(input.now)"
	for _, tc := range []struct {
		name string
		rego string
		want []int64 // nil: no clock
	}{
		{"nothing read", "allow := true", []int64{}},
		{"thresholds either side", "allow if { lte(100, " + now + "); lt(" + now + ", 200) }", []int64{100, 200}},
		{"every comparison, repeats once", "a if gt(" + now + ", 5)\nb if gte(5, " + now + ")\nc if equal(" + now + ", 7)\nd if neq(7, " + now + ")",
			[]int64{5, 7}},
		{"negated", "allow if not lt(" + now + ", 3)", []int64{3}},
		{"inside a comprehension", "xs := {x | some x in [1, 2]; lt(" + now + ", 9)}", []int64{9}},
		{"the record", "allow if input.resource.agency == \"a\"", nil},
		{"the time, not compared", "t := " + now, nil},
		{"the time bound to a variable", "allow if { x := " + now + "; lt(x, 5) }", nil},
		{"the time as text", "allow if input.now == \"2026-01-01T00:00:00Z\"", nil},
		{"the time compared with a fraction", "allow if lt(" + now + ", 2.5)", nil},
		{"the time compared with data", "allow if lt(" + now + ", data.limit)", nil},
		{"the time compared with the time", "allow if lt(" + now + ", " + now + ")", nil},
		{"the input whole", "allow if { i := input; i.x }", nil},
		{"with", "p if true\nallow if p with data.x as 1", nil},
		{"the clock of the machine", "allow if lt(time.now_ns(), 5)", nil},
		{"a random number", "allow if lt(rand.intn(\"k\", 10), 5)", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := ast.MustParseModule("package candour_specialised\n" + tc.rego)
			c := timeOnly([]*ast.Module{m})
			switch {
			case tc.want == nil && c != nil:
				t.Errorf("a clock at %v, want none", c.thresholds)
			case tc.want != nil && c == nil:
				t.Errorf("no clock, want one at %v", tc.want)
			case c != nil && !slices.Equal(c.thresholds, tc.want):
				t.Errorf("thresholds %v, want %v", c.thresholds, tc.want)
			}
		})
	}
}

// TestStretch holds the stretches of time to the thresholds: an instant a
// nanosecond before a threshold, the threshold and a nanosecond after fall
// in three stretches; times OPA would not convert to nanoseconds fall in
// none (and are decided in full). What the clock keeps answers its own
// stretch and no other.
func TestStretch(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	start, end := at("2026-01-01T00:00:00Z"), at("2027-12-31T23:59:59Z")
	c := &clock{thresholds: []int64{start.UnixNano(), end.UnixNano()}}
	previous := -1 // the stretch the clock last kept a decision for
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
			if !ok {
				return // decided in full, never kept
			}
			before := c.result(got)
			c.keep(got, ast.String(tc.name))
			if kept := c.result(got); kept == nil || kept.Compare(ast.String(tc.name)) != 0 {
				t.Errorf("kept %v for its stretch", kept)
			}
			if got != previous && before != nil {
				t.Errorf("stretch %d answered with %v, kept for stretch %d", got, before, previous)
			}
			previous = got
		})
	}
}
