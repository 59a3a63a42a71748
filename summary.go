package candour

import (
	"context"
	"encoding/json"
	"slices"
)

// SummaryQuery is an aggregate query over the analytical dimensions.
type SummaryQuery struct {
	GroupBy []string // dimensions from SummaryDimensions, at most three
	From    string   // first period (YYYY-MM) included; "" for no bound
	To      string   // last period included; "" for no bound
	Service string   // only this service, when set
}

// SummaryDimensions lists the dimensions a summary may be grouped by: the
// record's own, then the equality bands.
func SummaryDimensions() []string {
	return append([]string{"agency", "service", "touchpoint", "channel", "period"}, EqualityDimensions()...)
}

// EqualityDimensions lists the equality bands a summary may be grouped by,
// only for equality monitoring (the policy decides, through the "equality"
// field of its obligations).
func EqualityDimensions() []string {
	return []string{"age_band", "sex", "ethnic_group", "disability"}
}

// SummaryRow is one group's raw totals, before disclosure control. It never
// leaves the server as it is.
type SummaryRow struct {
	Keys                   []string // the group's values of GroupBy, in order
	Count                  int
	CellKey                int // the sum of the group's record keys, mod 256
	SatSum, SatN           int
	EffortSum, EffortN     int
	SafeYes, SafeN         int
	BelievedYes, BelievedN int
	Promoters, Detractors  int
	RecommendN             int
}

// Add counts r into the row; the reference definition stores must match.
func (s *SummaryRow) Add(r Record) {
	s.Count++
	s.CellKey = (s.CellKey + r.RecordKey) % 256
	if v := r.Ratings.Satisfaction; v != nil {
		s.SatSum, s.SatN = s.SatSum+*v, s.SatN+1
	}
	if v := r.Ratings.Effort; v != nil {
		s.EffortSum, s.EffortN = s.EffortSum+*v, s.EffortN+1
	}
	if r.Ratings.FeltSafe != "" {
		s.SafeN++
		if r.Ratings.FeltSafe == "yes" {
			s.SafeYes++
		}
	}
	if r.Ratings.FeltBelieved != "" {
		s.BelievedN++
		if r.Ratings.FeltBelieved == "yes" {
			s.BelievedYes++
		}
	}
	if v := r.Ratings.WouldRecommend; v != nil {
		s.RecommendN++
		switch {
		case *v >= 9:
			s.Promoters++
		case *v <= 6:
			s.Detractors++
		}
	}
}

// Matches reports whether r passes the query's filters (scope aside).
func (q SummaryQuery) Matches(r Record) bool {
	return (q.From == "" || r.Period >= q.From) && (q.To == "" || r.Period <= q.To) &&
		(q.Service == "" || r.Service == q.Service)
}

// Dimension returns r's value of a summary dimension.
func (r Record) Dimension(d string) string {
	switch d {
	case "agency":
		return r.Agency
	case "service":
		return r.Service
	case "touchpoint":
		return r.Touchpoint
	case "channel":
		return r.Channel
	case "period":
		return r.Period
	case "age_band":
		return r.Bands.AgeBand
	case "sex":
		return r.Bands.Sex
	case "ethnic_group":
		return r.Bands.EthnicGroup
	case "disability":
		return r.Bands.Disability
	}
	return ""
}

// ValidGroupBy reports whether dims are distinct summary dimensions, at most
// three.
func ValidGroupBy(dims []string) bool {
	if len(dims) > 3 {
		return false
	}
	for i, d := range dims {
		if !slices.Contains(SummaryDimensions(), d) || slices.Contains(dims[:i], d) {
			return false
		}
	}
	return true
}

// InsightCell is one published cell of a summary: its group keys and its
// figures after disclosure control. Nil figures are suppressed or withheld.
type InsightCell struct {
	Keys             map[string]string
	Count            *int
	SatisfactionMean *float64
	EffortMean       *float64
	FeltSafePct      *int
	FeltBelievedPct  *int
	NetPromoter      *int
	Suppressed       bool
}

// MarshalJSON writes the group keys inline beside the figures, as API.md
// shows.
func (c InsightCell) MarshalJSON() ([]byte, error) {
	m := map[string]any{
		"count": c.Count, "satisfaction_mean": c.SatisfactionMean, "effort_mean": c.EffortMean,
		"felt_safe_pct": c.FeltSafePct, "felt_believed_pct": c.FeltBelievedPct,
		"net_promoter_score": c.NetPromoter, "suppressed": c.Suppressed,
	}
	for k, v := range c.Keys {
		m[k] = v
	}
	return json.Marshal(m)
}

// InsightSummary is the answer to a summary query, as API.md shows it.
type InsightSummary struct {
	MinCell         int           `json:"min_cell"`
	Rounding        int           `json:"rounding"`
	Cells           []InsightCell `json:"cells"`
	SuppressedCells int           `json:"suppressed_cells"`
}

// Opener opens the sealed comments of records for insight (the feedback
// service); it returns "" for a record without a comment.
type Opener interface {
	OpenComments(ctx context.Context, recs []Record) ([]string, error)
}

// CommentGroup is the comments of one service and month, redacted; a group
// below the minimum cell size is withheld.
type CommentGroup struct {
	Service  string   `json:"service"`
	Period   string   `json:"period"`
	Withheld bool     `json:"withheld"`
	Comments []string `json:"comments"`
	// Themes counts the comments that mention each theme; a theme mentioned
	// by fewer than the minimum cell size is null.
	Themes map[string]*int `json:"themes,omitempty"`
	// SentimentMean is the mean lexicon score of the comments (-5 to 5 a
	// word, summed per comment), over redacted text.
	SentimentMean *float64 `json:"sentiment_mean,omitempty"`
}

// InsightComments is the answer to a comments query.
type InsightComments struct {
	MinCell int            `json:"min_cell"`
	Groups  []CommentGroup `json:"groups"`
}
