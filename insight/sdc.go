// Package insight turns released records into statistics an analyst in a
// partner agency may see, by statistical disclosure control on the server.
//
// The method (docs/insight.md), in the order it is applied:
//   - insight reads releases only: a month is released once, when it has been
//     closed for an embargo, and never changes after, so a record that
//     arrives or is withdrawn later cannot be differenced out;
//   - contributor rules: a group publishes only when, leaving out the records
//     of its two largest submitters, at least the minimum cell size of
//     records remain, and it holds at least that many distinct subjects
//     (counted per stratum, see candour.Stratum, and summed); so
//     records planted through one or two caseworker accounts never make a
//     small group publish;
//   - base cells: a record counts only when its agency's service in its month
//     passes the contributor rules, so queries over other months or services
//     can only differ by whole publishable groups;
//   - a group that fails is left out, exactly as an empty one is; and along
//     every line of a table, and over the whole table, what is left out must
//     be nothing or itself a publishable group, else more is left out, so
//     totals cannot reveal a small group;
//   - every published figure is perturbed by noise that only the server can
//     compute (Noise), and counts are then rounded to base 5; a measure
//     answered by too few records (by the same contributor rule) is withheld.
package insight

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/candour-vault/candour"
)

// Rounding is the base published counts are rounded to.
const Rounding = 5

// dominant is how many of the largest submitters' records a contributor rule
// leaves out: the analyst's colleague in their own agency and one in a
// sharing agency.
const dominant = 2

// contrib is what one submitter contributed to a group.
type contrib struct{ n, sat, effort, safe, believed, recommend int }

// tally is what disclosure control knows of a group of released strata.
type tally struct {
	n                      int
	key                    uint32 // the sum of the records' keys
	subjects               int    // distinct subjects, summed over strata
	bySubmitter            map[string]*contrib
	satSum, satN           int
	effortSum, effortN     int
	safeYes, safeN         int
	believedYes, believedN int
	promoters, detractors  int
	recommendN             int
}

func newTally() *tally { return &tally{bySubmitter: map[string]*contrib{}} }

func (t *tally) add(s candour.Stratum) {
	t.merge(&tally{n: s.N, key: s.KeySum, subjects: s.Subjects,
		bySubmitter: map[string]*contrib{s.Submitter: {n: s.N, sat: s.SatN, effort: s.EffortN, safe: s.SafeN,
			believed: s.BelievedN, recommend: s.RecommendN}},
		satSum: s.SatSum, satN: s.SatN, effortSum: s.EffortSum, effortN: s.EffortN, safeYes: s.SafeYes, safeN: s.SafeN,
		believedYes: s.BelievedYes, believedN: s.BelievedN, promoters: s.Promoters, detractors: s.Detractors, recommendN: s.RecommendN})
}

// merge adds o's records to t.
func (t *tally) merge(o *tally) {
	t.n += o.n
	t.key += o.key
	t.subjects += o.subjects
	for s, c := range o.bySubmitter {
		m := t.bySubmitter[s]
		if m == nil {
			m = &contrib{}
			t.bySubmitter[s] = m
		}
		m.n, m.sat, m.effort = m.n+c.n, m.sat+c.sat, m.effort+c.effort
		m.safe, m.believed, m.recommend = m.safe+c.safe, m.believed+c.believed, m.recommend+c.recommend
	}
	t.satSum, t.satN, t.effortSum, t.effortN = t.satSum+o.satSum, t.satN+o.satN, t.effortSum+o.effortSum, t.effortN+o.effortN
	t.safeYes, t.safeN, t.believedYes, t.believedN = t.safeYes+o.safeYes, t.safeN+o.safeN, t.believedYes+o.believedYes, t.believedN+o.believedN
	t.promoters, t.detractors, t.recommendN = t.promoters+o.promoters, t.detractors+o.detractors, t.recommendN+o.recommendN
}

// beyondDominant returns total less the largest `dominant` of shares.
func beyondDominant(total int, shares []int) int {
	slices.SortFunc(shares, func(a, b int) int { return cmp.Compare(b, a) })
	for i := 0; i < dominant && i < len(shares); i++ {
		total -= shares[i]
	}
	return total
}

// passes applies the contributor rules for minimum size k to a group of
// total records, recorded in the given shares by their submitters, about
// the given number of distinct subjects: k records beyond its two largest
// submitters', and k distinct subjects.
func passes(total int, shares []int, subjects, k int) bool {
	return beyondDominant(total, shares) >= k && subjects >= k
}

// beyondDominant returns total less the largest `dominant` of the
// submitters' shares that of picks.
func (t *tally) beyondDominant(total int, of func(*contrib) int) int {
	shares := make([]int, 0, len(t.bySubmitter))
	for _, c := range t.bySubmitter {
		shares = append(shares, of(c))
	}
	return beyondDominant(total, shares)
}

// publishable reports whether the group passes the contributor rules for
// minimum size k.
func (t *tally) publishable(k int) bool {
	shares := make([]int, 0, len(t.bySubmitter))
	for _, c := range t.bySubmitter {
		shares = append(shares, c.n)
	}
	return passes(t.n, shares, t.subjects, k)
}

// answered reports whether a measure answered n times, by the shares that of
// picks, may be published under minimum size k.
func (t *tally) answered(n int, of func(*contrib) int, k int) bool {
	return t.beyondDominant(n, of) >= k
}

// cell is one group of a table under construction.
type cell struct {
	keys      []string
	t         *tally
	published bool
}

// BaseSubjects holds the distinct subjects of base cells (an agency's
// service in a month, keyed agency, service, month) as their release counted
// them, exactly; summed strata count a subject once per stratum.
type BaseSubjects map[[3]string]int

// Protect applies disclosure control to released strata grouped by
// groupBy, with minimum cell size k, and returns the published cells in key
// order. Cells that do not publish are left out. subjects, when set, holds
// base cells to the exact count of their distinct subjects as well.
func Protect(strata []candour.Stratum, groupBy []string, k int, noise *Noise, subjects BaseSubjects) []candour.InsightCell {
	k = max(k, 1)
	strata = baseCells(strata, k, subjects)
	byKey := map[string]*cell{}
	for _, r := range strata {
		keys := make([]string, len(groupBy))
		for i, d := range groupBy {
			keys[i] = r.Dimension(d)
		}
		id := strings.Join(keys, "\x00")
		c := byKey[id]
		if c == nil {
			c = &cell{keys: keys, t: newTally()}
			byKey[id] = c
		}
		c.t.add(r)
	}
	cells := make([]*cell, 0, len(byKey))
	for _, c := range byKey {
		c.published = c.t.publishable(k)
		cells = append(cells, c)
	}
	slices.SortFunc(cells, func(a, b *cell) int { return slices.Compare(a.keys, b.keys) })
	hideRemainders(cells, len(groupBy), k)
	out := []candour.InsightCell{}
	for _, c := range cells {
		if c.published {
			out = append(out, publish(c, groupBy, k, noise))
		}
	}
	return out
}

// baseCells keeps the strata whose base cell (agency, service, month)
// passes the contributor rules.
func baseCells(strata []candour.Stratum, k int, subjects BaseSubjects) []candour.Stratum {
	base := map[[3]string]*tally{}
	for _, r := range strata {
		id := [3]string{r.Agency, r.Service, r.Period}
		if base[id] == nil {
			base[id] = newTally()
		}
		base[id].add(r)
	}
	for id, t := range base {
		if n, ok := subjects[id]; ok {
			t.subjects = min(t.subjects, n)
		}
	}
	return slices.DeleteFunc(slices.Clone(strata), func(r candour.Stratum) bool {
		return !base[[3]string{r.Agency, r.Service, r.Period}].publishable(k)
	})
}

// hideRemainders leaves out more cells wherever what a line of the table
// leaves out is neither nothing nor a publishable group: the smallest
// published cell of the line goes too, until every line's remainder is safe
// to learn by subtracting the published cells from the line's total. A line
// is the whole table, and the cells that share every key but one.
func hideRemainders(cells []*cell, dims, k int) {
	lines := [][]*cell{cells}
	if dims >= 2 {
		for d := range dims {
			byRest := map[string][]*cell{}
			var order []string
			for _, c := range cells {
				rest := strings.Join(slices.Delete(slices.Clone(c.keys), d, d+1), "\x00")
				if byRest[rest] == nil {
					order = append(order, rest)
				}
				byRest[rest] = append(byRest[rest], c)
			}
			for _, rest := range order {
				lines = append(lines, byRest[rest])
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for _, line := range lines {
			hidden := newTally()
			var smallest *cell
			for _, c := range line {
				if !c.published {
					hidden.merge(c.t)
				} else if smallest == nil || c.t.n < smallest.t.n {
					smallest = c
				}
			}
			if hidden.n == 0 || hidden.publishable(k) || smallest == nil {
				continue
			}
			smallest.published, changed = false, true
		}
	}
}

// publish computes a published cell's figures: noisy, rounded, and withheld
// where too few answered.
func publish(c *cell, groupBy []string, k int, noise *Noise) candour.InsightCell {
	t := c.t
	out := candour.InsightCell{Keys: map[string]string{}}
	for i, d := range groupBy {
		out.Keys[d] = c.keys[i]
	}
	count := max(0, roundTo(t.n+noise.count(t.key, t.n), Rounding))
	out.Count = &count
	mean := func(sum, n int, of func(*contrib) int, what string, lo, hi float64) *float64 {
		if !t.answered(n, of, k) {
			return nil
		}
		v := (float64(sum) + float64(noise.draw(t.key, t.n, what, sumScale))) / float64(n)
		v = math.Round(clamp(v, lo, hi)*10) / 10
		return &v
	}
	pct := func(num, n int, of func(*contrib) int, what string, b, lo float64) *int {
		if !t.answered(n, of, k) {
			return nil
		}
		v := int(math.Round(clamp((float64(num)+float64(noise.draw(t.key, t.n, what, b)))/float64(n)*100, lo, 100)))
		return &v
	}
	out.SatisfactionMean = mean(t.satSum, t.satN, func(c *contrib) int { return c.sat }, "satisfaction", 1, 5)
	out.EffortMean = mean(t.effortSum, t.effortN, func(c *contrib) int { return c.effort }, "effort", 1, 5)
	out.FeltSafePct = pct(t.safeYes, t.safeN, func(c *contrib) int { return c.safe }, "felt_safe", yesScale, 0)
	out.FeltBelievedPct = pct(t.believedYes, t.believedN, func(c *contrib) int { return c.believed }, "felt_believed", yesScale, 0)
	out.NetPromoter = pct(t.promoters-t.detractors, t.recommendN, func(c *contrib) int { return c.recommend }, "net_promoter", npsScale, -100)
	return out
}

func roundTo(n, base int) int {
	return int(math.Floor(float64(n)/float64(base)+0.5)) * base
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }
