package policy_test

import (
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
