package candour

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// SummaryQuery is an aggregate (or comments) query over released periods.
type SummaryQuery struct {
	GroupBy []string // dimensions from SummaryDimensions, at most three
	From    string   // first period (YYYY-MM) included; "" for no bound
	To      string   // last period included; "" for no bound
	Service string   // only this service, when set
	Page    int      // comments only: the page, from 1; 0 means 1
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

// Release is one period's release: the month whose records were frozen for
// insight, when, and how many records it holds.
type Release struct {
	Period     string
	ReleasedAt time.Time
	Records    int
}

// ReleaseKey is what a release keeps of a record besides its answers: the
// dimensions a summary groups by, what a scope selects on (consent as it
// stood at release), and who recorded it (for the contributor rules).
type ReleaseKey struct {
	Period      string
	Agency      string
	Service     string
	Touchpoint  string
	Channel     string
	Sensitivity Sensitivity
	Purposes    []Purpose // the consent's purposes at release
	ShareWith   []string  // the consent's partner agencies at release
	Bands       Equality
	Submitter   string // who recorded it (the caseworker's subject)
}

// ReleaseRow is one record's analytical values as a release holds them: no
// record id, no content, no consent dates. It never changes once its period
// is released; an erasure deletes it.
type ReleaseRow struct {
	ReleaseKey
	Ratings     Ratings
	RecordKey   uint32 // the record's secret key; cell keys sum it
	SubjectHash []byte // keyed hash of the subject reference; nil when none
}

// Stratum is the released rows that share one ReleaseKey, summed: what
// summaries are computed from, so that a summary reads one row per stratum
// rather than one per record. Stores keep it exactly as Strata computes it.
type Stratum struct {
	ReleaseKey
	N        int
	KeySum   uint32 // the sum of the records' keys, mod 2^32
	Subjects int    // distinct subjects; a record without one is a subject of its own
	SatSum, SatN, EffortSum, EffortN,
	SafeYes, SafeN, BelievedYes, BelievedN,
	Promoters, Detractors, RecommendN int
}

// Strata sums rows into strata: the reference definition stores match.
func Strata(rows []ReleaseRow) []Stratum {
	byKey := map[string]*Stratum{}
	subjects := map[string]map[string]bool{}
	var order []string
	for _, r := range rows {
		k := fmt.Sprintf("%q", r.ReleaseKey)
		st := byKey[k]
		if st == nil {
			st = &Stratum{ReleaseKey: r.ReleaseKey}
			byKey[k], subjects[k] = st, map[string]bool{}
			order = append(order, k)
		}
		st.N++
		st.KeySum += r.RecordKey
		if r.SubjectHash == nil {
			st.Subjects++
		} else if !subjects[k][string(r.SubjectHash)] {
			subjects[k][string(r.SubjectHash)] = true
			st.Subjects++
		}
		rt := r.Ratings
		if v := rt.Satisfaction; v != nil {
			st.SatSum, st.SatN = st.SatSum+*v, st.SatN+1
		}
		if v := rt.Effort; v != nil {
			st.EffortSum, st.EffortN = st.EffortSum+*v, st.EffortN+1
		}
		if rt.FeltSafe != "" {
			st.SafeN++
			if rt.FeltSafe == "yes" {
				st.SafeYes++
			}
		}
		if rt.FeltBelieved != "" {
			st.BelievedN++
			if rt.FeltBelieved == "yes" {
				st.BelievedYes++
			}
		}
		if v := rt.WouldRecommend; v != nil {
			st.RecommendN++
			switch {
			case *v >= 9:
				st.Promoters++
			case *v <= 6:
				st.Detractors++
			}
		}
	}
	out := make([]Stratum, len(order))
	for i, k := range order {
		out[i] = *byKey[k]
	}
	return out
}

// Matches reports whether r passes the query's filters (scope aside).
func (q SummaryQuery) Matches(r ReleaseKey) bool {
	return (q.From == "" || r.Period >= q.From) && (q.To == "" || r.Period <= q.To) &&
		(q.Service == "" || r.Service == q.Service)
}

// Dimension returns r's value of a summary dimension.
func (r ReleaseKey) Dimension(d string) string {
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

// Admits reports whether the scope admits released records: the same grants
// as Contains, with consent as it stood at release (a release holds only
// records whose consent was live then). Stores turn the same rule into SQL.
func (s Scope) Admits(r ReleaseKey) bool {
	for _, g := range s.Grants {
		if g.admits(r.Agency, r.Sensitivity, r.Purposes, r.ShareWith) {
			return true
		}
	}
	return false
}

// InsightCell is one published cell of a summary: its group keys and its
// figures after disclosure control. A nil figure is withheld. Cells that are
// empty and cells too small to publish are both left out of a summary, so
// neither can be told from the other.
type InsightCell struct {
	Keys             map[string]string
	Count            *int
	SatisfactionMean *float64
	EffortMean       *float64
	FeltSafePct      *int
	FeltBelievedPct  *int
	NetPromoter      *int
}

// MarshalJSON writes the group keys inline beside the figures, as docs/api.md
// shows.
func (c InsightCell) MarshalJSON() ([]byte, error) {
	m := map[string]any{
		"count": c.Count, "satisfaction_mean": c.SatisfactionMean, "effort_mean": c.EffortMean,
		"felt_safe_pct": c.FeltSafePct, "felt_believed_pct": c.FeltBelievedPct,
		"net_promoter_score": c.NetPromoter,
	}
	for k, v := range c.Keys {
		m[k] = v
	}
	return json.Marshal(m)
}

// InsightSummary is the answer to a summary query.
type InsightSummary struct {
	MinCell  int `json:"min_cell"`
	Rounding int `json:"rounding"`
	// ReleasedThrough is the last period released; later periods are not
	// in any answer yet. "" when nothing is released.
	ReleasedThrough string        `json:"released_through"`
	Cells           []InsightCell `json:"cells"`
}

// Opener opens the sealed comments of records for insight (the feedback
// service); it returns "" for a record without a comment.
type Opener interface {
	OpenComments(ctx context.Context, recs []Record) ([]string, error)
}

// CommentGroup is the redacted comments of one service and month on one page.
type CommentGroup struct {
	Service  string   `json:"service"`
	Period   string   `json:"period"`
	Comments []string `json:"comments"`
	// Themes counts the comments on this page that mention each theme; a
	// theme mentioned by fewer than the minimum cell size is null.
	Themes map[string]*int `json:"themes,omitempty"`
	// SentimentMean is the mean lexicon score of this page's comments of the
	// group (-5 to 5 a word, summed per comment), over redacted text.
	SentimentMean *float64 `json:"sentiment_mean,omitempty"`
}

// InsightComments is one page of the answer to a comments query. Only groups
// that may be published are listed; the others are not named at all.
type InsightComments struct {
	MinCell  int            `json:"min_cell"`
	Page     int            `json:"page"`
	PageSize int            `json:"page_size"`
	More     bool           `json:"more"`
	Groups   []CommentGroup `json:"groups"`
}
