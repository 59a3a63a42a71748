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

// correct stores what changed, then shows the record again with a banner.
// The record is read again first (audited), so that only real changes are
// sent and named in the audit entry.
func (s *Server) correct(w http.ResponseWriter, r *http.Request, in signedIn) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10) // as the record form: a comment of 16,000 characters
	if err := r.ParseForm(); err != nil {
		s.problem(w, r, http.StatusRequestEntityTooLarge)
		return
	}
	id := r.PathValue("id")
	f, err := s.cfg.Feedback.Read(r.Context(), in.caller(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := readDraft(r.PostForm)
	ch, errs := changes(f, d)
	if len(errs) == 0 && len(ch.Fields()) == 0 {
		errs = []fieldError{{"comment", "You have not changed anything. Change an answer, or go back to the record"}}
	}
	if len(errs) == 0 {
		_, err = s.cfg.Lifecycle.Correct(r.Context(), in.caller(r), id, ch)
		switch {
		case candour.ErrorCode(err) == candour.EINVALID:
			field := "comment"
			if strings.Contains(candour.ErrorMessage(err), "onsent") {
				field = "purposes"
			}
			errs = []fieldError{{field, strings.TrimSuffix(candour.ErrorMessage(err), ".")}}
		case err != nil:
			s.fail(w, r, err)
			return
		default:
			http.Redirect(w, r, "/records/"+id+"?corrected=yes", http.StatusSeeOther)
			return
		}
	}
	s.render(w, r, http.StatusUnprocessableEntity, "record-correct", s.correctView(f, d, errs))
}

// changes is the correction the form asks for: the fields whose answers
// differ from the record's, after checking every answer is one the form
// offers (consent only among what the record holds).
func changes(f candour.Feedback, d draft) (candour.Correction, []fieldError) {
	var (
		ch   candour.Correction
		errs []fieldError
	)
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
		return ch, errs
	}
	if d.Touchpoint != f.Touchpoint {
		ch.Touchpoint = &d.Touchpoint
	}
	if d.Channel != f.Channel {
		ch.Channel = &d.Channel
	}
	if r := d.ratings(); !sameRatings(r, f.Ratings) {
		ch.Ratings = &r
	}
	if c := strings.TrimSpace(d.Comment); c != f.Comment {
		ch.Comment = &c
	}
	if sens := candour.Sensitivity(d.Sensitivity); sens != f.Sensitivity {
		ch.Sensitivity = &sens
	}
	var purposes []candour.Purpose
	for _, p := range d.Purposes {
		purposes = append(purposes, candour.Purpose(p))
	}
	if len(purposes) != len(f.Consent.Purposes) {
		ch.Purposes = purposes
	}
	if len(d.ShareWith) != len(f.Consent.ShareWith) {
		partners := slices.Clone(d.ShareWith)
		if partners == nil {
			partners = []string{}
		}
		ch.ShareWith = &partners
	}
	return ch, nil
}

// sameRatings compares two sets of answers by value.
func sameRatings(a, b candour.Ratings) bool {
	eq := func(x, y *int) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return eq(a.Satisfaction, b.Satisfaction) && eq(a.Effort, b.Effort) && eq(a.WouldRecommend, b.WouldRecommend) &&
		a.FeltSafe == b.FeltSafe && a.FeltBelieved == b.FeltBelieved
}
