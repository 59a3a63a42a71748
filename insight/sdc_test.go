package insight

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"testing"

	"github.com/candour-vault/candour"
)

func testNoise(t testing.TB) *Noise {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	n, err := NewNoise(key)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestNoiseNeedsTheKey: without the key, the noise of a figure cannot be
// told better than by guessing the likeliest value; with it, always.
func TestNoiseNeedsTheKey(t *testing.T) {
	secret := testNoise(t)
	const cells = 4000
	// The best guess without the key is the mode, 0.
	mode := float64(secret.tables[yesScale][noiseLimit]-secret.tables[yesScale][noiseLimit-1]) / math.MaxUint64
	hits, modeHits, again := 0, 0, 0
	for range cells {
		var b [8]byte
		rand.Read(b[:])
		key, n := binary.BigEndian.Uint32(b[:4]), int(b[4])
		truth := secret.draw(key, n, "felt_safe", yesScale)
		if secret.draw(key, n, "felt_safe", yesScale) == truth {
			again++
		}
		if truth == 0 {
			modeHits++
		}
		if testNoise(t).draw(key, n, "felt_safe", yesScale) == truth { // an attacker's own key
			hits++
		}
	}
	bound := mode + 3*math.Sqrt(mode*(1-mode)/cells)
	t.Logf("noise guessed with another key %.3f, by the mode %.3f (P(0) = %.3f), with the key %.3f", float64(hits)/cells, float64(modeHits)/cells, mode, float64(again)/cells)
	if again != cells {
		t.Errorf("the same key gave other noise %d times", cells-again)
	}
	if r := float64(hits) / cells; r > bound {
		t.Errorf("another key reproduces the noise %.3f of the time, above the mode's %.3f", r, mode)
	}
}

// TestNoiseDistribution: the noise is centred, bounded and of the stated
// scale.
func TestNoiseDistribution(t *testing.T) {
	n := testNoise(t)
	for _, b := range []float64{sumScale, yesScale, npsScale} {
		var sum, abs float64
		const draws = 20000
		for i := range draws {
			v := n.draw(uint32(i), i%97, "x", b)
			if v < -noiseLimit || v > noiseLimit {
				t.Fatalf("noise %d outside ±%d", v, noiseLimit)
			}
			sum += float64(v)
			abs += math.Abs(float64(v))
		}
		if mean := sum / draws; math.Abs(mean) > 0.1 {
			t.Errorf("scale %.1f: mean %.3f, want about 0", b, mean)
		}
		// A discrete Laplace of scale b has E|X| close to b.
		if m := abs / draws; m < 0.7*b || m > 1.2*b {
			t.Errorf("scale %.1f: mean absolute noise %.2f", b, m)
		}
	}
}

// distinctSubjects counts the subjects of each base cell of rows, as a
// release does.
func distinctSubjects(rows []candour.ReleaseRow) BaseSubjects {
	seen := map[[3]string]map[string]bool{}
	for i, r := range rows {
		id := [3]string{r.Agency, r.Service, r.Period}
		if seen[id] == nil {
			seen[id] = map[string]bool{}
		}
		s := string(r.SubjectHash)
		if r.SubjectHash == nil {
			s = fmt.Sprint("anonymous-", i)
		}
		seen[id][s] = true
	}
	out := BaseSubjects{}
	for id, m := range seen {
		out[id] = len(m)
	}
	return out
}

// row returns a released row of a base cell.
func row(service, period, submitter string, subject int, sat int, safe string) candour.ReleaseRow {
	r := candour.ReleaseRow{ReleaseKey: candour.ReleaseKey{Agency: "victim-support-north", Service: service, Period: period,
		Touchpoint: "first-contact", Submitter: submitter}, Ratings: candour.Ratings{Satisfaction: &sat, FeltSafe: safe}, RecordKey: mrand.Uint32()}
	if subject >= 0 {
		r.SubjectHash = []byte(fmt.Sprint(subject))
	}
	return r
}

// crowd returns n rows of one base cell, recorded round-robin by the given
// number of submitters, each about a subject of their own.
func crowd(service, period string, n, submitters int) []candour.ReleaseRow {
	var out []candour.ReleaseRow
	for i := range n {
		out = append(out, row(service, period, fmt.Sprint("cw-", i%submitters), -1, 1+i%5, []string{"yes", "no"}[i%2]))
	}
	return out
}

func TestProtectRules(t *testing.T) {
	noise := testNoise(t)
	s1, s2 := "victim-support/initial-contact", "victim-support/ongoing-support"
	withTouchpoint := func(rows []candour.ReleaseRow, tp string) []candour.ReleaseRow {
		for i := range rows {
			rows[i].Touchpoint = tp
		}
		return rows
	}
	tests := []struct {
		name    string
		rows    []candour.ReleaseRow
		groupBy []string
		cells   int
	}{
		{"twelve records of twelve caseworkers publish", crowd(s1, "2025-01", 12, 12), nil, 1},
		{"ten records of one caseworker do not", crowd(s1, "2025-01", 10, 1), nil, 0},
		{"thirty records of two caseworkers do not", crowd(s1, "2025-01", 30, 2), nil, 0},
		{"nine planted beside three others do not", append(crowd(s1, "2025-01", 9, 1), crowd(s1, "2025-01", 3, 3)...), nil, 0},
		{"twelve records about one subject do not", func() []candour.ReleaseRow {
			var rs []candour.ReleaseRow
			for i := range 12 {
				rs = append(rs, row(s1, "2025-01", fmt.Sprint("cw-", i), 7, 3, "yes"))
			}
			return rs
		}(), nil, 0},
		{"a small base cell counts nowhere, not even in a total", append(crowd(s1, "2025-01", 20, 20), crowd(s2, "2025-01", 3, 3)...), []string{"service"}, 1},
		{"a small group's remainder takes another cell with it, until what is hidden could publish",
			append(withTouchpoint(crowd(s1, "2025-01", 14, 14), "home-visit"), append(withTouchpoint(crowd(s1, "2025-01", 14, 14), "court-day"),
				withTouchpoint(crowd(s1, "2025-01", 2, 2), "referral")...)...), []string{"touchpoint"}, 1},
		{"a remainder big enough to publish takes nothing",
			append(withTouchpoint(crowd(s1, "2025-01", 14, 14), "home-visit"), append(withTouchpoint(crowd(s1, "2025-01", 14, 14), "court-day"),
				withTouchpoint(crowd(s1, "2025-01", 14, 14), "referral")...)...), []string{"touchpoint"}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cells := Protect(candour.Strata(tt.rows), tt.groupBy, 10, noise, distinctSubjects(tt.rows))
			if len(cells) != tt.cells {
				t.Fatalf("%d cells published, want %d: %+v", len(cells), tt.cells, cells)
			}
			for _, c := range cells {
				if c.Count == nil || *c.Count%Rounding != 0 {
					t.Errorf("cell %v: count %v, want a multiple of %d", c.Keys, c.Count, Rounding)
				}
			}
		})
	}
	// The total of the two-service case counts only the big base cell.
	cells := Protect(candour.Strata(append(crowd(s1, "2025-01", 20, 20), crowd(s2, "2025-01", 3, 3)...)), nil, 10, noise, nil)
	if len(cells) != 1 || *cells[0].Count < 15 || *cells[0].Count > 25 {
		t.Errorf("total over a big and a small base cell: %+v; want about 20", cells)
	}
	// A measure answered by too few is withheld while the count is shown.
	rs := crowd(s1, "2025-01", 14, 14)
	for i := range rs[:8] {
		rs[i].Ratings.FeltSafe = ""
	}
	if cells := Protect(candour.Strata(rs), nil, 10, noise, nil); len(cells) != 1 || cells[0].FeltSafePct != nil || cells[0].SatisfactionMean == nil {
		t.Errorf("six answers of felt safe: %+v; want it withheld, satisfaction shown", cells)
	}
}

// TestHonestAccuracy measures what an honest analyst gets: on cells of 50
// records, and of 50 to 400, the share whose published count is within 5 of
// the truth and whose means are within 0.2 (docs/benchmarks.md).
func TestHonestAccuracy(t *testing.T) {
	noise := testNoise(t)
	r := mrand.New(mrand.NewPCG(5, 6))
	for _, sizes := range [][2]int{{50, 50}, {50, 400}} {
		const cells = 2000
		countOK, satOK, effortOK := 0, 0, 0
		for i := range cells {
			n := sizes[0] + r.IntN(sizes[1]-sizes[0]+1)
			var rows []candour.ReleaseRow
			var satSum, effSum int
			for range n {
				sat, eff := 1+r.IntN(5), 1+r.IntN(5)
				satSum, effSum = satSum+sat, effSum+eff
				rw := row("victim-support/initial-contact", fmt.Sprintf("p-%d", i), fmt.Sprint("cw-", r.IntN(15)), -1, sat, "yes")
				rw.Ratings.Effort = &eff
				rows = append(rows, rw)
			}
			out := Protect(candour.Strata(rows), nil, 10, noise, nil)
			if len(out) != 1 {
				t.Fatalf("a cell of %d was not published", n)
			}
			c := out[0]
			if math.Abs(float64(*c.Count-n)) <= 5 {
				countOK++
			}
			if math.Abs(*c.SatisfactionMean-float64(satSum)/float64(n)) <= 0.2 {
				satOK++
			}
			if math.Abs(*c.EffortMean-float64(effSum)/float64(n)) <= 0.2 {
				effortOK++
			}
		}
		t.Logf("cells of %d-%d records: count within ±5 on %.1f%%, satisfaction mean within ±0.2 on %.1f%%, effort mean on %.1f%% (%d cells)",
			sizes[0], sizes[1], 100*float64(countOK)/cells, 100*float64(satOK)/cells, 100*float64(effortOK)/cells, cells)
		for name, ok := range map[string]int{"count": countOK, "satisfaction": satOK, "effort": effortOK} {
			if float64(ok)/cells < 0.95 {
				t.Errorf("%s within bounds on %.1f%% of cells of %v records, want at least 95%%", name, 100*float64(ok)/cells, sizes)
			}
		}
	}
}
