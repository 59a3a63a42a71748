package policy

import (
	"math"
	"slices"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
)

// A clock tells apart the stretches of time in which a residual policy's
// answer cannot change: the residual reads the time only by comparing it with
// fixed instants, its thresholds, so its answer is the same at every instant
// between two of them. An analyst's insight, whose residual asks which
// agreements are in force, compares the time with each agreement's start and
// expiry; a caseworker's read does not read the time at all, and its clock has
// no thresholds. A memo (memo.go) keeps one decision for each stretch.
//
// Guarantees:
//   - The thresholds are the whole numbers that
//     time.parse_rfc3339_ns(input.now) is compared with (<, <=, >, >=, ==,
//     !=) anywhere in the residual, on either side (thresholds); a reading of
//     the time in any other way leaves the residual without a memo.
//   - The request's time is converted as OPA's time.parse_rfc3339_ns
//     converts input.now (the RFC 3339 text the input carries, read back),
//     and a time it cannot convert falls in no stretch and is evaluated in
//     full, so that a builtin error still makes the same undefined answer.
//     (n thresholds make 2n+1 stretches: each threshold instant is a stretch
//     of its own, for == and !=.)
type clock struct {
	thresholds []int64 // sorted, without repeats
}

// thresholds finds, in modules, the calls time.parse_rfc3339_ns(input.now)
// that are one side of a comparison whose other side is a whole number
// written in the policy, and returns those calls and a clock at those
// numbers.
func thresholds(modules []*ast.Module) (map[*ast.Term]bool, clock) {
	allowed := map[*ast.Term]bool{}
	var at []int64
	for _, m := range modules {
		ast.WalkExprs(m, func(e *ast.Expr) bool {
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
					at = append(at, x)
				}
			}
			return false
		})
	}
	slices.Sort(at)
	return allowed, clock{thresholds: slices.Compact(at)}
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
// threshold after those i. ok is false for a time OPA would not convert. A
// clock without thresholds has one stretch, which holds every time: its
// residual does not read the time at all.
func (c clock) stretch(now time.Time) (int, bool) {
	if len(c.thresholds) == 0 {
		return 0, true
	}
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
