package policy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/candour-vault/candour"
)

// agrees decides each of the probes for in's caller with sp, as a request
// would be decided (its memo included), and with the whole policy, and
// reports the first on which they differ. The error names the action and the
// probe's number only: never a principal or a record.
func (s *specialiser) agrees(ctx context.Context, sp *specialisation, in candour.DecisionInput) error {
	for i, p := range s.probes(in) {
		got, gotErr := sp.decide(ctx, s.engine.data, p)
		want, wantErr := evaluate(ctx, &s.engine.prepared, s.engine.data, p)
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
	for _, a := range s.engine.cat.Agencies {
		if a.ID != in.Principal.Agency {
			elsewhere = a.ID
			break
		}
	}
	for _, svc := range s.engine.cat.Services {
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

// SpecialisedReport is what CheckSpecialised found over its sample callers.
type SpecialisedReport struct {
	Tried int // sample callers tried
	// Kept is how many of those have their decisions kept (memo.go): decided
	// once for each kind of request, as far as the policy can tell them
	// apart, and stretch of time between the policy's thresholds, not on
	// every request.
	Kept int
	// Dated is how many of the kept callers' decisions change at a date the
	// policy names (an agreement's start or expiry, say); the rest do not
	// depend on the time at all.
	Dated int
	// Whole says, for each caller that could not be specialised, why: such a
	// caller is decided by the whole policy, correctly but more slowly.
	Whole []string
}

// CheckSpecialised specialises the policy, as the server would, for each
// sample caller (sampleCallers) and reports what it found. It returns
// ErrNotSpecialised when the policy is specialised to no caller.
func (e *Engine) CheckSpecialised(ctx context.Context) (SpecialisedReport, error) {
	if e.special == nil {
		return SpecialisedReport{}, ErrNotSpecialised
	}
	e.special.build.Lock() // one build at a time, as in the server
	defer e.special.build.Unlock()
	var rep SpecialisedReport
	for _, in := range e.sampleCallers() {
		rep.Tried++
		sp, err := e.special.specialise(ctx, in)
		switch {
		case err != nil:
			who := "a principal with no role"
			if len(in.Principal.Roles) > 0 {
				who = "role " + string(in.Principal.Roles[0])
			}
			rep.Whole = append(rep.Whole, fmt.Sprintf("%s of %s asking %s for %q is decided by the whole policy: %v",
				who, in.Principal.Agency, in.Action, in.Purpose, strings.TrimPrefix(err.Error(), "policy: ")))
		case sp.memo != nil:
			rep.Kept++
			if len(sp.memo.clock.thresholds) > 0 {
				rep.Dated++
			}
		}
	}
	return rep, nil
}

// sampleCallers are a principal of each role of the policy's data, and one
// with none, asking each action Candour knows for the role's first purpose,
// at every agency of the policy's data and its agreements (or at no agency,
// when they name none): so a decision that reads an agreement's dates is
// found wherever the agreement sits.
func (e *Engine) sampleCallers() []candour.DecisionInput {
	var agencies []string
	for _, a := range e.cat.Agencies {
		agencies = append(agencies, a.ID)
		agencies = append(agencies, a.Partners...) // in case an agreement names an agency the data does not
	}
	slices.Sort(agencies)
	agencies = slices.Compact(agencies)
	if len(agencies) == 0 {
		agencies = []string{""}
	}
	roles := map[string]candour.Purpose{"": ""}
	if obj, ok := e.data.Get(ast.MustParseRef("data.roles")).(ast.Object); ok {
		obj.Foreach(func(k, v *ast.Term) {
			name, _ := k.Value.(ast.String)
			var first candour.Purpose
			if ps := v.Get(ast.StringTerm("purposes")); ps != nil {
				if purposes, ok := ps.Value.(*ast.Array); ok && purposes.Len() > 0 {
					p, _ := purposes.Elem(0).Value.(ast.String)
					first = candour.Purpose(p)
				}
			}
			roles[string(name)] = first
		})
	}
	var out []candour.DecisionInput
	for _, agency := range agencies {
		for _, role := range slices.Sorted(maps.Keys(roles)) {
			var rs []candour.Role
			if role != "" {
				rs = []candour.Role{candour.Role(role)}
			}
			for _, action := range candour.Actions() {
				out = append(out, candour.DecisionInput{Principal: candour.Principal{Agency: agency, Roles: rs}, Action: action, Purpose: roles[role]})
			}
		}
	}
	return out
}

// ErrNotSpecialised says why a policy is specialised to no caller: every
// decision is made by the whole policy, with the same answers, more slowly.
var ErrNotSpecialised = errors.New("the policy reads its input as a whole, by a computed key, or replaces it with `with`, so no decision is specialised to its caller")
