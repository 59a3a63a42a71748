package web

import (
	"net/http"
	"strconv"

	"github.com/candour-vault/candour"
)

// DevPerson is a demo person a dev server's sign-in page offers.
type DevPerson struct {
	Name   string
	Role   candour.Role
	Agency string
}

// DefaultDevPeople are one person per role, in the demo agencies.
func DefaultDevPeople() []DevPerson {
	return []DevPerson{
		{"Sam Okafor", candour.RoleCaseworker, "victim-support-north"},
		{"Priya Shah", candour.RoleCaseworker, "police-north"},
		{"Alex Morgan", candour.RoleAnalyst, "police-north"},
		{"Jo Evans", candour.RoleAuditor, "victim-support-north"},
		{"Chris Hughes", candour.RoleAdmin, "victim-support-north"},
		{"Ruth Ali", candour.RoleAuditor, "north-inspectorate"},
	}
}

// DevIssuer is the issuer named in dev sign-ins' principals.
const DevIssuer = "candour-dev-sign-in"

// home is the start page: what the signed-in person can do here.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.session(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "home", view{Title: "Candour", Person: &sess.Principal, Data: sess.Principal})
}

// signIn starts signing in: at the identity provider, or on a dev server
// with the choice of demo people.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	if s.cfg.OIDC != nil {
		s.cfg.OIDC.start(w, r, s.cfg.SecureCookies)
		return
	}
	s.render(w, r, http.StatusOK, "sign-in-dev", view{Title: "Sign in to a dev server", Data: s.cfg.DevPeople})
}

// devSignIn signs in the demo person chosen, through the same sessions as
// a sign-in at an identity provider.
func (s *Server) devSignIn(w http.ResponseWriter, r *http.Request) {
	if len(s.cfg.DevPeople) == 0 {
		s.problem(w, r, http.StatusNotFound)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<10)
	n, err := strconv.Atoi(r.PostFormValue("person"))
	if err != nil || n < 0 || n >= len(s.cfg.DevPeople) {
		s.render(w, r, http.StatusUnprocessableEntity, "sign-in-dev", view{Title: "Error: Sign in to a dev server",
			Errors: []fieldError{{"person", "Select who to sign in as"}}, Data: s.cfg.DevPeople})
		return
	}
	p := s.cfg.DevPeople[n]
	s.complete(w, r, candour.Principal{Issuer: DevIssuer, Subject: "dev-" + string(p.Role) + "-" + p.Agency,
		Agency: p.Agency, Roles: []candour.Role{p.Role}})
}

// complete starts the session of a person who has signed in and sends them
// to the start page.
func (s *Server) complete(w http.ResponseWriter, r *http.Request, p candour.Principal) {
	if err := s.sessions.start(r.Context(), w, p); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("signed in", "request_id", requestID(r.Context()), "roles", p.Roles, "agency", p.Agency)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// signOut ends the session everywhere.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	if err := s.sessions.end(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/signed-out", http.StatusSeeOther)
}

func (s *Server) signedOut(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "signed-out", view{Title: "You have signed out"})
}

// oidcCallback finishes a sign-in at the identity provider.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if s.cfg.OIDC == nil {
		s.problem(w, r, http.StatusNotFound)
		return
	}
	p, err := s.cfg.OIDC.finish(w, r, s.cfg.SecureCookies)
	if err != nil {
		s.log.Info("sign-in refused", "request_id", requestID(r.Context()), "reason", err)
		s.render(w, r, http.StatusUnauthorized, "sign-in-failed", view{Title: "You could not be signed in"})
		return
	}
	s.complete(w, r, p)
}
