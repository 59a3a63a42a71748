package candour

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestClaimMapping(t *testing.T) {
	tests := []struct {
		name    string
		m       ClaimMapping
		claims  string
		agency  string
		roles   []Role
		wantErr bool
	}{
		{"defaults", ClaimMapping{}, `{"agency":"police-north","roles":["caseworker","analyst"]}`, "police-north", []Role{RoleCaseworker, RoleAnalyst}, false},
		{"unknown roles ignored", ClaimMapping{}, `{"agency":"police-north","roles":["caseworker","superuser","Admin"]}`, "police-north", []Role{RoleCaseworker}, false},
		{"one role as a string", ClaimMapping{}, `{"roles":"auditor"}`, "", []Role{RoleAuditor}, false},
		{"keycloak realm roles", ClaimMapping{RolesClaim: "realm_access.roles", AgencyClaim: "org.id",
			RoleValues: map[string]Role{"candour-caseworker": RoleCaseworker, "candour-dpo": RoleAdmin}},
			`{"realm_access":{"roles":["offline_access","candour-dpo"]},"org":{"id":"housing-north"}}`, "housing-north", []Role{RoleAdmin}, false},
		{"mapping takes only what it names", ClaimMapping{RoleValues: map[string]Role{"CW": RoleCaseworker}},
			`{"roles":["caseworker","CW"]}`, "", []Role{RoleCaseworker}, false},
		{"the person's role is never taken from a token", ClaimMapping{}, `{"roles":["person","caseworker"]}`, "", []Role{RoleCaseworker}, false},
		{"nor mapped onto", ClaimMapping{RoleValues: map[string]Role{"citizen": RolePerson}}, `{"roles":["citizen"]}`, "", nil, false},
		{"repeated role once", ClaimMapping{}, `{"roles":["analyst","analyst"]}`, "", []Role{RoleAnalyst}, false},
		{"no roles", ClaimMapping{}, `{"agency":"police-north"}`, "police-north", nil, false},
		{"path through a non-object", ClaimMapping{RolesClaim: "a.b"}, `{"a":"x"}`, "", nil, false},
		{"malformed agency", ClaimMapping{}, `{"agency":"Police North!"}`, "", nil, true},
		{"agency not a string", ClaimMapping{}, `{"agency":7}`, "", nil, true},
		{"roles not strings", ClaimMapping{}, `{"roles":[1,2]}`, "", nil, true},
		{"roles an object", ClaimMapping{}, `{"roles":{"a":1}}`, "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var claims map[string]any
			if err := json.Unmarshal([]byte(tt.claims), &claims); err != nil {
				t.Fatal(err)
			}
			p, err := tt.m.Principal("iss", "sub", claims)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if p.Agency != tt.agency || !slices.Equal(p.Roles, tt.roles) || p.Issuer != "iss" || p.Subject != "sub" {
				t.Errorf("got %+v, want agency %q roles %v", p, tt.agency, tt.roles)
			}
		})
	}
}

func TestParseRoleValues(t *testing.T) {
	got, err := ParseRoleValues("candour-cw=caseworker, dpo=admin")
	if err != nil || len(got) != 2 || got["candour-cw"] != RoleCaseworker || got["dpo"] != RoleAdmin {
		t.Errorf("got %v, %v", got, err)
	}
	for _, bad := range []string{"x", "x=root", "=admin", "citizen=person"} {
		if _, err := ParseRoleValues(bad); err == nil {
			t.Errorf("ParseRoleValues(%q) accepted", bad)
		}
	}
	if got, err := ParseRoleValues(" "); got != nil || err != nil {
		t.Errorf("empty: %v %v", got, err)
	}
}
