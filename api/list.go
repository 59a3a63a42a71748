package api

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/candour-vault/candour"
)

// listFeedback answers GET /v1/feedback: one page of the caller's own
// agency's records, newest first, filtered by the query.
func (s *Server) listFeedback(w http.ResponseWriter, r *http.Request, p candour.Principal) {
	q, err := parseListQuery(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.answerList(w, r, p, q)
}

// searchFeedback answers POST /v1/feedback/search: the same list, with a
// subject reference that travels only in the body, never in a URL.
func (s *Server) searchFeedback(w http.ResponseWriter, r *http.Request, p candour.Principal) {
	var q candour.ListQuery
	if _, err := decodeJSON(w, r, &q); err != nil {
		s.fail(w, r, err)
		return
	}
	s.answerList(w, r, p, q)
}

func (s *Server) answerList(w http.ResponseWriter, r *http.Request, p candour.Principal, q candour.ListQuery) {
	c, err := caller(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.cfg.Feedback.List(r.Context(), c, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if list.Records == nil {
		list.Records = []candour.ListedRecord{}
	}
	writeJSON(w, http.StatusOK, list)
}

// parseListQuery reads the filters of GET /v1/feedback. A subject reference
// is refused here: it would sit in logs and browser histories.
func parseListQuery(v url.Values) (candour.ListQuery, error) {
	var q candour.ListQuery
	for k, vs := range v {
		if len(vs) != 1 {
			return q, candour.Errorf(candour.EINVALID, "query parameter %s must be given once.", safeName(k))
		}
		val := vs[0]
		switch k {
		case "period":
			q.Period = val
		case "service":
			q.Service = val
		case "cursor":
			q.Cursor = val
		case "mine":
			b, err := strconv.ParseBool(val)
			if err != nil {
				return q, candour.Errorf(candour.EINVALID, "query parameter mine must be true or false.")
			}
			q.Mine = b
		case "limit":
			n, err := strconv.Atoi(val)
			if err != nil || n < 1 {
				return q, candour.Errorf(candour.EINVALID, "query parameter limit must be a whole number from 1 to %d.", candour.ListLimit)
			}
			q.Limit = n
		case "subject_ref":
			return q, candour.Errorf(candour.EINVALID, "A subject reference never goes in a URL; send it in the body of POST /v1/feedback/search.")
		default:
			return q, candour.Errorf(candour.EINVALID, "unknown query parameter %s; use period, service, mine, cursor or limit.", safeName(k))
		}
	}
	return q, nil
}
