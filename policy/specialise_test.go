package policy_test

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/policy"
)

// withVariedAgreements returns the embedded policy with agreements that make
// the insight decision depend on the time and the purpose in every way the
// policy knows: a stricter cell size, an agreement that has ended, one not
// yet begun, and one that lets a partner see special category records.
func withVariedAgreements(tb testing.TB) policy.Files {
	f := withOtherAgreements(tb, 2)
	agreement := func(id, owner string, partners []any, purposes, special []any, items []any, cell int, start, expires string) map[string]any {
		return map[string]any{"id": id, "title": id, "owner": owner, "partners": partners, "purposes": purposes,
			"special_category_purposes": special, "data_items": items, "min_cell_size": cell,
			"start": start, "expires": expires, "review": expires}
	}
	f.Data["agreements"] = append(f.Data["agreements"].([]any),
		agreement("dsa-strict", "council-north-social-care", []any{"police-north"}, []any{"service_improvement", "research"}, []any{"research"},
			[]any{"ratings"}, 25, "2026-03-01T00:00:00Z", "2027-03-01T00:00:00Z"),
		agreement("dsa-ended", "housing-north", []any{"police-north", "victim-support-north"}, []any{"service_improvement"}, []any{},
			[]any{"ratings", "comments", "equality"}, 12, "2025-01-01T00:00:00Z", "2026-02-01T00:00:00Z"),
		agreement("dsa-not-yet", "police-north", []any{"victim-support-north"}, []any{"equality_monitoring", "service_improvement"}, []any{"equality_monitoring"},
			[]any{"ratings", "equality"}, 11, "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"),
	)
	if probs := policy.CheckData(f); len(probs) > 0 {
		tb.Fatalf("the varied agreements do not check: %v", probs)
	}
	return f
}

// callers are the principals TestSpecialisedAgrees asks as: every role alone,
// none, two at once and one the policy does not know, at an agency with
// services and a partner's agreement, the oversight body and an agency the
// policy does not know.
func callers(agency string) []candour.Principal {
	roleSets := [][]candour.Role{nil, {}, {"person"}, {candour.RoleCaseworker, candour.RoleAdmin}, {"superuser"}}
	for _, r := range candour.Roles() {
		roleSets = append(roleSets, []candour.Role{r})
	}
	var out []candour.Principal
	for i, roles := range roleSets {
		out = append(out, candour.Principal{Issuer: "https://idp.example", Subject: fmt.Sprintf("s%d", i), Agency: agency, Roles: roles})
	}
	return out
}

// resources are the records a caller may ask about: none (insight, the log),
// their own agency's with consent given by a caseworker or by the person, or
// withdrawn, of each sensitivity, another agency's, a service of another
// agency and a service the policy does not know. agency is the caller's.
func resources(agency string) []*candour.Resource {
	exp := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	gone := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	consent := func(method string, withdrawn *time.Time) *candour.Consent {
		return &candour.Consent{Purposes: []candour.Purpose{candour.PurposeServiceImprovement, candour.PurposeInterAgency},
			ShareWith: []string{"police-north"}, Method: method, NoticeVersion: "2026-01", ExpiresAt: &exp, WithdrawnAt: withdrawn,
			CapturedAt: gone.AddDate(0, -3, 0), CapturedBy: "cw"}
	}
	own := map[string]string{"police-north": "police/report-a-crime"}[agency]
	return []*candour.Resource{
		nil,
		{ID: "r1", Agency: agency, Service: own, Sensitivity: candour.SensitivityStandard, Consent: consent("verbal", nil)},
		{ID: "r2", Agency: agency, Service: own, Sensitivity: candour.SensitivitySafeguarding, Consent: consent("self", nil)},
		{ID: "r3", Agency: agency, Service: own, Sensitivity: candour.SensitivitySpecialCategory, Consent: consent("written", &gone)},
		{ID: "r4", Agency: "housing-north", Service: "housing/tenancy-support", Sensitivity: candour.SensitivityStandard, Consent: consent("verbal", nil)},
		{ID: "r5", Agency: agency, Service: "housing/tenancy-support", Consent: consent("verbal", nil)},
		{ID: "r6", Agency: agency, Service: "no/such-service"},
	}
}

// TestSpecialisedAgrees holds the policy specialised to each caller to the
// whole policy: the same decision, allowed or not, with the same reasons,
// obligations and scope, for every role at every kind of agency, every
// action Candour knows and one it does not, a purpose of each role, none and
// one the policy does not know, every kind of record, and times before, at
// the edges of, inside and after the agreements. Each caller's
// specialisation is checked to be in use, so that the test compares two
// paths rather than one with itself. Each kind of agency runs in parallel on
// an engine of its own.
func TestSpecialisedAgrees(t *testing.T) {
	ctx := context.Background()
	actions := append(candour.Actions(), "nothing.at_all")
	purposes := []candour.Purpose{candour.PurposeCaseManagement, candour.PurposeServiceImprovement,
		candour.PurposeEqualityMonitoring, candour.PurposeAudit, "", "made_up"}
	times := []time.Time{
		time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC),    // before every agreement
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),    // the first agreement's first instant
		time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), // inside
		time.Date(2027, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(2028, 6, 1, 0, 0, 0, 0, time.UTC), // after every agreement
	}
	for _, tc := range []struct {
		name    string
		files   policy.Files
		actions func(candour.Action) bool
	}{
		{"embedded policy", mustRead(t), func(candour.Action) bool { return true }},
		{"varied agreements", withVariedAgreements(t), func(a candour.Action) bool { return strings.HasPrefix(string(a), "insight.") }},
	} {
		for _, agency := range []string{"police-north", "north-inspectorate", "nowhere"} {
			t.Run(tc.name+"/"+agency, func(t *testing.T) {
				t.Parallel()
				e, whole := engines(t, tc.files)
				asked, allowed := 0, 0
				for _, p := range callers(agency) {
					for _, action := range actions {
						if !tc.actions(action) {
							continue
						}
						for _, purpose := range purposes {
							caller := candour.DecisionInput{Principal: p, Action: action, Purpose: purpose}
							if err := policy.Specialise(ctx, e, caller); err != nil {
								t.Fatalf("%+v: %v", caller, err)
							}
							for i, res := range resources(p.Agency) {
								for j, now := range times {
									if res != nil && j != i%len(times) {
										continue // a record at one time each; the time matters most to insight
									}
									in := caller
									in.Resource, in.Now = res, now
									if !policy.Specialised(e, in) {
										t.Fatalf("%+v: not specialised", in)
									}
									asked++
									if decideBoth(t, e, whole, in) {
										allowed++
									}
								}
							}
						}
					}
				}
				t.Logf("%d decisions agree, %d of them allowed", asked, allowed)
				if agency != "nowhere" && (allowed == 0 || allowed == asked) {
					t.Errorf("%d of %d decisions allowed: the cases do not reach both answers", allowed, asked)
				}
			})
		}
	}
}

// decideBoth decides in with e and with the whole policy, fails the test
// unless the two decisions (their ids aside) and errors are the same, and
// reports whether the request was allowed.
func decideBoth(t *testing.T, e, whole *policy.Engine, in candour.DecisionInput) bool {
	t.Helper()
	ctx := context.Background()
	got, gotErr := e.Decide(ctx, in)
	want, wantErr := whole.Decide(ctx, in)
	got.ID, want.ID = "", ""
	if (gotErr != nil) != (wantErr != nil) || !reflect.DeepEqual(got, want) {
		t.Fatalf("%+v:\nspecialised %+v, %v\nwhole       %+v, %v", in, got, gotErr, want, wantErr)
	}
	return got.Allow
}

// engines compiles files, and returns the engine and a copy of it that
// decides every request by the whole policy.
func engines(t *testing.T, files policy.Files) (e, whole *policy.Engine) {
	t.Helper()
	e, err := policy.Compile(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	return e, policy.Whole(e)
}

func mustRead(tb testing.TB) policy.Files {
	f, err := policy.ReadFiles(policy.Embedded())
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// BenchmarkSpecialise measures what a caller's first decision costs on top
// of a decision by the whole policy: partial evaluation for the caller and
// the residual policy's compilation.
func BenchmarkSpecialise(b *testing.B) {
	ctx := context.Background()
	for _, c := range sampleCases(b) {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				policy.Unspecialise(c.engine)
				if err := policy.Specialise(ctx, c.engine, c.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSpecialisedMemory reports the heap a specialisation keeps, over
// one specialisation for each role of the policy's data asking each action
// Candour knows: the figure behind maxSpecialised.
func BenchmarkSpecialisedMemory(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		e, err := policy.Load(ctx, policy.Embedded())
		if err != nil {
			b.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		n := 0
		for _, role := range candour.Roles() {
			for _, action := range candour.Actions() {
				in := candour.DecisionInput{Principal: candour.Principal{Agency: "police-north", Roles: []candour.Role{role}},
					Action: action, Purpose: candour.PurposeServiceImprovement}
				if err := policy.Specialise(ctx, e, in); err != nil {
					b.Fatal(err)
				}
				n++
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n)/1024, "KiB/caller")
		runtime.KeepAlive(e)
	}
}

// TestClockAgrees holds decisions kept by a specialisation's memo for a
// stretch of time (memo.go, clock.go) to the whole policy at the instants where they could go wrong: a
// nanosecond before, at, and a nanosecond after every start and end of every
// agreement in the data (read from the data here, not from the clock),
// first in order of time and then back, so that the second pass is answered
// from what the first kept; and at times OPA cannot convert, which are
// evaluated in full. Every insight caller with the analyst role must have
// its decisions kept, so that the test compares the memo and not only the
// residual.
func TestClockAgrees(t *testing.T) {
	ctx := context.Background()
	files := withVariedAgreements(t)
	e, err := policy.Compile(ctx, files)
	if err != nil {
		t.Fatal(err)
	}
	whole := policy.Whole(e)
	var times []time.Time
	for _, a := range files.Data["agreements"].([]any) {
		for _, field := range []string{"start", "expires"} {
			at, err := time.Parse(time.RFC3339, a.(map[string]any)[field].(string))
			if err != nil {
				t.Fatal(err)
			}
			times = append(times, at.Add(-time.Nanosecond), at, at.Add(time.Nanosecond))
		}
	}
	slices.SortFunc(times, time.Time.Compare)
	back := slices.Clone(times)
	slices.Reverse(back)
	times = append(times, back...)
	times = append(times, time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))
	asked, keptCallers := 0, 0
	for _, agency := range []string{"police-north", "victim-support-north", "council-north-social-care", "housing-north"} {
		for _, p := range callers(agency) {
			for _, action := range []candour.Action{candour.ActionInsightSummary, candour.ActionInsightComments, candour.ActionInsightExport} {
				for _, purpose := range []candour.Purpose{candour.PurposeServiceImprovement, candour.PurposeResearch,
					candour.PurposeEqualityMonitoring, candour.PurposeInterAgency} {
					caller := candour.DecisionInput{Principal: p, Action: action, Purpose: purpose}
					if err := policy.Specialise(ctx, e, caller); err != nil {
						t.Fatalf("%+v: %v", caller, err)
					}
					on := policy.Kept(e, caller)
					if slices.Equal(p.Roles, []candour.Role{candour.RoleAnalyst}) && !on {
						t.Fatalf("%+v: decisions not kept", caller)
					}
					if on {
						keptCallers++
					}
					for _, now := range times {
						in := caller
						in.Now = now
						decideBoth(t, e, whole, in)
						asked++
					}
				}
			}
		}
	}
	t.Logf("%d decisions agree; %d callers of %d kept", asked, keptCallers, asked/len(times))
}
