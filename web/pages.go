package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/candour-vault/candour"
)

//go:embed templates
var templateFS embed.FS

// pages holds one parsed template per page, each with the layout.
type pages struct {
	byName map[string]*template.Template
}

// loadPages parses the templates; names gives the catalogue in force, for
// the serviceName and agencyName functions (the policy can be reloaded).
func loadPages(a *assets, names func() candour.Catalogue) (*pages, error) {
	funcs := template.FuncMap{
		"serviceName": func(id string) string { return names().ServiceName(id) },
		"agencyName":  func(id string) string { return names().AgencyName(id) },
		"asset": func(name string) (string, error) {
			if p := a.path(name); p != "" {
				return p, nil
			}
			return "", fmt.Errorf("no asset %q", name)
		},
		"month": monthName,
		// oneDecimal writes a mean the page holds by pointer as the summary
		// table does (nil, withheld: nothing).
		"oneDecimal": func(x *float64) string { return formatOr(x, oneDecimal, "") },
		// themeName writes a comment theme's id (being_believed) as words
		// (Being believed).
		"themeName": func(id string) string {
			words := strings.ReplaceAll(id, "_", " ")
			if words == "" {
				return ""
			}
			return strings.ToUpper(words[:1]) + words[1:]
		},
		"date":       func(t time.Time) string { return t.UTC().Format("2 January 2006") },
		"datetime":   func(t time.Time) string { return t.UTC().Format("2 January 2006 at 15:04 UTC") },
		"purpose":    purposeText,
		"channel":    func(c string) string { return labelOf(channels, c) },
		"touchpoint": func(t string) string { return labelOf(touchpoints, t) },
		"answer":     func(list []option, v string) string { return labelOf(list, v) },
		"sensitivity": func(v candour.Sensitivity) string {
			return labelOf(sensitivities, string(v))
		},
		"contains": func(list []string, v string) bool {
			for _, x := range list {
				if x == v {
					return true
				}
			}
			return false
		},
		"errorFor":     errorFor,
		"itemID":       itemID,
		"lower":        strings.ToLower,
		"actionWords":  actionWords,
		"outcomeWords": outcomeWords,
		"roleWords":    roleWords,
		"purposeWords": requestPurposeWords,
		"upcomingTotal": func(m map[string]int) int {
			n := 0
			for _, v := range m {
				n += v
			}
			return n
		},
		// dict builds the argument of a shared part: dict "Name" "x" "Value" y.
		"dict": dict,
		"add":  func(a, b int) int { return a + b },
		// svg marks an SVG drawn by internal/qrsvg as safe to put inline:
		// it holds no script, style or link, and its one text is escaped.
		"svg": func(s string) template.HTML { return template.HTML(s) },
		"notAsked": func(list []option) []option {
			return append(slices.Clone(list), option{Value: "", Text: "Not asked or no answer"})
		},
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html")
	if err != nil {
		return nil, err
	}
	byName, err := eachPage(layout, "templates", "layout", "parts")
	return &pages{byName: byName}, err
}

// eachPage parses every template of dir (but those named in skip) into its
// own copy of layout, by name without ".html".
func eachPage(layout *template.Template, dir string, skip ...string) (map[string]*template.Template, error) {
	files, err := fs.Glob(templateFS, dir+"/*.html")
	if err != nil {
		return nil, err
	}
	byName := map[string]*template.Template{}
	for _, n := range files {
		base := strings.TrimSuffix(strings.TrimPrefix(n, dir+"/"), ".html")
		if slices.Contains(skip, base) {
			continue
		}
		t, err := layout.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(templateFS, n); err != nil {
			return nil, err
		}
		byName[base] = t
	}
	return byName, nil
}

// errorFor is the message of the form's error on field, if any.
func errorFor(errs []fieldError, field string) string {
	for _, e := range errs {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// itemID is the id of a choice's item i: name for the first (which the
// error summary links to), name-2, name-3 … after.
func itemID(name string, i int) string {
	if i == 0 {
		return name
	}
	return fmt.Sprintf("%s-%d", name, i+1)
}

// dict builds the argument of a shared part: dict "Name" "x" "Value" y.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := map[string]any{}
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// view is what every page template gets.
type view struct {
	Title string
	// Nav names the navigation item of this page ("record", "records").
	Nav string
	// Person is the signed-in person, nil when no one is.
	Person *candour.Principal
	Dev    bool
	// Invite shows the feedback links' navigation item (the citizen
	// channel is on).
	Invite bool
	// Exit shows "Exit this page", for pages where the person may be at
	// risk where the form is filled in.
	Exit   bool
	Errors []fieldError
	Data   any
}

// fieldError is one problem with a form, linked from the error summary to
// the field by its id.
type fieldError struct {
	Field, Message string
}

// render writes a page. A template error is logged and answered with the
// 500 page, never with half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	if f := lookedUp(r); v.Person == nil && f.ok {
		v.Person = &f.sess.Principal
	}
	v.Dev = len(s.cfg.DevPeople) > 0
	v.Invite = s.cfg.Invitations != nil
	t, ok := s.pages.byName[name]
	var buf bytes.Buffer
	if ok {
		if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
			s.log.Error("page template failed", "request_id", requestID(r.Context()), "page", name, "err", err)
			ok = false
		}
	}
	if !ok {
		buf.Reset()
		status = http.StatusInternalServerError
		if err := s.pages.byName["problem"].ExecuteTemplate(&buf, "layout.html", view{Title: "Sorry, there is a problem with the service",
			Data: problemText(status), Dev: v.Dev}); err != nil {
			http.Error(w, "Sorry, there is a problem with the service.", status)
			return
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// problemPage is what a problem page says: what happened and what to do.
type problemPage struct {
	Status  int
	Heading string
	Lines   []string
}

func problemText(status int) problemPage {
	switch status {
	case http.StatusNotFound:
		return problemPage{status, "Page not found", []string{
			"If you typed the web address, check it is correct.",
			"If you followed a link to a record, the record may have been withdrawn or erased, or it may not be one your agency holds.",
			"You can find your agency's records from the list of records."}}
	case http.StatusForbidden:
		return problemPage{status, "You cannot use this page", []string{
			"Your sign-in does not give you access to this page, or the request did not come from a Candour page.",
			"If you think you should have access, ask your agency's Candour administrator to check your role.",
			"Go back to the start page to see what you can do."}}
	case http.StatusServiceUnavailable:
		return problemPage{status, "Sorry, the service is unavailable", []string{
			"Part of the service is not answering at the moment. Nothing was stored or shown.",
			"Try again in a few minutes."}}
	case http.StatusRequestEntityTooLarge:
		return problemPage{status, "What you sent is too large", []string{
			"A comment can be up to 16,000 characters. Nothing was stored.",
			"Go back, shorten the comment and try again."}}
	default:
		return problemPage{http.StatusInternalServerError, "Sorry, there is a problem with the service", []string{
			"Nothing was stored unless you saw a confirmation page.",
			"Try again later."}}
	}
}

// problem shows the page for an error status.
func (s *Server) problem(w http.ResponseWriter, r *http.Request, status int) {
	p := problemText(status)
	if p.Status != status {
		status = p.Status
	}
	s.render(w, r, status, "problem", view{Title: p.Heading, Data: p})
}
