package insight

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/candour-vault/candour"
)

// DefaultMinCell is the minimum cell size when the policy names none (ONS and
// NHS practice).
const DefaultMinCell = 10

// Summarizer aggregates, and lists, the records in a policy scope (the
// stores).
type Summarizer interface {
	Summarize(ctx context.Context, scope candour.Scope, now time.Time, q candour.SummaryQuery) ([]candour.SummaryRow, error)
	ScopedRecords(ctx context.Context, scope candour.Scope, now time.Time, q candour.SummaryQuery) ([]candour.Record, error)
}

// Service answers analysts' summary queries. Every query is decided by the
// policy, aggregated only over the decision's scope, logged before it is
// answered, and protected by disclosure control. It is safe for concurrent
// use.
type Service struct {
	store  Summarizer
	opener candour.Opener
	log    candour.AuditLog
	policy candour.Authorizer
	now    func() time.Time
}

// NewService returns a Service; now defaults to the wall clock. opener may be
// nil, and then comments are not served.
func NewService(store Summarizer, opener candour.Opener, log candour.AuditLog, policy candour.Authorizer, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, opener: opener, log: log, policy: policy, now: now}
}

// Summary answers q for the caller.
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
	rows, err := s.store.Summarize(inScope(ctx, d), d.Scope, entry.Time, q)
	if err != nil {
		return candour.InsightSummary{}, candour.Wrap(candour.EUNAVAILABLE, err, "The record store is unavailable. Try again shortly.")
	}
	entry.Outcome = candour.OutcomeOK
	if _, err := s.log.AppendAudit(ctx, entry); err != nil {
		return candour.InsightSummary{}, candour.Wrap(candour.EUNAVAILABLE, err, "The audit log is unavailable, so nothing can be done. Try again shortly.")
	}
	k := max(d.Obligations.MinCellSize, DefaultMinCell)
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

// decide asks the policy about an insight request. query describes the
// request; the audit entry carries a digest of the action and query, never
// the query itself. A refusal (no decision, or a denial) is logged and
// returned as the error; otherwise the entry, timed now, waits for its
// outcome.
func (s *Service) decide(ctx context.Context, c candour.Caller, action candour.Action, query string) (candour.AuditEntry, candour.Decision, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	sum := sha256.Sum256([]byte(string(action) + "\x00" + query))
	entry := candour.AuditEntry{Time: now, RequestID: c.RequestID, Actor: c.Principal, Action: action,
		Purpose: c.Purpose, Query: hex.EncodeToString(sum[:])}
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
	var agencies []string
	for _, g := range d.Scope.Grants {
		agencies = append(agencies, g.Agency)
	}
	return candour.WithAgencies(ctx, agencies...)
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

// Comments returns the redacted comments of the records in the caller's
// scope that pass q's filters, by service and month. A group of fewer records
// than the minimum cell size is withheld. The records whose comments are
// opened are logged before anything is returned.
func (s *Service) Comments(ctx context.Context, c candour.Caller, q candour.SummaryQuery) (candour.InsightComments, error) {
	if c.Purpose == "" {
		return candour.InsightComments{}, candour.Errorf(candour.EINVALID, "The Candour-Purpose header is required for insight.")
	}
	q.GroupBy = nil
	if err := validate(q); err != nil {
		return candour.InsightComments{}, err
	}
	entry, d, err := s.decide(ctx, c, candour.ActionInsightComments, fmt.Sprintf("from=%s\x00to=%s\x00service=%s", q.From, q.To, q.Service))
	if err != nil {
		return candour.InsightComments{}, err
	}
	if !slices.Contains(d.Obligations.Fields, "comments") || s.opener == nil {
		return candour.InsightComments{}, s.refuse(ctx, entry, candour.OutcomeDenied, candour.Errorf(candour.EFORBIDDEN, "The data-sharing agreements in scope do not share comments."))
	}
	ctx = inScope(ctx, d)
	recs, err := s.store.ScopedRecords(ctx, d.Scope, entry.Time, q)
	if err != nil {
		return candour.InsightComments{}, candour.Wrap(candour.EUNAVAILABLE, err, "The record store is unavailable. Try again shortly.")
	}
	k := max(d.Obligations.MinCellSize, DefaultMinCell)
	groups := map[[2]string][]candour.Record{}
	for _, r := range recs {
		key := [2]string{r.Service, r.Period}
		groups[key] = append(groups[key], r)
	}
	keys := make([][2]string, 0, len(groups))
	for key := range groups {
		keys = append(keys, key)
	}
	slices.SortFunc(keys, func(a, b [2]string) int { return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1]) })
	var open []candour.Record
	for _, key := range keys {
		if len(groups[key]) >= k {
			open = append(open, groups[key]...)
		}
	}
	for _, r := range open {
		entry.Records = append(entry.Records, r.ID)
	}
	entry.Outcome = candour.OutcomeOK
	if _, err := s.log.AppendAudit(ctx, entry); err != nil {
		return candour.InsightComments{}, candour.Wrap(candour.EUNAVAILABLE, err, "The audit log is unavailable, so nothing can be done. Try again shortly.")
	}
	texts, err := s.opener.OpenComments(ctx, open)
	if err != nil {
		return candour.InsightComments{}, err
	}
	byID := map[string]string{}
	for i, r := range open {
		byID[r.ID] = texts[i]
	}
	out := candour.InsightComments{MinCell: k, Groups: []candour.CommentGroup{}}
	for _, key := range keys {
		g := candour.CommentGroup{Service: key[0], Period: key[1], Comments: []string{}}
		if len(groups[key]) < k {
			g.Withheld = true
		} else {
			for _, r := range groups[key] {
				if t := strings.TrimSpace(byID[r.ID]); t != "" {
					g.Comments = append(g.Comments, Redact(t))
				}
			}
			sort.Strings(g.Comments) // no order that could follow the order of submission
			g.Themes, g.SentimentMean = summarizeComments(g.Comments, k)
		}
		out.Groups = append(out.Groups, g)
	}
	return out, nil
}

// Export returns the caller's insight encrypted with age to the key the
// policy names for the caller's agency, so that the partner opens it with the
// standard age tool. JSON holds the summary (grouped by q.GroupBy, by default
// service and period) and the redacted comments; CSV holds the summary cells.
// Each part is decided and audited as its own query, and the export itself
// is audited too.
func (s *Service) Export(ctx context.Context, c candour.Caller, q candour.SummaryQuery, format string) ([]byte, error) {
	if format != "json" && format != "csv" {
		return nil, candour.Errorf(candour.EINVALID, "format must be json or csv.")
	}
	if c.Purpose == "" {
		return nil, candour.Errorf(candour.EINVALID, "The Candour-Purpose header is required for insight.")
	}
	if len(q.GroupBy) == 0 {
		q.GroupBy = []string{"service", "period"}
	}
	if err := validate(q); err != nil {
		return nil, err
	}
	entry, d, err := s.decide(ctx, c, candour.ActionInsightExport, fmt.Sprintf("format=%s\x00group_by=%s\x00from=%s\x00to=%s\x00service=%s",
		format, strings.Join(q.GroupBy, ","), q.From, q.To, q.Service))
	if err != nil {
		return nil, err
	}
	entry.Outcome = candour.OutcomeOK
	if _, err := s.log.AppendAudit(ctx, entry); err != nil {
		return nil, candour.Wrap(candour.EUNAVAILABLE, err, "The audit log is unavailable, so nothing can be done. Try again shortly.")
	}
	recipient, err := age.ParseX25519Recipient(d.Obligations.ExportRecipient)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", candour.Errorf(candour.EINTERNAL, "The policy data holds no usable export key for your agency."), err)
	}
	summary, err := s.Summary(ctx, c, q)
	if err != nil {
		return nil, err
	}
	var plain bytes.Buffer
	if format == "csv" {
		w := csv.NewWriter(&plain)
		header := append(append([]string{}, q.GroupBy...), "count", "satisfaction_mean", "effort_mean",
			"felt_safe_pct", "felt_believed_pct", "net_promoter_score", "suppressed")
		w.Write(header)
		for _, cell := range summary.Cells {
			row := make([]string, 0, len(header))
			for _, dim := range q.GroupBy {
				row = append(row, cell.Keys[dim])
			}
			row = append(row, num(cell.Count), num(cell.SatisfactionMean), num(cell.EffortMean), num(cell.FeltSafePct),
				num(cell.FeltBelievedPct), num(cell.NetPromoter), fmt.Sprint(cell.Suppressed))
			w.Write(row)
		}
		w.Flush()
	} else {
		out := struct {
			GeneratedAt    time.Time                `json:"generated_at"`
			Purpose        candour.Purpose          `json:"purpose"`
			PolicyRevision string                   `json:"policy_revision"`
			Summary        candour.InsightSummary   `json:"summary"`
			Comments       *candour.InsightComments `json:"comments,omitempty"`
		}{GeneratedAt: entry.Time, Purpose: c.Purpose, PolicyRevision: d.Revision, Summary: summary}
		if slices.Contains(d.Obligations.Fields, "comments") {
			comments, err := s.Comments(ctx, c, candour.SummaryQuery{From: q.From, To: q.To, Service: q.Service})
			if err != nil {
				return nil, err
			}
			out.Comments = &comments
		}
		enc := json.NewEncoder(&plain)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return nil, err
		}
	}
	var sealed bytes.Buffer
	w, err := age.Encrypt(&sealed, recipient)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if _, err := w.Write(plain.Bytes()); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return sealed.Bytes(), nil
}

// num formats a published figure for CSV: empty when withheld.
func num[T int | float64](v *T) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(*v)
}
