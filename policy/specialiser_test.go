package policy

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/candour-vault/candour"
)

// TestInputReads holds the caller's key to what a policy reads of its
// input: the principal's fields one by one, the whole principal when a rule
// reads it whole or by a computed key, and no specialisation at all when a
// rule reads the whole input, a top-level part by a computed key, or
// replaces the input with `with`.
func TestInputReads(t *testing.T) {
	for _, tc := range []struct {
		name string
		rego string
		want principalFields
		ok   bool
	}{
		{"agency and roles", "allow if { input.principal.agency == \"a\"; \"x\" in input.principal.roles }",
			principalFields{agency: true, roles: true}, true},
		{"the subject", "allow if input.principal.sub == \"s\"", principalFields{sub: true}, true},
		{"the issuer, through a rule", "iss := input.principal.iss\nallow if iss == \"i\"", principalFields{iss: true}, true},
		{"the principal whole", "p := input.principal\nallow if p.agency == \"a\"", principalFields{all: true}, true},
		{"a field by a computed key", "allow if { some k; input.principal[k] == \"a\" }", principalFields{all: true}, true},
		{"a field Candour does not send", "allow if input.principal.email", principalFields{all: true}, true},
		{"the resource and the time only", "allow if { input.resource.agency == \"a\"; input.now }", principalFields{}, true},
		{"the whole input", "i := input\nallow if i.principal.agency == \"a\"", principalFields{}, false},
		{"a top-level part by a computed key", "allow if { some k; input[k] == \"a\" }", principalFields{}, false},
		{"with input", "p if input.principal.agency == \"a\"\nallow if p with input as {\"principal\": {\"agency\": \"a\"}}", principalFields{agency: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := ast.MustParseModule("package candour\n" + tc.rego)
			c := ast.NewCompiler()
			if c.Compile(map[string]*ast.Module{"p.rego": m}); c.Failed() {
				t.Fatal(c.Errors)
			}
			got, ok := inputReads(c)
			if ok != tc.ok || (ok && got != tc.want) {
				t.Errorf("inputReads = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// TestSpecialiserBounds holds the builds to their bounds: the first caller
// is specialised at once; another caller within nine times the last build's
// duration is decided by the whole policy and specialised once that time
// has passed; a caller whose build failed stays with the whole policy
// without a second build; a build whose request went is not remembered; a
// request that finds a build under way does not wait for it.
func TestSpecialiserBounds(t *testing.T) {
	ctx := context.Background()
	e, err := Load(ctx, Embedded())
	if err != nil {
		t.Fatal(err)
	}
	s := e.special
	clock := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	s.now = func() time.Time { clock = clock.Add(time.Millisecond); return clock } // every reading of the clock is 1 ms on
	ask := func(agency string, action candour.Action) candour.DecisionInput {
		return candour.DecisionInput{Principal: candour.Principal{Agency: agency, Roles: []candour.Role{candour.RoleCaseworker}},
			Action: action, Purpose: candour.PurposeCaseManagement}
	}
	first, second := ask("police-north", candour.ActionFeedbackRead), ask("police-north", candour.ActionFeedbackList)
	if s.lookup(ctx, first) == nil {
		t.Fatal("the first caller was not specialised")
	}
	if s.lookup(ctx, second) != nil {
		t.Fatal("a second caller was specialised within nine times the first build's time")
	}
	clock = clock.Add(time.Minute)
	if s.lookup(ctx, second) == nil {
		t.Fatal("the second caller was not specialised once the wait was over")
	}
	if s.lookup(ctx, first) == nil {
		t.Fatal("the first caller's specialisation was not kept")
	}

	// A caller whose build fails is remembered as such.
	broken := ask("police-north", candour.ActionAuditRead)
	saved := e.prepared
	other, err := rego.New(rego.Query(query), rego.Module("p.rego", "package candour\ndecision := 7\n")).PrepareForEval(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.prepared = other // the probes' answers cannot agree: every build fails
	clock = clock.Add(time.Hour)
	if s.lookup(ctx, broken) != nil {
		t.Fatal("a failed build was used")
	}
	e.prepared = saved
	clock = clock.Add(time.Hour)
	if pq, ok := s.cache.Get(s.key(broken)); !ok || pq != nil {
		t.Fatal("a failed build was not remembered")
	}
	if s.lookup(ctx, broken) != nil {
		t.Fatal("a failed build was tried again")
	}

	// A build whose request went is not remembered.
	gone, cancel := context.WithCancel(ctx)
	cancel()
	later := ask("north-inspectorate", candour.ActionFeedbackRead)
	clock = clock.Add(time.Hour)
	if s.lookup(gone, later) != nil {
		t.Fatal("a build for a request that went was used")
	}
	if _, ok := s.cache.Get(s.key(later)); ok {
		t.Fatal("a build for a request that went was remembered")
	}

	// A build under way is not waited for.
	s.build.Lock()
	clock = clock.Add(time.Hour)
	if s.lookup(ctx, later) != nil {
		t.Fatal("a request waited for another caller's build")
	}
	s.build.Unlock()
	if s.lookup(ctx, later) == nil {
		t.Fatal("the caller was not specialised once the build lock was free")
	}
}

// TestSpecialiserNamespace refuses a policy or data that uses the name the
// residual policies live under.
func TestSpecialiserNamespace(t *testing.T) {
	ctx := context.Background()
	for _, f := range []Files{
		{Modules: map[string]string{"p.rego": "package " + namespace + "\ndecision := {}\n"}, Data: map[string]any{}},
		{Modules: map[string]string{"p.rego": "package candour\ndecision := {}\n"}, Data: map[string]any{namespace: 1}},
	} {
		if _, err := Compile(ctx, f); err == nil {
			t.Errorf("Compile accepted %v", f)
		}
	}
}

// TestDecideConcurrently decides for many callers at once on one engine, so
// that the race detector (make test) sees builds, look-ups and evaluations
// overlap; every decision must match the whole policy's.
func TestDecideConcurrently(t *testing.T) {
	ctx := context.Background()
	e, err := Load(ctx, Embedded())
	if err != nil {
		t.Fatal(err)
	}
	whole := *e
	whole.special = nil
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	var ins []candour.DecisionInput
	for _, role := range candour.Roles() {
		for _, action := range candour.Actions() {
			ins = append(ins, candour.DecisionInput{Principal: candour.Principal{Agency: "police-north", Roles: []candour.Role{role}},
				Action: action, Purpose: candour.PurposeCaseManagement, Now: now,
				Resource: &candour.Resource{ID: "r", Agency: "police-north", Service: "police/report-a-crime"}})
		}
	}
	errs := make(chan error, 8)
	for w := range 8 {
		go func() {
			for i := range 3 * len(ins) {
				in := ins[(i+w*7)%len(ins)]
				got, err1 := e.Decide(ctx, in)
				want, err2 := whole.Decide(ctx, in)
				got.ID, want.ID = "", ""
				if (err1 != nil) != (err2 != nil) || !reflect.DeepEqual(got, want) {
					errs <- fmt.Errorf("%s as %v: %+v, %v; whole policy %+v, %v", in.Action, in.Principal.Roles, got, err1, want, err2)
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
