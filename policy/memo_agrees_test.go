package policy_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/policy"
)

// varied are records that differ at every place the built-in policy's
// residuals read, in every combination, each twice under two ids: the
// caller's agency or another's, a service of the caller's agency, another's
// or none, two sensitivities, and consent absent, given by a caseworker for
// two sets of purposes, given by the person, and withdrawn at two instants.
func varied(agency string) []*candour.Resource {
	exp := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	gone, later := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 2, 0, 0, 0, 0, time.UTC)
	consent := func(method string, withdrawn *time.Time, purposes ...candour.Purpose) *candour.Consent {
		return &candour.Consent{Purposes: purposes, ShareWith: []string{"police-north"}, Method: method, NoticeVersion: "2026-01",
			ExpiresAt: &exp, WithdrawnAt: withdrawn, CapturedAt: gone.AddDate(0, -3, 0), CapturedBy: "cw"}
	}
	consents := []*candour.Consent{nil,
		consent("verbal", nil, candour.PurposeServiceImprovement),
		consent("written", nil, candour.PurposeResearch, candour.PurposeEqualityMonitoring),
		consent("self", nil, candour.PurposeServiceImprovement),
		consent("verbal", &gone, candour.PurposeServiceImprovement),
		consent("verbal", &later, candour.PurposeServiceImprovement)}
	own := map[string]string{"police-north": "police/report-a-crime", "victim-support-north": "victim-support/initial-contact"}[agency]
	var out []*candour.Resource
	for _, id := range []string{"r1", "r2"} {
		for _, a := range []string{agency, "housing-north"} {
			for _, svc := range []string{own, "housing/tenancy-support", ""} {
				for _, sens := range []candour.Sensitivity{candour.SensitivityStandard, candour.SensitivitySpecialCategory} {
					for _, c := range consents {
						out = append(out, &candour.Resource{ID: id, Agency: a, Service: svc, Sensitivity: sens, Consent: c})
					}
				}
			}
		}
	}
	return out
}

// TestMemoAgrees holds the decisions a specialisation keeps (memo.go) to the
// whole policy over records that differ at every place a residual reads
// (varied), each asked about by every kind of caller for every action on a
// record, in order and then back, so that the second pass is answered from
// what the first kept. It runs on the built-in policy, and on one that
// names the record's id in a reason, so that a memo that left out a place
// its residual reads would answer one record with another's reason. For a
// caseworker's read, the memo must have kept fewer keys than there were
// records, or the test would compare the residual with the whole policy and
// never the memo.
func TestMemoAgrees(t *testing.T) {
	ctx := context.Background()
	naming := mustRead(t)
	naming.Modules = maps.Clone(naming.Modules)
	naming.Modules["candour.rego"] += `
why_not contains sprintf("record %s: consent withdrawn", [input.resource.id]) if {
	input.action == "feedback.read"
	input.resource.consent.withdrawn_at
}
`
	actions := []candour.Action{candour.ActionFeedbackRead, candour.ActionFeedbackCreate, candour.ActionFeedbackCorrect, candour.ActionFeedbackWithdraw}
	purposes := []candour.Purpose{candour.PurposeCaseManagement, candour.PurposeServiceImprovement}
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		files policy.Files
	}{{"embedded policy", mustRead(t)}, {"a policy naming the record", naming}} {
		for _, agency := range []string{"police-north", "victim-support-north"} {
			t.Run(tc.name+"/"+agency, func(t *testing.T) {
				t.Parallel()
				e, whole := engines(t, tc.files)
				records := varied(agency)
				back := slices.Clone(records)
				slices.Reverse(back)
				asked, kept := 0, 0
				for _, p := range callers(agency) {
					for _, action := range actions {
						for _, purpose := range purposes {
							caller := candour.DecisionInput{Principal: p, Action: action, Purpose: purpose, Now: now}
							if err := policy.Specialise(ctx, e, caller); err != nil {
								t.Fatalf("%+v: %v", caller, err)
							}
							if policy.Kept(e, caller) {
								kept++
							}
							for _, res := range append(slices.Clone(records), back...) {
								in := caller
								in.Resource = res
								decideBoth(t, e, whole, in)
								asked++
							}
						}
					}
				}
				reader := candour.DecisionInput{Principal: candour.Principal{Issuer: "https://idp.example", Agency: agency,
					Roles: []candour.Role{candour.RoleCaseworker}}, Action: candour.ActionFeedbackRead, Purpose: candour.PurposeCaseManagement}
				keys := policy.KeptKeys(e, reader)
				t.Logf("%d decisions agree; %d callers of %d kept; a caseworker's reads kept under %d keys for %d records",
					asked, kept, asked/2/len(records), keys, len(records))
				if keys <= 0 || keys >= len(records) {
					t.Errorf("a caseworker's reads kept under %d keys for %d records: the memo was not what answered the second pass", keys, len(records))
				}
			})
		}
	}
}
