package policy

import (
	"fmt"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/candour-vault/candour"
)

// inputValue builds the Rego input for in directly as an AST value: the same
// value the JSON encoding of in would give (inputValue_test.go holds them
// equal), without a JSON round trip on every decision.
func inputValue(in candour.DecisionInput) ast.Value {
	p := in.Principal
	roles := make([]*ast.Term, len(p.Roles))
	for i, r := range p.Roles {
		roles[i] = ast.StringTerm(string(r))
	}
	rolesTerm := ast.NullTerm()
	if p.Roles != nil {
		rolesTerm = ast.ArrayTerm(roles...)
	}
	items := [][2]*ast.Term{
		item("principal", ast.ObjectTerm(
			item("iss", ast.StringTerm(p.Issuer)),
			item("sub", ast.StringTerm(p.Subject)),
			item("agency", ast.StringTerm(p.Agency)),
			item("roles", rolesTerm),
		)),
		item("action", ast.StringTerm(string(in.Action))),
		item("now", ast.StringTerm(in.Now.Format(time.RFC3339Nano))),
	}
	if in.Purpose != "" {
		items = append(items, item("purpose", ast.StringTerm(string(in.Purpose))))
	}
	if r := in.Resource; r != nil {
		res := [][2]*ast.Term{item("agency", ast.StringTerm(r.Agency))}
		if r.ID != "" {
			res = append(res, item("id", ast.StringTerm(r.ID)))
		}
		if r.Service != "" {
			res = append(res, item("service", ast.StringTerm(r.Service)))
		}
		if r.Sensitivity != "" {
			res = append(res, item("sensitivity", ast.StringTerm(string(r.Sensitivity))))
		}
		if c := r.Consent; c != nil {
			res = append(res, item("consent", consentTerm(*c)))
		}
		items = append(items, item("resource", ast.ObjectTerm(res...)))
	}
	return ast.NewObject(items...)
}

func consentTerm(c candour.Consent) *ast.Term {
	strs := func(xs []string) *ast.Term {
		if xs == nil {
			return ast.NullTerm()
		}
		ts := make([]*ast.Term, len(xs))
		for i, x := range xs {
			ts[i] = ast.StringTerm(x)
		}
		return ast.ArrayTerm(ts...)
	}
	purposes := make([]string, len(c.Purposes))
	for i, p := range c.Purposes {
		purposes[i] = string(p)
	}
	if c.Purposes == nil {
		purposes = nil
	}
	items := [][2]*ast.Term{
		item("purposes", strs(purposes)),
		item("method", ast.StringTerm(c.Method)),
		item("notice_version", ast.StringTerm(c.NoticeVersion)),
		item("captured_at", ast.StringTerm(c.CapturedAt.Format(time.RFC3339Nano))),
		item("captured_by", ast.StringTerm(c.CapturedBy)),
	}
	if len(c.ShareWith) > 0 {
		items = append(items, item("share_with", strs(c.ShareWith)))
	}
	if c.ExpiresAt != nil {
		items = append(items, item("expires_at", ast.StringTerm(c.ExpiresAt.Format(time.RFC3339Nano))))
	}
	if c.WithdrawnAt != nil {
		items = append(items, item("withdrawn_at", ast.StringTerm(c.WithdrawnAt.Format(time.RFC3339Nano))))
	}
	return ast.ObjectTerm(items...)
}

func item(k string, v *ast.Term) [2]*ast.Term { return ast.Item(ast.StringTerm(k), v) }

// decisionFrom reads the value of data.candour.decision. Anything that is not
// exactly a decision is an error.
func decisionFrom(v any) (d candour.Decision, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("not a decision: %v", r)
		}
	}()
	m := v.(map[string]any)
	for k := range m {
		switch k {
		case "allow", "reasons", "obligations", "scope":
		default:
			return d, fmt.Errorf("not a decision: unknown key %q", k)
		}
	}
	d.Allow = m["allow"].(bool)
	if r, ok := m["reasons"]; ok {
		d.Reasons = stringList(r)
	}
	if o, ok := m["obligations"]; ok {
		d.Obligations, err = obligationsFrom(o.(map[string]any))
		if err != nil {
			return d, err
		}
	}
	if s, ok := m["scope"]; ok {
		for _, g := range s.(map[string]any)["grants"].([]any) {
			gm := g.(map[string]any)
			grant := candour.ScopeGrant{Agency: gm["agency"].(string)}
			for _, p := range stringList(gm["purposes"]) {
				grant.Purposes = append(grant.Purposes, candour.Purpose(p))
			}
			for _, s := range stringList(gm["sensitivities"]) {
				grant.Sensitivities = append(grant.Sensitivities, candour.Sensitivity(s))
			}
			if sw, ok := gm["shared_with"]; ok {
				grant.SharedWith = sw.(string)
			}
			if f, ok := gm["fields"]; ok {
				grant.Fields = stringList(f)
			}
			d.Scope.Grants = append(d.Scope.Grants, grant)
		}
	}
	return d, nil
}

func obligationsFrom(m map[string]any) (candour.Obligations, error) {
	var o candour.Obligations
	for k, v := range m {
		switch k {
		case "redaction":
			o.Redaction = v.(string)
		case "audit_flag":
			o.AuditFlag = v.(string)
		case "export_recipient":
			o.ExportRecipient = v.(string)
		case "fields":
			o.Fields = stringList(v)
		case "audit_agencies":
			o.AuditAgencies = stringList(v)
		case "min_cell_size":
			n, err := toInt(v)
			if err != nil {
				return o, err
			}
			o.MinCellSize = n
		default:
			return o, fmt.Errorf("not a decision: unknown obligation %q", k)
		}
	}
	return o, nil
}

func stringList(v any) []string {
	xs := v.([]any)
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.(string)
	}
	return out
}

// toInt accepts the number types OPA hands back.
func toInt(v any) (int, error) {
	switch n := v.(type) {
	case interface{ Int64() (int64, error) }:
		i, err := n.Int64()
		return int(i), err
	case float64:
		return int(n), nil
	case int:
		return n, nil
	case int64:
		return int(n), nil
	}
	return 0, fmt.Errorf("not a decision: min_cell_size is %T", v)
}
