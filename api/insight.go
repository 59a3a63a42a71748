package api

import (
	"net/http"
	"strings"

	"github.com/candour-vault/candour"
)

// insightSummary answers GET /v1/insights/summary.
func (s *Server) insightSummary(w http.ResponseWriter, r *http.Request, p candour.Principal) {
	c, err := caller(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var q candour.SummaryQuery
	for k, v := range r.URL.Query() {
		if len(v) != 1 {
			s.fail(w, r, candour.Errorf(candour.EINVALID, "query parameter %s must be given once.", safeName(k)))
			return
		}
		switch k {
		case "group_by":
			if v[0] != "" {
				q.GroupBy = strings.Split(v[0], ",")
			}
		case "from":
			q.From = v[0]
		case "to":
			q.To = v[0]
		case "service":
			q.Service = v[0]
		default:
			s.fail(w, r, candour.Errorf(candour.EINVALID, "unknown query parameter %s; use group_by, from, to or service.", safeName(k)))
			return
		}
	}
	sum, err := s.cfg.Insight.Summary(r.Context(), c, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sum)
}
