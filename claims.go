package candour

import (
	"slices"
	"strings"
)

// ClaimMapping says where an identity provider's token or ID token keeps
// a person's roles and agency, and how its role values map onto Candour's
// roles. Real providers differ (Microsoft Entra ID app roles in "roles",
// Keycloak in "realm_access.roles", groups elsewhere), so this is
// configuration, not code. The zero value reads "roles" and "agency" and
// takes role values that are Candour's role names as they are.
type ClaimMapping struct {
	// RolesClaim is the dotted path of the claim holding the roles: a list
	// of strings, or one string. Empty means "roles".
	RolesClaim string
	// AgencyClaim is the dotted path of the claim holding the agency id.
	// Empty means "agency".
	AgencyClaim string
	// RoleValues maps a provider's role value onto a Candour role. When it
	// is empty, values that are Candour role names are taken as they are.
	RoleValues map[string]Role
}

// Principal reads iss, sub, agency and roles from claims (a decoded JSON
// object). Role values the mapping does not know are ignored, not refused:
// a person may hold roles in other systems. A malformed agency is an error;
// so is a roles claim that is neither a string nor a list of strings.
func (m ClaimMapping) Principal(iss, sub string, claims map[string]any) (Principal, error) {
	p := Principal{Issuer: iss, Subject: sub}
	if v, ok := lookupClaim(claims, m.AgencyClaim, "agency"); ok {
		s, isString := v.(string)
		if !isString || (s != "" && !ValidAgencyID(s)) {
			return Principal{}, Errorf(EUNAUTHORIZED, "The agency claim is malformed.")
		}
		p.Agency = s
	}
	v, ok := lookupClaim(claims, m.RolesClaim, "roles")
	if !ok {
		return p, nil
	}
	var values []string
	switch v := v.(type) {
	case string:
		values = []string{v}
	case []any:
		for _, e := range v {
			s, isString := e.(string)
			if !isString {
				return Principal{}, Errorf(EUNAUTHORIZED, "The roles claim is malformed.")
			}
			values = append(values, s)
		}
	default:
		return Principal{}, Errorf(EUNAUTHORIZED, "The roles claim is malformed.")
	}
	for _, s := range values {
		role, known := m.role(s)
		if known && !slices.Contains(p.Roles, role) {
			p.Roles = append(p.Roles, role)
		}
	}
	return p, nil
}

func (m ClaimMapping) role(value string) (Role, bool) {
	if len(m.RoleValues) == 0 {
		r := Role(value)
		return r, r.Valid()
	}
	r, ok := m.RoleValues[value]
	return r, ok && r.Valid()
}

// lookupClaim follows a dotted path (or def when path is empty) through
// nested objects.
func lookupClaim(claims map[string]any, path, def string) (any, bool) {
	if path == "" {
		path = def
	}
	var cur any = claims
	for part := range strings.SplitSeq(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// ParseRoleValues reads "value=role,value=role" (as a flag or an
// environment variable gives it) into a RoleValues map. Every role named
// must be one of Candour's.
func ParseRoleValues(s string) (map[string]Role, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := map[string]Role{}
	for pair := range strings.SplitSeq(s, ",") {
		value, role, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || value == "" || !Role(role).Valid() {
			return nil, Errorf(EINVALID, "Each role mapping must be provider-value=role, with role one of caseworker, analyst, auditor or admin.")
		}
		out[value] = Role(role)
	}
	return out, nil
}
