package policy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/policy"
)

// TestRego runs every test_ rule in policy/rego inside go test.
func TestRego(t *testing.T) {
	ctx := context.Background()
	fsys := policy.Embedded()
	modules := map[string]*ast.Module{}
	regoFiles, err := fs.Glob(fsys, "*.rego")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range regoFiles {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		m, err := ast.ParseModule(name, string(b))
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		modules[name] = m
	}
	engineData, err := fs.ReadFile(fsys, "data.json")
	if err != nil {
		t.Fatal(err)
	}
	store := loadStore(t, engineData)
	ch, err := tester.NewRunner().SetStore(store).SetModules(modules).Run(ctx, modules)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r := range ch {
		n++
		if r.Fail || r.Error != nil {
			t.Errorf("%s.%s: fail=%v err=%v", r.Package, r.Name, r.Fail, r.Error)
		}
	}
	if n < 8 {
		t.Errorf("ran %d Rego tests, want at least 8", n)
	}
}

func TestDecide(t *testing.T) {
	ctx := context.Background()
	e, err := policy.Load(ctx, policy.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	cw := func(agency string) candour.Principal {
		return candour.Principal{Subject: "cw", Agency: agency, Roles: []candour.Role{candour.RoleCaseworker}}
	}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   candour.DecisionInput
		want bool
	}{
		{"create own agency", candour.DecisionInput{Principal: cw("police-north"), Action: candour.ActionFeedbackCreate,
			Resource: &candour.Resource{Agency: "police-north"}}, true},
		{"create for other agency", candour.DecisionInput{Principal: cw("police-north"), Action: candour.ActionFeedbackCreate,
			Resource: &candour.Resource{Agency: "victim-support-north"}}, false},
		{"read own for case management", candour.DecisionInput{Principal: cw("police-north"), Action: candour.ActionFeedbackRead,
			Purpose: candour.PurposeCaseManagement, Resource: &candour.Resource{Agency: "police-north"}}, true},
		{"read other agency", candour.DecisionInput{Principal: cw("police-north"), Action: candour.ActionFeedbackRead,
			Purpose: candour.PurposeCaseManagement, Resource: &candour.Resource{Agency: "victim-support-north"}}, false},
		{"no roles", candour.DecisionInput{Principal: candour.Principal{Agency: "police-north"}, Action: candour.ActionFeedbackCreate,
			Resource: &candour.Resource{Agency: "police-north"}}, false},
		{"auditor reads audit", candour.DecisionInput{Principal: candour.Principal{Roles: []candour.Role{candour.RoleAuditor}},
			Action: candour.ActionAuditRead}, true},
		{"caseworker reads audit", candour.DecisionInput{Principal: cw("police-north"), Action: candour.ActionAuditRead}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Now = now
			d, err := e.Decide(ctx, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allow != tt.want {
				t.Errorf("allow = %v, want %v (reasons %v)", d.Allow, tt.want, d.Reasons)
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
		name string
		rego string
	}{
		{"decision not an object", "package candour\ndecision := 7\n"},
		{"allow missing", "package candour\ndecision := {\"reasons\": []}\n"},
		{"runtime error", "package candour\ndecision := {\"allow\": true, \"x\": 1/0 }\n"},
		{"no decision rule", "package candour\nother := 1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := policy.Load(ctx, fstest.MapFS{"p.rego": {Data: []byte(tt.rego)}})
			if err != nil {
				return // refusing to load is also closed
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

func loadStore(t *testing.T, data []byte) storage.Store {
	t.Helper()
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return inmem.NewFromObject(v)
}
