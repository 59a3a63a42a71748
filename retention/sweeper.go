// Package retention destroys what has passed its time. The rules are policy
// data (data.json "retention"); the sweeper reads them from the policy in
// force, finds the records they make due, and destroys them the way an
// erasure does, in small transactions that never hold up requests.
//
// Guarantees:
//   - a record under a legal hold in force is never destroyed (the store
//     checks the hold in the destroying transaction itself);
//   - every destroyed record is named in an audit entry written in the same
//     transaction, with the rules that applied and the policy revision;
//   - one sweeper runs at a time whatever the number of replicas (a lease in
//     the database), and a record is destroyed at most once;
//   - a dry run (Plan) changes nothing and writes nothing;
//   - the sweeper never reads content.
package retention

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/candour-vault/candour"
)

// Rules is where the sweeper finds the rules in force: the policy.
type Rules interface {
	Catalogue() candour.Catalogue
	Revision() string
	Agencies() []string
}

// Config wires a Sweeper. Holder names this sweeper in the lease (the host
// and process); Now defaults to the wall clock; Logger to discarding.
type Config struct {
	Store  candour.RetentionStore
	Rules  Rules
	Holder string
	Now    func() time.Time
	Logger *slog.Logger
}

// Sweeper finds and destroys records past their retention. It is safe for
// concurrent use; its runs, here or on another replica, take turns.
type Sweeper struct {
	cfg Config
}

// New returns a Sweeper built from c.
func New(c Config) *Sweeper {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return &Sweeper{cfg: c}
}

// scanPage is how many records one read of the sweep takes.
const scanPage = 5000

// batchSize is how many records one destroying transaction takes: one
// audit entry's worth, so that each entry's rule counts are exactly its
// records' (docs/benchmarks.md measures five entries' worth too).
const batchSize = candour.MaxAuditRecords

// leaseFor is how long a lease lasts without renewal; each batch renews it.
const leaseFor = 5 * time.Minute

// Due is one record a rule makes due.
type Due struct {
	ID, Agency, Rule string
	At               time.Time
	Held             bool
}

// Plan is what a sweep at At would do, or has done: the records due (held
// ones among them, which it keeps) and the released cells it would destroy.
type Plan struct {
	At       time.Time
	Revision string
	Examined int
	Due      []Due
	Cells    []candour.ReleaseCell
}

// Destroyable returns the ids of the records due and not held.
func (p Plan) Destroyable() []string {
	var out []string
	for _, d := range p.Due {
		if !d.Held {
			out = append(out, d.ID)
		}
	}
	return out
}

// ByRule counts the records due and not held, by candour.SweepRuleKey.
func (p Plan) ByRule() map[string]int {
	out := map[string]int{}
	for _, d := range p.Due {
		if !d.Held {
			out[candour.SweepRuleKey(d.Agency, d.Rule)]++
		}
	}
	return out
}

// Held counts the records due but held.
func (p Plan) Held() int {
	n := 0
	for _, d := range p.Due {
		if d.Held {
			n++
		}
	}
	return n
}

// Progress is told, as a sweep goes, how many records it has read and,
// once it knows how many are due, how many of those it has destroyed; nil
// is quiet.
type Progress func(read, destroyed, due int)

// Plan returns what a sweep would destroy if it ran at at: the records of
// agency (every agency when "") due by then. It changes nothing.
func (s *Sweeper) Plan(ctx context.Context, agency string, at time.Time, progress Progress) (Plan, error) {
	cat := s.cfg.Rules.Catalogue()
	p := Plan{At: at, Revision: s.cfg.Rules.Revision()}
	ctx = candour.WithAgencies(ctx, s.cfg.Rules.Agencies()...)
	q := candidates(cat.Retention, agency, at)
	for after := ""; ; {
		q.After = after
		rows, err := s.cfg.Store.RetentionRows(ctx, q)
		if err != nil {
			return Plan{}, err
		}
		for _, row := range rows {
			p.Examined++
			if due, rule, ok := cat.Retention.Due(row); ok && !due.After(at) {
				p.Due = append(p.Due, Due{ID: row.ID, Agency: row.Agency, Rule: rule, At: due, Held: row.Held})
			}
		}
		if progress != nil {
			progress(p.Examined, 0, 0)
		}
		if len(rows) < scanPage {
			break
		}
		after = rows[len(rows)-1].ID
	}
	cells, err := s.cfg.Store.ReleaseCells(ctx)
	if err != nil {
		return Plan{}, err
	}
	for _, c := range cells {
		if agency != "" && c.Agency != agency {
			continue
		}
		if cellDue(cat.Retention, c, at) {
			p.Cells = append(p.Cells, c)
		}
	}
	return p, nil
}

// candidates bounds what a sweep at at need read, by the shortest rule
// that applies: the month, expiry and withdrawal dates past which a record
// may be due. The bounds err a day towards reading more; the rules decide.
func candidates(r candour.Retention, agency string, at time.Time) candour.RetentionQuery {
	shortest := -1
	for _, rule := range r.Rules {
		if (agency == "" || rule.Agency == agency) && (shortest < 0 || rule.Months < shortest) {
			shortest = rule.Months
		}
	}
	q := candour.RetentionQuery{Agency: agency, Limit: scanPage, ExpiredBefore: at.AddDate(0, 0, 1-r.ConsentGraceDays)}
	if shortest >= 0 {
		month := time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC)
		q.PeriodThrough = month.AddDate(0, -(shortest + 1), 0).Format("2006-01")
		q.WithdrawnBefore = at.AddDate(0, -shortest, 1)
	}
	return q
}

// cellDue reports whether a released cell's month is past its rule at at.
func cellDue(r candour.Retention, c candour.ReleaseCell, at time.Time) bool {
	due, _, ok := r.Due(candour.RetentionRow{Agency: c.Agency, Service: c.Service, Sensitivity: c.Sensitivity, Period: c.Period})
	return ok && !due.After(at)
}

// ErrBusy says another sweeper holds the lease.
var ErrBusy = candour.Errorf(candour.ECONFLICT, "Another retention sweep is running; try again when it has finished.")

// Run sweeps now: it takes the lease (ErrBusy when another sweeper has it),
// destroys every record due and not held in transactions of batchSize,
// each with its audit entry, then the released cells due, records the sweep and gives the lease
// back. A failure part-way leaves what was destroyed destroyed and audited;
// the next run carries on.
func (s *Sweeper) Run(ctx context.Context, progress Progress) (candour.Sweep, error) {
	started := s.cfg.Now().UTC()
	ok, err := s.cfg.Store.AcquireSweepLease(ctx, s.cfg.Holder, started, started.Add(leaseFor))
	if err != nil {
		return candour.Sweep{}, err
	}
	if !ok {
		return candour.Sweep{}, ErrBusy
	}
	defer func() {
		// A lease left behind expires by itself; giving it back is a courtesy.
		if err := s.cfg.Store.ReleaseSweepLease(context.WithoutCancel(ctx), s.cfg.Holder); err != nil {
			s.cfg.Logger.Warn("retention lease not given back", "err", err)
		}
	}()
	plan, err := s.Plan(ctx, "", started, progress)
	if err != nil {
		return candour.Sweep{}, err
	}
	sweep := candour.Sweep{StartedAt: started, Revision: plan.Revision, Examined: plan.Examined, Held: plan.Held(),
		ByRule: map[string]int{}}
	rules := map[string]string{}
	for _, d := range plan.Due {
		rules[d.ID] = candour.SweepRuleKey(d.Agency, d.Rule)
	}
	actx := candour.WithAgencies(ctx, s.cfg.Rules.Agencies()...)
	for batch := range slices.Chunk(plan.Destroyable(), batchSize) {
		now := s.cfg.Now().UTC()
		if ok, err := s.cfg.Store.AcquireSweepLease(ctx, s.cfg.Holder, now, now.Add(leaseFor)); err != nil || !ok {
			return sweep, fmt.Errorf("retention lease lost part-way (%d destroyed): %w", sweep.Destroyed, cmpErr(err, ErrBusy))
		}
		counts := map[string]int{}
		for _, id := range batch {
			counts[rules[id]]++
		}
		e := candour.AuditEntry{Time: now.Truncate(time.Microsecond), Actor: sweeperPrincipal(), Action: candour.ActionRetentionSweep,
			QueryParams: describe(counts, plan.Revision), Outcome: candour.OutcomeOK,
			Decision: candour.AuditDecision{Revision: plan.Revision, Allow: true}}
		gone, seq, err := s.cfg.Store.DestroyRecords(actx, batch, e)
		if err != nil {
			return sweep, fmt.Errorf("retention sweep (%d destroyed so far): %w", sweep.Destroyed, err)
		}
		for _, id := range gone {
			sweep.ByRule[rules[id]]++
		}
		sweep.Destroyed += len(gone)
		if len(gone) > 0 {
			sweep.AuditSeq = seq
		}
		if progress != nil {
			progress(plan.Examined, sweep.Destroyed, len(plan.Destroyable()))
		}
	}
	if len(plan.Cells) > 0 {
		if _, err := s.cfg.Store.DestroyReleaseCells(actx, plan.Cells); err != nil {
			return sweep, fmt.Errorf("retention sweep of released months: %w", err)
		}
	}
	// Feedback links long expired go, with any subject hash they hold.
	if sweep.Invitations, err = s.cfg.Store.DeleteInvitations(actx, started.Add(-candour.InvitationKeep)); err != nil {
		return sweep, fmt.Errorf("retention sweep of expired feedback links: %w", err)
	}
	sweep.FinishedAt = s.cfg.Now().UTC()
	if err := s.cfg.Store.AddSweep(ctx, sweep); err != nil {
		return sweep, err
	}
	s.cfg.Logger.Info("retention sweep", "examined", sweep.Examined, "destroyed", sweep.Destroyed, "held", sweep.Held,
		"released_cells", len(plan.Cells), "expired_links", sweep.Invitations, "took", sweep.FinishedAt.Sub(started).String())
	return sweep, nil
}

func cmpErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

// sweeperPrincipal is the actor of the sweeper's audit entries: the system,
// not a person.
func sweeperPrincipal() candour.Principal {
	return candour.Principal{Issuer: "candour", Subject: "retention-sweeper"}
}

// describe writes the rules of one batch and the policy revision, for the
// audit entry: rule ids and counts hold no personal data.
func describe(counts map[string]int, revision string) string {
	var b strings.Builder
	b.WriteString("rules=")
	for i, rule := range slices.Sorted(maps.Keys(counts)) {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(rule + ":" + strconv.Itoa(counts[rule]))
	}
	b.WriteString("; revision=" + revision)
	return b.String()
}

// Overview returns what the data protection officer of agency sees of
// retention at now: the agency's rules, the latest sweeps as they touched the
// agency, and what is due now and in the next 30 days.
func (s *Sweeper) Overview(ctx context.Context, agency string, now time.Time) (candour.RetentionOverview, error) {
	cat := s.cfg.Rules.Catalogue()
	o := candour.RetentionOverview{Agency: agency, Revision: s.cfg.Rules.Revision(),
		ConsentGraceDays: cat.Retention.ConsentGraceDays, Upcoming: map[string]int{}, Sweeps: []candour.Sweep{}}
	for _, r := range cat.Retention.Rules {
		if r.Agency == agency {
			o.Rules = append(o.Rules, r)
		}
	}
	plan, err := s.Plan(ctx, agency, now.AddDate(0, 0, 30), nil)
	if err != nil {
		return candour.RetentionOverview{}, err
	}
	for _, d := range plan.Due {
		switch {
		case d.Held:
			o.Held++
		case !d.At.After(now):
			o.DueNow++
		default:
			o.Upcoming[d.Rule]++
		}
	}
	sweeps, err := s.cfg.Store.Sweeps(ctx, 10)
	if err != nil {
		return candour.RetentionOverview{}, err
	}
	prefix := candour.SweepRuleKey(agency, "")
	for _, sw := range sweeps {
		mine := candour.Sweep{StartedAt: sw.StartedAt, FinishedAt: sw.FinishedAt, Revision: sw.Revision, ByRule: map[string]int{}}
		for k, n := range sw.ByRule {
			if rule, ok := strings.CutPrefix(k, prefix); ok {
				mine.ByRule[rule] = n
				mine.Destroyed += n
			}
		}
		o.Sweeps = append(o.Sweeps, mine)
	}
	return o, nil
}

// Every runs a sweep every interval until ctx ends, starting one interval
// from now. A sweep another replica is running is skipped quietly; a failed
// one is logged and tried again at the next tick.
func (s *Sweeper) Every(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.Run(ctx, nil); err != nil && err != ErrBusy {
			s.cfg.Logger.Error("retention sweep failed", "err", err)
		}
	}
}
