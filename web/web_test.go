package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/candour-vault/candour"
)

// The answers of the record journey. The comment and the subject reference
// must never reach a URL or a log line.
const (
	journeyComment = "The officer at Gorse Lane kept me updated every week & listened."
	journeySubject = "VS-2026-004217"
)

func consentAnswers() url.Values {
	return url.Values{"purposes": {"service_improvement", "inter_agency_insight", "equality_monitoring"},
		"share-with": {"police-north"}, "method": {"verbal"}, "notice": {"2026-01"}}
}

func detailAnswers() url.Values {
	return url.Values{"service": {"victim-support/initial-contact"}, "touchpoint": {"first-contact"}, "channel": {"phone"},
		"satisfaction": {"4"}, "felt-safe": {"yes"}, "recommend": {"9"}, "comment": {journeyComment},
		"age-band": {"35-44"}, "sex": {"prefer_not_to_say"}, "sensitivity": {"special_category"}, "subject-ref": {journeySubject}}
}

var referenceRe = regexp.MustCompile(`candour-reference">([0-9a-f-]{36})<`)

// record walks the record journey with the given answers and returns the
// new record's id.
func (b *browser) record(consent, details url.Values) string {
	b.t.Helper()
	_, page := b.get("/record")
	resp, page := b.post("/record", merge(hidden(page), consent))
	if resp.StatusCode != 200 || !strings.Contains(page, "About the feedback") {
		b.t.Fatalf("consent step: %d %s", resp.StatusCode, errorSummary(page))
	}
	resp, page = b.post("/record", merge(hidden(page), details))
	if resp.StatusCode != 200 || !strings.Contains(page, "Check the feedback before you record it") {
		b.t.Fatalf("details step: %d %s", resp.StatusCode, errorSummary(page))
	}
	resp, page = b.post("/record", hidden(page))
	m := referenceRe.FindStringSubmatch(page)
	if resp.StatusCode != 200 || m == nil {
		b.t.Fatalf("confirm: %d %s", resp.StatusCode, errorSummary(page))
	}
	return m[1]
}

var summaryRe = regexp.MustCompile(`(?s)<ul class="govuk-list govuk-error-summary__list">(.*?)</ul>`)

func errorSummary(page string) string {
	if m := summaryRe.FindStringSubmatch(page); m != nil {
		return m[1]
	}
	return "(no error summary)"
}

func TestRecordJourney(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.signIn(0)
	ctx := context.Background()

	t.Run("ErrorsKeepWhatWasTyped", func(t *testing.T) {
		_, page := b.get("/record")
		resp, page := b.post("/record", merge(hidden(page), url.Values{"notice": {""}}))
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("an empty consent step: %d", resp.StatusCode)
		}
		for _, want := range []string{`href="#purposes"`, `href="#method"`, `href="#notice"`, "<title>Error: "} {
			if !strings.Contains(page, want) {
				t.Errorf("the error page lacks %s: %s", want, errorSummary(page))
			}
		}
		resp, page = b.post("/record", merge(hidden(page), consentAnswers()))
		bad := detailAnswers()
		bad.Set("period-month", "13")
		resp, page = b.post("/record", merge(hidden(page), bad))
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `href="#period-month"`) {
			t.Fatalf("a month 13: %d %s", resp.StatusCode, errorSummary(page))
		}
		for _, kept := range []string{strings.ReplaceAll(journeyComment, "&", "&amp;"), journeySubject, `value="13"`} {
			if !strings.Contains(page, kept) {
				t.Errorf("the page shown again lost %q", kept)
			}
		}
		// The consent answers travel on, hidden.
		if h := hidden(page); !slices.Equal(h["purposes"], consentAnswers()["purposes"]) || h.Get("method") != "verbal" {
			t.Errorf("consent answers lost on the way: %v", h)
		}
	})

	id := b.record(consentAnswers(), detailAnswers())
	t.Run("StoredAsTyped", func(t *testing.T) {
		f, err := e.feedback.Read(ctx, caller("victim-support-north"), id)
		if err != nil {
			t.Fatal(err)
		}
		if f.Comment != journeyComment || f.SubjectRef != journeySubject || f.Service != "victim-support/initial-contact" ||
			f.Period != time.Now().UTC().Format("2006-01") || *f.Ratings.Satisfaction != 4 || f.Ratings.Effort != nil ||
			*f.Ratings.WouldRecommend != 9 || f.Sensitivity != candour.SensitivitySpecialCategory ||
			f.Equality == nil || f.Equality.AgeBand != "35-44" || !slices.Equal(f.Consent.ShareWith, []string{"police-north"}) ||
			f.Consent.NoticeVersion != "2026-01" || f.SubmittedBy != "dev-caseworker-victim-support-north" {
			t.Errorf("stored %+v", f)
		}
	})
	t.Run("ConfirmTwiceRecordsOnce", func(t *testing.T) {
		_, page := b.get("/record")
		_, page = b.post("/record", merge(hidden(page), consentAnswers()))
		_, check := b.post("/record", merge(hidden(page), detailAnswers()))
		_, first := b.post("/record", hidden(check))
		_, second := b.post("/record", hidden(check))
		a, c := referenceRe.FindStringSubmatch(first), referenceRe.FindStringSubmatch(second)
		if a == nil || c == nil || a[1] != c[1] {
			t.Errorf("a form sent twice gave %v and %v", a, c)
		}
	})
	t.Run("TheNextFormStartsAtTheLastService", func(t *testing.T) {
		_, page := b.get("/record")
		if h := hidden(page); h.Get("service") != "victim-support/initial-contact" || h.Get("period-month") == "" {
			t.Errorf("defaults of a new form: %v", h)
		}
	})
	t.Run("FindIt", func(t *testing.T) {
		for _, path := range []string{"/records", "/records?mine=yes", "/records?month=" + time.Now().UTC().Format("1") + "&year=" + time.Now().UTC().Format("2006") + "&service=victim-support/initial-contact"} {
			_, page := b.get(path)
			if !strings.Contains(page, `href="/records/`+id+`"`) {
				t.Errorf("%s does not list the record", path)
			}
		}
		_, page := b.post("/records", url.Values{"subject-ref": {journeySubject}})
		if !strings.Contains(page, `href="/records/`+id+`"`) {
			t.Error("the search by subject reference does not find the record")
		}
		_, page = b.post("/records", url.Values{"subject-ref": {"VS-0000-000000"}})
		if strings.Contains(page, id) {
			t.Error("another subject's search finds the record")
		}
	})
	t.Run("OpenIt", func(t *testing.T) {
		resp, page := b.get("/records/" + id)
		if resp.StatusCode != 200 || !strings.Contains(page, "kept me updated every week") || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("the record page: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
		if !strings.Contains(page, "Exit this page") {
			t.Error("the record page has no Exit this page")
		}
	})
	t.Run("WithdrawIt", func(t *testing.T) {
		resp, page := b.get("/records/" + id + "/withdraw")
		if resp.StatusCode != 200 || !strings.Contains(page, "Are you sure") {
			t.Fatalf("the confirmation page: %d", resp.StatusCode)
		}
		resp, page = b.post("/records/"+id+"/withdraw", nil)
		if resp.StatusCode != 200 || !strings.Contains(page, "Feedback withdrawn") || !strings.Contains(page, "Audit entry") {
			t.Fatalf("the receipt: %d", resp.StatusCode)
		}
		if _, page = b.post("/records/"+id+"/withdraw", nil); !strings.Contains(page, "already withdrawn") {
			t.Error("a second withdrawal does not say it was already done")
		}
		if resp, _ := b.get("/records/" + id); resp.StatusCode != http.StatusNotFound {
			t.Errorf("a withdrawn record opens: %d", resp.StatusCode)
		}
		_, page = b.get("/records")
		if !strings.Contains(page, "Withdrawn") || strings.Contains(page, `href="/records/`+id+`"`) {
			t.Error("the list does not mark the record withdrawn")
		}
	})
	t.Run("NothingSensitiveLogged", func(t *testing.T) {
		logs := e.logs.String()
		if !strings.Contains(logs, `route="GET /records/{id}"`) {
			t.Error("the page log does not name the route pattern")
		}
		for _, secret := range []string{"Gorse Lane", journeySubject, "127.0.0.1"} {
			if strings.Contains(logs, secret) {
				t.Errorf("the log holds %q", secret)
			}
		}
	})
}

// TestEveryPageIsSafe: the security headers on every page, signed in or
// not, found or not.
func TestEveryPageIsSafe(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	anon := e.browser(t)
	b.signIn(0)
	for _, tt := range []struct {
		who  *browser
		path string
	}{
		{anon, "/sign-in"}, {anon, "/"}, {anon, "/records"}, {anon, "/nowhere"}, {anon, "/signed-out"},
		{b, "/"}, {b, "/record"}, {b, "/records"}, {b, "/records/0190aaaa-0000-7000-8000-000000000000"}, {b, "/nowhere"},
	} {
		resp, page := tt.who.get(tt.path)
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q", tt.path, csp)
		}
		if h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: headers %v", tt.path, h)
		}
		if strings.Contains(page, "<script>") || strings.Contains(page, " style=") || strings.Contains(page, "<style") {
			t.Errorf("%s: inline script or style", tt.path)
		}
	}
	// Assets have content-hashed names and may be cached.
	_, page := anon.get("/sign-in")
	css := regexp.MustCompile(`href="(/assets/candour\.[0-9a-f]{12}\.css)"`).FindStringSubmatch(page)
	if css == nil {
		t.Fatal("no hashed stylesheet link")
	}
	resp, _ := anon.get(css[1])
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: %d %v", resp.StatusCode, resp.Header)
	}
}

// TestCrossOriginRefused: a form posted from another site changes nothing.
func TestCrossOriginRefused(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.signIn(0)
	_, page := b.get("/record")
	_, page = b.post("/record", merge(hidden(page), consentAnswers()))
	_, check := b.post("/record", merge(hidden(page), detailAnswers()))
	for _, tt := range []struct {
		name   string
		header map[string]string
	}{
		{"another site's form", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}},
		{"an old browser from another origin", map[string]string{"Origin": "https://evil.example"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"/record", "/sign-out"} {
				req, _ := http.NewRequest("POST", e.url+path, strings.NewReader(hidden(check).Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				for k, v := range tt.header {
					req.Header.Set(k, v)
				}
				resp, err := b.client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("POST %s: %d, want 403", path, resp.StatusCode)
				}
			}
		})
	}
	list, err := e.feedback.List(context.Background(), caller("victim-support-north"), candour.ListQuery{})
	if err != nil || len(list.Records) != 0 {
		t.Errorf("a cross-site form stored something: %v %v", list.Records, err)
	}
	if resp, _ := b.get("/record"); resp.StatusCode != 200 {
		t.Errorf("a cross-site sign-out ended the session: %d", resp.StatusCode)
	}
}

func TestSessions(t *testing.T) {
	t.Run("Cookie", func(t *testing.T) {
		e := newEnv(t)
		b := e.browser(t)
		resp, _ := b.post("/sign-in", url.Values{"person": {"0"}})
		cookies := resp.Cookies()
		if len(cookies) != 1 {
			t.Fatalf("cookies %v", cookies)
		}
		c := cookies[0]
		if c.Name != "candour-session" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || len(c.Value) != 43 {
			t.Errorf("cookie %+v", c)
		}
	})
	t.Run("IdleTimeout", func(t *testing.T) {
		e := newEnv(t)
		b := e.browser(t)
		b.signIn(0)
		e.clock.advance(14 * time.Minute)
		if resp, _ := b.get("/records"); resp.StatusCode != 200 {
			t.Fatalf("after 14 idle minutes: %d", resp.StatusCode)
		}
		e.clock.advance(16 * time.Minute)
		if resp, _ := b.get("/records"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("after 16 idle minutes: %d, want a redirect to sign in", resp.StatusCode)
		}
	})
	t.Run("AbsoluteTimeout", func(t *testing.T) {
		e := newEnv(t)
		b := e.browser(t)
		b.signIn(0)
		for range 47 { // busy for 7 hours 50 minutes
			e.clock.advance(10 * time.Minute)
			if resp, _ := b.get("/records"); resp.StatusCode != 200 {
				t.Fatalf("a busy session ended early: %d", resp.StatusCode)
			}
		}
		e.clock.advance(11 * time.Minute)
		if resp, _ := b.get("/records"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("after 8 hours: %d, want a redirect to sign in", resp.StatusCode)
		}
	})
	t.Run("SignOutEndsItEverywhere", func(t *testing.T) {
		e := newEnv(t)
		b := e.browser(t)
		b.signIn(0)
		other := e.browser(t) // another tab, another replica: the same cookie
		u, _ := url.Parse(e.url)
		other.client.Jar.SetCookies(u, b.client.Jar.Cookies(u))
		if resp, _ := other.get("/records"); resp.StatusCode != 200 {
			t.Fatalf("the copied session: %d", resp.StatusCode)
		}
		if resp, _ := b.post("/sign-out", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign out: %d", resp.StatusCode)
		}
		if resp, _ := other.get("/records"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("after sign-out the session still works elsewhere: %d", resp.StatusCode)
		}
	})
}

// TestEachRoleReachesOnlyItsPages: the caseworker pages refuse every other
// role with the 403 page, and another agency's record looks missing.
func TestEachRoleReachesOnlyItsPages(t *testing.T) {
	e := newEnv(t)
	for person, role := range []string{2: "analyst", 3: "auditor", 4: "admin"} {
		if role == "" {
			continue
		}
		b := e.browser(t)
		b.signIn(person)
		for _, path := range []string{"/record", "/records", "/records/0190aaaa-0000-7000-8000-000000000000"} {
			resp, page := b.get(path)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "You cannot use this page") {
				t.Errorf("%s opening %s: %d", role, path, resp.StatusCode)
			}
		}
		if resp, page := b.get("/"); resp.StatusCode != 200 || strings.Contains(page, `href="/record"`) {
			t.Errorf("%s's start page offers the caseworker pages", role)
		}
	}
	police := e.browser(t)
	police.signIn(1)
	d := detailAnswers()
	d.Set("service", "police/report-a-crime")
	theirs := police.record(url.Values{"purposes": {"service_improvement"}, "method": {"written"}, "notice": {"1"}}, d)
	vs := e.browser(t)
	vs.signIn(0)
	resp, page := vs.get("/records/" + theirs)
	_, missing := vs.get("/records/0190aaaa-0000-7000-8000-000000000000")
	if resp.StatusCode != http.StatusNotFound || page != missing {
		t.Errorf("another agency's record: %d, and not the page of a missing one", resp.StatusCode)
	}
	if _, list := vs.get("/records"); strings.Contains(list, theirs) {
		t.Error("another agency's record is listed")
	}
}

// TestProblemPages: a dependency that fails shows a page that says what to
// do, never the cause; the cause goes to the log with the request id.
func TestProblemPages(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.signIn(0)
	e.closeDB()
	for _, path := range []string{"/records", "/records/0190aaaa-0000-7000-8000-000000000000", "/"} {
		resp, page := b.get(path)
		if resp.StatusCode < 500 || !strings.Contains(page, "Sorry,") || strings.Contains(page, "sql") || strings.Contains(page, "database is closed") {
			t.Errorf("%s with the database closed: %d %s", path, resp.StatusCode, page)
		}
	}
	if !strings.Contains(e.logs.String(), "request_id") {
		t.Error("the failure was not logged with its request id")
	}
}

// TestRecordPageAbandoned checks that a page whose client went away before
// it was answered is recorded as 499 and noted, not logged as a failure of
// the store, and that the record's page still opens after.
func TestRecordPageAbandoned(t *testing.T) {
	var pages http.Handler
	e := newEnvWith(t, nil, func(h http.Handler) http.Handler { pages = h; return h })
	b := e.browser(t)
	b.signIn(0)
	id := b.record(consentAnswers(), detailAnswers())
	before := len(e.logs.String())

	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the caseworker closed the tab before the record was read
	req := httptest.NewRequestWithContext(ctx, "GET", e.url+"/records/"+id, nil)
	for _, c := range b.client.Jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	pages.ServeHTTP(rec, req)

	logs := e.logs.String()[before:]
	if rec.Code != 499 || rec.Body.Len() != 0 {
		t.Errorf("abandoned page answered %d %q; want 499 and no body", rec.Code, rec.Body)
	}
	if strings.Contains(logs, "level=ERROR") || strings.Contains(logs, id) || !strings.Contains(logs, "request abandoned") {
		t.Errorf("log:\n%s\nwant the abandoned page noted, no error and no record id", logs)
	}
	if resp, page := b.get("/records/" + id); resp.StatusCode != 200 || !strings.Contains(page, id) {
		t.Errorf("record page after the abandoned one: %d", resp.StatusCode)
	}
}
