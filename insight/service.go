package insight

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/candour-vault/candour"
)

// DefaultMinCell is the minimum cell size when the policy names none (ONS and
// NHS practice).
const DefaultMinCell = 10

// Releases is what insight reads of a store: released rows for summaries,
// and released records (without content) for comments.
type Releases interface {
	// ReleasedPeriods returns every release, oldest period first.
	ReleasedPeriods(ctx context.Context) ([]candour.Release, error)
	// ReleaseStrata returns the release strata the scope admits that pass
	// q's filters.
	ReleaseStrata(ctx context.Context, scope candour.Scope, q candour.SummaryQuery) ([]candour.Stratum, error)
	// CommentTallies counts, per released agency, service and month the
	// scope admits, the records with comments each submitter recorded and
	// their distinct subjects, as the release counted them: no record is
	// read.
	CommentTallies(ctx context.Context, scope candour.Scope, q candour.SummaryQuery) ([]candour.CommentTally, error)
	// CommentMembers returns the ids and record keys of one group's live
	// released records with comments in scope at now.
	CommentMembers(ctx context.Context, scope candour.Scope, now time.Time, agency, service, period string) ([]candour.Record, error)
	// ReleaseGroups returns each released agency, service and month of the
	// agencies that passes q's filters: members at release, and live now.
	ReleaseGroups(ctx context.Context, agencies []string, now time.Time, q candour.SummaryQuery) ([]candour.ReleaseGroup, error)
	// Record returns one record with its sealed content.
	Record(ctx context.Context, id string) (candour.Record, error)
}

// Service answers analysts' insight queries. Every query is decided by the
// policy, read only from releases within the decision's scope, logged before
// it is answered, and protected by disclosure control. It is safe for
// concurrent use.
type Service struct {
	store    Releases
	opener   candour.Opener
	log      candour.AuditLog
	policy   candour.Authorizer
	noise    *Noise
	redactor Redactor
	releaser interface {
		MaybeRun(ctx context.Context, now time.Time)
	}
	now func() time.Time
}

// Redactor takes out of a comment what identifies a person; redact.Redactor
// is the one Candour uses.
type Redactor interface {
	Redact(text string) string
}

// Config wires a Service. Opener may be nil, and then comments are not
// served; without a Redactor no comment is served either (fail closed); Now
// defaults to the wall clock.
type Config struct {
	Store    Releases
	Opener   candour.Opener
	Redactor Redactor
	Log      candour.AuditLog
	Policy   candour.Authorizer
	Noise    *Noise
	// Releaser, when set, is asked before each answer to release any month
	// that may be released by now (Releaser.MaybeRun).
	Releaser *Releaser
	Now      func() time.Time
}

// NewService returns a Service built from c.
func NewService(c Config) *Service {
	if c.Now == nil {
		c.Now = time.Now
	}
	s := &Service{store: c.Store, opener: c.Opener, redactor: c.Redactor, log: c.Log, policy: c.Policy, noise: c.Noise, now: c.Now}
	if c.Releaser != nil {
		s.releaser = c.Releaser
	}
	return s
}

// Summary answers q for the caller from the released months.
func (s *Service) Summary(ctx context.Context, c candour.Caller, q candour.SummaryQuery) (candour.InsightSummary, error) {
	if c.Purpose == "" {
		return candour.InsightSummary{}, candour.Errorf(candour.EINVALID, "The Candour-Purpose header is required for insight.")
	}
	if err := validate(q); err != nil {
		return candour.InsightSummary{}, err
	}
	entry, d, err := s.decide(ctx, c, candour.ActionInsightSummary, fmt.Sprintf("group_by=%s\x00from=%s\x00to=%s\x00service=%s",
		strings.Join(q.GroupBy, ","), q.From, q.To, q.Service))
	if err != nil {
		return candour.InsightSummary{}, err
	}
	if slices.ContainsFunc(q.GroupBy, isEquality) && !slices.Contains(d.Obligations.Fields, "equality") {
		return candour.InsightSummary{}, s.refuse(ctx, entry, candour.OutcomeDenied, candour.Errorf(candour.EFORBIDDEN,
			"Grouping by equality bands needs the purpose equality_monitoring, and an agreement sharing equality data for every agency in scope."))
	}
	s.release(ctx)
	ctx = inScope(ctx, d)
	releases, err := s.store.ReleasedPeriods(ctx)
	if err != nil {
		return candour.InsightSummary{}, candour.Wrap(candour.EUNAVAILABLE, err, "The record store is unavailable. Try again shortly.")
	}
	strata, err := s.store.ReleaseStrata(ctx, d.Scope, q)
	if err != nil {
		return candour.InsightSummary{}, candour.Wrap(candour.EUNAVAILABLE, err, "The record store is unavailable. Try again shortly.")
	}
	groups, err := s.store.ReleaseGroups(ctx, scopeAgencies(d), entry.Time, q)
	if err != nil {
		return candour.InsightSummary{}, candour.Wrap(candour.EUNAVAILABLE, err, "The record store is unavailable. Try again shortly.")
	}
	subjects := BaseSubjects{}
	for _, g := range groups {
		subjects[[3]string{g.Agency, g.Service, g.Period}] = g.Subjects
	}
	entry.Outcome = candour.OutcomeOK
	if _, err := s.log.AppendAudit(ctx, entry); err != nil {
		return candour.InsightSummary{}, candour.Wrap(candour.EUNAVAILABLE, err, "The audit log is unavailable, so nothing can be done. Try again shortly.")
	}
	k := max(d.Obligations.MinCellSize, DefaultMinCell)
	cells := Protect(strata, q.GroupBy, k, s.noise, subjects)
	if !slices.Contains(d.Obligations.Fields, "ratings") {
		for i := range cells { // the agreement shares counts, not ratings
			cells[i] = candour.InsightCell{Keys: cells[i].Keys, Count: cells[i].Count}
		}
	}
	out := candour.InsightSummary{MinCell: k, Rounding: Rounding, Cells: cells}
	if len(releases) > 0 {
		out.ReleasedThrough = releases[len(releases)-1].Period
	}
	return out, nil
}

// decide asks the policy about an insight request. query describes the
// request (name=value pairs of dimensions, months, a service id and a page,
// joined by NUL); the audit entry carries a digest of the action and query,
// and the query itself in readable form, which holds no personal data. A refusal (no decision, or a denial) is logged and
// returned as the error; otherwise the entry, timed now, waits for its
// outcome.
func (s *Service) decide(ctx context.Context, c candour.Caller, action candour.Action, query string) (candour.AuditEntry, candour.Decision, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	sum := sha256.Sum256([]byte(string(action) + "\x00" + query))
	entry := candour.AuditEntry{Time: now, RequestID: c.RequestID, Actor: c.Principal, Action: action,
		Purpose: c.Purpose, Query: hex.EncodeToString(sum[:]), QueryParams: strings.ReplaceAll(query, "\x00", "; ")}
	d, err := s.policy.Decide(ctx, candour.DecisionInput{Principal: c.Principal, Action: action, Purpose: c.Purpose, Now: now})
	entry.Decision = candour.AuditDecision{ID: d.ID, Revision: d.Revision, Allow: d.Allow}
	switch {
	case err != nil:
		return entry, d, s.refuse(ctx, entry, candour.OutcomeUnavailable, candour.Wrap(candour.EUNAVAILABLE, err, "The policy engine could not decide; nothing was done. Try again shortly."))
	case !d.Allow:
		what := "insight"
		if action == candour.ActionInsightExport {
			what = "export"
		}
		return entry, d, s.refuse(ctx, entry, candour.OutcomeDenied, candour.Errorf(candour.EFORBIDDEN, "Policy does not allow this %s: %s.",
			what, strings.Join(d.Reasons, "; ")))
	}
	return entry, d, nil
}

// inScope returns ctx naming the agencies of d's scope, which is all the
// store's row-level security will let the query see.
func inScope(ctx context.Context, d candour.Decision) context.Context {
	return candour.WithAgencies(ctx, scopeAgencies(d)...)
}

// release releases any month that may be released by now, before an
// answer is read.
func (s *Service) release(ctx context.Context) {
	if s.releaser != nil {
		s.releaser.MaybeRun(ctx, s.now())
	}
}

// scopeAgencies returns the agencies of d's scope.
func scopeAgencies(d candour.Decision) []string {
	var agencies []string
	for _, g := range d.Scope.Grants {
		agencies = append(agencies, g.Agency)
	}
	return agencies
}

// refuse logs a refused request with its outcome and returns err, or an
// unavailable error when the log cannot be written.
func (s *Service) refuse(ctx context.Context, entry candour.AuditEntry, outcome string, err error) error {
	entry.Outcome = outcome
	if _, aerr := s.log.AppendAudit(ctx, entry); aerr != nil {
		return candour.Wrap(candour.EUNAVAILABLE, aerr, "The audit log is unavailable, so nothing can be done. Try again shortly.")
	}
	return err
}

// isEquality reports whether a dimension is an equality band.
func isEquality(dim string) bool { return slices.Contains(candour.EqualityDimensions(), dim) }

func validate(q candour.SummaryQuery) error {
	switch {
	case !candour.ValidGroupBy(q.GroupBy):
		return candour.Errorf(candour.EINVALID, "group_by takes up to three of %s, each once.", strings.Join(candour.SummaryDimensions(), ", "))
	case q.From != "" && !candour.ValidPeriod(q.From), q.To != "" && !candour.ValidPeriod(q.To):
		return candour.Errorf(candour.EINVALID, "from and to must be months in the form YYYY-MM.")
	case q.From != "" && q.To != "" && q.From > q.To:
		return candour.Errorf(candour.EINVALID, "from must not be after to.")
	case len(q.Service) > 128 || strings.ContainsAny(q.Service, " \t\n"):
		return candour.Errorf(candour.EINVALID, "service must be a service name such as victim-support/initial-contact.")
	}
	return nil
}
