package policy

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/candour-vault/candour"
)

// TestInputValueMatchesJSON holds inputValue to the JSON encoding of the
// input, which is what policy authors read in the docs and the tests.
func TestInputValueMatchesJSON(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 123456789, time.UTC)
	exp := now.AddDate(1, 0, 0)
	full := candour.Consent{Purposes: []candour.Purpose{candour.PurposeResearch, candour.PurposeInterAgency},
		ShareWith: []string{"police-north"}, Method: "verbal", NoticeVersion: "2026-01", ExpiresAt: &exp,
		CapturedAt: now, CapturedBy: "cw", WithdrawnAt: &now}
	tests := map[string]candour.DecisionInput{
		"empty":        {},
		"no roles":     {Principal: candour.Principal{Subject: "s"}, Action: candour.ActionAuditRead, Now: now},
		"empty roles":  {Principal: candour.Principal{Roles: []candour.Role{}}, Now: now},
		"insight":      {Principal: candour.Principal{Issuer: "i", Subject: "s", Agency: "police-north", Roles: []candour.Role{candour.RoleAnalyst, candour.RoleAdmin}}, Action: candour.ActionInsightSummary, Purpose: candour.PurposeResearch, Now: now},
		"create":       {Action: candour.ActionFeedbackCreate, Resource: &candour.Resource{Agency: "a", Service: "s/t", Sensitivity: candour.SensitivitySafeguarding, Consent: &candour.Consent{}}, Now: now},
		"full consent": {Action: candour.ActionFeedbackRead, Purpose: candour.PurposeCaseManagement, Resource: &candour.Resource{ID: "r", Agency: "a", Consent: &full}, Now: now},
		"in a zone":    {Now: now.In(time.FixedZone("BST", 3600))},
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			var v any
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			want, err := ast.InterfaceToValue(v)
			if err != nil {
				t.Fatal(err)
			}
			if got := inputValue(in); got.Compare(want) != 0 {
				t.Errorf("inputValue:\n got %v\nwant %v", got, want)
			}
		})
	}
}
