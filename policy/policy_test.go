package policy_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/policy"
)

// minCoverage is the floor of Rego line coverage the policy's tests must reach.
const minCoverage = 90.0

// TestRego runs every test_ rule in policy/rego inside go test, and holds the
// tests to a coverage floor.
func TestRego(t *testing.T) {
	ctx := context.Background()
	files, err := policy.ReadFiles(policy.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := policy.Test(ctx, files)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Failed {
		t.Errorf("Rego test %s", f)
	}
	if len(rep.Passed) < 25 {
		t.Errorf("%d Rego tests passed, want at least 25", len(rep.Passed))
	}
	if rep.Coverage < minCoverage {
		t.Errorf("Rego coverage %.1f%%, want at least %.0f%%", rep.Coverage, minCoverage)
	}
	t.Logf("%d Rego tests passed; coverage %.1f%%", len(rep.Passed), rep.Coverage)
}

// TestRegoTestsCanFail checks that the runner reports a failing Rego test, so
// TestRego's silence means something.
func TestRegoTestsCanFail(t *testing.T) {
	files := policy.Files{Modules: map[string]string{
		"p.rego":      "package candour\nallow if input.x == 1\n",
		"p_test.rego": "package candour_test\nimport data.candour\ntest_wrong if candour.allow with input as {\"x\": 2}\ntest_right if candour.allow with input as {\"x\": 1}\n",
	}, Data: map[string]any{}}
	rep, err := policy.Test(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Failed) != 1 || !strings.Contains(rep.Failed[0], "test_wrong") || len(rep.Passed) != 1 {
		t.Errorf("report %+v, want test_wrong failed and test_right passed", rep)
	}
}

func TestDecide(t *testing.T) {
	ctx := context.Background()
	e, err := policy.Load(ctx, policy.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	who := func(role candour.Role, agency string) candour.Principal {
		return candour.Principal{Subject: "s", Agency: agency, Roles: []candour.Role{role}}
	}
	given := &candour.Consent{Purposes: []candour.Purpose{candour.PurposeServiceImprovement}}
	withdrawnAt := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	withdrawn := &candour.Consent{Purposes: given.Purposes, WithdrawnAt: &withdrawnAt}
	rec := func(agency string, c *candour.Consent) *candour.Resource {
		return &candour.Resource{ID: "r", Agency: agency, Sensitivity: candour.SensitivityStandard, Consent: c}
	}
	tests := []struct {
		name      string
		in        candour.DecisionInput
		allow     bool
		flag      string
		scopeSize int
	}{
		{"create own service", candour.DecisionInput{Principal: who(candour.RoleCaseworker, "police-north"), Action: candour.ActionFeedbackCreate,
			Resource: &candour.Resource{Agency: "police-north", Service: "police/report-a-crime"}}, true, "", 0},
		{"create other agency's service", candour.DecisionInput{Principal: who(candour.RoleCaseworker, "police-north"), Action: candour.ActionFeedbackCreate,
			Resource: &candour.Resource{Agency: "police-north", Service: "victim-support/initial-contact"}}, false, "", 0},
		{"read own", candour.DecisionInput{Principal: who(candour.RoleCaseworker, "police-north"), Action: candour.ActionFeedbackRead,
			Purpose: candour.PurposeCaseManagement, Resource: rec("police-north", given)}, true, "", 0},
		{"read own withdrawn", candour.DecisionInput{Principal: who(candour.RoleCaseworker, "police-north"), Action: candour.ActionFeedbackRead,
			Purpose: candour.PurposeCaseManagement, Resource: rec("police-north", withdrawn)}, false, "", 0},
		{"admin read flagged", candour.DecisionInput{Principal: who(candour.RoleAdmin, "police-north"), Action: candour.ActionFeedbackRead,
			Purpose: candour.PurposeCaseManagement, Resource: rec("police-north", given)}, true, "admin_content_access", 0},
		{"read other agency", candour.DecisionInput{Principal: who(candour.RoleCaseworker, "police-north"), Action: candour.ActionFeedbackRead,
			Purpose: candour.PurposeCaseManagement, Resource: rec("victim-support-north", given)}, false, "", 0},
		{"no roles", candour.DecisionInput{Principal: candour.Principal{Agency: "police-north"}, Action: candour.ActionFeedbackCreate,
			Resource: &candour.Resource{Agency: "police-north", Service: "police/report-a-crime"}}, false, "", 0},
		{"auditor reads audit", candour.DecisionInput{Principal: who(candour.RoleAuditor, "police-north"), Action: candour.ActionAuditRead,
			Purpose: candour.PurposeAudit}, true, "", 0},
		{"caseworker reads audit", candour.DecisionInput{Principal: who(candour.RoleCaseworker, "police-north"), Action: candour.ActionAuditRead,
			Purpose: candour.PurposeAudit}, false, "", 0},
		{"partner analyst insight", candour.DecisionInput{Principal: who(candour.RoleAnalyst, "police-north"), Action: candour.ActionInsightSummary,
			Purpose: candour.PurposeServiceImprovement}, true, "", 2},
		{"unrelated analyst insight", candour.DecisionInput{Principal: who(candour.RoleAnalyst, "housing-north"), Action: candour.ActionInsightSummary,
			Purpose: candour.PurposeServiceImprovement}, true, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Now = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
			d, err := e.Decide(ctx, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allow != tt.allow {
				t.Errorf("allow = %v, want %v (reasons %v)", d.Allow, tt.allow, d.Reasons)
			}
			if d.Obligations.AuditFlag != tt.flag {
				t.Errorf("audit flag %q, want %q", d.Obligations.AuditFlag, tt.flag)
			}
			if len(d.Scope.Grants) != tt.scopeSize {
				t.Errorf("scope %+v, want %d grants", d.Scope, tt.scopeSize)
			}
			if d.ID == "" || !strings.HasPrefix(d.Revision, "sha256:") {
				t.Errorf("decision id %q revision %q: want both set", d.ID, d.Revision)
			}
			if len(d.Reasons) == 0 {
				t.Error("decision has no reasons")
			}
		})
	}
}

func TestFailClosed(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		rego      string
		cancelled bool // the request is gone before its decision
	}{
		{"decision not an object", "package candour\ndecision := 7\n", false},
		{"allow missing", "package candour\ndecision := {\"reasons\": []}\n", false},
		{"runtime error", "package candour\ndecision := {\"allow\": true, \"x\": 1/0 }\n", false},
		{"no decision rule", "package candour\nother := 1\n", false},
		{"request cancelled", "package candour\ndecision := {\"allow\": true, \"reasons\": [\"all\"]}\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := policy.Load(ctx, fstest.MapFS{"p.rego": {Data: []byte(tt.rego)}})
			if err != nil {
				return // refusing to load is also closed
			}
			ctx := ctx
			if tt.cancelled {
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				cancel()
			}
			d, err := e.Decide(ctx, candour.DecisionInput{Action: candour.ActionFeedbackCreate})
			if err == nil || d.Allow {
				t.Errorf("Decide = %+v, %v; want a denial and an error", d, err)
			}
		})
	}
}

func TestRevisionFollowsFiles(t *testing.T) {
	ctx := context.Background()
	load := func(src string) string {
		t.Helper()
		e, err := policy.Load(ctx, fstest.MapFS{"p.rego": {Data: []byte(src)}})
		if err != nil {
			t.Fatal(err)
		}
		return e.Revision()
	}
	a := load("package candour\ndecision := {\"allow\": false}\n")
	b := load("package candour\ndecision := {\"allow\": false }\n")
	if a == b {
		t.Errorf("revision %s did not change when the policy text changed", a)
	}
	if again := load("package candour\ndecision := {\"allow\": false}\n"); again != a {
		t.Errorf("revision %s, then %s for the same files", a, again)
	}
}
