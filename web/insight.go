package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/candour-vault/candour"
)

// InsightService answers analysts (insight.Service), as the API uses it.
type InsightService interface {
	Summary(ctx context.Context, c candour.Caller, q candour.SummaryQuery) (candour.InsightSummary, error)
	Comments(ctx context.Context, c candour.Caller, q candour.SummaryQuery) (candour.InsightComments, error)
	Export(ctx context.Context, c candour.Caller, q candour.SummaryQuery, format string) ([]byte, error)
}

// analystPurposes are the purposes an analyst may declare, in the words
// the dashboard shows; the policy decides what each may see.
func analystPurposes() []option {
	return []option{
		{string(candour.PurposeServiceImprovement), "Improving your own agency's service", "Figures from your agency's records whose consent covers service improvement."},
		{string(candour.PurposeInterAgency), "Insight shared between agencies", "Figures from partner agencies under a data-sharing agreement, where the person agreed."},
		{string(candour.PurposeResearch), "Research", "Figures from records whose consent covers research."},
		{string(candour.PurposeEqualityMonitoring), "Equality monitoring", "Figures by coarse equality bands, where the person agreed to equality monitoring."},
	}
}

// groupings are how the dashboard groups: a trend over months, or a
// comparison across services or agencies.
func groupings() []option {
	return []option{
		{"period", "Trend over months", ""},
		{"service", "Compare services", ""},
		{"agency", "Compare agencies", ""},
	}
}

// dashboardQuery is the dashboard's form, as the query string carries it:
// nothing in it identifies anyone.
type dashboardQuery struct {
	Purpose, FromMonth, FromYear, ToMonth, ToYear, Service, Group, Measure string
	Page                                                                   int
}

func readDashboardQuery(v url.Values) dashboardQuery {
	q := dashboardQuery{Purpose: v.Get("purpose"), FromMonth: v.Get("from-month"), FromYear: v.Get("from-year"),
		ToMonth: v.Get("to-month"), ToYear: v.Get("to-year"), Service: v.Get("service"), Group: v.Get("group"), Measure: v.Get("measure")}
	q.Page, _ = strconv.Atoi(v.Get("page"))
	if q.Group == "" {
		q.Group = "period"
	}
	if q.Measure == "" {
		q.Measure = "satisfaction"
	}
	return q
}

// encode writes the query back as a query string (for links to the CSV,
// the comments and the export), page aside.
func (q dashboardQuery) encode() string {
	v := url.Values{}
	for k, val := range map[string]string{"purpose": q.Purpose, "from-month": q.FromMonth, "from-year": q.FromYear,
		"to-month": q.ToMonth, "to-year": q.ToYear, "service": q.Service, "group": q.Group, "measure": q.Measure} {
		if val != "" {
			v.Set(k, val)
		}
	}
	return v.Encode()
}

// check turns the form into a summary query, or the problems with it.
func (q dashboardQuery) check(c candour.Catalogue) (candour.SummaryQuery, []fieldError) {
	var sq candour.SummaryQuery
	var errs []fieldError
	if !inOptions(analystPurposes(), q.Purpose) {
		errs = append(errs, fieldError{"purpose", "Select why you are asking"})
	}
	month := func(field, m, y, what string) string {
		if m == "" && y == "" {
			return ""
		}
		d := draft{Month: m, Year: y}
		p, ok := d.period()
		if !ok {
			errs = append(errs, fieldError{field, what + " must be a real month, for example 4 2026"})
		}
		return p
	}
	sq.From = month("from-month", q.FromMonth, q.FromYear, "The first month")
	sq.To = month("to-month", q.ToMonth, q.ToYear, "The last month")
	if sq.From != "" && sq.To != "" && sq.From > sq.To {
		errs = append(errs, fieldError{"to-month", "The last month must be the same as or after the first month"})
	}
	if q.Service != "" {
		if _, ok := c.Service(q.Service); !ok {
			errs = append(errs, fieldError{"service", "Select a service from the list"})
		}
		sq.Service = q.Service
	}
	if !inOptions(groupings(), q.Group) {
		errs = append(errs, fieldError{"group", "Select how to group the figures"})
	}
	if _, ok := measureByKey(q.Measure); !ok {
		errs = append(errs, fieldError{"measure", "Select a figure to chart"})
	}
	sq.GroupBy = []string{q.Group}
	sq.Page = max(q.Page, 1)
	return sq, errs
}

// dashboardPage is what the dashboard shows.
type dashboardPage struct {
	Q dashboardQuery
	// The same question as the figures, for the CSV, the comments and the
	// export: whole URLs, so that the template escapes nothing in them.
	CSVURL, CommentsURL, ExportURL      string
	Purposes, Groupings, Measures       []option
	ServiceOptions                      []option
	Asked                               bool
	Summary                             candour.InsightSummary
	Rows                                []summaryRow
	Chart                               template.HTML
	ChartTitle                          string
	GroupName, MeasureName, PurposeName string
}

// summaryRow is one published cell, in words.
type summaryRow struct {
	Group                                            string
	Count, Satisfaction, Effort, Safe, Believed, NPS string
}

// formatOr writes *p with format, or none for a withheld (nil) figure.
func formatOr[T any](p *T, format func(T) string, none string) string {
	if p == nil {
		return none
	}
	return format(*p)
}

// oneDecimal writes a mean as the pages show it, to one decimal place.
func oneDecimal(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// rows writes the published cells in words: group names from the
// catalogue, withheld figures as "withheld", months in order.
func rows(sum candour.InsightSummary, group string, cat candour.Catalogue) []summaryRow {
	out := make([]summaryRow, 0, len(sum.Cells))
	for _, c := range sum.Cells {
		key := c.Keys[group]
		name := key
		switch group {
		case "period":
			name = monthName(key)
		case "service":
			name = cat.ServiceName(key)
		case "agency":
			name = cat.AgencyName(key)
		}
		pct := func(v int) string { return strconv.Itoa(v) + "%" }
		const w = "withheld"
		out = append(out, summaryRow{Group: name, Count: formatOr(c.Count, strconv.Itoa, w),
			Satisfaction: formatOr(c.SatisfactionMean, oneDecimal, w), Effort: formatOr(c.EffortMean, oneDecimal, w),
			Safe: formatOr(c.FeltSafePct, pct, w), Believed: formatOr(c.FeltBelievedPct, pct, w), NPS: formatOr(c.NetPromoter, strconv.Itoa, w)})
	}
	return out
}

func cellValue(c candour.InsightCell, key string) *float64 {
	toF := func(p *int) *float64 {
		if p == nil {
			return nil
		}
		f := float64(*p)
		return &f
	}
	switch key {
	case "satisfaction":
		return c.SatisfactionMean
	case "effort":
		return c.EffortMean
	case "nps":
		return toF(c.NetPromoter)
	case "felt_safe":
		return toF(c.FeltSafePct)
	default:
		return toF(c.FeltBelievedPct)
	}
}

// dashboard asks for the purpose first, then the question, and shows the
// published figures as a table and a chart. Each answer is one audited
// insight request under the purpose chosen.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, in signedIn) {
	cat := s.cfg.Catalogue.Catalogue()
	q := readDashboardQuery(r.URL.Query())
	p := dashboardPage{Q: q, Purposes: analystPurposes(), Groupings: groupings(), ServiceOptions: serviceOptions(cat.Services)}
	for _, m := range measures() {
		p.Measures = append(p.Measures, option{Value: m.Key, Text: m.Name})
	}
	if len(r.URL.Query()) == 0 {
		s.render(w, r, http.StatusOK, "dashboard", view{Title: "Insight", Nav: "insight", Data: p})
		return
	}
	sq, errs := q.check(cat)
	if len(errs) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "dashboard", view{Title: "Error: Insight", Nav: "insight", Errors: errs, Data: p})
		return
	}
	sum, err := s.cfg.Insight.Summary(r.Context(), in.callerFor(r, candour.Purpose(q.Purpose)), sq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	m, _ := measureByKey(q.Measure)
	p.Asked, p.Summary = true, sum
	p.CSVURL, p.CommentsURL, p.ExportURL = "/insight/figures.csv?"+q.encode(), "/insight/comments?"+q.encode(), "/insight/export?"+q.encode()+"&format=csv"
	p.Rows = rows(sum, q.Group, cat)
	p.GroupName, p.MeasureName, p.PurposeName = labelOf(groupings(), q.Group), m.Name, labelOf(analystPurposes(), q.Purpose)
	if len(sum.Cells) > 0 {
		var points []chartPoint
		for i, c := range sum.Cells {
			points = append(points, chartPoint{Label: p.Rows[i].Group, Value: cellValue(c, q.Measure)})
		}
		p.ChartTitle = fmt.Sprintf("%s, %s", m.Name, strings.ToLower(p.GroupName))
		desc := fmt.Sprintf("%s for %d groups; the table holds the same figures.", m.Name, len(points))
		p.Chart = chartSVG("chart", p.ChartTitle, desc, m, points, q.Group == "period")
	}
	s.render(w, r, http.StatusOK, "dashboard", view{Title: "Insight", Nav: "insight", Data: p})
}

// dashboardCSV downloads exactly the published figures of the same
// question (asked again, and audited again).
func (s *Server) dashboardCSV(w http.ResponseWriter, r *http.Request, in signedIn) {
	cat := s.cfg.Catalogue.Catalogue()
	q := readDashboardQuery(r.URL.Query())
	sq, errs := q.check(cat)
	if len(errs) > 0 {
		s.problem(w, r, http.StatusNotFound)
		return
	}
	sum, err := s.cfg.Insight.Summary(r.Context(), in.callerFor(r, candour.Purpose(q.Purpose)), sq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="candour-insight.csv"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{q.Group, "count", "satisfaction_mean", "effort_mean", "felt_safe_pct", "felt_believed_pct", "net_promoter_score"})
	for _, c := range sum.Cells {
		f2 := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
		cw.Write([]string{c.Keys[q.Group], formatOr(c.Count, strconv.Itoa, ""), formatOr(c.SatisfactionMean, f2, ""),
			formatOr(c.EffortMean, f2, ""), formatOr(c.FeltSafePct, strconv.Itoa, ""),
			formatOr(c.FeltBelievedPct, strconv.Itoa, ""), formatOr(c.NetPromoter, strconv.Itoa, "")})
	}
	cw.Flush()
}

// commentsPage is one page of redacted comments.
type commentsPage struct {
	Q          dashboardQuery
	Figures    string // the figures of the same question
	C          candour.InsightComments
	Prev, Next string
}

// dashboardComments shows one page of redacted comments with their themes
// and sentiment (audited by the service).
func (s *Server) dashboardComments(w http.ResponseWriter, r *http.Request, in signedIn) {
	cat := s.cfg.Catalogue.Catalogue()
	q := readDashboardQuery(r.URL.Query())
	sq, errs := q.check(cat)
	if len(errs) > 0 {
		http.Redirect(w, r, "/insight", http.StatusSeeOther)
		return
	}
	sq.GroupBy = nil
	c, err := s.cfg.Insight.Comments(r.Context(), in.callerFor(r, candour.Purpose(q.Purpose)), sq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := commentsPage{Q: q, Figures: "/insight?" + q.encode(), C: c}
	if c.Page > 1 {
		p.Prev = "/insight/comments?" + q.encode() + "&page=" + strconv.Itoa(c.Page-1)
	}
	if c.More {
		p.Next = "/insight/comments?" + q.encode() + "&page=" + strconv.Itoa(c.Page+1)
	}
	s.render(w, r, http.StatusOK, "comments", view{Title: "Redacted comments", Nav: "insight", Data: p})
}

// dashboardExport downloads the age-encrypted export of the question, for
// the agency's key.
func (s *Server) dashboardExport(w http.ResponseWriter, r *http.Request, in signedIn) {
	cat := s.cfg.Catalogue.Catalogue()
	q := readDashboardQuery(r.URL.Query())
	sq, errs := q.check(cat)
	format := r.URL.Query().Get("format")
	if len(errs) > 0 || !slices.Contains([]string{"csv", "json"}, format) {
		s.problem(w, r, http.StatusNotFound)
		return
	}
	sealed, err := s.cfg.Insight.Export(r.Context(), in.callerFor(r, candour.Purpose(q.Purpose)), sq, format)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="candour-insight.`+format+`.age"`)
	w.Write(sealed)
}

// aboutDisclosure explains disclosure control in plain words.
func (s *Server) aboutDisclosure(w http.ResponseWriter, r *http.Request, in signedIn) {
	s.render(w, r, http.StatusOK, "disclosure", view{Title: "How Candour protects the people behind the figures", Nav: "insight"})
}
