package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/candour-vault/candour"
)

// draft is a record being filled in. It lives only in the form: each step
// carries the other steps' answers as hidden fields, so nothing is stored
// on the server until the caseworker confirms, and then only sealed.
type draft struct {
	Purposes, ShareWith                                     []string
	Method, Notice, ExpDay, ExpMonth, ExpYear               string
	Service, Touchpoint, Channel, Month, Year               string
	Satisfaction, Effort, FeltSafe, FeltBelieved, Recommend string
	Comment                                                 string
	AgeBand, Sex, Ethnic, Disability                        string
	Sensitivity, SubjectRef                                 string
	// Key makes the final submission idempotent: sending the confirmed
	// form twice (a double click, a refresh) records it once.
	Key string
}

// The steps of the record journey.
const (
	stepConsent = "consent"
	stepDetails = "details"
	stepCheck   = "check"
)

// fields lists a draft's form fields: name and values, in form order.
func (d *draft) fields() []struct {
	Name   string
	Values *[]string
	Value  *string
} {
	type f = struct {
		Name   string
		Values *[]string
		Value  *string
	}
	return []f{
		{"purposes", &d.Purposes, nil}, {"share-with", &d.ShareWith, nil},
		{"method", nil, &d.Method}, {"notice", nil, &d.Notice},
		{"expires-day", nil, &d.ExpDay}, {"expires-month", nil, &d.ExpMonth}, {"expires-year", nil, &d.ExpYear},
		{"service", nil, &d.Service}, {"touchpoint", nil, &d.Touchpoint}, {"channel", nil, &d.Channel},
		{"period-month", nil, &d.Month}, {"period-year", nil, &d.Year},
		{"satisfaction", nil, &d.Satisfaction}, {"effort", nil, &d.Effort}, {"felt-safe", nil, &d.FeltSafe},
		{"felt-believed", nil, &d.FeltBelieved}, {"recommend", nil, &d.Recommend}, {"comment", nil, &d.Comment},
		{"age-band", nil, &d.AgeBand}, {"sex", nil, &d.Sex}, {"ethnic-group", nil, &d.Ethnic}, {"disability", nil, &d.Disability},
		{"sensitivity", nil, &d.Sensitivity}, {"subject-ref", nil, &d.SubjectRef}, {"key", nil, &d.Key},
	}
}

// stepFields are the fields each step shows; the rest travel hidden.
var stepFields = map[string][]string{
	stepConsent: {"purposes", "share-with", "method", "notice", "expires-day", "expires-month", "expires-year"},
	stepDetails: {"service", "touchpoint", "channel", "period-month", "period-year", "satisfaction", "effort",
		"felt-safe", "felt-believed", "recommend", "comment", "age-band", "sex", "ethnic-group", "disability",
		"sensitivity", "subject-ref"},
	stepCheck: {},
}

func readDraft(form url.Values) draft {
	var d draft
	for _, f := range d.fields() {
		if f.Values != nil {
			*f.Values = form[f.Name]
		} else {
			*f.Value = form.Get(f.Name)
		}
	}
	d.Comment = strings.ReplaceAll(d.Comment, "\r\n", "\n")
	return d
}

// hiddenField is one hidden input of a step.
type hiddenField struct{ Name, Value string }

// hidden returns the draft's answers that the step does not show.
func (d *draft) hidden(step string) []hiddenField {
	var out []hiddenField
	for _, f := range d.fields() {
		if slices.Contains(stepFields[step], f.Name) {
			continue
		}
		if f.Values != nil {
			for _, v := range *f.Values {
				out = append(out, hiddenField{f.Name, v})
			}
		} else if *f.Value != "" {
			out = append(out, hiddenField{f.Name, *f.Value})
		}
	}
	return out
}

func (d *draft) covers(p candour.Purpose) bool { return slices.Contains(d.Purposes, string(p)) }

// checkConsent returns the problems of the consent step, one per field.
func (d *draft) checkConsent(c candour.Catalogue, agency string, now time.Time) []fieldError {
	var errs []fieldError
	if len(d.Purposes) == 0 {
		errs = append(errs, fieldError{"purposes", "Select what the person agreed their feedback can be used for"})
	}
	for _, p := range d.Purposes {
		if !inOptions(consentPurposes, p) {
			errs = append(errs, fieldError{"purposes", "Select purposes from the list"})
			break
		}
	}
	partners := partnersOf(c, agency)
	for _, a := range d.ShareWith {
		if !inOptions(partners, a) {
			errs = append(errs, fieldError{"share-with", "Select partner agencies from the list"})
			break
		}
	}
	if len(d.ShareWith) > 0 && !d.covers(candour.PurposeInterAgency) {
		errs = append(errs, fieldError{"share-with", "Select ‘Sharing insight with partner agencies’ as well, or clear the partner agencies"})
	}
	if !inOptions(consentMethods, d.Method) {
		errs = append(errs, fieldError{"method", "Select how the person gave consent"})
	}
	switch {
	case strings.TrimSpace(d.Notice) == "":
		errs = append(errs, fieldError{"notice", "Enter the version of the privacy notice the person was given"})
	case !validNotice(strings.TrimSpace(d.Notice)):
		errs = append(errs, fieldError{"notice", "Notice version must be letters, numbers, dots, hyphens or underscores, for example 2026-01"})
	}
	if d.ExpDay+d.ExpMonth+d.ExpYear != "" {
		t, ok := dateOf(d.ExpDay, d.ExpMonth, d.ExpYear)
		switch {
		case !ok:
			errs = append(errs, fieldError{"expires-day", "Consent end date must be a real date, for example 31 3 2027"})
		case !t.After(now):
			errs = append(errs, fieldError{"expires-day", "Consent end date must be in the future"})
		}
	}
	return errs
}

func validNotice(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || i > 0 && strings.ContainsRune("._-", r)
		if !ok {
			return false
		}
	}
	return true
}

func dateOf(day, month, year string) (time.Time, bool) {
	d, err1 := strconv.Atoi(strings.TrimSpace(day))
	m, err2 := strconv.Atoi(strings.TrimSpace(month))
	y, err3 := strconv.Atoi(strings.TrimSpace(year))
	if err1 != nil || err2 != nil || err3 != nil || y < 2000 || y > 2200 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d || int(t.Month()) != m {
		return time.Time{}, false
	}
	return t, true
}

// checkDetails returns the problems of the details step, one per field.
func (d *draft) checkDetails(c candour.Catalogue, agency string, now time.Time) []fieldError {
	var errs []fieldError
	add := func(field, msg string) { errs = append(errs, fieldError{field, msg}) }
	if s, ok := c.Service(d.Service); !ok || s.Agency != agency {
		add("service", "Select the service the feedback is about")
	}
	if d.Touchpoint != "" && !inOptions(touchpoints, d.Touchpoint) {
		add("touchpoint", "Select the point in the service from the list")
	}
	if d.Channel != "" && !inOptions(channels, d.Channel) {
		add("channel", "Select how the person was in touch from the list")
	}
	period, ok := d.period()
	switch {
	case !ok:
		add("period-month", "Month of the interaction must be a real month, for example 10 2026")
	case period > now.UTC().Format("2006-01"):
		add("period-month", "Month of the interaction must be this month or earlier")
	case period < "2000-01":
		add("period-month", "Month of the interaction must be in 2000 or later")
	}
	for _, r := range []struct{ field, value, what string }{
		{"satisfaction", d.Satisfaction, "satisfaction"}, {"effort", d.Effort, "effort"},
		{"felt-safe", d.FeltSafe, "whether they felt safe"}, {"felt-believed", d.FeltBelieved, "whether they felt believed"},
		{"recommend", d.Recommend, "how likely they are to recommend the service"},
	} {
		if r.value != "" && !validAnswer(r.field, r.value) {
			add(r.field, "Select an answer for "+r.what+" from the list")
		}
	}
	if d.ratings().Empty() && strings.TrimSpace(d.Comment) == "" {
		add("satisfaction", "Give at least one answer or a comment")
	}
	switch {
	case !utf8.ValidString(d.Comment):
		add("comment", "Comment must be plain text")
	case len(d.Comment) > candour.MaxCommentBytes:
		add("comment", fmt.Sprintf("Comment must be %d characters or fewer", candour.MaxCommentBytes))
	}
	if d.covers(candour.PurposeEqualityMonitoring) {
		for _, e := range []struct {
			field, value string
			list         []option
		}{{"age-band", d.AgeBand, ageBands}, {"sex", d.Sex, sexes}, {"ethnic-group", d.Ethnic, ethnicGroups}, {"disability", d.Disability, disabilities}} {
			if e.value != "" && !inOptions(e.list, e.value) {
				add(e.field, "Select an answer from the list")
			}
		}
	}
	if d.Sensitivity != "" && !inOptions(sensitivities, d.Sensitivity) {
		add("sensitivity", "Select how sensitive the feedback is")
	}
	ref := strings.TrimSpace(d.SubjectRef)
	if len(ref) > candour.MaxSubjectRefBytes || !utf8.ValidString(ref) {
		add("subject-ref", fmt.Sprintf("Subject reference must be %d characters or fewer", candour.MaxSubjectRefBytes))
	}
	return errs
}

func validAnswer(field, v string) bool {
	switch field {
	case "satisfaction", "effort":
		return inOptions(scale5, v)
	case "recommend":
		return inOptions(scale10, v)
	}
	return inOptions(ternary, v)
}

func (d *draft) period() (string, bool) {
	m, err1 := strconv.Atoi(strings.TrimSpace(d.Month))
	y, err2 := strconv.Atoi(strings.TrimSpace(d.Year))
	if err1 != nil || err2 != nil || m < 1 || m > 12 || y < 1000 || y > 9999 {
		return "", false
	}
	return fmt.Sprintf("%04d-%02d", y, m), true
}

func (d *draft) ratings() candour.Ratings {
	num := func(s string) *int {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil
		}
		return &n
	}
	return candour.Ratings{Satisfaction: num(d.Satisfaction), Effort: num(d.Effort), FeltSafe: d.FeltSafe,
		FeltBelieved: d.FeltBelieved, WouldRecommend: num(d.Recommend)}
}

// feedback is the record the confirmed draft makes.
func (d *draft) feedback() candour.Feedback {
	period, _ := d.period()
	f := candour.Feedback{Service: d.Service, Touchpoint: d.Touchpoint, Channel: d.Channel, Period: period,
		Ratings: d.ratings(), Comment: strings.TrimSpace(d.Comment), SubjectRef: strings.TrimSpace(d.SubjectRef),
		Sensitivity: candour.Sensitivity(d.Sensitivity),
		Consent:     candour.Consent{Method: d.Method, NoticeVersion: strings.TrimSpace(d.Notice), ShareWith: d.ShareWith}}
	for _, p := range d.Purposes {
		f.Consent.Purposes = append(f.Consent.Purposes, candour.Purpose(p))
	}
	if t, ok := dateOf(d.ExpDay, d.ExpMonth, d.ExpYear); ok {
		f.Consent.ExpiresAt = &t
	}
	if d.covers(candour.PurposeEqualityMonitoring) && d.AgeBand+d.Sex+d.Ethnic+d.Disability != "" {
		f.Equality = &candour.Equality{AgeBand: d.AgeBand, Sex: d.Sex, EthnicGroup: d.Ethnic, Disability: d.Disability}
	}
	return f
}

// digest is the hash of the draft's answers, so that a key sent again with
// other answers is refused rather than replayed.
func (d *draft) digest() []byte {
	h := sha256.New()
	for _, f := range d.fields() {
		if f.Name == "key" {
			continue
		}
		fmt.Fprintf(h, "%s\x00", f.Name)
		if f.Values != nil {
			for _, v := range *f.Values {
				fmt.Fprintf(h, "%d:%s\x00", len(v), v)
			}
		} else {
			fmt.Fprintf(h, "%d:%s\x00", len(*f.Value), *f.Value)
		}
	}
	return h.Sum(nil)
}

func partnersOf(c candour.Catalogue, agency string) []option {
	a, _ := c.Agency(agency)
	var out []option
	for _, id := range a.Partners {
		p, _ := c.Agency(id)
		name := p.Name
		if name == "" {
			name = id
		}
		out = append(out, option{Value: id, Text: name})
	}
	return out
}

// recordForm is what the record pages show.
type recordForm struct {
	Step           string
	Draft          draft
	Hidden         []hiddenField
	Partners       []option
	ServiceOptions []option
	Years          string
	Check          *candour.Feedback
	// Options for the templates.
	Purposes, Methods, Channels, Touchpoints, Scale5, Scale10, Ternary []option
	AgeBands, Sexes, EthnicGroups, Disabilities, Sensitivities         []option
}

func (s *Server) recordView(in signedIn, step string, d draft, errs []fieldError) view {
	cat := s.cfg.Catalogue.Catalogue()
	f := recordForm{Step: step, Draft: d, Hidden: d.hidden(step), Partners: partnersOf(cat, in.acting.Agency),
		ServiceOptions: serviceOptions(cat.ServicesOf(in.acting.Agency)),
		Purposes:       consentPurposes, Methods: consentMethods, Channels: channels, Touchpoints: touchpoints,
		Scale5: scale5, Scale10: scale10, Ternary: ternary, AgeBands: ageBands, Sexes: sexes,
		EthnicGroups: ethnicGroups, Disabilities: disabilities, Sensitivities: sensitivities}
	titles := map[string]string{stepConsent: "What the person agreed to", stepDetails: "About the feedback", stepCheck: "Check the feedback before you record it"}
	if step == stepCheck {
		fb := d.feedback()
		f.Check = &fb
	}
	title := titles[step]
	if len(errs) > 0 {
		title = "Error: " + title
	}
	return view{Title: title, Nav: "record", Exit: true, Errors: errs, Data: f}
}

// recordStart shows the consent step of a new record, with this month and
// the caseworker's last service filled in.
func (s *Server) recordStart(w http.ResponseWriter, r *http.Request, in signedIn) {
	now := s.now().UTC()
	d := draft{Notice: s.cfg.NoticeVersion, Month: strconv.Itoa(int(now.Month())), Year: strconv.Itoa(now.Year()),
		Service: in.session.LastService, Sensitivity: string(candour.SensitivityStandard)}
	s.render(w, r, http.StatusOK, "record", s.recordView(in, stepConsent, d, nil))
}

// recordStep moves the journey on: the step posted is checked, and either
// shown again with its errors (everything typed kept), or the next step is
// shown. "goto" goes back to a step from the check page.
func (s *Server) recordStep(w http.ResponseWriter, r *http.Request, in signedIn) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.problem(w, r, http.StatusRequestEntityTooLarge)
		return
	}
	d := readDraft(r.PostForm)
	cat := s.cfg.Catalogue.Catalogue()
	now := s.now().UTC()
	if to := r.PostForm.Get("goto"); to == stepConsent || to == stepDetails {
		s.render(w, r, http.StatusOK, "record", s.recordView(in, to, d, nil))
		return
	}
	switch r.PostForm.Get("step") {
	case stepConsent:
		if errs := d.checkConsent(cat, in.acting.Agency, now); len(errs) > 0 {
			s.render(w, r, http.StatusUnprocessableEntity, "record", s.recordView(in, stepConsent, d, errs))
			return
		}
		s.render(w, r, http.StatusOK, "record", s.recordView(in, stepDetails, d, nil))
	case stepDetails:
		if !s.draftComplete(w, r, in, d) {
			return
		}
		if d.Key == "" {
			d.Key = newKey()
		}
		s.render(w, r, http.StatusOK, "record", s.recordView(in, stepCheck, d, nil))
	case stepCheck:
		s.recordConfirm(w, r, in, d)
	default:
		s.recordStart(w, r, in)
	}
}

// draftComplete checks both steps of d; at the first with problems it shows
// that step again with them, everything kept, and reports false.
func (s *Server) draftComplete(w http.ResponseWriter, r *http.Request, in signedIn, d draft) bool {
	cat, now := s.cfg.Catalogue.Catalogue(), s.now().UTC()
	for _, step := range []struct {
		name  string
		check func(candour.Catalogue, string, time.Time) []fieldError
	}{{stepConsent, d.checkConsent}, {stepDetails, d.checkDetails}} {
		if errs := step.check(cat, in.acting.Agency, now); len(errs) > 0 {
			s.render(w, r, http.StatusUnprocessableEntity, "record", s.recordView(in, step.name, d, errs))
			return false
		}
	}
	return true
}

// recordConfirm records the confirmed draft and shows the confirmation
// panel with the record's reference.
func (s *Server) recordConfirm(w http.ResponseWriter, r *http.Request, in signedIn, d draft) {
	if !s.draftComplete(w, r, in, d) {
		return
	}
	if len(d.Key) != 32 {
		d.Key = newKey()
	}
	rc, err := s.cfg.Feedback.Submit(r.Context(), in.caller(r), d.feedback(),
		candour.Idempotency{Key: "web-" + d.Key, RequestHash: d.digest()})
	switch candour.ErrorCode(err) {
	case "":
	case candour.EINVALID:
		// The service's own check found what the form's did not: shown as
		// a problem on the check page, everything kept.
		s.render(w, r, http.StatusUnprocessableEntity, "record", s.recordView(in, stepCheck, d,
			[]fieldError{{"check", "The feedback could not be recorded: " + candour.ErrorMessage(err)}}))
		return
	case candour.ECONFLICT:
		d.Key = newKey()
		s.render(w, r, http.StatusConflict, "record", s.recordView(in, stepCheck, d,
			[]fieldError{{"check", "These answers changed after they were first sent. Check them again, then record the feedback."}}))
		return
	default:
		s.fail(w, r, err)
		return
	}
	if err := s.sessions.remember(r.Context(), in.session, d.Service); err != nil {
		s.log.Warn("last service not remembered", "request_id", requestID(r.Context()), "err", err)
	}
	s.render(w, r, http.StatusOK, "recorded", view{Title: "Feedback recorded", Nav: "record", Exit: true, Data: rc})
}

func newKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
