package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/internal/qrsvg"
)

// InvitationService creates and lists invitations (vault.Service).
type InvitationService interface {
	Invite(ctx context.Context, c candour.Caller, req candour.InvitationRequest) (candour.Invited, error)
	Invitations(ctx context.Context, c candour.Caller, limit int) ([]candour.Invitation, error)
}

// maxPageBatch is the most links the page makes at once (each with its QR
// code, to print); the API makes up to candour.MaxInvitationBatch.
const maxPageBatch = 50

// invitationForm is what the invitation page shows.
type invitationForm struct {
	Service, Touchpoint, Channel, Month, Year, Sensitivity, SubjectRef, Count string
	ServiceOptions, Touchpoints, Channels, Sensitivities                      []option
	Admin                                                                     bool
	List                                                                      []listedInvitation
	Now                                                                       time.Time
}

// listedInvitation is one invitation in the list, with its state in words.
type listedInvitation struct {
	candour.Invitation
	State, Tag string
}

// invitedPage shows new links, once.
type invitedPage struct {
	Links   []invitedLink
	Service string
	Period  string
}

type invitedLink struct {
	candour.CreatedInvitation
	QR string
}

func (s *Server) invitationPage(in signedIn, f invitationForm) invitationForm {
	f.ServiceOptions = serviceOptions(s.cfg.Catalogue.Catalogue().ServicesOf(in.acting.Agency))
	f.Touchpoints, f.Channels, f.Sensitivities = touchpoints, channels, sensitivities
	f.Admin = in.acting.Has(candour.RoleAdmin)
	f.Now = s.now()
	return f
}

// invitationsPage shows the form to create a feedback link and the links
// already made (a caseworker's own; an administrator's agency's).
func (s *Server) invitationsPage(w http.ResponseWriter, r *http.Request, in signedIn) {
	now := s.now().UTC()
	f := s.invitationPage(in, invitationForm{Month: strconv.Itoa(int(now.Month())), Year: strconv.Itoa(now.Year()),
		Sensitivity: string(candour.SensitivityStandard), Count: "1"})
	s.showInvitations(w, r, in, http.StatusOK, f, nil)
}

func (s *Server) showInvitations(w http.ResponseWriter, r *http.Request, in signedIn, status int, f invitationForm, errs []fieldError) {
	list, err := s.cfg.Invitations.Invitations(r.Context(), in.callerFor(r, ""), 50)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.now()
	for _, inv := range list {
		li := listedInvitation{Invitation: inv, State: "Waiting", Tag: "govuk-tag--blue"}
		switch {
		case inv.Used:
			li.State, li.Tag = "Answered", "govuk-tag--green"
		case !now.Before(inv.ExpiresAt):
			li.State, li.Tag = "Expired", "govuk-tag--grey"
		}
		f.List = append(f.List, li)
	}
	s.render(w, r, status, "invitations", view{Title: "Feedback links", Nav: "invitations", Errors: errs, Data: f})
}

// invite creates the links the form asks for and shows them once.
func (s *Server) invite(w http.ResponseWriter, r *http.Request, in signedIn) {
	if !s.readForm(w, r) {
		return
	}
	pf := r.PostForm
	f := s.invitationPage(in, invitationForm{Service: pf.Get("service"), Touchpoint: pf.Get("touchpoint"), Channel: pf.Get("channel"),
		Month: strings.TrimSpace(pf.Get("period-month")), Year: strings.TrimSpace(pf.Get("period-year")),
		Sensitivity: pf.Get("sensitivity"), SubjectRef: strings.TrimSpace(pf.Get("subject-ref")), Count: strings.TrimSpace(pf.Get("count"))})
	var errs []fieldError
	add := func(field, msg string) { errs = append(errs, fieldError{field, msg}) }
	if !inOptions(f.ServiceOptions, f.Service) {
		add("service", "Select the service the feedback is about")
	}
	if f.Touchpoint != "" && !inOptions(touchpoints, f.Touchpoint) {
		add("touchpoint", "Select a point in the service from the list")
	}
	if f.Channel != "" && !inOptions(channels, f.Channel) {
		add("channel", "Select how they were in touch from the list")
	}
	d := draft{Month: f.Month, Year: f.Year}
	period, ok := d.period()
	switch {
	case !ok:
		add("period-month", "Month of the interaction must be a real month, for example 10 2026")
	case period > s.now().UTC().Format("2006-01"):
		add("period-month", "Month of the interaction must be this month or earlier")
	case period < "2000-01":
		add("period-month", "Month of the interaction must be in 2000 or later")
	}
	if !inOptions(sensitivities, f.Sensitivity) {
		add("sensitivity", "Select how sensitive the interaction is")
	}
	if len(f.SubjectRef) > candour.MaxSubjectRefBytes {
		add("subject-ref", "Subject reference must be 128 characters or fewer")
	}
	count := 1
	if f.Admin {
		n, err := strconv.Atoi(f.Count)
		switch {
		case err != nil || n < 1 || n > maxPageBatch:
			add("count", fmt.Sprintf("Number of links must be a whole number from 1 to %d", maxPageBatch))
		case n > 1 && f.SubjectRef != "":
			add("subject-ref", "Leave the subject reference empty when you make more than one link")
		default:
			count = n
		}
	}
	if len(errs) > 0 {
		s.showInvitations(w, r, in, http.StatusBadRequest, f, errs)
		return
	}
	req := candour.InvitationRequest{Service: f.Service, Touchpoint: f.Touchpoint, Channel: f.Channel, Period: period,
		Sensitivity: candour.Sensitivity(f.Sensitivity), SubjectRef: f.SubjectRef, Count: count}
	got, err := s.cfg.Invitations.Invite(r.Context(), in.callerFor(r, ""), req)
	if candour.ErrorCode(err) == candour.EINVALID {
		s.showInvitations(w, r, in, http.StatusBadRequest, f, []fieldError{{"service", candour.ErrorMessage(err)}})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := invitedPage{Service: f.Service, Period: period}
	for i, c := range got.Invitations {
		qr, err := qrsvg.SVG(c.Link, fmt.Sprintf("QR code of feedback link %d", i+1))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p.Links = append(p.Links, invitedLink{CreatedInvitation: c, QR: qr})
	}
	s.render(w, r, http.StatusOK, "invited", view{Title: "Feedback link made", Nav: "invitations", Data: p})
}
