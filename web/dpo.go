package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/api"
)

// LifecycleService corrects records for caseworkers and serves the data
// protection officer (vault.Service), as the API uses it.
type LifecycleService interface {
	Correct(ctx context.Context, c candour.Caller, id string, ch candour.Correction) (candour.Corrected, error)
	SubjectAccess(ctx context.Context, c candour.Caller, ref string) (candour.SubjectAccess, error)
	PreviewErasure(ctx context.Context, c candour.Caller, ref string) (candour.ErasurePreview, error)
	Erase(ctx context.Context, c candour.Caller, ref string) (candour.Erasure, error)
	PlaceHold(ctx context.Context, c candour.Caller, r candour.HoldRequest) (candour.LegalHold, error)
	ReleaseHold(ctx context.Context, c candour.Caller, id string) error
	Holds(ctx context.Context, c candour.Caller) ([]candour.LegalHold, error)
	RetentionOverview(ctx context.Context, c candour.Caller) (candour.RetentionOverview, error)
}

// routeDPO adds the data protection officer's pages: the admin role, acting
// for its own agency.
func (s *Server) routeDPO(mux *http.ServeMux) {
	dpo := func(next func(http.ResponseWriter, *http.Request, signedIn)) http.HandlerFunc {
		return s.acting(candour.RoleAdmin, next)
	}
	mux.HandleFunc("GET /subject-access", dpo(s.accessForm))
	mux.HandleFunc("POST /subject-access", dpo(s.accessFind))
	mux.HandleFunc("POST /subject-access/download", dpo(s.accessDownload))
	mux.HandleFunc("GET /erasure", dpo(s.erasureForm))
	mux.HandleFunc("POST /erasure", dpo(s.erasureStep))
	mux.HandleFunc("GET /retention", dpo(s.retentionPage))
	mux.HandleFunc("GET /holds", dpo(s.holdsPage))
	mux.HandleFunc("POST /holds", dpo(s.placeHold))
	mux.HandleFunc("POST /holds/{id}/release", dpo(s.releaseHold))
}

// dpoCaller is the Caller of a data protection officer's page.
func (in signedIn) dpoCaller(r *http.Request) candour.Caller {
	return candour.Caller{Principal: in.acting, RequestID: requestID(r.Context())}
}

// accessPage is the subject access page: the form, and the answer once
// found.
type accessPage struct {
	SubjectRef, Recipient string
	Answer                *candour.SubjectAccess
	Methods, Ternary      []option
	// The equality answers' words.
	AgeBands, Sexes, EthnicGroups, Disabilities []option
}

func (s *Server) accessForm(w http.ResponseWriter, r *http.Request, in signedIn) {
	s.render(w, r, http.StatusOK, "dpo-access", view{Title: "Subject access request", Nav: "access", Data: accessPage{}})
}

// accessFind answers the form: the records about the subject and who
// accessed each, for the officer to review before downloading.
func (s *Server) accessFind(w http.ResponseWriter, r *http.Request, in signedIn) {
	if !s.readForm(w, r) {
		return
	}
	ref, errs := subjectRef(r)
	p := accessPage{SubjectRef: ref, Methods: consentMethods, Ternary: ternary, AgeBands: ageBands, Sexes: sexes,
		EthnicGroups: ethnicGroups, Disabilities: disabilities}
	if len(errs) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "dpo-access", view{Title: "Error: Subject access request", Nav: "access", Errors: errs, Data: p})
		return
	}
	ans, err := s.cfg.Lifecycle.SubjectAccess(r.Context(), in.dpoCaller(r), ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Answer = &ans
	s.render(w, r, http.StatusOK, "dpo-access", view{Title: "Subject access request", Nav: "access", Data: p})
}

// accessDownload sends the answer as a file: JSON, or an age file for a
// recipient the officer names (the person's, or their own to pass on).
// Each download is a new, audited subject access.
func (s *Server) accessDownload(w http.ResponseWriter, r *http.Request, in signedIn) {
	if !s.readForm(w, r) {
		return
	}
	ref, errs := subjectRef(r)
	recipient := strings.TrimSpace(r.PostForm.Get("recipient"))
	var to age.Recipient
	if recipient != "" {
		var err error
		if to, err = age.ParseX25519Recipient(recipient); err != nil {
			errs = append(errs, fieldError{"recipient", "Enter an age public key, which starts age1, or leave it empty to download JSON"})
		}
	}
	if len(errs) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "dpo-access", view{Title: "Error: Subject access request", Nav: "access", Errors: errs,
			Data: accessPage{SubjectRef: ref, Recipient: recipient}})
		return
	}
	ans, err := s.cfg.Lifecycle.SubjectAccess(r.Context(), in.dpoCaller(r), ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name := "subject-access-" + ans.GeneratedAt.Format("2006-01-02") + ".json"
	var body []byte
	if to != nil {
		body, err = api.SealFor(to, ans)
		name += ".age"
		w.Header().Set("Content-Type", "application/octet-stream")
	} else {
		body, err = json.MarshalIndent(ans, "", "  ")
		w.Header().Set("Content-Type", "application/json")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Write(body)
}

// erasurePage is the erasure journey: the form, the preview, the receipt.
type erasurePage struct {
	SubjectRef string
	Preview    *candour.ErasurePreview
	Done       *candour.Erasure
}

func (s *Server) erasureForm(w http.ResponseWriter, r *http.Request, in signedIn) {
	s.render(w, r, http.StatusOK, "dpo-erasure", view{Title: "Erase a person's records", Nav: "erasure", Data: erasurePage{}})
}

// erasureStep previews an erasure, or carries it out once the officer has
// seen the preview and confirmed.
func (s *Server) erasureStep(w http.ResponseWriter, r *http.Request, in signedIn) {
	if !s.readForm(w, r) {
		return
	}
	ref, errs := subjectRef(r)
	p := erasurePage{SubjectRef: ref}
	confirm := r.PostForm.Get("step") == "confirm"
	if confirm && r.PostForm.Get("confirmed") != "yes" {
		errs = append(errs, fieldError{"confirmed", "Confirm that you have checked the request before you erase"})
	}
	if len(errs) > 0 && !confirm {
		s.render(w, r, http.StatusUnprocessableEntity, "dpo-erasure", view{Title: "Error: Erase a person's records", Nav: "erasure", Errors: errs, Data: p})
		return
	}
	c := in.dpoCaller(r)
	if confirm && len(errs) == 0 {
		done, err := s.cfg.Lifecycle.Erase(r.Context(), c, ref)
		if candour.ErrorCode(err) == candour.ECONFLICT {
			errs = append(errs, fieldError{"confirmed", "Some of these records are under a legal hold, so nothing was erased. Release the hold first if its reason has ended"})
		} else if err != nil {
			s.fail(w, r, err)
			return
		} else {
			p.Done = &done
			s.render(w, r, http.StatusOK, "dpo-erasure", view{Title: "Records erased", Nav: "erasure", Data: p})
			return
		}
	}
	preview, err := s.cfg.Lifecycle.PreviewErasure(r.Context(), c, ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Preview = &preview
	status, title := http.StatusOK, "Check before you erase"
	if len(errs) > 0 {
		status, title = http.StatusUnprocessableEntity, "Error: "+title
	}
	s.render(w, r, status, "dpo-erasure", view{Title: title, Nav: "erasure", Errors: errs, Data: p})
}

// retentionPage shows the rules in force, the latest sweeps and what is
// due, for the officer's agency.
func (s *Server) retentionPage(w http.ResponseWriter, r *http.Request, in signedIn) {
	o, err := s.cfg.Lifecycle.RetentionOverview(r.Context(), in.dpoCaller(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "dpo-retention", view{Title: "Retention", Nav: "retention", Data: o})
}

// holdsPage is the legal holds page: the form to place one, and the list.
type holdsPage struct {
	Holds                                        []candour.LegalHold
	Target, Record, SubjectRef, Reason           string
	ReviewDay, ReviewMonth, ReviewYear, Released string
	Placed                                       *candour.LegalHold
	Now                                          time.Time
}

func (s *Server) holdsPage(w http.ResponseWriter, r *http.Request, in signedIn) {
	s.showHolds(w, r, in, holdsPage{Target: "record", Released: r.URL.Query().Get("released")}, nil, http.StatusOK)
}

func (s *Server) showHolds(w http.ResponseWriter, r *http.Request, in signedIn, p holdsPage, errs []fieldError, status int) {
	holds, err := s.cfg.Lifecycle.Holds(r.Context(), in.dpoCaller(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Holds, p.Now = holds, s.now().UTC()
	title := "Legal holds"
	if len(errs) > 0 {
		title = "Error: " + title
	}
	s.render(w, r, status, "dpo-holds", view{Title: title, Nav: "holds", Errors: errs, Data: p})
}

// placeHold places a hold from the form.
func (s *Server) placeHold(w http.ResponseWriter, r *http.Request, in signedIn) {
	if !s.readForm(w, r) {
		return
	}
	f := r.PostForm
	p := holdsPage{Target: f.Get("target"), Record: strings.TrimSpace(f.Get("record")), SubjectRef: strings.TrimSpace(f.Get("subject-ref")),
		Reason: strings.TrimSpace(f.Get("reason")), ReviewDay: strings.TrimSpace(f.Get("review-day")),
		ReviewMonth: strings.TrimSpace(f.Get("review-month")), ReviewYear: strings.TrimSpace(f.Get("review-year"))}
	req := candour.HoldRequest{Reason: p.Reason}
	var errs []fieldError
	switch p.Target {
	case "record":
		if !validID(p.Record) {
			errs = append(errs, fieldError{"record", "Enter the record reference, which looks like 01a23627-4484-7916-b281-e956bf279a88"})
		}
		req.RecordID = p.Record
	case "subject":
		var e []fieldError
		if req.SubjectRef, e = subjectRef(r); len(e) > 0 {
			errs = append(errs, e...)
		}
	default:
		errs = append(errs, fieldError{"target", "Select what to hold"})
	}
	switch {
	case p.Reason == "":
		errs = append(errs, fieldError{"reason", "Enter the reason for the hold"})
	case len(p.Reason) > candour.MaxHoldReason:
		errs = append(errs, fieldError{"reason", "The reason must be 500 characters or fewer"})
	}
	review, ok := dateOf(p.ReviewDay, p.ReviewMonth, p.ReviewYear)
	today := s.now().UTC().Truncate(24 * time.Hour)
	switch {
	case p.ReviewDay+p.ReviewMonth+p.ReviewYear == "":
		errs = append(errs, fieldError{"review", "Enter the review date"})
	case !ok:
		errs = append(errs, fieldError{"review", "Enter a real review date, for example 31 3 2027"})
	case !review.After(today):
		errs = append(errs, fieldError{"review", "The review date must be in the future"})
	case review.After(today.AddDate(10, 0, 0)):
		errs = append(errs, fieldError{"review", "The review date must be within ten years"})
	}
	if len(errs) > 0 {
		s.showHolds(w, r, in, p, errs, http.StatusUnprocessableEntity)
		return
	}
	req.ReviewBy = review
	h, err := s.cfg.Lifecycle.PlaceHold(r.Context(), in.dpoCaller(r), req)
	if candour.ErrorCode(err) == candour.ENOTFOUND {
		s.showHolds(w, r, in, p, []fieldError{{"record", "Your agency holds no record with this reference"}}, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.showHolds(w, r, in, holdsPage{Target: "record", Placed: &h}, nil, http.StatusOK)
}

// releaseHold ends a hold, then shows the list again.
func (s *Server) releaseHold(w http.ResponseWriter, r *http.Request, in signedIn) {
	id := r.PathValue("id")
	if !validID(id) {
		s.problem(w, r, http.StatusNotFound)
		return
	}
	if err := s.cfg.Lifecycle.ReleaseHold(r.Context(), in.dpoCaller(r), id); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/holds?released="+id, http.StatusSeeOther)
}
