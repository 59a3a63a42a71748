package policy

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/candour-vault/candour"
)

// TestMemoFor holds the memo to residuals whose answer depends only on what
// the request holds at places written in the policy, and on the time only
// where it crosses a threshold: the record's fields read by name, a list in
// it read by name and searched, the record read under a computed key (the
// whole record is then the key), and the time parsed and compared with a
// whole number, on either side, negated or not, in a rule or a
// comprehension. Everything else that reads the request (the input whole or
// by a computed key at its top, the time in any other way), replaces a value
// with `with`, or calls a non-deterministic built-in gets no memo.
func TestMemoFor(t *testing.T) {
	const now = "time.parse_rfc3339_ns(input.now)"
	none := []string{}
	for _, tc := range []struct {
		name       string
		rego       string
		paths      []string // nil: no memo
		thresholds []int64
	}{
		{"nothing read", "allow := true", none, nil},
		{"thresholds either side", "allow if { lte(100, " + now + "); lt(" + now + ", 200) }", none, []int64{100, 200}},
		{"every comparison, repeats once", "a if gt(" + now + ", 5)\nb if gte(5, " + now + ")\nc if equal(" + now + ", 7)\nd if neq(7, " + now + ")",
			none, []int64{5, 7}},
		{"negated", "allow if not lt(" + now + ", 3)", none, []int64{3}},
		{"inside a comprehension", "xs := {x | some x in [1, 2]; lt(" + now + ", 9)}", none, []int64{9}},
		{"the record's field", `allow if input.resource.agency == "a"`, []string{"input.resource.agency"}, nil},
		{"fields, one twice, one negated", `allow if { input.resource.agency == "a"; not input.resource.consent.withdrawn_at; input.resource.agency != "b" }`,
			[]string{"input.resource.agency", "input.resource.consent.withdrawn_at"}, nil},
		{"a list searched", `allow if "x" in input.resource.consent.purposes`, []string{"input.resource.consent.purposes"}, nil},
		{"a list iterated", `allow if input.resource.consent.purposes[_] == "x"`, []string{"input.resource.consent.purposes"}, nil},
		{"the record by a computed key", `allow if { some k; input.resource[k] == 1 }`, []string{"input.resource"}, nil},
		{"a key the record gives", `allow if input.resource.consent[input.resource.agency]`,
			[]string{"input.resource.agency", "input.resource.consent"}, nil},
		{"the record and the time", `allow if { input.resource.service == "s"; lt(` + now + `, 9) }`, []string{"input.resource.service"}, []int64{9}},
		{"the record whole, as a value", `r := input.resource`, []string{"input.resource"}, nil},
		{"the input by a computed key", `allow if { some k; input[k] == 1 }`, nil, nil},
		{"the input whole", "allow if { i := input; i.x }", nil, nil},
		{"the time, not compared", "t := " + now, nil, nil},
		{"the time bound to a variable", "allow if { x := " + now + "; lt(x, 5) }", nil, nil},
		{"the time as text", `allow if input.now == "2026-01-01T00:00:00Z"`, nil, nil},
		{"the time compared with a fraction", "allow if lt(" + now + ", 2.5)", nil, nil},
		{"the time compared with data", "allow if lt(" + now + ", data.limit)", nil, nil},
		{"the time compared with the time", "allow if lt(" + now + ", " + now + ")", nil, nil},
		{"the time compared with the record", "allow if lt(" + now + ", time.parse_rfc3339_ns(input.resource.consent.expires_at))", nil, nil},
		{"with", "p if true\nallow if p with data.x as 1", nil, nil},
		{"with on the record", "p if input.resource.agency\nallow if p with input.resource.agency as 1", nil, nil},
		{"the clock of the machine", "allow if lt(time.now_ns(), 5)", nil, nil},
		{"a random number", `allow if lt(rand.intn("k", 10), 5)`, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := memoFor([]*ast.Module{ast.MustParseModule("package candour_specialised\n" + tc.rego)})
			if (m != nil) != (tc.paths != nil) {
				t.Fatalf("memo %v, want one: %v", m != nil, tc.paths != nil)
			}
			if m == nil {
				return
			}
			var paths []string
			for _, p := range m.paths {
				paths = append(paths, p.String())
			}
			if !slices.Equal(paths, tc.paths) && !(len(paths) == 0 && len(tc.paths) == 0) {
				t.Errorf("paths %v, want %v", paths, tc.paths)
			}
			if !slices.Equal(m.clock.thresholds, tc.thresholds) {
				t.Errorf("thresholds %v, want %v", m.clock.thresholds, tc.thresholds)
			}
		})
	}
}

// TestMemoKeys holds a request's key to what the residual reads: records
// that differ only where it does not look share a key, and records that
// differ where it does, a field there or absent, an empty list or none, do
// not.
func TestMemoKeys(t *testing.T) {
	m := memoFor([]*ast.Module{ast.MustParseModule(`package candour_specialised
allow if { input.resource.agency == "a"; not input.resource.consent.withdrawn_at; "x" in input.resource.consent.purposes }`)})
	if m == nil {
		t.Fatal("no memo")
	}
	when := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	later := when.Add(time.Nanosecond)
	rec := func(id, agency string, withdrawn *time.Time, purposes ...candour.Purpose) *candour.Resource {
		return &candour.Resource{ID: id, Agency: agency, Service: "s-" + id,
			Consent: &candour.Consent{Purposes: purposes, WithdrawnAt: withdrawn, CapturedBy: id}}
	}
	key := func(r *candour.Resource) string {
		in := candour.DecisionInput{Action: "a", Resource: r, Now: when}
		k := m.key(in)
		m.resource = false // the key from the whole input, as a path outside the resource would need
		if whole := m.key(in); whole != k {
			t.Errorf("%+v: key %q from the resource alone, %q from the whole input", r, k, whole)
		}
		m.resource = true
		return k
	}
	same := [][2]*candour.Resource{
		{rec("1", "a", nil, "x"), rec("2", "a", nil, "x")},
		{rec("1", "a", &when, "x"), rec("2", "a", &when, "x")},
	}
	for _, p := range same {
		if key(p[0]) != key(p[1]) {
			t.Errorf("%+v and %+v: two keys, where the residual sees the same", p[0], p[1])
		}
	}
	differ := [][2]*candour.Resource{
		{rec("1", "a", nil, "x"), rec("1", "b", nil, "x")},
		{rec("1", "a", nil, "x"), rec("1", "a", &when, "x")},
		{rec("1", "a", &when, "x"), rec("1", "a", &later, "x")},
		{rec("1", "a", nil, "x"), rec("1", "a", nil, "x", "y")},
		{rec("1", "a", nil), rec("1", "a", nil, []candour.Purpose{}...)},
		{rec("1", "a", nil, "x"), {ID: "1", Agency: "a"}},
		{rec("1", "a", nil, "x"), nil},
		{{Agency: ""}, nil},
	}
	for _, p := range differ {
		if key(p[0]) == key(p[1]) {
			t.Errorf("%+v and %+v: one key %q, where the residual sees a difference", p[0], p[1], key(p[0]))
		}
	}
}

// TestMemoKeeps holds the memo to what it keeps: a second request with the
// same key in the same stretch of time is answered from it (the kept
// decision is marked, and the mark comes back), another key or another
// stretch is evaluated afresh and kept, a time OPA cannot convert is
// evaluated and not kept, and no more than maxKept keys are kept.
func TestMemoKeeps(t *testing.T) {
	ctx := context.Background()
	module := ast.MustParseModule(`package candour_specialised
default allow := false
allow if { input.resource.agency == "a"; lt(time.parse_rfc3339_ns(input.now), 2000000000000000000) }
decision := {"allow": allow, "reasons": ["evaluated"]}`)
	m := memoFor([]*ast.Module{module})
	if m == nil {
		t.Fatal("no memo")
	}
	pq, err := rego.New(rego.Query("data.candour_specialised.decision"), rego.ParsedModule(module)).PrepareForEval(ctx)
	if err != nil {
		t.Fatal(err)
	}
	in := func(agency string, now time.Time) candour.DecisionInput {
		return candour.DecisionInput{Action: "a", Resource: &candour.Resource{Agency: agency}, Now: now}
	}
	before := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) // the threshold is in 2033
	after := time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)
	mark := func(in candour.DecisionInput) { // what the memo keeps for in, marked
		k := m.key(in)
		kv, ok := m.kept.Peek(k)
		if !ok {
			t.Fatalf("nothing kept for %+v", in.Resource)
		}
		obj := kv.value.(ast.Object).Copy()
		obj.Insert(ast.StringTerm("reasons"), ast.ArrayTerm(ast.StringTerm("kept")))
		m.kept.Add(k, kept{stretch: kv.stretch, value: obj})
	}
	for _, tc := range []struct {
		name   string
		in     candour.DecisionInput
		allow  bool
		reason string
		kept   int  // keys kept after it
		mark   bool // mark what is kept for it, so that a later answer from the memo shows
	}{
		{"first", in("a", before), true, "evaluated", 1, true},
		{"again, the same stretch", in("a", before.Add(time.Hour)), true, "kept", 1, false},
		{"another key", in("b", before), false, "evaluated", 2, true},
		{"the first key after the threshold", in("a", after), false, "evaluated", 2, true},
		{"and again", in("a", after.Add(time.Hour)), false, "kept", 2, false},
		{"back before it", in("a", before), true, "evaluated", 2, true},
		{"a time OPA cannot convert", in("c", time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)), false, "evaluated", 2, false},
	} {
		d, err := m.decide(ctx, &pq, dataCache{ast.NewObject()}, tc.in)
		if err != nil || d.Allow != tc.allow || !slices.Equal(d.Reasons, []string{tc.reason}) {
			t.Errorf("%s: %+v, %v; want allow %v from %q", tc.name, d, err, tc.allow, tc.reason)
		}
		if got := m.kept.Len(); got != tc.kept {
			t.Errorf("%s: %d keys kept, want %d", tc.name, got, tc.kept)
		}
		if tc.mark {
			mark(tc.in)
		}
	}
	for i := range 2 * maxKept {
		if _, err := m.decide(ctx, &pq, dataCache{ast.NewObject()}, in(strconv.Itoa(i), before)); err != nil {
			t.Fatal(err)
		}
	}
	if got := m.kept.Len(); got != maxKept {
		t.Errorf("%d keys kept after %d, want at most %d", got, 2*maxKept, maxKept)
	}
}
