package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/candour-vault/candour"
)

// insightSummary answers GET /v1/insights/summary.
func (s *Server) insightSummary(w http.ResponseWriter, r *http.Request, p candour.Principal) {
	c, q, err := insightQuery(r, p, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sum, err := s.cfg.Insight.Summary(r.Context(), c, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sum)
}

// insightComments answers GET /v1/insights/comments.
func (s *Server) insightComments(w http.ResponseWriter, r *http.Request, p candour.Principal) {
	c, q, err := insightQuery(r, p, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.cfg.Insight.Comments(r.Context(), c, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// insightExport answers GET /v1/insights/export?format=json|csv with an age
// file encrypted to the caller's agency.
func (s *Server) insightExport(w http.ResponseWriter, r *http.Request, p candour.Principal) {
	format := r.URL.Query().Get("format")
	query := r.URL.Query()
	query.Del("format")
	r.URL.RawQuery = query.Encode()
	c, q, err := insightQuery(r, p, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if format == "" {
		format = "json"
	}
	sealed, err := s.cfg.Insight.Export(r.Context(), c, q, format)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="candour-insight.`+format+`.age"`)
	w.Write(sealed)
}

// insightQuery reads the caller and the query parameters of an insight
// request: from, to, service, and group_by where grouping is allowed.
func insightQuery(r *http.Request, p candour.Principal, grouping bool) (candour.Caller, candour.SummaryQuery, error) {
	var q candour.SummaryQuery
	c, err := caller(r, p)
	if err != nil {
		return c, q, err
	}
	for k, v := range r.URL.Query() {
		if len(v) != 1 {
			return c, q, candour.Errorf(candour.EINVALID, "query parameter %s must be given once.", safeName(k))
		}
		switch {
		case k == "group_by" && grouping:
			if v[0] != "" {
				q.GroupBy = strings.Split(v[0], ",")
			}
		case k == "from":
			q.From = v[0]
		case k == "to":
			q.To = v[0]
		case k == "service":
			q.Service = v[0]
		case k == "page" && !grouping:
			n, err := strconv.Atoi(v[0])
			if err != nil || n < 1 {
				return c, q, candour.Errorf(candour.EINVALID, "page must be a whole number from 1.")
			}
			q.Page = n
		default:
			return c, q, candour.Errorf(candour.EINVALID, "unknown query parameter %s.", safeName(k))
		}
	}
	return c, q, nil
}
