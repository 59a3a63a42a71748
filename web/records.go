package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/candour-vault/candour"
)

// findPage is what the list of records shows.
type findPage struct {
	Month, Year, Service string
	Mine                 bool
	// BySubject is set for a search by subject reference: the reference is
	// kept only in the form (POST), never in a link.
	BySubject      bool
	SubjectRef     string
	ServiceOptions []option
	// Me is the signed-in person's subject, to say which records they
	// recorded.
	Me   string
	List candour.RecordList
	// NextURL pages on a filtered list; a search by subject pages with a
	// form instead.
	NextURL string
	Cursor  string
}

// pageSize is how many records a page of the list shows.
const pageSize = 20

// findRecords lists the caseworker's agency's records, newest first, with
// the filters of the query string (month, service, mine).
func (s *Server) findRecords(w http.ResponseWriter, r *http.Request, in signedIn) {
	q := r.URL.Query()
	p := findPage{Month: q.Get("month"), Year: q.Get("year"), Service: q.Get("service"), Mine: q.Get("mine") == "yes"}
	lq := candour.ListQuery{Service: p.Service, Mine: p.Mine, Cursor: q.Get("cursor"), Limit: pageSize}
	var errs []fieldError
	if p.Month+p.Year != "" {
		d := draft{Month: p.Month, Year: p.Year}
		if period, ok := d.period(); ok {
			lq.Period = period
		} else {
			errs = append(errs, fieldError{"month", "Month must be a real month, for example 10 2026"})
		}
	}
	s.showList(w, r, in, p, lq, errs)
}

// findBySubject lists the records about one subject: the reference comes
// in the body, is hashed by the service, and is never put into a URL.
func (s *Server) findBySubject(w http.ResponseWriter, r *http.Request, in signedIn) {
	if !s.readForm(w, r) {
		return
	}
	ref, errs := subjectRef(r)
	p := findPage{BySubject: true, SubjectRef: ref}
	s.showList(w, r, in, p, candour.ListQuery{SubjectRef: ref, Cursor: r.PostForm.Get("cursor"), Limit: pageSize}, errs)
}

func (s *Server) showList(w http.ResponseWriter, r *http.Request, in signedIn, p findPage, lq candour.ListQuery, errs []fieldError) {
	p.ServiceOptions = serviceOptions(s.cfg.Catalogue.Catalogue().ServicesOf(in.acting.Agency))
	p.Me = in.acting.Subject
	title := "Find a record"
	if len(errs) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, "records", view{Title: "Error: " + title, Nav: "records", Errors: errs, Data: p})
		return
	}
	list, err := s.cfg.Feedback.List(r.Context(), in.caller(r), lq)
	if candour.ErrorCode(err) == candour.EINVALID {
		// Only a cursor can get here (the form checks the rest): start over.
		lq.Cursor = ""
		list, err = s.cfg.Feedback.List(r.Context(), in.caller(r), lq)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.List = list
	if list.Next != "" {
		if p.BySubject {
			p.Cursor = list.Next
		} else {
			v := url.Values{}
			for k, val := range map[string]string{"month": p.Month, "year": p.Year, "service": p.Service} {
				if val != "" {
					v.Set(k, val)
				}
			}
			if p.Mine {
				v.Set("mine", "yes")
			}
			v.Set("cursor", list.Next)
			p.NextURL = "/records?" + v.Encode()
		}
	}
	s.render(w, r, http.StatusOK, "records", view{Title: title, Nav: "records", Data: p})
}

// viewRecord shows one record, read for case management (the read is
// audited by the service before anything is shown).
func (s *Server) viewRecord(w http.ResponseWriter, r *http.Request, in signedIn) {
	f, err := s.cfg.Feedback.Read(r.Context(), in.caller(r), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "record-view", view{Title: "Feedback record", Nav: "records", Exit: true,
		Data: recordPage{F: f, Methods: consentMethods, Ternary: ternary, Corrected: r.URL.Query().Get("corrected") == "yes",
			CanCorrect: s.cfg.Lifecycle != nil}})
}

// recordPage is what a record's page shows, with the words for its values.
type recordPage struct {
	F                candour.Feedback
	Methods, Ternary []option
	// Corrected shows the banner of a correction just saved; CanCorrect
	// offers the correction page.
	Corrected, CanCorrect bool
}

// withdrawConfirm asks the caseworker to confirm a withdrawal. It reads
// nothing: the record's id is all it shows.
func (s *Server) withdrawConfirm(w http.ResponseWriter, r *http.Request, in signedIn) {
	id := r.PathValue("id")
	if !validID(id) {
		s.problem(w, r, http.StatusNotFound)
		return
	}
	s.render(w, r, http.StatusOK, "withdraw", view{Title: "Are you sure you want to withdraw this feedback?", Nav: "records", Exit: true, Data: id})
}

// withdraw records the withdrawal of consent and shows its receipt.
func (s *Server) withdraw(w http.ResponseWriter, r *http.Request, in signedIn) {
	id := r.PathValue("id")
	wd, err := s.cfg.Feedback.Withdraw(r.Context(), in.caller(r), id)
	if candour.ErrorCode(err) == candour.ECONFLICT {
		s.render(w, r, http.StatusOK, "withdrawn", view{Title: "This feedback was already withdrawn", Nav: "records", Data: withdrawnPage{ID: id, Already: true}})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "withdrawn", view{Title: "Feedback withdrawn", Nav: "records", Data: withdrawnPage{ID: id, W: wd}})
}

type withdrawnPage struct {
	ID      string
	Already bool
	W       candour.Withdrawal
}

// validID reports whether id has the shape of a record id (a UUID), so
// that nothing else is echoed into a page.
func validID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i, c := range id {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f'):
			return false
		}
	}
	return true
}

// readForm parses a small posted form (8 KiB at most).
func (s *Server) readForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		s.problem(w, r, http.StatusRequestEntityTooLarge)
		return false
	}
	return true
}

// subjectRef reads and checks the subject reference of a posted form.
func subjectRef(r *http.Request) (string, []fieldError) {
	ref := strings.TrimSpace(r.PostForm.Get("subject-ref"))
	switch {
	case ref == "":
		return "", []fieldError{{"subject-ref", "Enter the subject reference"}}
	case len(ref) > candour.MaxSubjectRefBytes:
		return ref, []fieldError{{"subject-ref", "Subject reference must be 128 characters or fewer"}}
	}
	return ref, nil
}
