package policy

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/candour-vault/candour"
)

// A memo keeps the decisions of a specialisation whose residual policy reads
// the request only at a few places written in the policy. Once the policy is
// specialised to a caller, little of the request is left for it to read: a
// caseworker's read asks the record's agency, whether its consent was
// withdrawn and who gave it; a caseworker's submission, the record's agency
// and service; an analyst's insight, only which agreements are in force at
// the request's time. Two requests that agree at every place the residual
// reads, and fall in the same stretch of time (clock.go), are decided alike
// by it, so the memo decides once for each such key and answers the next
// request with the same key from what it kept.
//
// Guarantees:
//   - A memo is made only for a residual that, anywhere in the rules it
//     evaluates: refers to the input only by references that begin with
//     input and a key written in the policy as a string (input.resource.agency,
//     input.resource.consent.purposes[_]), never input.now; reads the time
//     only as a clock does (time.parse_rfc3339_ns(input.now) compared with a
//     whole number written in the policy); replaces nothing with `with`; and
//     calls no built-in function OPA marks non-deterministic (time.now_ns,
//     http.send, rand.intn and the like). Anything else is evaluated on every
//     request, as before.
//   - A request's key holds, for each such reference, the value that its
//     written keys lead to in the input the policy is given (inputValue),
//     written out whole, or a mark of its own where nothing is there. So two
//     requests with one key look the same to the residual wherever it looks,
//     and a decision kept for one is the decision for the other.
//   - A time OPA cannot convert is decided in full and not kept (clock.go).
//   - Each key keeps one decision, for the stretch of time last decided
//     (requests come at the server's time, which moves forward); at most
//     maxKept keys for each specialisation, least recently used first out.
type memo struct {
	clock    clock
	paths    []ast.Ref // input and the written keys of each reference the residual makes into it
	resource bool      // every path is into input.resource
	kept     *lru.Cache[string, kept]
}

// kept is a decision, as OPA's value, and the stretch of time it holds for.
type kept struct {
	stretch int
	value   ast.Value
}

// maxKept bounds the keys one specialisation keeps decisions for. A key is a
// kind of record as the residual sees it (for a caseworker's read: the
// agency, the consent's method and whether and when it was withdrawn), so a
// caller sees a few; the bound keeps a stream of withdrawn records, each a key
// of its own, from growing the memory (at most maxSpecialised × maxKept
// decisions in all).
const maxKept = 64

// memoFor returns a memo for the residual policy made of modules, or nil
// when the residual reads the request in a way a key cannot capture (see
// memo).
func memoFor(modules []*ast.Module) *memo {
	allowed, clk := thresholds(modules)
	paths := map[string]ast.Ref{}
	ok := true
	var vis *ast.GenericVisitor
	vis = ast.NewGenericVisitor(func(x any) bool {
		if !ok {
			return true
		}
		switch x := x.(type) {
		case *ast.Expr:
			if len(x.With) > 0 {
				ok = false
			}
		case *ast.Term:
			return allowed[x] // input.now, as a clock reads it
		case ast.Var:
			if x.Equal(ast.InputRootDocument.Value) { // input, not as the head of a reference
				ok = false
			}
		case ast.Ref:
			if b := ast.BuiltinMap[x.String()]; b != nil && b.Nondeterministic {
				ok = false
				return true
			}
			if x[0].Value.Compare(ast.InputRootDocument.Value) != 0 {
				return false
			}
			n := 1 // input, and the keys written as strings after it
			for n < len(x) {
				if _, isStr := x[n].Value.(ast.String); !isStr {
					break
				}
				n++
			}
			if n == 1 || x[1].Value.Compare(ast.String("now")) == 0 {
				ok = false // input by a computed key, or the time read other than as a clock reads it
				return true
			}
			paths[x[:n].String()] = x[:n]
			for _, t := range x[n:] {
				vis.Walk(t)
			}
			return true
		}
		return false
	})
	for _, m := range modules {
		vis.Walk(m)
	}
	if !ok {
		return nil
	}
	cache, err := lru.New[string, kept](maxKept)
	if err != nil {
		return nil
	}
	mo := &memo{clock: clk, kept: cache, resource: true}
	for _, k := range slices.Sorted(maps.Keys(paths)) {
		mo.paths = append(mo.paths, paths[k])
		mo.resource = mo.resource && paths[k][1].Value.Compare(ast.String("resource")) == 0
	}
	return mo
}

// decide decides in by pq, the residual the memo was made for: from what the
// memo kept for in's key and stretch of time, else by evaluating pq and
// keeping the result.
func (m *memo) decide(ctx context.Context, pq *rego.PreparedEvalQuery, data dataCache, in candour.DecisionInput) (candour.Decision, error) {
	i, ok := m.clock.stretch(in.Now)
	if !ok {
		return evaluate(ctx, pq, data, in) // a time OPA cannot convert: its answer, not a kept one
	}
	k := m.key(in)
	if kv, hit := m.kept.Get(k); hit && kv.stretch == i {
		return decisionOf(kv.value)
	}
	v, err := result(ctx, pq, data, inputValue(in))
	if err != nil {
		return candour.Decision{}, err
	}
	m.kept.Add(k, kept{stretch: i, value: v})
	return decisionOf(v)
}

// key writes out the value at each of the memo's paths in in's input
// (inputValue), each prefixed by its length, or "-" where the input has
// nothing there. When every path is into the resource, only the resource is
// built, as inputValue builds it.
func (m *memo) key(in candour.DecisionInput) string {
	if len(m.paths) == 0 {
		return ""
	}
	var input ast.Value
	switch {
	case !m.resource:
		input = inputValue(in)
	case in.Resource != nil:
		input = ast.NewObject(item("resource", resourceTerm(*in.Resource)))
	default:
		input = ast.NewObject()
	}
	var b strings.Builder
	for _, p := range m.paths {
		v, err := input.Find(p[1:])
		if err != nil {
			b.WriteByte('-')
			continue
		}
		s := v.String()
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	return b.String()
}
