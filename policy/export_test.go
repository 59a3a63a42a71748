package policy

import (
	"context"

	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/candour-vault/candour"
)

// EvalSteps counts the steps OPA's evaluator takes for one decision by e (the
// Eval events of its tracer), for TestDecisionSteps.
func EvalSteps(ctx context.Context, e *Engine, in candour.DecisionInput) (int, error) {
	buf := topdown.NewBufferTracer()
	if _, err := e.prepared.Eval(ctx, rego.EvalParsedInput(inputValue(in)), rego.EvalQueryTracer(buf)); err != nil {
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
