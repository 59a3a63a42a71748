package policy_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/policy"
)

// sampleInputs are the requests Candour makes most, as BenchmarkDecide and
// TestDecisionSteps ask them: a caseworker's submission and read of their own
// agency's record, and a partner analyst's insight query (the largest rule
// set, with scope and agreements).
func sampleInputs() map[string]candour.DecisionInput {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	exp := now.AddDate(1, 0, 0)
	caseworker := candour.Principal{Issuer: "candour-dev", Subject: "cw", Agency: "victim-support-north", Roles: []candour.Role{candour.RoleCaseworker}}
	consent := &candour.Consent{
		Purposes:  []candour.Purpose{candour.PurposeServiceImprovement, candour.PurposeInterAgency},
		ShareWith: []string{"police-north"}, Method: "verbal", NoticeVersion: "2026-01", ExpiresAt: &exp,
		CapturedAt: now, CapturedBy: "cw"}
	return map[string]candour.DecisionInput{
		"caseworker-create": {
			Principal: caseworker, Action: candour.ActionFeedbackCreate, Purpose: candour.PurposeCaseManagement, Now: now,
			Resource: &candour.Resource{Agency: "victim-support-north", Service: "victim-support/initial-contact",
				Sensitivity: candour.SensitivityStandard, Consent: consent},
		},
		"caseworker-read": {
			Principal: caseworker, Action: candour.ActionFeedbackRead, Purpose: candour.PurposeCaseManagement, Now: now,
			Resource: &candour.Resource{ID: "01a20db6-610d-704e-8661-01d15feb70cf", Agency: "victim-support-north",
				Sensitivity: candour.SensitivityStandard, Consent: consent},
		},
		"analyst-insight": {
			Principal: candour.Principal{Issuer: "candour-dev", Subject: "an", Agency: "police-north", Roles: []candour.Role{candour.RoleAnalyst}},
			Action:    candour.ActionInsightSummary, Purpose: candour.PurposeServiceImprovement, Now: now,
		},
	}
}

// withOtherAgreements returns the embedded policy with n more agreements in
// force, each between the housing association and the council, so that none
// names police-north as a partner: what a region's data looks like as
// agreements accumulate.
func withOtherAgreements(tb testing.TB, n int) policy.Files {
	f, err := policy.ReadFiles(policy.Embedded())
	if err != nil {
		tb.Fatal(err)
	}
	agreements := f.Data["agreements"].([]any)
	for i := range n {
		agreements = append(agreements, map[string]any{
			"id": fmt.Sprintf("dsa-2026-%03d", i+100), "title": "Housing and social care share insight",
			"owner": "housing-north", "partners": []any{"council-north-social-care"},
			"purposes":                  []any{"service_improvement", "inter_agency_insight"},
			"special_category_purposes": []any{}, "data_items": []any{"ratings", "comments"}, "min_cell_size": 10,
			"start": "2026-01-01T00:00:00Z", "expires": "2027-12-31T23:59:59Z", "review": "2027-06-30T00:00:00Z",
		})
	}
	f.Data["agreements"] = agreements
	if probs := policy.CheckData(f); len(probs) > 0 {
		tb.Fatalf("the extra agreements do not check: %v", probs)
	}
	return f
}

// sampleCase is one decision that BenchmarkDecide measures and
// TestDecisionSteps counts.
type sampleCase struct {
	name   string
	engine *policy.Engine
	in     candour.DecisionInput
	whole  int // OPA's evaluation steps by the whole policy, as docs/benchmarks.md ("Policy") explains them
	steps  int // the same by the policy specialised to the caller (policy/specialise.go)
}

// sampleCases are sampleInputs decided by the embedded policy, and the
// insight query again by the same policy with 30 more agreements that do not
// name police-north (withOtherAgreements). Each agreement that does not
// concern the caller costs the whole policy three steps: the agreement, its
// partners, the membership check; its dates are read only when it names the
// caller. Specialised to the caller, the agreements are looked at once, when
// the specialisation is built, except where the smallest cell size and the
// shared fields still read them.
func sampleCases(tb testing.TB) []sampleCase {
	ctx := context.Background()
	e, err := policy.Load(ctx, policy.Embedded())
	if err != nil {
		tb.Fatal(err)
	}
	many, err := policy.Compile(ctx, withOtherAgreements(tb, 30))
	if err != nil {
		tb.Fatal(err)
	}
	in := sampleInputs()
	return []sampleCase{
		{"caseworker-create", e, in["caseworker-create"], 36, 18},
		{"caseworker-read", e, in["caseworker-read"], 45, 21},
		{"analyst-insight", e, in["analyst-insight"], 99, 51},
		{"analyst-insight-31-agreements", many, in["analyst-insight"], 99 + 30*3, 51},
	}
}

// TestDecisionSteps holds each of sampleCases to the number of evaluation
// steps docs/benchmarks.md ("Policy") explains, by the whole policy and by
// its specialisation to the caller. On this machine a step costs about 1 µs,
// so a rule added to a decision's path is a cost to be measured and written
// down: a change in either direction fails here until sampleCases and the
// docs say what it is.
func TestDecisionSteps(t *testing.T) {
	ctx := context.Background()
	for _, c := range sampleCases(t) {
		t.Run(c.name, func(t *testing.T) {
			for _, path := range []struct {
				name        string
				specialised bool
				want        int
			}{{"the whole policy", false, c.whole}, {"specialised", true, c.steps}} {
				n, err := policy.EvalSteps(ctx, c.engine, c.in, path.specialised)
				if err != nil {
					t.Fatal(err)
				}
				if n != path.want {
					t.Errorf("%s takes %d evaluation steps by %s, want %d: measure the change (BenchmarkDecide) and update sampleCases and docs/benchmarks.md", c.name, n, path.name, path.want)
				}
			}
		})
	}
}
