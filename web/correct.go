package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/candour-vault/candour"
)

// correctPage is the correction form: the record as it stands, and the
// answers as the caseworker has them now. Consent offers only what the
// record already holds: it can be narrowed here, never widened.
type correctPage struct {
	F                                                              candour.Feedback
	Draft                                                          draft
	PurposeOptions, PartnerOptions                                 []option
	Touchpoints, Channels, Scale5, Scale10, Ternary, Sensitivities []option
}

// draftOf writes a record's correctable answers as the form's fields.
func draftOf(f candour.Feedback) draft {
	num := func(v *int) string {
		if v == nil {
			return ""
		}
		return strconv.Itoa(*v)
	}
	d := draft{Touchpoint: f.Touchpoint, Channel: f.Channel, Satisfaction: num(f.Ratings.Satisfaction),
		Effort: num(f.Ratings.Effort), FeltSafe: f.Ratings.FeltSafe, FeltBelieved: f.Ratings.FeltBelieved,
		Recommend: num(f.Ratings.WouldRecommend), Comment: f.Comment, Sensitivity: string(f.Sensitivity),
		ShareWith: slices.Clone(f.Consent.ShareWith)}
	for _, p := range f.Consent.Purposes {
		d.Purposes = append(d.Purposes, string(p))
	}
	return d
}

func (s *Server) correctView(f candour.Feedback, d draft, errs []fieldError) view {
	p := correctPage{F: f, Draft: d, Touchpoints: touchpoints, Channels: channels, Scale5: scale5, Scale10: scale10,
		Ternary: ternary, Sensitivities: sensitivities}
	for _, purpose := range f.Consent.Purposes {
		p.PurposeOptions = append(p.PurposeOptions, option{Value: string(purpose), Text: purposeText(purpose)})
	}
	cat := s.cfg.Catalogue.Catalogue()
	for _, a := range f.Consent.ShareWith {
		p.PartnerOptions = append(p.PartnerOptions, option{Value: a, Text: cat.AgencyName(a)})
	}
	title := "Correct this feedback"
	if len(errs) > 0 {
		title = "Error: " + title
	}
	return view{Title: title, Nav: "records", Exit: true, Errors: errs, Data: p}
}

// correctForm shows the record's answers to correct (an audited read).
func (s *Server) correctForm(w http.ResponseWriter, r *http.Request, in signedIn) {
	f, err := s.cfg.Feedback.Read(r.Context(), in.caller(r), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "record-correct", s.correctView(f, draftOf(f), nil))
}

// correct sends the form's answers as a correction (the service keeps only
// what changes, and names only that in the audit entry), then shows the
// record again with a banner. Only a form sent back with a problem reads the
// record again, to show it.
func (s *Server) correct(w http.ResponseWriter, r *http.Request, in signedIn) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10) // as the record form: a comment of 16,000 characters
	if err := r.ParseForm(); err != nil {
		s.problem(w, r, http.StatusRequestEntityTooLarge)
		return
	}
	id := r.PathValue("id")
	d := readDraft(r.PostForm)
	ch, errs := correctionOf(d)
	if len(errs) == 0 {
		_, err := s.cfg.Lifecycle.Correct(r.Context(), in.caller(r), id, ch)
		switch {
		case candour.ErrorCode(err) == candour.EINVALID:
			errs = []fieldError{correctionError(candour.ErrorMessage(err))}
		case err != nil:
			s.fail(w, r, err)
			return
		default:
			http.Redirect(w, r, "/records/"+id+"?corrected=yes", http.StatusSeeOther)
			return
		}
	}
	f, err := s.cfg.Feedback.Read(r.Context(), in.caller(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusUnprocessableEntity, "record-correct", s.correctView(f, d, errs))
}

// correctionError puts the service's refusal of a correction beside the
// field it is about.
func correctionError(msg string) fieldError {
	msg = strings.TrimSuffix(msg, ".")
	switch {
	case strings.HasPrefix(msg, "Nothing would change"):
		return fieldError{"comment", "You have not changed anything. Change an answer, or go back to the record"}
	case strings.Contains(msg, "onsent"):
		return fieldError{"purposes", msg}
	}
	return fieldError{"comment", msg}
}

// correctionOf is the correction the form asks for: every answer as the
// form holds it, after checking each is one the form offers.
func correctionOf(d draft) (candour.Correction, []fieldError) {
	var errs []fieldError
	if d.Touchpoint != "" && !inOptions(touchpoints, d.Touchpoint) {
		errs = append(errs, fieldError{"touchpoint", "Select a point in the service from the list"})
	}
	if d.Channel != "" && !inOptions(channels, d.Channel) {
		errs = append(errs, fieldError{"channel", "Select how they were in touch from the list"})
	}
	for _, a := range []struct{ field, v string }{{"satisfaction", d.Satisfaction}, {"effort", d.Effort},
		{"felt-safe", d.FeltSafe}, {"felt-believed", d.FeltBelieved}, {"recommend", d.Recommend}} {
		if a.v != "" && !validAnswer(a.field, a.v) {
			errs = append(errs, fieldError{a.field, "Select one of the answers"})
		}
	}
	if !inOptions(sensitivities, d.Sensitivity) {
		errs = append(errs, fieldError{"sensitivity", "Select how sensitive this feedback is"})
	}
	if len(d.Purposes) == 0 {
		errs = append(errs, fieldError{"purposes", "Keep at least one use. If the person has withdrawn their consent, record a withdrawal instead"})
	}
	if len(errs) > 0 {
		return candour.Correction{}, errs
	}
	ratings, comment, sens := d.ratings(), strings.TrimSpace(d.Comment), candour.Sensitivity(d.Sensitivity)
	partners := append([]string{}, d.ShareWith...)
	ch := candour.Correction{Touchpoint: &d.Touchpoint, Channel: &d.Channel, Ratings: &ratings, Comment: &comment,
		Sensitivity: &sens, ShareWith: &partners}
	for _, p := range d.Purposes {
		ch.Purposes = append(ch.Purposes, candour.Purpose(p))
	}
	return ch, nil
}
