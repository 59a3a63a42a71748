package policy

import (
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
	if in.Resource != nil {
		items = append(items, item("resource", resourceTerm(*in.Resource)))
	}
	return ast.NewObject(items...)
}

// resourceTerm is input.resource as inputValue builds it.
func resourceTerm(r candour.Resource) *ast.Term {
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
	return ast.ObjectTerm(res...)
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
