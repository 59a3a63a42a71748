package api

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"

	"github.com/candour-vault/candour"
)

// auditCheckpoint answers GET (the latest checkpoint) and POST (issue one
// now) with the signed note as text/plain.
func (s *Server) auditCheckpoint(w http.ResponseWriter, r *http.Request, p candour.Principal) {
	c, err := caller(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var signed []byte
	if r.Method == http.MethodPost {
		signed, err = s.cfg.Audit.IssueCheckpoint(r.Context(), c)
	} else {
		signed, err = s.cfg.Audit.Checkpoint(r.Context(), c)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(signed)
}

// auditVerifierKey serves the log's note verifier key. It is public.
func (s *Server) auditVerifierKey(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(s.cfg.Audit.VerifierKey() + "\n"))
}

func (s *Server) auditInclusion(w http.ResponseWriter, r *http.Request, p candour.Principal) {
	s.proof(w, r, p, "seq", "size", s.cfg.Audit.InclusionProof)
}

func (s *Server) auditConsistency(w http.ResponseWriter, r *http.Request, p candour.Principal) {
	s.proof(w, r, p, "old", "new", s.cfg.Audit.ConsistencyProof)
}

// proof parses the two whole-number parameters a and b, asks prove, and
// answers {"hashes": [base64, ...]}.
func (s *Server) proof(w http.ResponseWriter, r *http.Request, p candour.Principal, a, b string,
	prove func(ctx context.Context, c candour.Caller, x, y int64) ([][32]byte, error)) {
	c, err := caller(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	vals, err := wholeNumbers(r.URL.Query(), a, b)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	hs, err := prove(r.Context(), c, vals[0], vals[1])
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := struct {
		Hashes []string `json:"hashes"`
	}{Hashes: make([]string, len(hs))}
	for i, h := range hs {
		out.Hashes[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	writeJSON(w, http.StatusOK, out)
}

// wholeNumbers reads exactly the named parameters, each a whole number.
func wholeNumbers(q url.Values, names ...string) ([]int64, error) {
	if len(q) != len(names) {
		return nil, candour.Errorf(candour.EINVALID, "give exactly the parameters %s and %s.", names[0], names[1])
	}
	out := make([]int64, len(names))
	for i, n := range names {
		v := q[n]
		if len(v) != 1 {
			return nil, candour.Errorf(candour.EINVALID, "give exactly the parameters %s and %s.", names[0], names[1])
		}
		x, err := strconv.ParseInt(v[0], 10, 64)
		if err != nil {
			return nil, candour.Errorf(candour.EINVALID, "query parameter %s must be a whole number.", n)
		}
		out[i] = x
	}
	return out, nil
}
