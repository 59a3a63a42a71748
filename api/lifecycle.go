package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"filippo.io/age"

	"github.com/candour-vault/candour"
)

// correctionInput is the body of PATCH /v1/feedback/{id}: the fields to
// change, each left out to keep it.
type correctionInput struct {
	Touchpoint  *string              `json:"touchpoint"`
	Channel     *string              `json:"channel"`
	Ratings     *candour.Ratings     `json:"ratings"`
	Comment     *string              `json:"comment"`
	Sensitivity *candour.Sensitivity `json:"sensitivity"`
	Consent     *struct {
		Purposes  []candour.Purpose `json:"purposes"`
		ShareWith *[]string         `json:"share_with"`
	} `json:"consent"`
}

// correctFeedback answers PATCH /v1/feedback/{id}: 200 with what changed.
func (s *Server) correctFeedback(w http.ResponseWriter, r *http.Request, p candour.Principal) {
	c, err := caller(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in correctionInput
	if _, err := decodeJSON(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	ch := candour.Correction{Touchpoint: in.Touchpoint, Channel: in.Channel, Ratings: in.Ratings, Comment: in.Comment,
		Sensitivity: in.Sensitivity}
	if in.Consent != nil {
		if in.Consent.Purposes == nil && in.Consent.ShareWith == nil {
			s.fail(w, r, candour.Errorf(candour.EINVALID, "consent must name purposes or share_with to narrow."))
			return
		}
		ch.Purposes, ch.ShareWith = in.Consent.Purposes, in.Consent.ShareWith
		if ch.Purposes != nil && len(ch.Purposes) == 0 {
			ch.Purposes = []candour.Purpose{} // an empty list is a request to take every purpose away
		}
	}
	done, err := s.cfg.Feedback.Correct(r.Context(), c, r.PathValue("id"), ch)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, done)
}

// subjectRequest is the body of the subject endpoints: the reference travels
// only here, never in a URL, and is never logged or stored.
type subjectRequest struct {
	SubjectRef string `json:"subject_ref"`
	// Recipient, for subject access, is an age public key: the answer is
	// then an age file only that key's holder can open.
	Recipient string `json:"recipient,omitempty"`
}

// subjectAccess answers POST /v1/subjects/access: JSON, or an age file for
// the recipient the request names.
func (s *Server) subjectAccess(w http.ResponseWriter, r *http.Request, p candour.Principal) {
	c, err := caller(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req subjectRequest
	if _, err := decodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	var to age.Recipient
	if req.Recipient != "" {
		if to, err = age.ParseX25519Recipient(req.Recipient); err != nil {
			s.fail(w, r, candour.Errorf(candour.EINVALID, "recipient must be an age public key, which starts age1."))
			return
		}
	}
	out, err := s.cfg.Feedback.SubjectAccess(r.Context(), c, req.SubjectRef)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if to == nil {
		writeJSON(w, http.StatusOK, out)
		return
	}
	sealed, err := SealFor(to, out)
	if err != nil {
		s.fail(w, r, candour.Wrap(candour.EINTERNAL, err, "The answer could not be encrypted."))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="subject-access.json.age"`)
	w.WriteHeader(http.StatusOK)
	w.Write(sealed)
}

// SealFor encodes v as indented JSON and encrypts it to the age recipient
// to: a file the standard age tool opens with the recipient's identity.
func SealFor(to age.Recipient, v any) ([]byte, error) {
	plain, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	wr, err := age.Encrypt(&buf, to)
	if err != nil {
		return nil, err
	}
	if _, err := wr.Write(append(plain, '\n')); err != nil {
		return nil, err
	}
	if err := wr.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// previewErasure answers POST /v1/subjects/erase/preview.
func (s *Server) previewErasure(w http.ResponseWriter, r *http.Request, p candour.Principal) {
	s.bySubject(w, r, p, func(c candour.Caller, ref string) (any, error) {
		return s.cfg.Feedback.PreviewErasure(r.Context(), c, ref)
	})
}

// bySubject answers a request whose body is {"subject_ref": "..."} with
// what do returns for it: the reference travels only in the body, never in
// a URL where proxies log it, and is never logged nor stored.
func (s *Server) bySubject(w http.ResponseWriter, r *http.Request, p candour.Principal, do func(candour.Caller, string) (any, error)) {
	c, err := caller(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req struct {
		SubjectRef string `json:"subject_ref"`
	}
	if _, err := decodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := do(c, req.SubjectRef)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// listHolds answers GET /v1/holds.
func (s *Server) listHolds(w http.ResponseWriter, r *http.Request, p candour.Principal) {
	c, err := caller(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	holds, err := s.cfg.Feedback.Holds(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if holds == nil {
		holds = []candour.LegalHold{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"holds": holds})
}

// placeHold answers POST /v1/holds: 201 with the hold.
func (s *Server) placeHold(w http.ResponseWriter, r *http.Request, p candour.Principal) {
	c, err := caller(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req candour.HoldRequest
	if _, err := decodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	h, err := s.cfg.Feedback.PlaceHold(r.Context(), c, req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/holds/"+h.ID)
	writeJSON(w, http.StatusCreated, h)
}

// releaseHold answers POST /v1/holds/{id}/release: 204.
func (s *Server) releaseHold(w http.ResponseWriter, r *http.Request, p candour.Principal) {
	c, err := caller(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.cfg.Feedback.ReleaseHold(r.Context(), c, strings.TrimSpace(r.PathValue("id"))); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// retentionOverview answers GET /v1/retention.
func (s *Server) retentionOverview(w http.ResponseWriter, r *http.Request, p candour.Principal) {
	c, err := caller(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	o, err := s.cfg.Feedback.RetentionOverview(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}
