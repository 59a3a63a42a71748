package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/internal/reqlog"
)

// The public pages: the person gives feedback through a one-time link, and
// takes it back with their receipt code. No account, no session, no cookie;
// every page in English or Welsh; "Exit this page" on each.
//
// Guarantees:
//   - the link's token is never logged (request lines name the route
//     pattern, never the path) and never sent to another site (no
//     referrer, no third-party request); an unknown, used and expired link
//     show the same page;
//   - nothing the person types is stored until they send it, and then only
//     sealed by the feedback service, like a caseworker's record;
//   - no IP address is stored or logged: the limits know a client only by
//     a keyed hash held in memory (limiter);
//   - a request over the limits is answered at once with a page saying so
//     (429), before any store or key is touched.

// CitizenService is the citizen channel of the feedback service
// (vault.Service).
type CitizenService interface {
	OpenInvitation(ctx context.Context, token string) (candour.Invitation, error)
	SubmitOwn(ctx context.Context, requestID, token string, own candour.OwnFeedback, notice string) (candour.OwnReceipt, error)
	WithdrawOwn(ctx context.Context, requestID, code string) (candour.Withdrawal, error)
}

// publicView is what every public page template gets.
type publicView struct {
	W     words
	Title string
	// Path is this page's address, for the language switch; Form, when
	// set, is the id of the page's form, and the switch then sends the
	// form (keeping what was typed) instead of following a link.
	Path, Form string
	Errors     []fieldError
	Data       any
	// Dev says, on a dev server, that it is not for real feedback.
	Dev bool
}

// publicPages are the public pages' templates, each with the public layout.
type publicPages struct {
	byName map[string]*template.Template
}

func loadPublicPages(a *assets) (*publicPages, error) {
	funcs := template.FuncMap{
		"asset":    func(name string) (string, error) { return a.path(name), nil },
		"itemID":   itemID,
		"errorFor": errorFor,
		"has":      func(list []string, v string) bool { return slices.Contains(list, v) },
		"dict":     dict,
		// list makes the options of a choice: value, words, value, words …
		"list": func(kv ...string) []option {
			var out []option
			for i := 0; i+1 < len(kv); i += 2 {
				out = append(out, option{Value: kv[i], Text: kv[i+1]})
			}
			return out
		},
	}
	layout, err := template.New("public-layout.html").Funcs(funcs).ParseFS(templateFS, "templates/public/public-layout.html")
	if err != nil {
		return nil, err
	}
	byName, err := eachPage(layout, "templates/public", "public-layout")
	return &publicPages{byName: byName}, err
}

// renderPublic writes a public page; a template error is logged and
// answered with the public error page.
func (s *Server) renderPublic(w http.ResponseWriter, r *http.Request, status int, name string, v publicView) {
	page, err := s.publicPage(name, v)
	if err != nil {
		s.log.Error("page template failed", "request_id", requestID(r.Context()), "page", name, "err", err)
		status = http.StatusInternalServerError
		v.Title, v.Data = v.W.T("error.title"), "error.body"
		if page, err = s.publicPage("public-message", v); err != nil {
			http.Error(w, "Sorry, there is a problem with the service.", status)
			return
		}
	}
	writePublic(w, status, v.W.Lang, page)
}

func (s *Server) publicPage(name string, v publicView) ([]byte, error) {
	v.Dev = len(s.cfg.DevPeople) > 0
	var buf bytes.Buffer
	err := s.public.byName[name].ExecuteTemplate(&buf, "public-layout.html", v)
	return buf.Bytes(), err
}

func writePublic(w http.ResponseWriter, status int, lang string, page []byte) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", lang)
	w.Header().Add("Vary", "Accept-Language")
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "60")
	}
	w.WriteHeader(status)
	w.Write(page)
}

// limitPages are the limit's page in each language, made once: a flood is
// answered without rendering anything. (Its language switch, "?lang=…",
// is the same address in the other language.)
func (s *Server) limitPages() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, tag := range languages {
		wd := s.msgs.in(tag.String())
		page, err := s.publicPage("public-message", publicView{W: wd, Title: wd.T("limit.title"), Data: "limit.body"})
		if err != nil {
			return nil, err
		}
		out[wd.Lang] = page
	}
	return out, nil
}

// overLimit answers a request over a limit with the limit's page.
func (s *Server) overLimit(w http.ResponseWriter, lang string) {
	lang = s.msgs.lang(lang)
	writePublic(w, http.StatusTooManyRequests, lang, s.limitPage[lang])
}

// words are the page's words in the language asked for, or else the one
// the browser prefers (Accept-Language), or else English.
func (s *Server) words(r *http.Request, asked string) words {
	return s.msgs.in(s.msgs.pick(asked, r.Header.Get("Accept-Language")))
}

// publicMessage shows a page of one heading and one paragraph (its message
// keys).
func (s *Server) publicMessage(w http.ResponseWriter, r *http.Request, status int, wd words, title, body string) {
	s.renderPublic(w, r, status, "public-message", publicView{W: wd, Title: wd.T(title), Path: r.URL.Path, Data: body})
}

// publicFailure answers an error of the feedback service on a public page
// (a request whose client went away: reqlog.Abandoned).
func (s *Server) publicFailure(w http.ResponseWriter, r *http.Request, wd words, err error) {
	if reqlog.Abandoned(w, r, err, s.log) {
		return
	}
	s.log.Error("public page failed", "request_id", requestID(r.Context()), "code", candour.ErrorCode(err))
	s.publicMessage(w, r, http.StatusServiceUnavailable, wd, "error.title", "error.body")
}

// limited wraps a public handler in the channel's limits and body limit.
func (s *Server) limited(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		done, ok := s.limits.enter(r)
		if !ok {
			s.overLimit(w, s.words(r, r.URL.Query().Get("lang")).Lang)
			return
		}
		defer done()
		r.Body = http.MaxBytesReader(w, r.Body, s.limits.cfg.MaxBody)
		next(w, r)
	}
}

// publicForm parses a public page's form: false, with the page written,
// when the body is too large or cannot be read.
func (s *Server) publicForm(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil {
		wd := s.words(r, r.URL.Query().Get("lang"))
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.publicMessage(w, r, http.StatusRequestEntityTooLarge, wd, "toolarge.title", "toolarge.body")
			return false
		}
		s.publicMessage(w, r, http.StatusBadRequest, wd, "error.title", "error.body")
		return false
	}
	return true
}

// ownForm is what the person has answered so far; it travels only in the
// form's fields between the two steps.
type ownForm struct {
	Step    string // consent, answers
	Agency  string
	Service string
	Period  string
	Subject bool
	// Partners are the agencies the person may let see insight: none for
	// a safeguarding interaction (partners see nothing of those).
	Partners []option
	Purposes []string
	Overall  string
	Safe     string
	Believed string
	Comment  string
}

// PartnerNames are the partners' names, for the consent hint.
func (f ownForm) PartnerNames() []string {
	names := make([]string, len(f.Partners))
	for i, p := range f.Partners {
		names[i] = p.Text
	}
	return names
}

// giveStart shows the first step: what happens to the person's words, and
// their consent.
func (s *Server) giveStart(w http.ResponseWriter, r *http.Request) {
	wd := s.words(r, r.URL.Query().Get("lang"))
	token := r.PathValue("token")
	inv, ok := s.openLink(w, r, wd, token)
	if !ok {
		return
	}
	s.renderGive(w, r, http.StatusOK, wd, s.ownFormFor(inv), nil)
}

// openLink opens the invitation token names, or shows the one page for a
// link that does not work (or the limit's page).
func (s *Server) openLink(w http.ResponseWriter, r *http.Request, wd words, token string) (candour.Invitation, bool) {
	h := sha256.Sum256([]byte(token))
	if !s.limits.allowLink(h[:]) {
		s.overLimit(w, wd.Lang)
		return candour.Invitation{}, false
	}
	inv, err := s.cfg.Citizen.OpenInvitation(r.Context(), token)
	switch {
	case candour.ErrorCode(err) == candour.ENOTFOUND:
		s.renderPublic(w, r, http.StatusNotFound, "public-gone", publicView{W: wd, Title: wd.T("gone.title"), Path: r.URL.Path})
		return candour.Invitation{}, false
	case err != nil:
		s.publicFailure(w, r, wd, err)
		return candour.Invitation{}, false
	}
	return inv, true
}

func (s *Server) ownFormFor(inv candour.Invitation) ownForm {
	cat := s.cfg.Catalogue.Catalogue()
	f := ownForm{Step: "consent", Agency: cat.AgencyName(inv.Agency), Service: cat.ServiceName(inv.Service),
		Period: inv.Period, Subject: inv.Subject}
	if inv.Sensitivity != candour.SensitivitySafeguarding {
		f.Partners = partnersOf(cat, inv.Agency)
	}
	return f
}

func (s *Server) renderGive(w http.ResponseWriter, r *http.Request, status int, wd words, f ownForm, errs []fieldError) {
	title := wd.T("service")
	if f.Step == "answers" {
		title = wd.T("answers.title")
	}
	s.renderPublic(w, r, status, "public-give", publicView{W: wd, Title: title, Path: r.URL.Path, Form: "give",
		Errors: errs, Data: f})
}

// giveStep answers the form of either step: the language switch (same
// step, other language, nothing lost), back, continue, or send.
func (s *Server) giveStep(w http.ResponseWriter, r *http.Request) {
	if !s.publicForm(w, r) {
		return
	}
	wd := s.words(r, r.PostFormValue("lang"))
	if sw := r.PostFormValue("switch"); sw != "" {
		wd = s.msgs.in(sw)
	}
	token := r.PathValue("token")
	inv, ok := s.openLink(w, r, wd, token)
	if !ok {
		return
	}
	f := s.ownFormFor(inv)
	f.Purposes = r.PostForm["purpose"]
	f.Overall, f.Safe, f.Believed = r.PostFormValue("overall"), r.PostFormValue("safe"), r.PostFormValue("believed")
	f.Comment = r.PostFormValue("comment")
	if step := r.PostFormValue("step"); step == "answers" {
		f.Step = step
	}
	switch {
	case r.PostFormValue("switch") != "":
		s.renderGive(w, r, http.StatusOK, wd, f, nil)
		return
	case f.Step == "answers" && r.PostFormValue("back") != "":
		f.Step = "consent"
		s.renderGive(w, r, http.StatusOK, wd, f, nil)
		return
	}
	purposes, errs := s.ownPurposes(wd, f)
	if len(errs) > 0 {
		f.Step = "consent"
		s.renderGive(w, r, http.StatusBadRequest, wd, f, errs)
		return
	}
	if f.Step == "consent" {
		f.Step = "answers"
		s.renderGive(w, r, http.StatusOK, wd, f, nil)
		return
	}
	ratings, errs := ownRatings(wd, f)
	if len(errs) > 0 {
		s.renderGive(w, r, http.StatusBadRequest, wd, f, errs)
		return
	}
	own := candour.OwnFeedback{Purposes: purposes, Ratings: ratings, Comment: strings.TrimSpace(f.Comment)}
	if slices.Contains(purposes, candour.PurposeInterAgency) {
		for _, p := range f.Partners {
			own.ShareWith = append(own.ShareWith, p.Value)
		}
	}
	rc, err := s.cfg.Citizen.SubmitOwn(r.Context(), requestID(r.Context()), token, own, s.cfg.CitizenNotice)
	switch {
	case candour.ErrorCode(err) == candour.ENOTFOUND:
		s.renderPublic(w, r, http.StatusNotFound, "public-gone", publicView{W: wd, Title: wd.T("gone.title"), Path: r.URL.Path})
		return
	case candour.ErrorCode(err) == candour.EINVALID:
		s.renderGive(w, r, http.StatusBadRequest, wd, f, []fieldError{{"comment", wd.T("answers.error.long")}})
		return
	case err != nil:
		s.publicFailure(w, r, wd, err)
		return
	}
	s.log.Info("feedback given through an invitation", "request_id", requestID(r.Context()))
	s.renderPublic(w, r, http.StatusOK, "public-done", publicView{W: wd, Title: wd.T("done.title"), Path: "/withdraw",
		Data: struct{ Code, Withdraw string }{rc.Code, s.cfg.PublicURL + "/withdraw"}})
}

// ownPurposes reads the consent step: at least one purpose, from those
// offered.
func (s *Server) ownPurposes(wd words, f ownForm) ([]candour.Purpose, []fieldError) {
	offered := []string{string(candour.PurposeServiceImprovement), string(candour.PurposeResearch)}
	if len(f.Partners) > 0 {
		offered = append(offered, string(candour.PurposeInterAgency))
	}
	var out []candour.Purpose
	for _, p := range f.Purposes {
		if !slices.Contains(offered, p) || slices.Contains(out, candour.Purpose(p)) {
			return nil, []fieldError{{"purpose", wd.T("consent.error")}}
		}
		out = append(out, candour.Purpose(p))
	}
	if len(out) == 0 {
		return nil, []fieldError{{"purpose", wd.T("consent.error")}}
	}
	return out, nil
}

// ownRatings reads the answers step: at least one answer or a comment, and
// only the answers offered.
func ownRatings(wd words, f ownForm) (candour.Ratings, []fieldError) {
	var (
		r    candour.Ratings
		errs []fieldError
	)
	if f.Overall != "" {
		n, err := strconv.Atoi(f.Overall)
		if err != nil || n < 1 || n > 5 {
			errs = append(errs, fieldError{"overall", wd.T("answers.error.choice")})
		} else {
			r.Satisfaction = &n
		}
	}
	for _, a := range []struct {
		field, v string
		to       *string
	}{{"safe", f.Safe, &r.FeltSafe}, {"believed", f.Believed, &r.FeltBelieved}} {
		switch a.v {
		case "", "yes", "partly", "no":
			*a.to = a.v
		default:
			errs = append(errs, fieldError{a.field, wd.T("answers.error.choice")})
		}
	}
	comment := strings.TrimSpace(f.Comment)
	switch {
	case len(comment) > candour.MaxCommentBytes || !utf8.ValidString(comment):
		errs = append(errs, fieldError{"comment", wd.T("answers.error.long")})
	case len(errs) == 0 && r.Empty() && comment == "":
		errs = append(errs, fieldError{"overall", wd.T("answers.error.empty")})
	}
	return r, errs
}

// withdrawForm shows the page where the person types their receipt code.
func (s *Server) withdrawForm(w http.ResponseWriter, r *http.Request) {
	wd := s.words(r, r.URL.Query().Get("lang"))
	s.renderPublic(w, r, http.StatusOK, "public-withdraw", publicView{W: wd, Title: wd.T("withdraw.title"), Path: r.URL.Path, Form: "withdraw"})
}

// withdrawOwn takes the person's feedback back with their receipt code.
func (s *Server) withdrawOwn(w http.ResponseWriter, r *http.Request) {
	if !s.publicForm(w, r) {
		return
	}
	wd := s.words(r, r.PostFormValue("lang"))
	code := r.PostFormValue("code")
	if sw := r.PostFormValue("switch"); sw != "" {
		wd = s.msgs.in(sw)
		s.renderPublic(w, r, http.StatusOK, "public-withdraw", publicView{W: wd, Title: wd.T("withdraw.title"), Path: r.URL.Path,
			Form: "withdraw", Data: code})
		return
	}
	// Guessing codes is held to a link's pace, per client.
	if !s.limits.allowLink([]byte("withdraw:" + s.limits.client(r))) {
		s.overLimit(w, wd.Lang)
		return
	}
	fail := func(key string) {
		s.renderPublic(w, r, http.StatusBadRequest, "public-withdraw", publicView{W: wd, Title: wd.T("withdraw.title"), Path: r.URL.Path,
			Form: "withdraw", Data: code, Errors: []fieldError{{"code", wd.T(key)}}})
	}
	_, err := s.cfg.Citizen.WithdrawOwn(r.Context(), requestID(r.Context()), code)
	switch candour.ErrorCode(err) {
	case "":
		s.publicMessage(w, r, http.StatusOK, wd, "withdrawn.title", "withdrawn.done")
	case candour.EINVALID:
		fail("withdraw.error.format")
	case candour.ENOTFOUND:
		fail("withdraw.error.unknown")
	case candour.ECONFLICT:
		s.publicMessage(w, r, http.StatusOK, wd, "withdrawn.title", "withdrawn.already")
	default:
		s.publicFailure(w, r, wd, err)
	}
}
