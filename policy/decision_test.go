package policy

import (
	"reflect"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/candour-vault/candour"
)

// TestDecisionFrom reads decisions written as Rego values: sets come out
// sorted, lists in order, numbers as whole numbers, and what the policy
// leaves out stays empty.
func TestDecisionFrom(t *testing.T) {
	tests := []struct {
		name string
		rego string
		want candour.Decision
	}{
		{"a denial", `{"allow": false, "reasons": {"b", "a"}}`,
			candour.Decision{Reasons: []string{"a", "b"}}},
		{"a read", `{"allow": true, "reasons": ["r"], "obligations": {"redaction": "none", "fields": ["comments", "ratings"], "audit_flag": "admin_content_access"}, "scope": {"grants": []}}`,
			candour.Decision{Allow: true, Reasons: []string{"r"}, Obligations: candour.Obligations{Redaction: "none",
				Fields: []string{"comments", "ratings"}, AuditFlag: "admin_content_access"}}},
		{"insight with two grants", `{"allow": true, "reasons": set(), "obligations": {"redaction": "redacted", "min_cell_size": 10, "fields": [], "export_recipient": "age1x"},
			"scope": {"grants": {{"agency": "z", "purposes": ["p"], "sensitivities": ["standard"], "shared_with": "me", "fields": ["ratings"]},
				{"agency": "a", "purposes": ["p"], "sensitivities": ["safeguarding", "standard"]}}}}`,
			candour.Decision{Allow: true, Reasons: []string{}, Obligations: candour.Obligations{Redaction: "redacted", MinCellSize: 10,
				Fields: []string{}, ExportRecipient: "age1x"},
				Scope: candour.Scope{Grants: []candour.ScopeGrant{
					{Agency: "a", Purposes: []candour.Purpose{"p"}, Sensitivities: []candour.Sensitivity{"safeguarding", "standard"}},
					{Agency: "z", Purposes: []candour.Purpose{"p"}, Sensitivities: []candour.Sensitivity{"standard"}, SharedWith: "me", Fields: []string{"ratings"}},
				}}}},
		{"the log", `{"allow": true, "obligations": {"audit_agencies": ["*"]}}`,
			candour.Decision{Allow: true, Obligations: candour.Obligations{AuditAgencies: []string{"*"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decisionFrom(ast.MustParseTerm(tt.rego).Value)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestDecisionFromRejects: anything that is not exactly a decision is an
// error, never a partial decision taken for a whole one.
func TestDecisionFromRejects(t *testing.T) {
	tests := map[string]string{
		"not an object":          `7`,
		"no allow":               `{"reasons": []}`,
		"allow not bool":         `{"allow": "yes"}`,
		"unknown key":            `{"allow": true, "extra": 1}`,
		"key not a string":       `{"allow": true, 1: 2}`,
		"unknown obligation":     `{"allow": true, "obligations": {"x": 1}}`,
		"obligations not object": `{"allow": true, "obligations": ["none"]}`,
		"bad reasons":            `{"allow": true, "reasons": [1]}`,
		"reasons not a list":     `{"allow": true, "reasons": "all"}`,
		"bad scope":              `{"allow": true, "scope": {"grants": [7]}}`,
		"scope without grants":   `{"allow": true, "scope": {}}`,
		"grant without agency":   `{"allow": true, "scope": {"grants": [{"purposes": ["p"]}]}}`,
		"bad grant field":        `{"allow": true, "scope": {"grants": [{"agency": "a", "fields": "all"}]}}`,
		"bad cell size":          `{"allow": true, "obligations": {"min_cell_size": "ten"}}`,
		"fractional cell size":   `{"allow": true, "obligations": {"min_cell_size": 10.5}}`,
		"redaction not a string": `{"allow": true, "obligations": {"redaction": false}}`,
	}
	for name, rego := range tests {
		if d, err := decisionFrom(ast.MustParseTerm(rego).Value); err == nil {
			t.Errorf("%s: decisionFrom accepted %s as %+v", name, rego, d)
		}
	}
}
