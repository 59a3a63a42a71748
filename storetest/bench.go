package storetest

import (
	"context"
	"testing"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/insight"
)

// BenchmarkSummary times one insight summary over what s has released: the
// store's strata for an analyst of police-north whose agreements reach
// victim-support-north's standard records shared with police, grouped by
// service and month, then disclosure control. Both stores' summary
// benchmarks run it after loading their records.
func BenchmarkSummary(b *testing.B, s interface {
	ReleaseStrata(ctx context.Context, scope candour.Scope, q candour.SummaryQuery) ([]candour.Stratum, error)
}) {
	scope := candour.Scope{Grants: []candour.ScopeGrant{
		{Agency: "police-north", Purposes: []candour.Purpose{candour.PurposeServiceImprovement}, Sensitivities: candour.Sensitivities()},
		{Agency: "victim-support-north", Purposes: []candour.Purpose{candour.PurposeServiceImprovement},
			Sensitivities: []candour.Sensitivity{candour.SensitivityStandard}, SharedWith: "police-north"},
	}}
	noise, err := insight.NewNoise(make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	ctx := candour.WithAgencies(context.Background(), "police-north", "victim-support-north")
	q := candour.SummaryQuery{GroupBy: []string{"service", "period"}}
	b.ResetTimer()
	for b.Loop() {
		strata, err := s.ReleaseStrata(ctx, scope, q)
		if err != nil || len(strata) == 0 {
			b.Fatalf("release strata: %d, %v", len(strata), err)
		}
		if cells := insight.Protect(strata, q.GroupBy, 10, noise, nil); len(cells) == 0 {
			b.Fatal("no cell published")
		}
	}
}
