package policy_test

import (
	"context"
	"testing"
	"time"

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
