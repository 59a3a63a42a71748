package insight

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/candour-vault/candour"
)

const k = 10

// person is one synthetic respondent.
func person(r *rand.Rand, service, period string) candour.Record {
	sat := 1 + r.IntN(5)
	safe := []string{"yes", "no"}[r.IntN(2)]
	return candour.Record{Service: service, Period: period, RecordKey: r.IntN(256),
		Ratings: candour.Ratings{Satisfaction: &sat, FeltSafe: safe}}
}

// summarize is the reference aggregation the stores are held to.
func summarize(recs []candour.Record, groupBy []string, keep func(candour.Record) bool) []candour.SummaryRow {
	groups := map[string]*candour.SummaryRow{}
	for _, rec := range recs {
		if keep != nil && !keep(rec) {
			continue
		}
		keys := make([]string, len(groupBy))
		for i, d := range groupBy {
			keys[i] = rec.Dimension(d)
		}
		id := strings.Join(keys, "|")
		if groups[id] == nil {
			groups[id] = &candour.SummaryRow{Keys: keys}
		}
		groups[id].Add(rec)
	}
	ids := make([]string, 0, len(groups))
	for id := range groups {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]candour.SummaryRow, len(ids))
	for i, id := range ids {
		out[i] = *groups[id]
	}
	return out
}

func one(t *testing.T, rows []candour.SummaryRow) candour.InsightCell {
	t.Helper()
	cells, _ := Protect(rows, nil, k)
	if len(cells) != 1 {
		t.Fatalf("%d cells, want 1", len(cells))
	}
	return cells[0]
}

// TestDifferencing: two queries that differ by one person, the attacker
// knowing both true group sizes, try to recover that person's satisfaction
// rating and whether they felt safe. Unprotected, both succeed every time.
func TestDifferencing(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const trials = 400
	gotRating, gotSafe := 0, 0
	for range trials {
		var recs []candour.Record
		for i := range 30 {
			recs = append(recs, person(r, "s", fmt.Sprintf("2026-%02d", 1+i%5)))
		}
		target := person(r, "s", "2026-06")
		recs = append(recs, target)
		a := one(t, summarize(recs, nil, nil))
		b := one(t, summarize(recs, nil, func(x candour.Record) bool { return x.Period <= "2026-05" }))
		if a.SatisfactionMean == nil || b.SatisfactionMean == nil || a.FeltSafePct == nil || b.FeltSafePct == nil {
			t.Fatal("a large cell was withheld")
		}
		rating := int(math.Round(*a.SatisfactionMean*31 - *b.SatisfactionMean*30))
		if rating == *target.Ratings.Satisfaction {
			gotRating++
		}
		safe := math.Round(float64(*a.FeltSafePct)*31/100-float64(*b.FeltSafePct)*30/100) >= 1
		if safe == (target.Ratings.FeltSafe == "yes") {
			gotSafe++
		}
	}
	ratingRate, safeRate := float64(gotRating)/trials, float64(gotSafe)/trials
	t.Logf("differencing: rating recovered in %.0f%% of %d trials (chance 20%%), felt-safe in %.0f%% (chance 50%%)", ratingRate*100, trials, safeRate*100)
	if ratingRate > 0.35 {
		t.Errorf("differencing recovered the rating in %.0f%% of trials; want at most 35%% (chance is 20%%)", ratingRate*100)
	}
	if safeRate > 0.62 {
		t.Errorf("differencing recovered felt-safe in %.0f%% of trials; want at most 62%% (chance is 50%%)", safeRate*100)
	}
}

// TestRepetitionAndPhrasing: asking again, or asking for the same records
// another way, gives exactly the same figures, so nothing averages away.
func TestRepetitionAndPhrasing(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	var recs []candour.Record
	for i := range 300 {
		recs = append(recs, person(r, []string{"a", "b", "c"}[i%3], fmt.Sprintf("2026-%02d", 1+i%6)))
	}
	first, _ := Protect(summarize(recs, []string{"service"}, nil), []string{"service"}, k)
	for range 50 {
		again, _ := Protect(summarize(recs, []string{"service"}, nil), []string{"service"}, k)
		if !reflect.DeepEqual(again, first) {
			t.Fatal("the same query gave another answer")
		}
	}
	// Service b, asked for with a filter and no grouping, is the same cell.
	filtered := one(t, summarize(recs, nil, func(x candour.Record) bool { return x.Service == "b" }))
	if *filtered.Count != *first[1].Count || *filtered.SatisfactionMean != *first[1].SatisfactionMean {
		t.Errorf("the same records asked for two ways: %d/%.1f against %d/%.1f",
			*filtered.Count, *filtered.SatisfactionMean, *first[1].Count, *first[1].SatisfactionMean)
	}
}

// TestNarrowing: narrowing filters until a group is small leaves nothing to
// see: the cell is suppressed, and a measure few answered is withheld.
func TestNarrowing(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	var recs []candour.Record
	for i := range 40 {
		recs = append(recs, person(r, "s", fmt.Sprintf("2026-%02d", 1+i%8)))
	}
	for _, to := range []string{"2026-01", "2026-02"} { // 5 and 10 people
		c := one(t, summarize(recs, nil, func(x candour.Record) bool { return x.Period <= to }))
		n := 5
		if to == "2026-02" {
			n = 10
		}
		if n < k && (!c.Suppressed || c.Count != nil || c.SatisfactionMean != nil || c.FeltSafePct != nil) {
			t.Errorf("a group of %d: %+v, want it suppressed with no figures", n, c)
		}
		if n >= k && (c.Suppressed || c.Count == nil) {
			t.Errorf("a group of %d was suppressed", n)
		}
	}
	// Everyone answered felt-safe, but only 6 gave a satisfaction rating.
	var few []candour.Record
	for i := range 20 {
		p := person(r, "s", "2026-01")
		if i >= 6 {
			p.Ratings.Satisfaction = nil
		}
		few = append(few, p)
	}
	c := one(t, summarize(few, nil, nil))
	if c.SatisfactionMean != nil || c.FeltSafePct == nil {
		t.Errorf("satisfaction from 6 answers: %v, felt-safe from 20: %v; want the first withheld", c.SatisfactionMean, c.FeltSafePct)
	}
}

// TestTotalsMinusVisibleCells: a service × month table with small cells,
// and the attacker holding each service's total from another query. No line
// of the table may keep a lone suppressed cell, and totals minus the visible
// cells must not give back a suppressed cell's size.
func TestTotalsMinusVisibleCells(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	var recs []candour.Record
	sizes := map[string]int{}
	for _, svc := range []string{"a", "b", "c", "d"} {
		for m := 1; m <= 6; m++ {
			n := 12 + r.IntN(20)
			if r.IntN(4) == 0 {
				n = 1 + r.IntN(k-1) // a small cell
			}
			sizes[svc+"|"+fmt.Sprintf("2026-%02d", m)] = n
			for range n {
				recs = append(recs, person(r, svc, fmt.Sprintf("2026-%02d", m)))
			}
		}
	}
	dims := []string{"service", "period"}
	table, nsup := Protect(summarize(recs, dims, nil), dims, k)
	totals, _ := Protect(summarize(recs, []string{"service"}, nil), []string{"service"}, k)
	months, _ := Protect(summarize(recs, []string{"period"}, nil), []string{"period"}, k)
	if nsup == 0 {
		t.Fatal("no cell was suppressed: the test proves nothing")
	}
	lines := map[string][]candour.InsightCell{}
	for _, c := range table {
		lines["service="+c.Keys["service"]] = append(lines["service="+c.Keys["service"]], c)
		lines["period="+c.Keys["period"]] = append(lines["period="+c.Keys["period"]], c)
	}
	for name, line := range lines {
		n := 0
		for _, c := range line {
			if c.Suppressed {
				n++
			}
		}
		if n == 1 {
			t.Errorf("line %s has a lone suppressed cell", name)
		}
	}
	recovered, tried := 0, 0
	for _, total := range append(totals, months...) {
		dim, val := "service", total.Keys["service"]
		if val == "" {
			dim, val = "period", total.Keys["period"]
		}
		visible, hidden := 0, []candour.InsightCell{}
		for _, c := range table {
			if c.Keys[dim] != val {
				continue
			}
			if c.Suppressed {
				hidden = append(hidden, c)
			} else {
				visible += *c.Count
			}
		}
		for _, h := range hidden {
			tried++
			if *total.Count-visible == sizes[h.Keys["service"]+"|"+h.Keys["period"]] {
				recovered++
			}
		}
	}
	t.Logf("totals minus visible cells: %d suppressed cells, %d of %d attempts gave a true size", nsup, recovered, tried)
	if tried > 0 && float64(recovered)/float64(tried) > 0.2 {
		t.Errorf("totals minus visible cells gave the true size of %d of %d suppressed cells", recovered, tried)
	}
}

// TestMonthByMonth: slicing by month shows only months of at least the
// minimum size, and the months that are shown never add up to reveal a
// hidden one against the total.
func TestMonthByMonth(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	var recs []candour.Record
	for m := 1; m <= 12; m++ {
		n := 15 + r.IntN(15)
		if m == 7 {
			n = 2 // a quiet month: two people
		}
		for range n {
			recs = append(recs, person(r, "s", fmt.Sprintf("2026-%02d", m)))
		}
	}
	months, nsup := Protect(summarize(recs, []string{"period"}, nil), []string{"period"}, k)
	if nsup < 2 {
		t.Fatalf("%d months suppressed, want at least 2 (the quiet month and one more)", nsup)
	}
	total := one(t, summarize(recs, nil, nil))
	shown := 0
	for _, c := range months {
		if c.Keys["period"] == "2026-07" && !c.Suppressed {
			t.Error("the month of two people was shown")
		}
		if !c.Suppressed {
			shown += *c.Count
		}
	}
	if *total.Count-shown == 2 {
		t.Error("the total minus the months shown gives the quiet month's two people")
	}
}

// TestEqualityBands: under equality monitoring the attacker knows one
// person's service and month and wants a protected characteristic. Two
// attacks: differencing the disability counts by that one person, and
// reading a rare combination of bands (the only older disabled man) out of a
// table or out of totals minus the visible cells.
func TestEqualityBands(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	banded := func(period string) candour.Record {
		p := person(r, "s", period)
		p.Bands = candour.Equality{AgeBand: []string{"under_25", "25-44", "45-64"}[r.IntN(3)],
			Sex: []string{"female", "male"}[r.IntN(2)], Disability: []string{"yes", "no"}[r.IntN(2)]}
		return p
	}
	count := func(cells []candour.InsightCell, band string) int {
		for _, c := range cells {
			if c.Keys["disability"] == band && c.Count != nil {
				return *c.Count
			}
		}
		return 0
	}
	const trials = 2000
	right := 0
	dims := []string{"disability"}
	for range trials {
		var recs []candour.Record
		for i := range 40 {
			recs = append(recs, banded(fmt.Sprintf("2026-%02d", 1+i%5)))
		}
		target := banded("2026-06")
		recs = append(recs, target)
		with, _ := Protect(summarize(recs, dims, nil), dims, k)
		without, _ := Protect(summarize(recs, dims, func(x candour.Record) bool { return x.Period <= "2026-05" }), dims, k)
		// The cell without the person holds the same records in both
		// answers, so it is published the same: a cell that changed is the
		// person's. When neither changed, the attacker guesses.
		guess := []string{"yes", "no"}[r.IntN(2)]
		switch {
		case count(with, "yes") != count(without, "yes"):
			guess = "yes"
		case count(with, "no") != count(without, "no"):
			guess = "no"
		}
		if guess == target.Bands.Disability {
			right++
		}
	}
	rate := float64(right) / trials
	t.Logf("equality differencing: disability recovered in %.0f%% of %d trials (chance 50%%)", rate*100, trials)
	// Rounding to base 5 alone lets the person's cell change in 20% of
	// cases (60% for this attacker); the count noise raises that to about
	// 25.5% (62.7%). Unprotected counts give 100%.
	if rate > 0.67 {
		t.Errorf("differencing recovered disability in %.0f%% of trials; want at most 67%% (the rounding bound is about 63%%, chance 50%%)", rate*100)
	}

	// A rare combination: one disabled man aged 65+ among 60 people.
	var recs []candour.Record
	for i := range 60 {
		recs = append(recs, banded(fmt.Sprintf("2026-%02d", 1+i%2)))
	}
	target := person(r, "s", "2026-01")
	target.Bands = candour.Equality{AgeBand: "65+", Sex: "male", Disability: "yes"}
	recs = append(recs, target)
	dims = []string{"age_band", "sex", "disability"}
	table, _ := Protect(summarize(recs, dims, nil), dims, k)
	for _, c := range table {
		if c.Keys["age_band"] == "65+" && (!c.Suppressed || c.Count != nil || c.SatisfactionMean != nil) {
			t.Errorf("the cell of one person aged 65+ was shown: %+v", c)
		}
	}
	byAge, _ := Protect(summarize(recs, []string{"age_band"}, nil), []string{"age_band"}, k)
	total := one(t, summarize(recs, nil, nil))
	shown := 0
	for _, c := range byAge {
		if c.Keys["age_band"] == "65+" && !c.Suppressed {
			t.Errorf("the age band of one person was shown: %+v", c)
		}
		if !c.Suppressed {
			shown += *c.Count
		}
	}
	if *total.Count-shown == 1 {
		t.Error("the total minus the age bands shown gives the one person aged 65+")
	}
}
