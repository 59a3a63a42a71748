package policy

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestReport is the outcome of a policy's own Rego tests.
type TestReport struct {
	Passed   []string
	Failed   []string // "name: reason"
	Coverage float64  // percent of the non-test Rego lines the tests evaluate
}

// Test runs every test_ rule in f's *_test.rego files with OPA's tester,
// against f's data, and measures line coverage of the policy modules.
func Test(ctx context.Context, f Files) (TestReport, error) {
	modules := map[string]*ast.Module{}
	for name, src := range f.Modules {
		m, err := ast.ParseModule(name, src)
		if err != nil {
			return TestReport{}, fmt.Errorf("policy: %w", err)
		}
		modules[name] = m
	}
	cov := cover.New()
	ch, err := tester.NewRunner().
		SetStore(inmem.NewFromObject(f.Data)).
		SetModules(modules).
		SetCoverageQueryTracer(cov).
		SetCoverageRuns(nil).
		Run(ctx, modules)
	if err != nil {
		return TestReport{}, fmt.Errorf("policy: tests: %w", err)
	}
	var rep TestReport
	for r := range ch {
		name := strings.TrimPrefix(r.Package, "data.") + "." + r.Name
		switch {
		case r.Error != nil:
			rep.Failed = append(rep.Failed, fmt.Sprintf("%s: %v", name, r.Error))
		case r.Fail:
			rep.Failed = append(rep.Failed, name+": failed")
		default:
			rep.Passed = append(rep.Passed, name)
		}
	}
	sort.Strings(rep.Passed)
	sort.Strings(rep.Failed)
	policyModules := map[string]*ast.Module{}
	for name, m := range modules {
		if !strings.HasSuffix(name, "_test.rego") {
			policyModules[name] = m
		}
	}
	rep.Coverage = cov.Report(policyModules).Coverage
	return rep, nil
}
