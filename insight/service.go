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

// Summarizer aggregates the records in a policy scope (the stores).
type Summarizer interface {
	Summarize(ctx context.Context, scope candour.Scope, now time.Time, q candour.SummaryQuery) ([]candour.SummaryRow, error)
}

// Service answers analysts' summary queries. Every query is decided by the
// policy, aggregated only over the decision's scope, logged before it is
// answered, and protected by disclosure control. It is safe for concurrent
// use.
type Service struct {
	store  Summarizer
	log    candour.AuditLog
	policy candour.Authorizer
	now    func() time.Time
}

// NewService returns a Service; now defaults to the wall clock.
func NewService(store Summarizer, log candour.AuditLog, policy candour.Authorizer, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, log: log, policy: policy, now: now}
}

// Summary answers q for the caller.
func (s *Service) Summary(ctx context.Context, c candour.Caller, q candour.SummaryQuery) (candour.InsightSummary, error) {
	if c.Purpose == "" {
		return candour.InsightSummary{}, candour.Errorf(candour.EINVALID, "The Candour-Purpose header is required for insight.")
	}
	if err := validate(q); err != nil {
		return candour.InsightSummary{}, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	sum := sha256.Sum256([]byte(fmt.Sprintf("insight.summary\x00group_by=%s\x00from=%s\x00to=%s\x00service=%s",
		strings.Join(q.GroupBy, ","), q.From, q.To, q.Service)))
	entry := candour.AuditEntry{Time: now, RequestID: c.RequestID, Actor: c.Principal, Action: candour.ActionInsightSummary,
		Purpose: c.Purpose, Query: hex.EncodeToString(sum[:])}
	d, err := s.policy.Decide(ctx, candour.DecisionInput{Principal: c.Principal, Action: candour.ActionInsightSummary, Purpose: c.Purpose, Now: now})
	entry.Decision = candour.AuditDecision{ID: d.ID, Revision: d.Revision, Allow: d.Allow}
	switch {
	case err != nil:
		entry.Outcome = candour.OutcomeUnavailable
		s.log.AppendAudit(ctx, entry) // best effort: the request fails either way
		return candour.InsightSummary{}, candour.Wrap(candour.EUNAVAILABLE, err, "The policy engine could not decide; nothing was done. Try again shortly.")
	case !d.Allow:
		entry.Outcome = candour.OutcomeDenied
		if _, err := s.log.AppendAudit(ctx, entry); err != nil {
			return candour.InsightSummary{}, candour.Wrap(candour.EUNAVAILABLE, err, "The audit log is unavailable, so nothing can be done. Try again shortly.")
		}
		return candour.InsightSummary{}, candour.Errorf(candour.EFORBIDDEN, "Policy does not allow this insight: %s.", strings.Join(d.Reasons, "; "))
	}
	var agencies []string
	for _, g := range d.Scope.Grants {
		agencies = append(agencies, g.Agency)
	}
	rows, err := s.store.Summarize(candour.WithAgencies(ctx, agencies...), d.Scope, now, q)
	if err != nil {
		return candour.InsightSummary{}, candour.Wrap(candour.EUNAVAILABLE, err, "The record store is unavailable. Try again shortly.")
	}
	entry.Outcome = candour.OutcomeOK
	if _, err := s.log.AppendAudit(ctx, entry); err != nil {
		return candour.InsightSummary{}, candour.Wrap(candour.EUNAVAILABLE, err, "The audit log is unavailable, so nothing can be done. Try again shortly.")
	}
	k := d.Obligations.MinCellSize
	if k < DefaultMinCell {
		k = DefaultMinCell
	}
	cells, suppressed := Protect(rows, q.GroupBy, k)
	if !slices.Contains(d.Obligations.Fields, "ratings") {
		for i := range cells { // the agreement shares counts, not ratings
			cells[i] = candour.InsightCell{Keys: cells[i].Keys, Count: cells[i].Count, Suppressed: cells[i].Suppressed}
		}
	}
	if cells == nil {
		cells = []candour.InsightCell{}
	}
	return candour.InsightSummary{MinCell: k, Rounding: Rounding, Cells: cells, SuppressedCells: suppressed}, nil
}

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
