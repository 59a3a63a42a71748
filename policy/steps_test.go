package policy_test

import (
	"context"
	"testing"

	"github.com/candour-vault/candour/policy"
)

// TestDecisionSteps holds each sample decision to the number of evaluation
// steps docs/benchmarks.md ("Policy") explains. On this machine a step costs
// about 1 µs, so a rule added to a decision's path is a cost to be measured
// and written down; a change in either direction fails here until the table
// and the docs say what it is. The insight decision with 30 more agreements
// that do not name the analyst's agency holds an agreement that does not
// concern the caller to three steps (the agreement, its partners, the
// membership check): the dates of an agreement are read only when it names
// the caller.
func TestDecisionSteps(t *testing.T) {
	ctx := context.Background()
	e, err := policy.Load(ctx, policy.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	many, err := policy.Compile(ctx, withOtherAgreements(t, 30))
	if err != nil {
		t.Fatal(err)
	}
	inputs := sampleInputs()
	tests := []struct {
		name   string
		engine *policy.Engine
		input  string
		steps  int
	}{
		{"a caseworker's submission", e, "caseworker-create", 32},
		{"a caseworker's read", e, "caseworker-read", 41},
		{"a partner analyst's insight query", e, "analyst-insight", 95},
		{"the same with 30 more agreements naming others", many, "analyst-insight", 95 + 30*3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := policy.EvalSteps(ctx, tt.engine, inputs[tt.input])
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.steps {
				t.Errorf("%s takes %d evaluation steps, want %d: measure the change (BenchmarkDecide) and update this table and docs/benchmarks.md", tt.name, n, tt.steps)
			}
		})
	}
}
