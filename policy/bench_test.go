package policy_test

import (
	"context"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/policy"
)

// BenchmarkDecide measures one decision for each of sampleCases, as the
// server makes it once the caller has been seen (the policy specialised to
// the caller, and its decision kept for the stretch of time it holds when
// the residual reads nothing but the time: clock.go); by the specialised
// residual evaluated in full, as the first decision in each stretch of time
// is; and by the whole policy, as the caller's first decisions are.
func BenchmarkDecide(b *testing.B) {
	ctx := context.Background()
	for _, c := range sampleCases(b) {
		if err := policy.Specialise(ctx, c.engine, c.in); err != nil {
			b.Fatal(err)
		}
		whole := policy.Whole(c.engine)
		for _, path := range []struct {
			suffix string
			decide func(candour.DecisionInput) (candour.Decision, error)
		}{
			{"", func(in candour.DecisionInput) (candour.Decision, error) { return c.engine.Decide(ctx, in) }},
			{"/residual", func(in candour.DecisionInput) (candour.Decision, error) {
				return policy.DecideResidual(ctx, c.engine, in)
			}},
			{"/whole-policy", func(in candour.DecisionInput) (candour.Decision, error) { return whole.Decide(ctx, in) }},
		} {
			b.Run(c.name+path.suffix, func(b *testing.B) {
				b.ReportAllocs()
				in := c.in
				for b.Loop() {
					in.Now = in.Now.Add(time.Microsecond) // as requests come, each at its own instant
					d, err := path.decide(in)
					if err != nil || !d.Allow {
						b.Fatalf("decision %+v, %v", d, err)
					}
				}
			})
		}
	}
}

// rbacExample is the role-based access control example of OPA's playground
// and documentation (https://play.openpolicyagent.org, "Role-based",
// Apache-2.0), written out here in Rego v1: a user's roles, each role's
// grants, allow when one grant matches.
const rbacExample = `package app.rbac

default allow := false

allow if user_is_admin

allow if {
	some grant in user_is_granted
	input.action == grant.action
	input.type == grant.type
}

user_is_admin if "admin" in data.user_roles[input.user]

user_is_granted contains grant if {
	some role in data.user_roles[input.user]
	some grant in data.role_grants[role]
}
`

// BenchmarkDecideReference evaluates OPA's RBAC example the way OPA's
// documentation does (a prepared query, a Go map as input), so that the
// figures of BenchmarkDecide can be read against it in the same run on a
// machine whose speed varies from day to day (docs/benchmarks.md).
func BenchmarkDecideReference(b *testing.B) {
	ctx := context.Background()
	data := map[string]any{
		"user_roles": map[string]any{"alice": []any{"admin"}, "bob": []any{"employee", "billing"}, "eve": []any{"customer"}},
		"role_grants": map[string]any{
			"customer": []any{map[string]any{"action": "read", "type": "dog"}, map[string]any{"action": "read", "type": "cat"},
				map[string]any{"action": "adopt", "type": "dog"}, map[string]any{"action": "adopt", "type": "cat"}},
			"employee": []any{map[string]any{"action": "read", "type": "dog"}, map[string]any{"action": "read", "type": "cat"},
				map[string]any{"action": "update", "type": "dog"}, map[string]any{"action": "update", "type": "cat"}},
			"billing": []any{map[string]any{"action": "read", "type": "finance"}, map[string]any{"action": "update", "type": "finance"}},
		},
	}
	pq, err := rego.New(rego.Query("data.app.rbac.allow"), rego.Module("rbac.rego", rbacExample),
		rego.Store(inmem.NewFromObject(data))).PrepareForEval(ctx)
	if err != nil {
		b.Fatal(err)
	}
	input := map[string]any{"user": "bob", "action": "update", "type": "finance"}
	b.ReportAllocs()
	for b.Loop() {
		rs, err := pq.Eval(ctx, rego.EvalInput(input))
		if err != nil || !rs.Allowed() {
			b.Fatalf("decision %v, %v", rs, err)
		}
	}
}
