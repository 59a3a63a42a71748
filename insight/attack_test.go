package insight_test

// The attack suite: an analyst of police-north, with colleagues who hold
// caseworker accounts in victim-support-north (which shares insight with
// police), tries every class of attack of docs/insight.md against a running
// server through its HTTP API. Each attack prints its success rate beside
// its chance baseline and fails when it beats chance by more than three and a
// half standard errors of its trial count.

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/candour-vault/candour"
)

const trials = 240

// attackSuite skips the suite under the race detector: make test runs it
// again without (go test -run Attack ./insight), where it takes a minute.
func attackSuite(t *testing.T) {
	t.Helper()
	if raceDetector {
		t.Skip("the attack suite runs without the race detector: go test -run Attack ./insight")
	}
	t.Parallel()
}

var services = []string{"victim-support/initial-contact", "victim-support/ongoing-support", "victim-support/court-preparation"}

// month returns the month i months before 2025-10.
func month(i int) string {
	return time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC).AddDate(0, -i, 0).Format("2006-01")
}

// randomPerson is a person of the sharing agency with random answers.
func randomPerson(service, touchpoint, period string) person {
	return person{service: service, touchpoint: touchpoint, period: period, satisfaction: 1 + randN(5),
		feltSafe: []string{"yes", "no"}[randN(2)]}
}

// crowd stores n honest records in a cell, each by a different caseworker.
func (s *server) crowd(n int, trial int, service, touchpoint, period string) {
	for i := range n {
		s.honest(fmt.Sprintf("hw-%d-%s-%d", trial, touchpoint, i), randomPerson(service, touchpoint, period))
	}
}

func q(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// guessFromTotals is the differencing attacker's estimate of one person's
// answers from two published cells that differ by that person, with the
// true group sizes known: satisfaction 1-5 and felt safe.
func guessFromTotals(a, b cell, na, nb int) (sat int, safe string, ok bool) {
	ma, ok1 := a.num("satisfaction_mean")
	mb, ok2 := b.num("satisfaction_mean")
	pa, ok3 := a.num("felt_safe_pct")
	pb, ok4 := b.num("felt_safe_pct")
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return 0, "", false
	}
	sat = int(math.Round(max(1, min(5, ma*float64(na)-mb*float64(nb)))))
	safe = "no"
	if pa*float64(na)/100-pb*float64(nb)/100 >= 0.5 {
		safe = "yes"
	}
	return sat, safe, true
}

// TestAttackDifferencing: two queries that differ by one person, by time
// window or by service filter (class 1). The target is alone in their
// service's month; a crowd of 14 is next to them.
func TestAttackDifferencing(t *testing.T) {
	attackSuite(t)
	s := newServer(t)
	type trial struct {
		target     person
		q1, q2     url.Values
		n1, n2     int
		byWindow   bool
		crowdCells int
	}
	var ts []trial
	for i := range trials {
		svc, other := services[i%3], services[(i+1)%3]
		pa, pb := month(2*(i/3)), month(2*(i/3)+1)
		tr := trial{n1: 15, n2: 14, byWindow: i%2 == 0}
		if tr.byWindow { // crowd in month pa, target alone in month pb
			s.crowd(14, i, svc, "first-contact", pa)
			tr.target = randomPerson(svc, "first-contact", pb)
			tr.q1 = q("service", svc, "from", pb, "to", pa)
			tr.q2 = q("service", svc, "from", pa, "to", pa)
		} else { // crowd in one service, target alone in another, same month
			s.crowd(14, i, svc, "first-contact", pa)
			tr.target = randomPerson(other, "first-contact", pa)
			tr.q1 = q("from", pa, "to", pa)
			tr.q2 = q("service", svc, "from", pa, "to", pa)
		}
		s.honest(fmt.Sprintf("hw-%d-target", i), tr.target)
		ts = append(ts, tr)
	}
	s.release()
	analyst := s.token("analyst-1", candour.RoleAnalyst, ownAgency)
	sat := outcome{name: "differencing: satisfaction (1-5)"}
	safe := outcome{name: "differencing: felt safe (yes/no)"}
	for _, tr := range ts {
		a, b := s.summary(analyst, tr.q1), s.summary(analyst, tr.q2)
		if len(a) == 1 && len(b) == 1 {
			if gs, gf, ok := guessFromTotals(a[0], b[0], tr.n1, tr.n2); ok {
				sat.add(gs == tr.target.satisfaction, 0.2)
				safe.add(gf == tr.target.feltSafe, 0.5)
				continue
			}
		}
		sat.add(1+randN(5) == tr.target.satisfaction, 0.2)
		safe.add([]string{"yes", "no"}[randN(2)] == tr.target.feltSafe, 0.5)
	}
	sat.check(t)
	safe.check(t)
}

// TestAttackSuppressedLabels: a lone person's touchpoint, read from the
// labels of the cells a summary shows (class 2). A crowd of 14 used
// first-contact; the target used home-visit or court-day.
func TestAttackSuppressedLabels(t *testing.T) {
	attackSuite(t)
	s := newServer(t)
	truth := make([]string, trials)
	for i := range trials {
		svc, p := services[i%3], month(i/3)
		s.crowd(14, i, svc, "first-contact", p)
		truth[i] = []string{"home-visit", "court-day"}[randN(2)]
		s.honest(fmt.Sprintf("hw-%d-target", i), randomPerson(svc, truth[i], p))
	}
	s.release()
	analyst := s.token("analyst-1", candour.RoleAnalyst, ownAgency)
	o := outcome{name: "labels: lone person's touchpoint"}
	for i := range trials {
		svc, p := services[i%3], month(i/3)
		guess := []string{"home-visit", "court-day"}[randN(2)]
		for _, c := range s.summary(analyst, q("group_by", "touchpoint", "service", svc, "from", p, "to", p)) {
			if tp := c["touchpoint"]; tp == "home-visit" || tp == "court-day" {
				guess = tp.(string)
			}
		}
		o.add(guess == truth[i], 0.5)
	}
	o.check(t)
}

// TestAttackPlanting: colleagues plant nine records of known answers beside
// a lone target, through two caseworker accounts of the sharing agency, so
// that the cell reaches the minimum size; the attacker subtracts the planted
// answers (class 3). Then the plants are withdrawn and the cell asked again,
// to difference before and after (classes 3 and 4 together).
func TestAttackPlanting(t *testing.T) {
	attackSuite(t)
	s := newServer(t)
	moles := []string{s.token("mole-1", candour.RoleCaseworker, sharingAgency), s.token("mole-2", candour.RoleCaseworker, sharingAgency)}
	targets := make([]person, trials)
	planted := make([][]string, trials)
	for i := range trials {
		svc, p := services[i%3], month(i/3)
		targets[i] = randomPerson(svc, "first-contact", p)
		s.honest(fmt.Sprintf("hw-%d-target", i), targets[i])
		for j := range 9 {
			planted[i] = append(planted[i], s.plant(moles[j%2], person{service: svc, touchpoint: "first-contact", period: p,
				satisfaction: 3, feltSafe: "no"}))
		}
	}
	s.release()
	analyst := s.token("analyst-1", candour.RoleAnalyst, ownAgency)
	sat := outcome{name: "planting: satisfaction (1-5)"}
	safe := outcome{name: "planting: felt safe (yes/no)"}
	sat2 := outcome{name: "planting then withdrawing: satisfaction (1-5)"}
	for i := range trials {
		svc, p := services[i%3], month(i/3)
		query := q("service", svc, "from", p, "to", p)
		before := s.summary(analyst, query)
		gs, gf := 1+randN(5), []string{"yes", "no"}[randN(2)]
		if len(before) == 1 {
			if m, ok := before[0].num("satisfaction_mean"); ok {
				gs = int(math.Round(max(1, min(5, m*10-27))))
			}
			if pct, ok := before[0].num("felt_safe_pct"); ok && pct >= 5 {
				gf = "yes"
			}
		}
		sat.add(gs == targets[i].satisfaction, 0.2)
		safe.add(gf == targets[i].feltSafe, 0.5)
		for j, id := range planted[i] {
			s.withdraw(moles[j%2], id)
		}
		after := s.summary(analyst, query)
		g2 := 1 + randN(5)
		if len(before) == 1 && len(after) == 1 {
			if g, _, ok := guessFromTotals(before[0], after[0], 10, 9); ok {
				g2 = g
			}
		}
		sat2.add(g2 == targets[i].satisfaction, 0.2)
	}
	sat.check(t)
	safe.check(t)
	sat2.check(t)
}

// TestAttackBeforeAfter: ask, let one record be withdrawn or submitted, ask
// again, and name the person's touchpoint by the cell that changed (class
// 4). Each cell holds 13 people of each of two touchpoints.
func TestAttackBeforeAfter(t *testing.T) {
	attackSuite(t)
	s := newServer(t)
	type trial struct {
		target   person
		id       string
		withdraw bool
	}
	ts := make([]trial, trials)
	for i := range trials {
		svc, p := services[i%3], month(i/3)
		s.crowd(13, i, svc, "home-visit", p)
		s.crowd(13, i, svc, "court-day", p)
		ts[i] = trial{target: randomPerson(svc, []string{"home-visit", "court-day"}[randN(2)], p), withdraw: i%2 == 0}
		if ts[i].withdraw {
			ts[i].id = s.honest(fmt.Sprintf("hw-%d-target", i), ts[i].target)
		}
	}
	s.release()
	analyst := s.token("analyst-1", candour.RoleAnalyst, ownAgency)
	o := outcome{name: "before/after: touchpoint of who left or arrived"}
	for i, tr := range ts {
		svc, p := services[i%3], month(i/3)
		query := q("group_by", "touchpoint", "service", svc, "from", p, "to", p)
		before := s.summary(analyst, query)
		if tr.withdraw {
			s.withdraw(s.token(fmt.Sprintf("hw-%d-target", i), candour.RoleCaseworker, sharingAgency), tr.id)
		} else {
			s.honest(fmt.Sprintf("hw-%d-late", i), tr.target)
		}
		after := s.summary(analyst, query)
		guess := []string{"home-visit", "court-day"}[randN(2)]
		for _, b := range before {
			j := slices.IndexFunc(after, func(a cell) bool { return a["touchpoint"] == b["touchpoint"] })
			if j < 0 || fmt.Sprint(after[j]) != fmt.Sprint(b) {
				guess = b["touchpoint"].(string)
			}
		}
		o.add(guess == tr.target.touchpoint, 0.5)
	}
	o.check(t)
}

// flowers make comments that redaction leaves alone and that tell one
// person's comment from another's.
var flowers = strings.Fields("bluebell marigold primrose foxglove cowslip snowdrop daffodil heather thistle " +
	"clover daisy buttercup poppy lavender rosemary bramble hawthorn rowan willow hazel")

func flowerComment(i int) string {
	return fmt.Sprintf("The support was fine, like a %s and a %s in a %s field.", flowers[i%20], flowers[(i/20)%20], flowers[(i/400)%20])
}

// TestAttackComments: the comments of a group before and after one person
// withdraws (their comment is the difference), and padding a lone target's
// group with planted records so that it reaches the minimum size (class 5).
func TestAttackComments(t *testing.T) {
	attackSuite(t)
	s := newServer(t)
	moles := []string{s.token("mole-1", candour.RoleCaseworker, sharingAgency), s.token("mole-2", candour.RoleCaseworker, sharingAgency)}
	analyst := s.token("analyst-1", candour.RoleAnalyst, ownAgency)
	type trial struct {
		targetComment, targetID string
		padded                  bool
	}
	ts := make([]trial, 2*trials) // half of each kind
	for i := range ts {
		svc, p := services[i%3], month(i/3)
		ts[i].padded = i%2 == 1
		ts[i].targetComment = flowerComment(i)
		target := randomPerson(svc, "first-contact", p)
		target.comment = ts[i].targetComment
		if !ts[i].padded { // the target among 14 others with comments
			for j := range 14 {
				pj := randomPerson(svc, "first-contact", p)
				pj.comment = flowerComment(1000 + 15*i + j)
				s.honest(fmt.Sprintf("hw-%d-%d", i, j), pj)
			}
		} else { // alone, padded with 12 planted records, half with comments
			for j := range 12 {
				pj := randomPerson(svc, "first-contact", p)
				if j%2 == 0 {
					pj.comment = "Planted comment number " + flowers[j]
				}
				s.plant(moles[j%2], pj)
			}
		}
		ts[i].targetID = s.honest(fmt.Sprintf("hw-%d-target", i), target)
	}
	s.release()
	diff := outcome{name: "comments: the withdrawn person's comment"}
	pad := outcome{name: "comments: a padded lone target's comment shown"}
	for i, tr := range ts {
		svc, p := services[i%3], month(i/3)
		query := q("service", svc, "from", p, "to", p)
		before := s.comments(analyst, query)
		var shown []string
		for _, g := range before {
			shown = append(shown, g.Comments...)
		}
		if tr.padded {
			pad.add(slices.Contains(shown, tr.targetComment), 0)
			continue
		}
		s.withdraw(s.token(fmt.Sprintf("hw-%d-target", i), candour.RoleCaseworker, sharingAgency), tr.targetID)
		var after []string
		for _, g := range s.comments(analyst, q("service", svc, "from", p, "to", p)) {
			after = append(after, g.Comments...)
		}
		// The guess: the first comment shown before and missing after (a
		// page keeps a stable order and cuts from its end), else any.
		guess, chance := "", 0.0
		if len(shown) > 0 {
			guess, chance = shown[randN(len(shown))], 1/float64(len(shown))
			if j := slices.IndexFunc(shown, func(c string) bool { return !slices.Contains(after, c) }); j >= 0 && len(after) > 0 {
				guess = shown[j]
			}
		}
		diff.add(guess == tr.targetComment, chance)
	}
	diff.check(t)
	pad.check(t)
}

// TestAttackTiming: tell a hidden comment group of 6 records from one of 54
// by how long the comments endpoint takes (class 6). Every month has the
// same published group beside the hidden one.
func TestAttackTiming(t *testing.T) {
	attackSuite(t)
	s := newServer(t)
	const n = 200
	big := make([]bool, n)
	for i := range n {
		p := month(i)
		for j := range 12 {
			pj := randomPerson(services[0], "first-contact", p)
			pj.comment = flowerComment(j)
			s.honest(fmt.Sprintf("hw-%d-%d", i, j), pj)
		}
		big[i] = coin()
		size := 6
		if big[i] {
			size = 54
		}
		for j := range size { // one caseworker's records: never published
			pj := randomPerson(services[1], "first-contact", p)
			pj.comment = flowerComment(100 + j)
			s.honest(fmt.Sprintf("hw-%d-solo", i), pj)
		}
	}
	s.release()
	analyst := s.token("analyst-1", candour.RoleAnalyst, ownAgency)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	for i := range order { // measure in a random order, so drift is not a signal
		j := i + randN(n-i)
		order[i], order[j] = order[j], order[i]
	}
	took := make([]time.Duration, n)
	for _, i := range order {
		var d []time.Duration
		for range 5 {
			start := time.Now()
			s.comments(analyst, q("from", month(i), "to", month(i)))
			d = append(d, time.Since(start))
		}
		slices.Sort(d)
		took[i] = d[2]
	}
	sorted := slices.Clone(took)
	slices.Sort(sorted)
	threshold := sorted[n/2]
	o := outcome{name: "timing: hidden comment group of 54 or 6"}
	for i := range n {
		o.add((took[i] > threshold) == big[i], 0.5)
	}
	o.trials = max(o.trials, n)
	o.check(t)
}

// TestAttackWithdrawnValues: after a withdrawal through the API, the record
// keeps no analytical values in the database (class 7).
func TestAttackWithdrawnValues(t *testing.T) {
	s := newServer(t)
	mole := s.token("mole-1", candour.RoleCaseworker, sharingAgency)
	id := s.plant(mole, person{service: services[2], touchpoint: "court-day", period: month(0), satisfaction: 2, feltSafe: "no"})
	s.withdraw(mole, id)
	rec, err := s.DB.Record(candour.WithAgencies(t.Context(), sharingAgency), id)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Service != "" || rec.Touchpoint != "" || rec.Channel != "" || rec.Period != "" || !rec.Ratings.Empty() || rec.RecordKey != 0 || len(rec.Sealed) != 0 {
		t.Errorf("a withdrawn record keeps values: %+v", rec)
	}
}
