package policy

import (
	"math"
	"slices"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
)

// A clock serves the decisions of a specialisation whose residual policy
// reads nothing of the request but its time, and reads the time only by
// comparing it with fixed instants: an analyst's insight, whose residual
// asks which agreements are in force, or an auditor's read of the log, which
// asks nothing at all. Such a decision is the same at every instant between
// two of those thresholds, so the clock decides once for each stretch of time
// the request falls in and keeps the result for the next request in the same
// stretch.
//
// Guarantees:
//   - A clock is made only for a residual that, anywhere in the rules it
//     evaluates: refers to the input in no way but
//     time.parse_rfc3339_ns(input.now) as one side of a comparison (<, <=,
//     >, >=, ==, !=) whose other side is a whole number written in the
//     policy; replaces nothing with `with`; and calls no built-in function
//     OPA marks non-deterministic (time.now_ns, http.send, rand.intn and the
//     like). Anything else is evaluated for every request, as before.
//   - The request's time is converted as OPA's time.parse_rfc3339_ns
//     converts input.now (the RFC 3339 text the input carries, read back),
//     and a time it cannot convert is evaluated in full, so that a builtin
//     error still makes the same undefined answer.
//   - It keeps one result, for the stretch last decided: requests come at
//     the server's time, which moves forward through the stretches, so one
//     is all a caller uses, and a clock's memory does not grow with the
//     thresholds. (n thresholds make 2n+1 stretches: each threshold instant
//     is a stretch of its own, for == and !=.)
type clock struct {
	thresholds []int64 // sorted, without repeats
	last       atomic.Pointer[kept]
}

// kept is a decision, as OPA's value, and the stretch of time it holds for.
type kept struct {
	stretch int
	value   ast.Value
}

// timeOnly returns a clock for the residual policy made of modules, or nil
// when the residual reads more of the request than its time compared with
// fixed instants (see clock).
func timeOnly(modules []*ast.Module) *clock {
	allowed := map[*ast.Term]bool{} // time.parse_rfc3339_ns(input.now) calls inside a comparison with a constant
	var thresholds []int64
	ok := true
	for _, m := range modules {
		ast.WalkExprs(m, func(e *ast.Expr) bool {
			if len(e.With) > 0 {
				ok = false
			}
			if !isComparison(e) {
				return false
			}
			ops := e.Operands()
			for i, t := range ops {
				if !isNow(t) {
					continue
				}
				n, isNum := ops[1-i].Value.(ast.Number)
				if !isNum {
					continue
				}
				if x, whole := n.Int64(); whole {
					allowed[t] = true
					thresholds = append(thresholds, x)
				}
			}
			return false
		})
		ast.WalkTerms(m, func(t *ast.Term) bool {
			if allowed[t] {
				return true // input.now, as a threshold comparison reads it
			}
			switch v := t.Value.(type) {
			case ast.Var:
				if v.Equal(ast.InputRootDocument.Value) {
					ok = false
				}
			case ast.Ref:
				if b := ast.BuiltinMap[v.String()]; b != nil && b.Nondeterministic {
					ok = false
				}
			}
			return !ok
		})
		if !ok {
			return nil
		}
	}
	slices.Sort(thresholds)
	thresholds = slices.Compact(thresholds)
	return &clock{thresholds: thresholds}
}

// isComparison reports whether e is one of the built-in comparisons a
// residual may compare the time with.
func isComparison(e *ast.Expr) bool {
	if !e.IsCall() || len(e.Operands()) != 2 {
		return false
	}
	switch e.Operator().String() {
	case ast.LessThan.Name, ast.LessThanEq.Name, ast.GreaterThan.Name, ast.GreaterThanEq.Name, ast.Equal.Name, ast.NotEqual.Name:
		return true
	}
	return false
}

// isNow reports whether t is exactly time.parse_rfc3339_ns(input.now).
func isNow(t *ast.Term) bool {
	call, ok := t.Value.(ast.Call)
	return ok && len(call) == 2 && call[0].Value.Compare(ast.ParseRFC3339Nanos.Ref()) == 0 &&
		call[1].Value.Compare(ast.InputRootRef.Append(ast.InternedTerm("now"))) == 0
}

// stretch returns the index of the stretch of time now falls in: 2i when i
// thresholds lie before it and it is none of them, 2i+1 when it is the
// threshold after those i. ok is false for a time OPA would not convert.
func (c *clock) stretch(now time.Time) (int, bool) {
	// As input.now reaches time.parse_rfc3339_ns, and within the instants it
	// converts to nanoseconds.
	t, err := time.Parse(time.RFC3339, now.Format(time.RFC3339Nano))
	if err != nil || t.Before(time.Unix(0, math.MinInt64)) || t.After(time.Unix(0, math.MaxInt64)) {
		return 0, false
	}
	i, exact := slices.BinarySearch(c.thresholds, t.UnixNano())
	if exact {
		return 2*i + 1, true
	}
	return 2 * i, true
}

// result returns the decision kept for stretch i, if any.
func (c *clock) result(i int) ast.Value {
	if k := c.last.Load(); k != nil && k.stretch == i {
		return k.value
	}
	return nil
}

// keep keeps v as the decision for stretch i, in place of the one kept
// before.
func (c *clock) keep(i int, v ast.Value) { c.last.Store(&kept{stretch: i, value: v}) }
