package policy

import (
	"strconv"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/candour-vault/candour"
)

// principalFields are the fields of input.principal the policy reads; all
// means the policy reads the principal as a whole or cannot be told.
type principalFields struct {
	all                     bool
	iss, sub, agency, roles bool
}

// callerKey is what a specialisation is built for: the principal's fields
// that the policy reads (the rest left empty), the action and the purpose.
type callerKey struct {
	iss, sub, agency, roles, action, purpose string
}

// inputReads reports which fields of input.principal the compiled policy
// reads. ok is false when the policy replaces its input with `with` (partial
// evaluation would have to follow it) or reads a top-level part of the input
// by a computed key or as a whole.
func inputReads(c *ast.Compiler) (principalFields, bool) {
	var f principalFields
	ok := true
	var vis *ast.GenericVisitor
	vis = ast.NewGenericVisitor(func(x any) bool {
		switch x := x.(type) {
		case *ast.With:
			if r, isRef := x.Target.Value.(ast.Ref); !isRef || r.HasPrefix(ast.InputRootRef) {
				ok = false
			}
		case ast.Var:
			if ast.InputRootDocument.Value.Compare(x) == 0 { // input, not as the head of a ref
				ok = false
			}
		case ast.Ref:
			if ast.InputRootDocument.Value.Compare(x[0].Value) == 0 {
				readRef(x, &f, &ok)
			} else {
				vis.Walk(x[0])
			}
			for _, t := range x[1:] {
				vis.Walk(t)
			}
			return true
		}
		return false
	})
	for _, m := range c.Modules {
		vis.Walk(m)
	}
	return f, ok
}

// readRef records what one reference into input reads.
func readRef(r ast.Ref, f *principalFields, ok *bool) {
	if len(r) < 2 {
		*ok = false
		return
	}
	top, isStr := r[1].Value.(ast.String)
	switch {
	case !isStr:
		*ok = false
	case top != "principal":
	case len(r) < 3:
		f.all = true
	default:
		switch k, _ := r[2].Value.(ast.String); k {
		case "iss":
			f.iss = true
		case "sub":
			f.sub = true
		case "agency":
			f.agency = true
		case "roles":
			f.roles = true
		default: // a computed key, or a field Candour's input does not have
			f.all = true
		}
	}
}

// project returns p with the fields the policy does not read left empty:
// what the policy cannot tell apart, a specialisation need not either.
func (f principalFields) project(p candour.Principal) candour.Principal {
	if f.all {
		return p
	}
	var q candour.Principal
	if f.iss {
		q.Issuer = p.Issuer
	}
	if f.sub {
		q.Subject = p.Subject
	}
	if f.agency {
		q.Agency = p.Agency
	}
	if f.roles {
		q.Roles = p.Roles
	}
	return q
}

// key returns the caller in is asked by, as far as the policy can tell callers
// apart.
func (s *specialiser) key(in candour.DecisionInput) callerKey {
	p := s.principal.project(in.Principal)
	k := callerKey{iss: p.Issuer, sub: p.Subject, agency: p.Agency, action: string(in.Action), purpose: string(in.Purpose)}
	if p.Roles == nil {
		k.roles = "null"
	}
	var b strings.Builder
	for _, r := range p.Roles { // length-prefixed, so no two lists share a key
		b.WriteString(strconv.Itoa(len(r)))
		b.WriteByte(':')
		b.WriteString(string(r))
	}
	k.roles += b.String()
	return k
}

// known is the input partial evaluation starts from: the principal as the
// key holds it, the action and the purpose; the resource and the time are
// unknown. It is built by inputValue, so that it is the value the whole
// policy would read.
func (s *specialiser) known(in candour.DecisionInput) ast.Value {
	in.Principal = s.principal.project(in.Principal)
	full := inputValue(in).(ast.Object)
	out := ast.NewObject()
	for _, k := range []string{"principal", "action", "purpose"} {
		if v := full.Get(ast.StringTerm(k)); v != nil {
			out.Insert(ast.StringTerm(k), v)
		}
	}
	return out
}
