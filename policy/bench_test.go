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

// BenchmarkDecide measures one decision with the prepared query, for the
// requests Candour makes most: a caseworker's read and an analyst's insight
// query (the largest rule set, with scope and agreements).
func BenchmarkDecide(b *testing.B) {
	ctx := context.Background()
	e, err := policy.Load(ctx, policy.Embedded())
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	exp := now.AddDate(1, 0, 0)
	inputs := map[string]candour.DecisionInput{
		"caseworker-read": {
			Principal: candour.Principal{Issuer: "candour-dev", Subject: "cw", Agency: "victim-support-north", Roles: []candour.Role{candour.RoleCaseworker}},
			Action:    candour.ActionFeedbackRead, Purpose: candour.PurposeCaseManagement, Now: now,
			Resource: &candour.Resource{ID: "01a20db6-610d-704e-8661-01d15feb70cf", Agency: "victim-support-north",
				Sensitivity: candour.SensitivityStandard, Consent: &candour.Consent{
					Purposes:  []candour.Purpose{candour.PurposeServiceImprovement, candour.PurposeInterAgency},
					ShareWith: []string{"police-north"}, Method: "verbal", NoticeVersion: "2026-01", ExpiresAt: &exp,
					CapturedAt: now, CapturedBy: "cw"}},
		},
		"analyst-insight": {
			Principal: candour.Principal{Issuer: "candour-dev", Subject: "an", Agency: "police-north", Roles: []candour.Role{candour.RoleAnalyst}},
			Action:    candour.ActionInsightSummary, Purpose: candour.PurposeServiceImprovement, Now: now,
		},
	}
	for name, in := range inputs {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d, err := e.Decide(ctx, in)
				if err != nil || !d.Allow {
					b.Fatalf("decision %+v, %v", d, err)
				}
			}
		})
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
