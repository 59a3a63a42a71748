package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/candour-vault/candour"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 64 << 10

// feedbackInput is the body of POST /v1/feedback. Fields the server sets (id,
// agency, submitter, times) are absent, so sending them is an unknown field.
type feedbackInput struct {
	Service     string              `json:"service"`
	Touchpoint  string              `json:"touchpoint"`
	Channel     string              `json:"channel"`
	Period      string              `json:"period"`
	Ratings     candour.Ratings     `json:"ratings"`
	Comment     string              `json:"comment"`
	SubjectRef  string              `json:"subject_ref"`
	Sensitivity candour.Sensitivity `json:"sensitivity"`
	Consent     *consentInput       `json:"consent"`
	Equality    *candour.Equality   `json:"equality"`
}

type consentInput struct {
	Purposes      []candour.Purpose `json:"purposes"`
	ShareWith     []string          `json:"share_with"`
	Method        string            `json:"method"`
	NoticeVersion string            `json:"notice_version"`
	ExpiresAt     *time.Time        `json:"expires_at"`
}

func (s *Server) createFeedback(w http.ResponseWriter, r *http.Request, p candour.Principal) {
	var in feedbackInput
	_, err := decodeJSON(w, r, &in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Consent == nil {
		s.fail(w, r, candour.Errorf(candour.EINVALID, "consent is required."))
		return
	}
	c, err := caller(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := candour.Feedback{
		Service: in.Service, Touchpoint: in.Touchpoint, Channel: in.Channel, Period: in.Period,
		Ratings: in.Ratings, Comment: in.Comment, SubjectRef: in.SubjectRef, Sensitivity: in.Sensitivity,
		Equality: in.Equality,
		Consent: candour.Consent{Purposes: in.Consent.Purposes, ShareWith: in.Consent.ShareWith,
			Method: in.Consent.Method, NoticeVersion: in.Consent.NoticeVersion, ExpiresAt: in.Consent.ExpiresAt},
	}
	var idem candour.Idempotency
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		// The request is compared in canonical form (the decoded request
		// encoded again, times in UTC), so the same request serialised
		// another way is a retry, not a conflict.
		if in.Consent.ExpiresAt != nil {
			utc := in.Consent.ExpiresAt.UTC()
			in.Consent.ExpiresAt = &utc
		}
		canonical, err := json.Marshal(in)
		if err != nil {
			s.fail(w, r, fmt.Errorf("canonical request: %w", err))
			return
		}
		sum := sha256.Sum256(canonical)
		idem = candour.Idempotency{Key: key, RequestHash: sum[:]}
	}
	rc, err := s.cfg.Feedback.Submit(r.Context(), c, f, idem)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if rc.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("Location", "/v1/feedback/"+rc.ID)
	writeJSON(w, http.StatusCreated, rc)
}

func (s *Server) readFeedback(w http.ResponseWriter, r *http.Request, p candour.Principal) {
	c, err := caller(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := s.cfg.Feedback.Read(r.Context(), c, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

// withdrawFeedback records a withdrawal of consent: 200 with a receipt.
func (s *Server) withdrawFeedback(w http.ResponseWriter, r *http.Request, p candour.Principal) {
	c, err := caller(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rc, err := s.cfg.Feedback.Withdraw(r.Context(), c, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rc)
}

// eraseSubject crypto-shreds a subject's records: 200 with a receipt.
func (s *Server) eraseSubject(w http.ResponseWriter, r *http.Request, p candour.Principal) {
	s.bySubject(w, r, p, func(c candour.Caller, ref string) (any, error) {
		return s.cfg.Feedback.Erase(r.Context(), c, ref)
	})
}

// auditEntryView is one entry of GET /v1/audit/entries.
type auditEntryView struct {
	Seq   int64              `json:"seq"`
	Leaf  string             `json:"leaf"`
	Entry candour.AuditEntry `json:"entry"`
}

func (s *Server) auditEntries(w http.ResponseWriter, r *http.Request, p candour.Principal) {
	c, err := caller(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := parseAuditFilter(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	leaves, err := s.cfg.Audit.Entries(r.Context(), c, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := struct {
		Entries []auditEntryView `json:"entries"`
	}{Entries: make([]auditEntryView, 0, len(leaves))}
	for _, l := range leaves {
		e, err := candour.ParseAuditLeaf(l.Leaf)
		if err != nil {
			s.fail(w, r, fmt.Errorf("%w: seq %d: %w", candour.Errorf(candour.EINTERNAL, "An audit entry could not be decoded."), l.Seq, err))
			return
		}
		out.Entries = append(out.Entries, auditEntryView{Seq: l.Seq, Leaf: base64.StdEncoding.EncodeToString(l.Leaf), Entry: e})
	}
	writeJSON(w, http.StatusOK, out)
}

func parseAuditFilter(q url.Values) (candour.AuditFilter, error) {
	f := candour.AuditFilter{After: -1}
	for k, v := range q {
		if len(v) != 1 {
			return f, candour.Errorf(candour.EINVALID, "query parameter %s must be given once.", safeName(k))
		}
		var err error
		switch k {
		case "after":
			f.After, err = strconv.ParseInt(v[0], 10, 64)
		case "limit":
			f.Limit, err = strconv.Atoi(v[0])
		case "before":
			f.Before, err = strconv.ParseInt(v[0], 10, 64)
		case "newest":
			f.Newest, err = strconv.ParseBool(v[0])
		case "actor":
			f.Actor = v[0]
		case "action":
			f.Action = candour.Action(v[0])
		case "record":
			f.Record = v[0]
		case "outcome":
			f.Outcome = v[0]
		case "since", "until":
			t, terr := time.Parse(time.RFC3339, v[0])
			if terr != nil {
				return f, candour.Errorf(candour.EINVALID, "query parameter %s must be an RFC 3339 time such as 2026-11-24T09:00:00Z.", k)
			}
			if k == "since" {
				f.Since = t
			} else {
				f.Until = t
			}
		default:
			return f, candour.Errorf(candour.EINVALID, "unknown query parameter %s; use after, before, newest, limit, actor, action, record, outcome, since or until.", safeName(k))
		}
		if err != nil {
			return f, candour.Errorf(candour.EINVALID, "query parameter %s must be a whole number (newest: true or false).", k)
		}
	}
	return f, nil
}

var fieldName = regexp.MustCompile(`^[a-z_.]{1,40}$`)

// safeName returns a client-sent name fit to repeat in an error, or a
// placeholder: names, unlike values, may be echoed, but only when plain.
func safeName(s string) string {
	if fieldName.MatchString(s) {
		return strconv.Quote(s)
	}
	return "(unrecognised name)"
}

// decodeJSON reads one JSON object of at most MaxBodyBytes into v, rejecting
// other content types, unknown fields and trailing data, and returns the raw
// body. Its errors never repeat a value from the body.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, candour.Errorf(candour.EUNSUPPORTED, "The body must be sent as application/json.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, candour.Errorf(candour.ETOOLARGE, "The body must be at most %d bytes.", MaxBodyBytes)
	case err != nil:
		return nil, candour.Errorf(candour.EINVALID, "The body could not be read.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, jsonError(err)
	}
	if dec.Decode(&struct{}{}) != io.EOF {
		return nil, candour.Errorf(candour.EINVALID, "The body must hold exactly one JSON object.")
	}
	return body, nil
}

// jsonError turns a decoding error into a client-safe EINVALID.
func jsonError(err error) error {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.Is(err, io.EOF):
		return candour.Errorf(candour.EINVALID, "The body is empty; it must be a JSON object.")
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return candour.Errorf(candour.EINVALID, "The body is not valid JSON.")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return candour.Errorf(candour.EINVALID, "The body must be a JSON object.")
		}
		return candour.Errorf(candour.EINVALID, "Field %s has the wrong type.", safeName(typ.Field))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return candour.Errorf(candour.EINVALID, "Unknown field %s.", safeName(name))
	default:
		return candour.Errorf(candour.EINVALID, "The body could not be read as JSON.")
	}
}
