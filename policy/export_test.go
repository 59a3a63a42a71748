package policy

import (
	"context"
	"errors"

	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/candour-vault/candour"
)

// Specialise builds e's specialisation for in's caller now, whatever the
// bound on builds, and keeps it, so that benchmarks and tests decide with it
// from their first decision.
func Specialise(ctx context.Context, e *Engine, in candour.DecisionInput) error {
	_, err := e.special.buildNow(ctx, in)
	return err
}

// DecideResidual decides in by evaluating e's specialisation for its caller
// in full, never from the specialisation's memo: the cost of the first
// decision for each kind of request and stretch of time.
func DecideResidual(ctx context.Context, e *Engine, in candour.DecisionInput) (candour.Decision, error) {
	sp := held(e, in)
	if sp == nil {
		return candour.Decision{}, errors.New("policy: not specialised")
	}
	return evaluate(ctx, &sp.pq, e.data, in)
}

// held returns the specialisation e holds for in's caller, or nil, without
// building one or touching the cache's order.
func held(e *Engine, in candour.DecisionInput) *specialisation {
	if e.special == nil {
		return nil
	}
	sp, _ := e.special.cache.Peek(e.special.key(in))
	return sp
}

// Whole returns a copy of e that decides every request with the whole
// policy, never specialised.
func Whole(e *Engine) *Engine {
	w := *e
	w.special = nil
	return &w
}

// EvalSteps counts the steps OPA's evaluator takes for one decision by e (the
// Eval events of its tracer), for TestDecisionSteps: by the whole policy, or
// by its specialisation for in's caller.
func EvalSteps(ctx context.Context, e *Engine, in candour.DecisionInput, specialised bool) (int, error) {
	pq := &e.prepared
	if specialised {
		sp, err := e.special.buildNow(ctx, in)
		if err != nil {
			return 0, err
		}
		pq = &sp.pq
	}
	buf := topdown.NewBufferTracer()
	if _, err := pq.Eval(ctx, rego.EvalParsedInput(inputValue(in)), rego.EvalQueryTracer(buf)); err != nil {
		return 0, err
	}
	n := 0
	for _, ev := range *buf {
		if ev.Op == topdown.EvalOp {
			n++
		}
	}
	return n, nil
}

// buildNow builds and keeps the specialisation for in's caller, waiting for
// any build under way and ignoring the bound on how often builds start.
func (s *specialiser) buildNow(ctx context.Context, in candour.DecisionInput) (*specialisation, error) {
	if s == nil {
		return nil, errors.New("policy: this policy is not specialised")
	}
	s.build.Lock()
	defer s.build.Unlock()
	sp, err := s.specialise(ctx, in)
	if err != nil {
		return nil, err
	}
	s.cache.Add(s.key(in), sp)
	return sp, nil
}

// Specialised reports whether e holds a specialisation for in's caller, so
// that a test comparing the two paths knows it compared two.
func Specialised(e *Engine, in candour.DecisionInput) bool { return held(e, in) != nil }

// Kept reports whether e's specialisation for in's caller keeps its
// decisions (memo.go).
func Kept(e *Engine, in candour.DecisionInput) bool {
	sp := held(e, in)
	return sp != nil && sp.memo != nil
}

// Dated reports whether e's specialisation for in's caller keeps its
// decisions for stretches of time between dates the policy names.
func Dated(e *Engine, in candour.DecisionInput) bool {
	sp := held(e, in)
	return sp != nil && sp.memo != nil && len(sp.memo.clock.thresholds) > 0
}

// Unspecialise forgets every specialisation e holds.
func Unspecialise(e *Engine) { e.special.cache.Purge() }

// KeptKeys returns how many keys e's specialisation for in's caller keeps
// decisions for (memo.go), or -1 when it keeps none.
func KeptKeys(e *Engine, in candour.DecisionInput) int {
	sp := held(e, in)
	if sp == nil || sp.memo == nil {
		return -1
	}
	return sp.memo.kept.Len()
}
