// Package web is Candour's pages: server-rendered with html/template in the
// look of the GOV.UK Design System (govuk-frontend, embedded), signed in
// through OpenID Connect (or, on a dev server, by picking a demo person),
// with sessions kept on the server.
//
// Guarantees:
//   - pages call the same services as the API, acting in one role, so a
//     page never reaches data the API would refuse, and every read is
//     audited there;
//   - every page works without JavaScript; no inline script or style is
//     used, and the Content-Security-Policy allows none;
//   - every page is sent with Cache-Control: no-store, and with
//     frame-ancestors 'none', Referrer-Policy: no-referrer and nosniff;
//   - state-changing requests from another origin are refused
//     (http.CrossOriginProtection, and SameSite=Lax cookies);
//   - nothing typed into a form is stored until the person confirms it, and
//     then only sealed by the feedback service; subject references never
//     appear in a URL or a log line;
//   - a refused record and a missing one show the same page.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/internal/reqlog"
)

// FeedbackService records, lists, reads and withdraws feedback
// (vault.Service), as the API uses it.
type FeedbackService interface {
	Submit(ctx context.Context, c candour.Caller, f candour.Feedback, idem candour.Idempotency) (candour.Receipt, error)
	Read(ctx context.Context, c candour.Caller, id string) (candour.Feedback, error)
	Withdraw(ctx context.Context, c candour.Caller, id string) (candour.Withdrawal, error)
	List(ctx context.Context, c candour.Caller, q candour.ListQuery) (candour.RecordList, error)
}

// Catalogue gives the agencies and services the policy data names
// (policy.Dynamic).
type Catalogue interface {
	Catalogue() candour.Catalogue
}

// Config wires a Server.
type Config struct {
	Feedback FeedbackService
	// Insight, when set, serves the analysts' dashboard.
	Insight InsightService
	// Audit, when set, serves the auditors' console.
	Audit AuditService
	// Lifecycle, when set, serves the correction page and the data
	// protection officer's pages.
	Lifecycle LifecycleService
	Sessions  candour.SessionStore
	Catalogue Catalogue
	// OIDC signs people in at their identity provider. Exactly one of OIDC
	// and DevPeople is set.
	OIDC *OIDC
	// DevPeople, on a dev server, are the demo people the sign-in page
	// offers; the pages then say on every page that this is not for real
	// data.
	DevPeople []DevPerson
	// SecureCookies marks the session cookie Secure and __Host- prefixed,
	// and sends HSTS. Only a dev server on loopback over plain HTTP turns
	// it off.
	SecureCookies bool
	// IdleTimeout and AbsoluteTimeout end sessions (15 minutes and 8 hours
	// when zero).
	IdleTimeout, AbsoluteTimeout time.Duration
	// NoticeVersion fills in the privacy notice version on the consent
	// form ("1" when empty).
	NoticeVersion string
	Now           func() time.Time
	Logger        *slog.Logger
	// Observe, when set, is told of every answered request: the route
	// pattern (never the path), the status and the time taken.
	Observe func(route string, status int, took time.Duration)

	// Citizen, when set, serves the public pages of the citizen channel
	// (/f/{token}, /withdraw) and the staff's invitation pages.
	Citizen     CitizenService
	Invitations InvitationService
	// PublicURL is the address people reach the public pages at
	// (https://feedback.example.org): the withdraw page's address on the
	// receipt.
	PublicURL string
	// CitizenNotice is the version of what the public start page tells
	// the person ("citizen-1" when empty); it is kept with their consent.
	CitizenNotice string
	// PublicLimits bound the public pages (DefaultPublicLimits).
	PublicLimits PublicLimits
}

// Server serves the pages.
type Server struct {
	cfg      Config
	sessions *sessions
	assets   *assets
	pages    *pages
	public   *publicPages
	msgs     *messages
	limits   *limiter
	// limitPage is the limit's page by language, made once.
	limitPage map[string][]byte
	handler   http.Handler
	log       *slog.Logger
	now       func() time.Time
}

// New returns the pages' handler.
func New(c Config) (*Server, error) {
	s := &Server{cfg: c, log: c.Logger, now: c.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.cfg.NoticeVersion == "" {
		s.cfg.NoticeVersion = "1"
	}
	if s.cfg.CitizenNotice == "" {
		s.cfg.CitizenNotice = "citizen-1"
	}
	s.cfg.PublicURL = strings.TrimRight(s.cfg.PublicURL, "/")
	s.sessions = &sessions{store: c.Sessions, idle: c.IdleTimeout, absolute: c.AbsoluteTimeout, secure: c.SecureCookies, now: s.now}
	if s.sessions.idle <= 0 {
		s.sessions.idle = DefaultIdleTimeout
	}
	if s.sessions.absolute <= 0 {
		s.sessions.absolute = DefaultAbsoluteTimeout
	}
	var err error
	if s.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if s.pages, err = loadPages(s.assets, c.Catalogue.Catalogue); err != nil {
		return nil, err
	}
	if s.public, err = loadPublicPages(s.assets); err != nil {
		return nil, err
	}
	if s.msgs, err = loadMessages(); err != nil {
		return nil, err
	}
	s.limits = newLimiter(c.PublicLimits, s.now)
	if s.limitPage, err = s.limitPages(); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /assets/", s.assets)
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /sign-in", s.signIn)
	mux.HandleFunc("POST /sign-in", s.devSignIn)
	mux.HandleFunc("GET /sign-in/callback", s.oidcCallback)
	mux.HandleFunc("POST /sign-out", s.signOut)
	mux.HandleFunc("GET /signed-out", s.signedOut)
	mux.HandleFunc("GET /record", s.caseworker(s.recordStart))
	mux.HandleFunc("POST /record", s.caseworker(s.recordStep))
	mux.HandleFunc("GET /records", s.caseworker(s.findRecords))
	if c.Insight != nil {
		mux.HandleFunc("GET /insight", s.analyst(s.dashboard))
		mux.HandleFunc("GET /insight/figures.csv", s.analyst(s.dashboardCSV))
		mux.HandleFunc("GET /insight/comments", s.analyst(s.dashboardComments))
		mux.HandleFunc("GET /insight/export", s.analyst(s.dashboardExport))
		mux.HandleFunc("GET /insight/disclosure-control", s.analyst(s.aboutDisclosure))
	}
	if c.Audit != nil {
		auditor := func(next func(http.ResponseWriter, *http.Request, signedIn)) http.HandlerFunc {
			return s.acting(candour.RoleAuditor, next)
		}
		mux.HandleFunc("GET /audit", auditor(s.auditLog))
		mux.HandleFunc("GET /audit/records/{id}", auditor(s.recordTimeline))
		mux.HandleFunc("GET /audit/actor", auditor(s.actorTimeline))
		mux.HandleFunc("GET /audit/checkpoint", auditor(s.auditCheckpoint))
		mux.HandleFunc("POST /audit/checkpoint", auditor(s.auditCheckNow))
		mux.HandleFunc("GET /audit/export", auditor(s.auditExport))
	}
	if c.Lifecycle != nil {
		s.routeDPO(mux)
		mux.HandleFunc("GET /records/{id}/correct", s.caseworker(s.correctForm))
		mux.HandleFunc("POST /records/{id}/correct", s.caseworker(s.correct))
	}
	if c.Citizen != nil {
		mux.HandleFunc("GET /f/{token}", s.limited(s.giveStart))
		mux.HandleFunc("POST /f/{token}", s.limited(s.giveStep))
		mux.HandleFunc("GET /withdraw", s.limited(s.withdrawForm))
		mux.HandleFunc("POST /withdraw", s.limited(s.withdrawOwn))
	}
	if c.Invitations != nil {
		inviter := func(next func(http.ResponseWriter, *http.Request, signedIn)) http.HandlerFunc {
			return s.actingAs([]candour.Role{candour.RoleCaseworker, candour.RoleAdmin}, next)
		}
		mux.HandleFunc("GET /invitations", inviter(s.invitationsPage))
		mux.HandleFunc("POST /invitations", inviter(s.invite))
	}
	mux.HandleFunc("POST /records", s.caseworker(s.findBySubject))
	mux.HandleFunc("GET /records/{id}", s.caseworker(s.viewRecord))
	mux.HandleFunc("GET /records/{id}/withdraw", s.caseworker(s.withdrawConfirm))
	mux.HandleFunc("POST /records/{id}/withdraw", s.caseworker(s.withdraw))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { s.problem(w, r, http.StatusNotFound) })
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Info("cross-origin request refused", "request_id", requestID(r.Context()), "method", r.Method)
		s.problem(w, r, http.StatusForbidden)
	}))
	// The session is looked up outside the request wrapper, so that the
	// request the mux marks with its route pattern is the one it logs.
	s.handler = s.withSession(s.middleware(csrf.Handler(mux)))
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func requestID(ctx context.Context) string { return reqlog.ID(ctx) }

// contentSecurityPolicy allows the page's own stylesheet, scripts and
// images only: no inline script or style, no frames, forms posted only
// here.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// middleware sets the request id and security headers, recovers panics and
// logs one line per request (route pattern, never the path).
func (s *Server) middleware(next http.Handler) http.Handler {
	return reqlog.Wrap(s.log, reqlog.Options{
		Kind: "page",
		Headers: func(h http.Header, r *http.Request, _ string) {
			h.Set("Content-Security-Policy", contentSecurityPolicy)
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Cache-Control", "no-store")
			if r.TLS != nil || s.cfg.SecureCookies {
				h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
			}
		},
		Panic:   func(w http.ResponseWriter, r *http.Request) { s.problem(w, r, http.StatusInternalServerError) },
		Observe: s.cfg.Observe,
	}, next)
}

// signedIn is a request's signed-in person: the session and the principal.
type signedIn struct {
	session candour.Session
	// acting is the principal narrowed to the one role the page acts in.
	acting candour.Principal
}

// caseworker requires a session whose person holds the caseworker role,
// and acts in that role alone: no session sends the person to sign in; a
// person without the role gets the 403 page.
func (s *Server) caseworker(next func(http.ResponseWriter, *http.Request, signedIn)) http.HandlerFunc {
	return s.acting(candour.RoleCaseworker, next)
}

// analyst is caseworker for the analyst role.
func (s *Server) analyst(next func(http.ResponseWriter, *http.Request, signedIn)) http.HandlerFunc {
	return s.acting(candour.RoleAnalyst, next)
}

// acting requires a session whose person holds role and an agency, and
// acts in that role alone.
func (s *Server) acting(role candour.Role, next func(http.ResponseWriter, *http.Request, signedIn)) http.HandlerFunc {
	return s.actingAs([]candour.Role{role}, next)
}

// actingAs is acting for the first of roles the person holds.
func (s *Server) actingAs(roles []candour.Role, next func(http.ResponseWriter, *http.Request, signedIn)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.session(w, r)
		if !ok {
			return
		}
		i := slices.IndexFunc(roles, sess.Principal.Has)
		if i < 0 || sess.Principal.Agency == "" {
			s.problem(w, r, http.StatusForbidden)
			return
		}
		p := sess.Principal
		p.Roles = []candour.Role{roles[i]}
		next(w, r, signedIn{session: sess, acting: p})
	}
}

// found is a request's session look-up, done once per request by
// withSession and read by the handlers and by render.
type found struct {
	sess candour.Session
	ok   bool
	err  error
}

type sessionKey struct{}

// withSession looks the request's session up once (not for assets) and
// keeps what it found in the request's context.
func (s *Server) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/assets/") || r.URL.Path == "/favicon.ico" {
			next.ServeHTTP(w, r)
			return
		}
		var f found
		f.sess, f.ok, f.err = s.sessions.current(r)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, f)))
	})
}

// lookedUp returns what withSession found for r.
func lookedUp(r *http.Request) found {
	f, _ := r.Context().Value(sessionKey{}).(found)
	return f
}

// session returns the request's session in force; without one it sends the
// person to sign in (or shows the problem page when the store fails) and
// reports false.
func (s *Server) session(w http.ResponseWriter, r *http.Request) (candour.Session, bool) {
	f := lookedUp(r)
	sess, ok, err := f.sess, f.ok, f.err
	switch {
	case err != nil:
		s.fail(w, r, err)
	case !ok:
		http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
	}
	return sess, ok && err == nil
}

// caller is the Caller of a page acting for case management.
func (in signedIn) caller(r *http.Request) candour.Caller {
	return in.callerFor(r, candour.PurposeCaseManagement)
}

// callerFor is the Caller of a page acting for purpose.
func (in signedIn) callerFor(r *http.Request, purpose candour.Purpose) candour.Caller {
	return candour.Caller{Principal: in.acting, Purpose: purpose, RequestID: requestID(r.Context())}
}

// fail shows the page for err: 404 for a record refused or missing, 403
// for a refusal, 503 when a dependency is down, 500 otherwise (logged with
// the request id, never shown); a request whose client went away is only
// recorded and noted (reqlog.Abandoned).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	switch candour.ErrorCode(err) {
	case candour.ENOTFOUND:
		status = http.StatusNotFound
	case candour.EFORBIDDEN:
		status = http.StatusForbidden
	case candour.EUNAVAILABLE:
		status = http.StatusServiceUnavailable
	}
	if status >= 500 {
		if reqlog.Abandoned(w, r, err, s.log) {
			return
		}
		s.log.Error("page failed", "request_id", requestID(r.Context()), "route", r.Pattern, "err", err)
	}
	s.problem(w, r, status)
}
