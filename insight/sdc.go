// Package insight turns raw group totals into statistics an analyst in a
// partner agency may see, by statistical disclosure control on the server.
//
// The method (docs/insight.md) is the cell-key method in the manner of ONS
// practice, with suppression:
//   - a cell of fewer records than the minimum cell size is suppressed: it
//     keeps its group keys and carries no count and no measures;
//   - secondary suppression: along every row and column of the table (and
//     over the whole table), a lone suppressed cell takes the smallest other
//     cell with it, so that it cannot be recovered from totals;
//   - every published figure is perturbed by noise drawn from the cell's key
//     (the sum of its records' secret keys, mod 256), so the same set of
//     records always gets the same answer however the query is phrased, and
//     two cells that differ by one person get unrelated noise; counts are
//     then rounded to base 5;
//   - a measure answered by fewer than the minimum cell size is withheld.
package insight

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"sort"
	"strings"

	"github.com/candour-vault/candour"
)

// Rounding is the base published counts are rounded to.
const Rounding = 5

// noise returns a number in [-1, 1] drawn from a cell key and what it is
// for: the same key and purpose always give the same number.
func noise(cellKey int, what string) float64 {
	h := sha256.Sum256([]byte(what + "\x00" + string(rune(cellKey))))
	return float64(binary.BigEndian.Uint64(h[:8]))/math.MaxUint64*2 - 1
}

// countNoise is the perturbation of a count: -2 to +2, zero half the time,
// from the cell key (a perturbation table in the manner of ONS's).
func countNoise(cellKey int, what string) int {
	h := sha256.Sum256([]byte("count\x00" + what + "\x00" + string(rune(cellKey))))
	switch v := h[0] % 20; {
	case v == 0:
		return -2
	case v <= 4:
		return -1
	case v <= 14:
		return 0
	case v <= 18:
		return 1
	default:
		return 2
	}
}

func roundTo(n, base int) int {
	return int(math.Floor(float64(n)/float64(base)+0.5)) * base
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// Protect applies disclosure control to raw rows grouped by groupBy, with
// minimum cell size k. It returns the published cells and how many are
// suppressed.
func Protect(rows []candour.SummaryRow, groupBy []string, k int) ([]candour.InsightCell, int) {
	if k < 1 {
		k = 1
	}
	suppressed := make([]bool, len(rows))
	for i, r := range rows {
		suppressed[i] = r.Count < k
	}
	secondary(rows, groupBy, suppressed)
	cells := make([]candour.InsightCell, len(rows))
	n := 0
	for i, r := range rows {
		c := candour.InsightCell{Keys: map[string]string{}}
		for j, d := range groupBy {
			c.Keys[d] = r.Keys[j]
		}
		if suppressed[i] {
			c.Suppressed = true
			n++
			cells[i] = c
			continue
		}
		count := max(0, roundTo(r.Count+countNoise(r.CellKey, "records"), Rounding))
		c.Count = &count
		mean := func(sum, n int, what string, lo, hi float64) *float64 {
			if n < k {
				return nil
			}
			// Noise of up to half the scale on the sum: differencing two
			// cells that differ by one answer recovers nothing of it.
			v := clamp((float64(sum)+noise(r.CellKey, what)*(hi-lo)/2)/float64(n), lo, hi)
			v = math.Round(v*10) / 10
			return &v
		}
		pct := func(yes, n int, what string, lo float64) *int {
			if n < k {
				return nil
			}
			// Noise of up to three answers either way, continuous: a
			// one-answer difference between two cells is lost in it.
			v := int(math.Round(clamp((float64(yes)+noise(r.CellKey, what)*3)/float64(n)*100, lo, 100)))
			return &v
		}
		c.SatisfactionMean = mean(r.SatSum, r.SatN, "satisfaction", 1, 5)
		c.EffortMean = mean(r.EffortSum, r.EffortN, "effort", 1, 5)
		c.FeltSafePct = pct(r.SafeYes, r.SafeN, "felt_safe", 0)
		c.FeltBelievedPct = pct(r.BelievedYes, r.BelievedN, "felt_believed", 0)
		c.NetPromoter = pct(r.Promoters-r.Detractors, r.RecommendN, "net_promoter", -100)
		cells[i] = c
	}
	return cells, n
}

// secondary suppresses, along every line of the table (the cells that share
// all keys but one) and over the whole table, the smallest other cell
// wherever exactly one is suppressed, until no line has a lone suppressed
// cell.
func secondary(rows []candour.SummaryRow, groupBy []string, suppressed []bool) {
	lines := [][]int{}
	all := make([]int, len(rows))
	for i := range rows {
		all[i] = i
	}
	lines = append(lines, all)
	for d := range groupBy {
		if len(groupBy) < 2 {
			break
		}
		byRest := map[string][]int{}
		for i, r := range rows {
			rest := append(append([]string{}, r.Keys[:d]...), r.Keys[d+1:]...)
			key := strings.Join(rest, "\x00")
			byRest[key] = append(byRest[key], i)
		}
		keys := make([]string, 0, len(byRest))
		for k := range byRest {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			lines = append(lines, byRest[k])
		}
	}
	for changed := true; changed; {
		changed = false
		for _, line := range lines {
			if len(line) < 2 {
				continue
			}
			lone := 0
			for _, i := range line {
				if suppressed[i] {
					lone++
				}
			}
			if lone != 1 {
				continue
			}
			best := -1
			for _, i := range line {
				if !suppressed[i] && (best < 0 || rows[i].Count < rows[best].Count) {
					best = i
				}
			}
			if best >= 0 {
				suppressed[best], changed = true, true
			}
		}
	}
}
