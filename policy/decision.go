package policy

import (
	"errors"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/candour-vault/candour"
)

// decisionFrom reads the value of data.candour.decision as OPA's evaluator
// left it, without converting it to Go's maps and slices first. Anything that
// is not exactly a decision is an error. A set is read in OPA's order, which
// is sorted, so a set of reasons or grants reaches Go as a sorted list.
func decisionFrom(v ast.Value) (candour.Decision, error) {
	var d candour.Decision
	obj, ok := v.(ast.Object)
	if !ok {
		return d, fmt.Errorf("not a decision: a %s", ast.ValueName(v))
	}
	allow := false
	err := eachKey(obj, func(key string, val ast.Value) (err error) {
		switch key {
		case "allow":
			b, ok := val.(ast.Boolean)
			if !ok {
				return errors.New("not a decision: allow is not true or false")
			}
			d.Allow, allow = bool(b), true
		case "reasons":
			d.Reasons, err = stringList("reasons", val)
		case "obligations":
			d.Obligations, err = obligationsFrom(val)
		case "scope":
			d.Scope, err = scopeFrom(val)
		default:
			err = fmt.Errorf("not a decision: unknown key %q", key)
		}
		return err
	})
	if err == nil && !allow {
		err = errors.New("not a decision: no allow")
	}
	return d, err
}

func obligationsFrom(v ast.Value) (candour.Obligations, error) {
	var o candour.Obligations
	obj, ok := v.(ast.Object)
	if !ok {
		return o, errors.New("not a decision: obligations is not an object")
	}
	return o, eachKey(obj, func(key string, val ast.Value) (err error) {
		switch key {
		case "redaction":
			o.Redaction, err = str(key, val)
		case "audit_flag":
			o.AuditFlag, err = str(key, val)
		case "export_recipient":
			o.ExportRecipient, err = str(key, val)
		case "fields":
			o.Fields, err = stringList(key, val)
		case "audit_agencies":
			o.AuditAgencies, err = stringList(key, val)
		case "min_cell_size":
			n, ok := val.(ast.Number)
			if ok {
				o.MinCellSize, ok = n.Int()
			}
			if !ok {
				return errors.New("not a decision: min_cell_size is not a whole number")
			}
		default:
			err = fmt.Errorf("not a decision: unknown obligation %q", key)
		}
		return err
	})
}

// scopeFrom reads the scope's grants; other keys of the scope and of its
// grants are left for policies to come.
func scopeFrom(v ast.Value) (candour.Scope, error) {
	var s candour.Scope
	obj, ok := v.(ast.Object)
	if !ok {
		return s, errors.New("not a decision: scope is not an object")
	}
	grants := obj.Get(ast.InternedTerm("grants"))
	if grants == nil {
		return s, errors.New("not a decision: scope has no grants")
	}
	err := eachItem("grants", grants.Value, func(t *ast.Term) error {
		gobj, ok := t.Value.(ast.Object)
		if !ok {
			return errors.New("not a decision: a grant is not an object")
		}
		var g candour.ScopeGrant
		agency := false
		err := eachKey(gobj, func(key string, val ast.Value) (err error) {
			var xs []string
			switch key {
			case "agency":
				g.Agency, err = str(key, val)
				agency = true
			case "purposes":
				xs, err = stringList(key, val)
				for _, x := range xs {
					g.Purposes = append(g.Purposes, candour.Purpose(x))
				}
			case "sensitivities":
				xs, err = stringList(key, val)
				for _, x := range xs {
					g.Sensitivities = append(g.Sensitivities, candour.Sensitivity(x))
				}
			case "shared_with":
				g.SharedWith, err = str(key, val)
			case "fields":
				g.Fields, err = stringList(key, val)
			}
			return err
		})
		if err == nil && !agency {
			err = errors.New("not a decision: a grant names no agency")
		}
		s.Grants = append(s.Grants, g)
		return err
	})
	return s, err
}

// eachKey calls f with each key of obj, which must be a string, and its
// value, until f fails.
func eachKey(obj ast.Object, f func(key string, val ast.Value) error) error {
	var err error
	obj.Foreach(func(k, v *ast.Term) {
		if err != nil {
			return
		}
		key, ok := k.Value.(ast.String)
		if !ok {
			err = fmt.Errorf("not a decision: a key is a %s", ast.ValueName(k.Value))
			return
		}
		err = f(string(key), v.Value)
	})
	return err
}

// eachItem calls f with each item of an array, in order, or of a set, in
// OPA's sorted order.
func eachItem(name string, v ast.Value, f func(*ast.Term) error) error {
	switch xs := v.(type) {
	case *ast.Array:
		return xs.Iter(f)
	case ast.Set:
		return xs.Iter(f)
	}
	return fmt.Errorf("not a decision: %s is not a list", name)
}

func stringList(name string, v ast.Value) ([]string, error) {
	out := []string{}
	err := eachItem(name, v, func(t *ast.Term) error {
		s, err := str(name, t.Value)
		out = append(out, s)
		return err
	})
	return out, err
}

func str(name string, v ast.Value) (string, error) {
	s, ok := v.(ast.String)
	if !ok {
		return "", fmt.Errorf("not a decision: %s holds a %s, not a string", name, ast.ValueName(v))
	}
	return string(s), nil
}
