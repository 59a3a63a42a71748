package policy

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/candour-vault/candour"
)

// A specialiser serves each caller a copy of the policy partially evaluated
// for them. Before a request's resource is read, three parts of its input are
// already fixed by who asks and why: the principal, the action and the
// purpose. OPA's partial evaluation folds every rule that depends only on
// those into constants, and leaves a residual policy over what is still
// unknown, the resource and the time of the request: for a caseworker's read,
// three comparisons of the record's fields instead of the whole policy.
//
// Guarantees:
//   - A specialisation is put in service only once it has decided a set of
//     probe requests for its caller (every shape of record Candour sends,
//     none, and times from the past to the future: probes) exactly as the
//     whole policy does. OPA's partial evaluation can move a reference the
//     policy reads outside a negation into it (github.com/open-policy-agent/
//     opa/issues/1877 explains the rewriting), which changes what an absent
//     field means; a residual that disagrees is built again in OPA's
//     shallow mode, which does not, and one that still disagrees is not
//     used. TestSpecialisedAgrees holds the two paths equal over every kind
//     of caller, action, purpose, record and time.
//   - The caller's key holds exactly the fields of the principal the policy
//     reads (inputReads): a policy that reads the principal as a whole, by a
//     computed key, or replaces input with `with`, is specialised per
//     principal, or not at all.
//   - A request never waits for a specialisation other than its own, and a
//     build that fails or is refused leaves the request to the whole policy:
//     specialising is a cache, never a second policy.
//   - A specialisation that reads the request only at places written in the
//     policy (the record's agency, say), and its time, if at all, only by
//     comparing it with fixed instants, decides once for each key (what the
//     request holds at those places) and stretch of time between those
//     instants, and keeps the decision (memo.go): a caseworker's reads of
//     their agency's records are decided once, and an analyst's insight
//     decision is not evaluated again until an agreement starts or ends.
//     TestClockAgrees holds it to the whole policy on either side of every
//     such instant, and TestMemoAgrees over records that differ at every
//     place a residual reads.
//   - Builds are bounded: one at a time, and each waits after the last for
//     nine times as long as that one took, so a stream of new callers spends
//     at most about a tenth of one core on them; the cache holds at most
//     maxSpecialised callers, least recently used first out.
type specialiser struct {
	compiler  *ast.Compiler // the whole policy, compiled once, for partial evaluation and pruning
	store     storage.Store
	engine    *Engine // the whole policy, its data and catalogue, for the probes
	principal principalFields
	cache     *lru.Cache[callerKey, *specialisation] // nil: this caller is left to the whole policy
	build     sync.Mutex                             // held while a specialisation is built
	next      time.Time                              // no build starts before this; guarded by build
	now       func() time.Time
}

// maxSpecialised bounds the callers a specialiser keeps: about 113 KiB each
// (BenchmarkSpecialisedMemory; docs/benchmarks.md, "Policy"), so 28 MiB at
// most.
const maxSpecialised = 256

// namespace holds the residual policies. Compile refuses policies or data
// that use it, so nothing of theirs can be mistaken for a residual's.
const namespace = "candour_specialised"

// newSpecialiser compiles the modules once more for partial evaluation. It
// returns nil, and the engine decides with the whole policy, when the policy
// reads its input in a way a caller's key cannot capture (inputReads). e is
// the engine it serves, whole policy prepared.
func newSpecialiser(e *Engine, modules map[string]*ast.Module, data map[string]any, store storage.Store) (*specialiser, error) {
	if _, ok := data[namespace]; ok {
		return nil, fmt.Errorf("policy: data may not use the name %q, which residual policies use", namespace)
	}
	for name, m := range modules {
		if m.Package.Path.HasPrefix(ast.MustParseRef("data." + namespace)) {
			return nil, fmt.Errorf("policy: %s may not use the package %s, which residual policies use", name, namespace)
		}
	}
	c := ast.NewCompiler()
	if c.Compile(modules); c.Failed() {
		return nil, fmt.Errorf("policy: compile: %w", c.Errors)
	}
	fields, ok := inputReads(c)
	if !ok {
		return nil, nil
	}
	cache, err := lru.New[callerKey, *specialisation](maxSpecialised)
	if err != nil {
		return nil, err
	}
	return &specialiser{compiler: c, store: store, engine: e, principal: fields, cache: cache, now: time.Now}, nil
}

// A specialisation is one caller's residual policy, prepared, and, when the
// residual reads the request only at places a key can hold, a memo that keeps
// its decisions (memo.go).
type specialisation struct {
	pq   rego.PreparedEvalQuery
	memo *memo // nil: every decision evaluates pq
}

// decide decides in, which must be a request of the caller sp was built for:
// from its memo when the memo holds the decision for in's key and time, else
// by evaluating the residual (and keeping the result in the memo, if any).
func (sp *specialisation) decide(ctx context.Context, data dataCache, in candour.DecisionInput) (candour.Decision, error) {
	if sp.memo == nil {
		return evaluate(ctx, &sp.pq, data, in)
	}
	return sp.memo.decide(ctx, &sp.pq, data, in)
}

// lookup returns the specialisation for in's caller, building it if it may,
// or nil to decide with the whole policy.
func (s *specialiser) lookup(ctx context.Context, in candour.DecisionInput) *specialisation {
	if s == nil {
		return nil
	}
	k := s.key(in)
	if sp, ok := s.cache.Get(k); ok {
		return sp
	}
	if !s.build.TryLock() {
		return nil // another caller's build is under way: no request waits for it
	}
	defer s.build.Unlock()
	start := s.now()
	if start.Before(s.next) {
		return nil
	}
	// A failed build leaves the caller to the whole policy, whose answer a
	// specialisation only repeats; `candour policy check` reports why.
	sp, _ := s.specialise(ctx, in)
	end := s.now()
	s.next = end.Add(9 * end.Sub(start))
	if ctx.Err() != nil {
		return nil // the request went, perhaps before the probes were decided: the caller may be specialised next time
	}
	s.cache.Add(k, sp) // nil when the build failed: this caller stays with the whole policy
	return sp
}

// specialise builds the residual policy for in's caller and checks it on the
// probes: first with OPA's partial evaluation as it is, then, if that
// disagrees with the whole policy, in its shallow mode (no rule that depends
// on the unknowns inlined, and no copy propagation).
func (s *specialiser) specialise(ctx context.Context, in candour.DecisionInput) (*specialisation, error) {
	var errs []error
	for _, shallow := range []bool{false, true} {
		sp, err := s.residual(ctx, in, shallow)
		if err == nil {
			err = s.agrees(ctx, sp, in)
		}
		if err == nil {
			return sp, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// residual partially evaluates the decision with the resource and the time
// unknown, and prepares the residual queries as one rule,
// data.candour_specialised.decision, beside the support rules partial
// evaluation wrote and the whole policy's rules that the residual still
// names (a rule kept as it is), with the rules they depend on, and no
// others; with a memo when those rules read the request only where a key can
// hold it (memoFor).
func (s *specialiser) residual(ctx context.Context, in candour.DecisionInput, shallow bool) (*specialisation, error) {
	const v = "specialised"
	pq, err := rego.New(rego.Query(v+" = "+query), rego.Compiler(s.compiler), rego.Store(s.store),
		rego.ParsedInput(s.known(in)), rego.Unknowns([]string{"input.resource", "input.now"}),
		rego.PartialNamespace(namespace), rego.ShallowInlining(shallow)).Partial(ctx)
	if err != nil {
		return nil, fmt.Errorf("policy: specialise: %w", err)
	}
	if len(pq.Queries) == 0 {
		return nil, errors.New("policy: specialise: no decision for this caller")
	}
	decision := &ast.Module{Package: &ast.Package{Path: ast.MustParseRef("data." + namespace)}}
	for _, q := range pq.Queries {
		decision.Rules = append(decision.Rules, &ast.Rule{Head: ast.NewHead("decision", nil, ast.VarTerm(v)), Body: q, Module: decision})
	}
	residual := append([]*ast.Module{decision}, pq.Support...)
	residual = append(residual, s.named(residual)...)
	opts := []func(*rego.Rego){rego.Query("data." + namespace + ".decision"), rego.Store(s.store)}
	for _, m := range residual {
		opts = append(opts, rego.ParsedModule(m))
	}
	memo := memoFor(residual) // before preparing, which compiles the modules in place
	prepared, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("policy: specialise: %w", err)
	}
	return &specialisation{pq: prepared, memo: memo}, nil
}

// named returns, as modules, the rules of the whole policy that residual
// refers to, and every rule those depend on.
func (s *specialiser) named(residual []*ast.Module) []*ast.Module {
	seen := map[*ast.Rule]bool{}
	var queue []*ast.Rule
	add := func(r *ast.Rule) {
		if !seen[r] {
			seen[r] = true
			queue = append(queue, r)
		}
	}
	for _, m := range residual {
		ast.WalkRefs(m, func(r ast.Ref) bool {
			if r.HasPrefix(ast.DefaultRootRef) {
				for _, rule := range s.compiler.GetRulesDynamic(r) {
					add(rule)
				}
			}
			return false
		})
	}
	for len(queue) > 0 {
		r := queue[0]
		queue = queue[1:]
		for d := range s.compiler.Graph.Dependencies(r) {
			if rule, ok := d.(*ast.Rule); ok {
				add(rule)
			}
		}
	}
	var out []*ast.Module
	for _, m := range s.compiler.Modules {
		var copied *ast.Module
		for _, r := range m.Rules {
			if !seen[r] {
				continue
			}
			if copied == nil {
				copied = &ast.Module{Package: &ast.Package{Path: m.Package.Path.Copy()}}
				out = append(out, copied)
			}
			r = r.Copy()
			r.Module = copied
			copied.Rules = append(copied.Rules, r)
		}
	}
	return out
}
