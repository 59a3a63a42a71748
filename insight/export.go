package insight

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/candour-vault/candour"
)

// maxExportPages bounds the comment pages an export holds.
const maxExportPages = 20

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
			"felt_safe_pct", "felt_believed_pct", "net_promoter_score")
		w.Write(header)
		for _, cell := range summary.Cells {
			row := make([]string, 0, len(header))
			for _, dim := range q.GroupBy {
				row = append(row, cell.Keys[dim])
			}
			row = append(row, num(cell.Count), num(cell.SatisfactionMean), num(cell.EffortMean), num(cell.FeltSafePct),
				num(cell.FeltBelievedPct), num(cell.NetPromoter))
			w.Write(row)
		}
		w.Flush()
	} else {
		out := struct {
			GeneratedAt    time.Time              `json:"generated_at"`
			Purpose        candour.Purpose        `json:"purpose"`
			PolicyRevision string                 `json:"policy_revision"`
			Summary        candour.InsightSummary `json:"summary"`
			Comments       []candour.CommentGroup `json:"comments,omitempty"`
		}{GeneratedAt: entry.Time, Purpose: c.Purpose, PolicyRevision: d.Revision, Summary: summary}
		if slices.Contains(d.Obligations.Fields, "comments") {
			// Every page, each decided and audited as its own query, up to
			// maxExportPages pages.
			for page := 1; page <= maxExportPages; page++ {
				comments, err := s.Comments(ctx, c, candour.SummaryQuery{From: q.From, To: q.To, Service: q.Service, Page: page})
				if err != nil {
					return nil, err
				}
				out.Comments = append(out.Comments, comments.Groups...)
				if !comments.More {
					break
				}
			}
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
