package policy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
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
//   - Builds are bounded: one at a time, and each waits after the last for
//     nine times as long as that one took, so a stream of new callers spends
//     at most about a tenth of one core on them; the cache holds at most
//     maxSpecialised callers, least recently used first out.
type specialiser struct {
	compiler  *ast.Compiler // the whole policy, compiled once, for partial evaluation and pruning
	store     storage.Store
	data      dataCache
	whole     *rego.PreparedEvalQuery // the whole policy, for the probes
	cat       candour.Catalogue       // agencies and services, for the probes
	principal principalFields
	cache     *lru.Cache[callerKey, *rego.PreparedEvalQuery] // nil: this caller is left to the whole policy
	build     sync.Mutex                                     // held while a specialisation is built
	next      time.Time                                      // no build starts before this; guarded by build
	now       func() time.Time
}

// maxSpecialised bounds the callers a specialiser keeps (about 100 to 300 KiB
// each: docs/benchmarks.md, "Policy").
const maxSpecialised = 256

// namespace holds the residual policies. Compile refuses policies or data
// that use it, so nothing of theirs can be mistaken for a residual's.
const namespace = "candour_specialised"

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
	cache, err := lru.New[callerKey, *rego.PreparedEvalQuery](maxSpecialised)
	if err != nil {
		return nil, err
	}
	return &specialiser{compiler: c, store: store, data: e.data, whole: &e.prepared, cat: e.cat,
		principal: fields, cache: cache, now: time.Now}, nil
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
			if x.Target.Value.(ast.Ref).HasPrefix(ast.InputRootRef) {
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

// key returns the caller in is asked by, as far as the policy can tell callers
// apart.
func (s *specialiser) key(in candour.DecisionInput) callerKey {
	p, f := in.Principal, s.principal
	k := callerKey{action: string(in.Action), purpose: string(in.Purpose)}
	if f.all || f.iss {
		k.iss = p.Issuer
	}
	if f.all || f.sub {
		k.sub = p.Subject
	}
	if f.all || f.agency {
		k.agency = p.Agency
	}
	if f.all || f.roles {
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
	}
	return k
}

// known is the input partial evaluation starts from: the principal's fields
// the key holds, the action and the purpose; the resource and the time are
// unknown. It is built from inputValue, so that it is the value the whole
// policy would read.
func (s *specialiser) known(in candour.DecisionInput) ast.Value {
	in.Resource = nil
	full := inputValue(in).(ast.Object)
	out := ast.NewObject()
	for _, k := range []string{"action", "purpose"} {
		if v := full.Get(ast.StringTerm(k)); v != nil {
			out.Insert(ast.StringTerm(k), v)
		}
	}
	p := full.Get(ast.StringTerm("principal")).Value.(ast.Object)
	if f := s.principal; !f.all {
		kept := ast.NewObject()
		for _, field := range []struct {
			name string
			read bool
		}{{"iss", f.iss}, {"sub", f.sub}, {"agency", f.agency}, {"roles", f.roles}} {
			if v := p.Get(ast.StringTerm(field.name)); field.read && v != nil {
				kept.Insert(ast.StringTerm(field.name), v)
			}
		}
		p = kept
	}
	out.Insert(ast.StringTerm("principal"), ast.NewTerm(p))
	return out
}

// For returns the specialised query for in's caller, building it if it may,
// or nil to decide with the whole policy.
func (s *specialiser) For(ctx context.Context, in candour.DecisionInput) *rego.PreparedEvalQuery {
	if s == nil {
		return nil
	}
	k := s.key(in)
	if pq, ok := s.cache.Get(k); ok {
		return pq
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
	pq, _ := s.specialise(ctx, in)
	end := s.now()
	s.next = end.Add(9 * end.Sub(start))
	if ctx.Err() != nil {
		return nil // the request went, perhaps before the probes were decided: the caller may be specialised next time
	}
	s.cache.Add(k, pq) // nil when the build failed: this caller stays with the whole policy
	return pq
}

// specialise builds the residual policy for in's caller and checks it on the
// probes: first with OPA's partial evaluation as it is, then, if that
// disagrees with the whole policy, in its shallow mode (no rule that depends
// on the unknowns inlined, and no copy propagation).
func (s *specialiser) specialise(ctx context.Context, in candour.DecisionInput) (*rego.PreparedEvalQuery, error) {
	var errs []error
	for _, shallow := range []bool{false, true} {
		pq, err := s.residual(ctx, in, shallow)
		if err == nil {
			err = s.agrees(ctx, pq, in)
		}
		if err == nil {
			return pq, nil
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
// others.
func (s *specialiser) residual(ctx context.Context, in candour.DecisionInput, shallow bool) (*rego.PreparedEvalQuery, error) {
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
	opts := []func(*rego.Rego){rego.Query("data." + namespace + ".decision"), rego.Store(s.store)}
	for _, m := range append(residual, s.named(residual)...) {
		opts = append(opts, rego.ParsedModule(m))
	}
	prepared, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("policy: specialise: %w", err)
	}
	return &prepared, nil
}

// agrees decides each of the probes for in's caller with pq and with the
// whole policy, and reports the first on which they differ. The error names
// the action and the probe's number only: never a principal or a record.
func (s *specialiser) agrees(ctx context.Context, pq *rego.PreparedEvalQuery, in candour.DecisionInput) error {
	for i, p := range s.probes(in) {
		got, gotErr := evaluate(ctx, pq, s.data, p)
		want, wantErr := evaluate(ctx, s.whole, s.data, p)
		if (gotErr != nil) != (wantErr != nil) || !reflect.DeepEqual(got, want) {
			return fmt.Errorf("policy: specialised for %s, the policy decides probe %d differently from the whole policy", in.Action, i)
		}
	}
	return ctx.Err() // probes decided after the request went are not evidence
}

// probes are requests by in's caller about every shape of record Candour
// sends the policy: none; one with no optional field; one of the caller's
// agency on one of its services with consent given, given by the person,
// withdrawn or absent, of each sensitivity; another agency's; one on
// another agency's service; one on a service the policy does not know. The
// first few, without a record, span times from long past to far future, and
// a year either side of now; records are asked about now.
func (s *specialiser) probes(in candour.DecisionInput) []candour.DecisionInput {
	now := s.now().UTC().Truncate(time.Second)
	own, other, elsewhere := "", "", "another-agency"
	for _, a := range s.cat.Agencies {
		if a.ID != in.Principal.Agency {
			elsewhere = a.ID
			break
		}
	}
	for _, svc := range s.cat.Services {
		switch {
		case svc.Agency == in.Principal.Agency && own == "":
			own = svc.ID
		case svc.Agency != in.Principal.Agency && other == "":
			other = svc.ID
		}
	}
	exp, gone := now.AddDate(1, 0, 0), now.AddDate(0, -1, 0)
	consent := func(method string, withdrawn *time.Time) *candour.Consent {
		return &candour.Consent{Purposes: []candour.Purpose{in.Purpose}, ShareWith: []string{elsewhere}, Method: method,
			NoticeVersion: "probe", ExpiresAt: &exp, WithdrawnAt: withdrawn, CapturedAt: gone, CapturedBy: "probe"}
	}
	agency := in.Principal.Agency
	records := []*candour.Resource{
		{Agency: agency},
		{ID: "p1", Agency: agency, Service: own, Sensitivity: candour.SensitivityStandard, Consent: consent("verbal", nil)},
		{ID: "p2", Agency: agency, Service: own, Sensitivity: candour.SensitivitySafeguarding, Consent: consent("self", nil)},
		{ID: "p3", Agency: agency, Service: own, Sensitivity: candour.SensitivitySpecialCategory, Consent: consent("written", &gone)},
		{ID: "p4", Agency: agency, Service: own, Sensitivity: candour.SensitivityStandard},
		{ID: "p5", Agency: elsewhere, Service: other, Sensitivity: candour.SensitivityStandard, Consent: consent("verbal", nil)},
		{ID: "p6", Agency: agency, Service: other, Consent: consent("verbal", nil)},
		{ID: "p7", Agency: agency, Service: "no-such-service", Consent: consent("verbal", nil)},
	}
	var out []candour.DecisionInput
	for _, t := range []time.Time{now, now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0),
		time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)} {
		p := in
		p.Resource, p.Now = nil, t
		out = append(out, p)
	}
	for _, r := range records {
		p := in
		p.Resource, p.Now = r, now
		out = append(out, p)
	}
	return out
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

// CheckSpecialised specialises the policy, as the server would, for each role
// of the policy's data and for a principal with none, asking each action
// Candour knows for the role's first purpose, at the first agency that has
// a service; it returns the number of callers tried and, for each that
// could not be specialised, a sentence saying so. Such a caller is decided
// by the whole policy, correctly but more slowly.
func (e *Engine) CheckSpecialised(ctx context.Context) (int, []string) {
	if e.special == nil {
		return 0, []string{"the policy reads its input as a whole, by a computed key, or replaces it with `with`, so no decision is specialised to its caller"}
	}
	agency := ""
	if len(e.cat.Services) > 0 {
		agency = e.cat.Services[0].Agency
	}
	roles := map[string]candour.Purpose{"": ""}
	if r, err := storage.ReadOne(ctx, e.special.store, storage.MustParsePath("/roles")); err == nil {
		if obj, ok := r.(ast.Object); ok {
			obj.Foreach(func(k, v *ast.Term) {
				name, _ := k.Value.(ast.String)
				var first candour.Purpose
				if ps, ok := v.Value.(ast.Object); ok {
					if arr, ok := ps.Get(ast.StringTerm("purposes")).Value.(*ast.Array); ok && arr.Len() > 0 {
						p, _ := arr.Elem(0).Value.(ast.String)
						first = candour.Purpose(p)
					}
				}
				roles[string(name)] = first
			})
		}
	}
	e.special.build.Lock() // one build at a time, as in the server
	defer e.special.build.Unlock()
	var problems []string
	tried := 0
	for _, role := range slices.Sorted(maps.Keys(roles)) {
		var rs []candour.Role
		if role != "" {
			rs = []candour.Role{candour.Role(role)}
		}
		for _, action := range candour.Actions() {
			in := candour.DecisionInput{Principal: candour.Principal{Agency: agency, Roles: rs}, Action: action, Purpose: roles[role]}
			tried++
			if _, err := e.special.specialise(ctx, in); err != nil {
				who := "a principal with no role"
				if role != "" {
					who = "role " + role
				}
				problems = append(problems, fmt.Sprintf("%s asking %s for %q is decided by the whole policy: %v", who, action, roles[role],
					strings.TrimPrefix(err.Error(), "policy: ")))
			}
		}
	}
	return tried, problems
}
