// Package policy decides every request with Open Policy Agent, embedded as a
// library. The Rego and its data are read from a directory (or the embedded
// defaults), compiled and prepared once; each decision is one evaluation of
// the prepared query data.candour.decision, or of the policy partially
// evaluated for the request's caller (specialise.go), or the decision that
// residual policy made earlier for a request it cannot tell apart, in the
// same stretch of time (memo.go, clock.go).
//
// Guarantees: default deny; a failed or malformed evaluation returns a denying
// decision and an error; every decision carries a fresh id and the revision
// (a SHA-256 digest) of the exact files that made it; a decision specialised
// to its caller is made only by a specialisation that decided its probes as
// the whole policy does; a Dynamic engine swaps in a new policy only once it
// has compiled, keeping the last good one.
package policy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/google/uuid"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/candour-vault/candour"
)

//go:embed rego/*.rego rego/data.json
var embedded embed.FS

// Embedded returns the built-in policy and demo data that `candour dev` uses.
func Embedded() fs.FS {
	sub, err := fs.Sub(embedded, "rego")
	if err != nil {
		panic(err) // the embedded directory is part of the binary
	}
	return sub
}

// query is the one query every decision evaluates.
const query = "data.candour.decision"

// Files is a policy as read from a directory: its Rego modules (tests
// included), its data, and the revision digest of them all.
type Files struct {
	Modules  map[string]string // name → source, *_test.rego included
	Data     map[string]any
	Revision string
}

// ReadFiles reads every .rego file and data.json at the top of fsys. The
// revision is the SHA-256 of the names and contents, so any change to any
// file changes it.
func ReadFiles(fsys fs.FS) (Files, error) {
	names, err := fs.Glob(fsys, "*")
	if err != nil {
		return Files{}, fmt.Errorf("policy: %w", err)
	}
	sort.Strings(names)
	f := Files{Modules: map[string]string{}, Data: map[string]any{}}
	digest := sha256.New()
	for _, name := range names {
		if path.Ext(name) != ".rego" && name != "data.json" {
			continue
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return Files{}, fmt.Errorf("policy: %w", err)
		}
		fmt.Fprintf(digest, "%s\x00%d\x00", name, len(b))
		digest.Write(b)
		if name == "data.json" {
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			if err := dec.Decode(&f.Data); err != nil {
				return Files{}, fmt.Errorf("policy: %s is not valid JSON: %w", name, err)
			}
			continue
		}
		f.Modules[name] = string(b)
	}
	if len(f.Modules) == 0 {
		return Files{}, fmt.Errorf("policy: no .rego files found")
	}
	f.Revision = "sha256:" + hex.EncodeToString(digest.Sum(nil))
	return f, nil
}

// Engine is one prepared policy. It is safe for concurrent use.
type Engine struct {
	prepared rego.PreparedEvalQuery
	special  *specialiser // nil: every decision evaluates the whole policy
	data     dataCache
	revision string
	newID    func() string
	agencies []string
	cat      candour.Catalogue
}

var _ candour.Authorizer = (*Engine)(nil)

// Load reads the policy in fsys (see ReadFiles), compiles it without its
// tests, and prepares the decision query.
func Load(ctx context.Context, fsys fs.FS) (*Engine, error) {
	f, err := ReadFiles(fsys)
	if err != nil {
		return nil, err
	}
	return Compile(ctx, f)
}

// Compile prepares the decision query over f.
func Compile(ctx context.Context, f Files) (*Engine, error) {
	// The data is converted to OPA's values once, here, rather than on every
	// read of it by every decision (docs/benchmarks.md, "Policy decisions").
	store := inmem.NewFromObjectWithOpts(f.Data, inmem.OptRoundTripOnWrite(true), inmem.OptReturnASTValuesOnRead(true))
	opts := []func(*rego.Rego){rego.Query(query), rego.Store(store)}
	modules := map[string]*ast.Module{}
	for name, src := range f.Modules {
		if strings.HasSuffix(name, "_test.rego") {
			continue
		}
		m, err := ast.ParseModule(name, src)
		if err != nil {
			return nil, fmt.Errorf("policy: compile: %w", err)
		}
		modules[name] = m
		opts = append(opts, rego.ParsedModule(m))
	}
	pq, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("policy: compile: %w", err)
	}
	// The store holds the data as OPA's values already; the cache shares them.
	root, err := storage.ReadOne(ctx, store, storage.RootPath)
	if err != nil {
		return nil, fmt.Errorf("policy: data: %w", err)
	}
	data, ok := root.(ast.Value)
	if !ok {
		return nil, fmt.Errorf("policy: data: the store gave a %T", root)
	}
	agencies, _ := f.Data["agencies"].(map[string]any)
	e := &Engine{prepared: pq, data: dataCache{data}, revision: f.Revision, newID: uuid.NewString, agencies: slices.Sorted(maps.Keys(agencies)),
		cat: catalogue(f.Data)}
	if e.special, err = newSpecialiser(e, modules, f.Data, store); err != nil {
		return nil, err
	}
	return e, nil
}

// Catalogue returns the agencies, services and sharing partners the policy
// data names, for pages to offer as choices.
func (e *Engine) Catalogue() candour.Catalogue { return e.cat }

// Agencies returns the ids of the agencies the policy data knows, sorted.
func (e *Engine) Agencies() []string { return slices.Clone(e.agencies) }

// Revision returns the digest of the files the engine was loaded from.
func (e *Engine) Revision() string { return e.revision }

// dataCache hands every evaluation the policy data as the store holds it,
// read once by Compile, where OPA would otherwise read each document it
// needs from the store and cache it again for each decision. It is never
// written: the data of an Engine does not change (a Dynamic engine swaps in
// a new Engine), so one dataCache is safe for any number of evaluations at
// once. A path the data does not hold is a miss, and OPA reads the store as
// before.
type dataCache struct{ data ast.Value }

// Get returns the value at ref, a reference into data, or nil.
func (c dataCache) Get(ref ast.Ref) ast.Value {
	if len(ref) < 2 || !ref[0].Equal(ast.DefaultRootDocument) {
		return nil
	}
	v, err := c.data.Find(ref[1:])
	if err != nil {
		return nil
	}
	return v
}

// Put keeps nothing: what Get does not hold is not in the data.
func (dataCache) Put(ast.Ref, ast.Value) {}

// keepTerm hands a result back as OPA's own value: decisionFrom reads it
// without a conversion to Go's maps and slices first.
func keepTerm(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }

// Decide implements candour.Authorizer.
func (e *Engine) Decide(ctx context.Context, in candour.DecisionInput) (candour.Decision, error) {
	deny := candour.Decision{ID: e.newID(), Revision: e.revision}
	// A request already gone gets no decision.
	if err := ctx.Err(); err != nil {
		return deny, fmt.Errorf("policy: evaluate: %w", err)
	}
	var d candour.Decision
	var err error
	if sp := e.special.lookup(ctx, in); sp != nil {
		d, err = sp.decide(ctx, e.data, in)
	} else {
		d, err = evaluate(ctx, &e.prepared, e.data, in)
	}
	if err != nil {
		return deny, err
	}
	if !d.Allow {
		deny.Reasons = d.Reasons
		return deny, nil
	}
	d.ID, d.Revision = deny.ID, deny.Revision
	return d, nil
}

// evaluate decides in with pq, over the data the cache holds.
func evaluate(ctx context.Context, pq *rego.PreparedEvalQuery, data dataCache, in candour.DecisionInput) (candour.Decision, error) {
	v, err := result(ctx, pq, data, inputValue(in))
	if err != nil {
		return candour.Decision{}, err
	}
	return decisionOf(v)
}

// result evaluates pq for the request whose input (inputValue) is given,
// over the data the cache holds, and returns the decision as OPA's value.
// OPA would otherwise start a goroutine per evaluation to watch ctx, and keep
// metrics nobody reads; a cancel hooked to ctx stops an evaluation whose
// request goes.
func result(ctx context.Context, pq *rego.PreparedEvalQuery, data dataCache, input ast.Value) (ast.Value, error) {
	cancel := topdown.NewCancel()
	defer context.AfterFunc(ctx, cancel.Cancel)()
	rs, err := pq.Eval(ctx, rego.EvalParsedInput(input),
		rego.EvalExternalCancel(cancel), rego.EvalMetrics(metrics.NoOp()), rego.EvalGenerateJSON(keepTerm),
		rego.EvalBaseCache(data))
	if err != nil {
		return nil, fmt.Errorf("policy: evaluate: %w", err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return nil, fmt.Errorf("policy: %s gave %d results, want 1", query, len(rs))
	}
	t, ok := rs[0].Expressions[0].Value.(*ast.Term)
	if !ok {
		return nil, fmt.Errorf("policy: %s gave a %T", query, rs[0].Expressions[0].Value)
	}
	return t.Value, nil
}

// decisionOf reads v, a decision as OPA's value, into a new Decision that
// shares nothing with v.
func decisionOf(v ast.Value) (candour.Decision, error) {
	d, err := decisionFrom(v)
	if err != nil {
		return candour.Decision{}, fmt.Errorf("policy: %s: %w", query, err)
	}
	return d, nil
}
