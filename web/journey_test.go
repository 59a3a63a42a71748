package web_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// journey drives the caseworker journey in Chromium with the mouse (as
// far as chromedp's clicks are a mouse), checking every page and error
// state with axe-core and at 320 pixels: sign in, an empty consent form,
// record, find, open, withdraw, and the problem pages.
func journey(t *testing.T, jsOff bool) {
	e := newEnv(t)
	tb := newTab(t, e.url, jsOff)
	tb.open("/sign-in")
	tb.check("sign-in")
	tb.follow(`button[type=submit].govuk-button`)
	if !strings.Contains(tb.text(".govuk-error-summary"), "Select who to sign in as") {
		t.Fatal("signing in with nobody chosen shows no error summary")
	}
	tb.check("sign-in-error")
	tb.click("#person")
	tb.follow(`button[type=submit].govuk-button`)
	tb.check("home")

	tb.open("/record")
	tb.check("record-consent")
	tb.setValue("#notice", "")
	tb.follow(`form[action="/record"] button.govuk-button`)
	if !strings.Contains(tb.title(), "Error:") {
		t.Fatalf("an empty consent form: title %q", tb.title())
	}
	tb.check("record-consent-errors")
	tb.click("#purposes")   // improving the service
	tb.click("#purposes-2") // sharing with partners
	tb.click("#share-with") // the first partner
	tb.click("#method")
	tb.typeInto("#notice", "2026-01")
	tb.follow(`form[action="/record"] button.govuk-button`)
	tb.check("record-details")
	tb.setValue("#service", "victim-support/initial-contact")
	tb.click("#satisfaction-4")
	tb.typeInto("#comment", "They called back when they said they would.")
	tb.typeInto("#subject-ref", "VS-2026-000100")
	tb.setValue("#period-month", "13")
	tb.follow(`form[action="/record"] button.govuk-button`)
	if !strings.Contains(tb.text(".govuk-error-summary"), "real month") {
		t.Fatal("month 13 shows no error")
	}
	tb.check("record-details-errors")
	if kept := tb.value("#comment"); kept != "They called back when they said they would." {
		t.Fatalf("the comment was lost on an error: %q", kept)
	}
	tb.setValue("#period-month", "1")
	tb.setValue("#period-month-year", "2026")
	tb.follow(`form[action="/record"] button.govuk-button`)
	tb.check("record-check")
	tb.follow(`button[data-prevent-double-click]`)
	ref := strings.TrimSpace(tb.text(".candour-reference"))
	if len(ref) != 36 {
		t.Fatalf("no reference on the confirmation: %q", ref)
	}
	tb.check("record-confirmation")

	tb.open("/records")
	tb.check("records")
	tb.follow(`a[href="/records/` + ref + `"]`)
	if !strings.Contains(tb.text("main"), "They called back") {
		t.Fatal("the record page does not show the comment")
	}
	tb.check("record-view")
	tb.follow(`a[href="/records/` + ref + `/correct"]`)
	tb.check("record-correct")
	tb.follow(`form[action="/records/` + ref + `/correct"] button.govuk-button`)
	if !strings.Contains(tb.text(".govuk-error-summary"), "You have not changed anything") {
		t.Fatal("saving an unchanged correction shows no error summary")
	}
	tb.check("record-correct-error")
	tb.setValue("#comment", "They rang back the next day.")
	tb.follow(`form[action="/records/` + ref + `/correct"] button.govuk-button`)
	if !strings.Contains(tb.text("main"), "Correction saved") || !strings.Contains(tb.text("main"), "They rang back the next day.") {
		t.Fatalf("after the correction: %s", tb.text("main"))
	}
	tb.check("record-corrected")
	tb.follow(`a[href="/records/` + ref + `/withdraw"]`)
	tb.check("withdraw-confirm")
	tb.follow(`form button.govuk-button--warning`)
	if !strings.Contains(tb.text("h1"), "Feedback withdrawn") {
		t.Fatalf("no receipt: %q", tb.text("h1"))
	}
	tb.check("withdrawn")

	tb.open("/records?month=13&year=2026")
	tb.check("records-error")
	tb.open("/records/0190aaaa-0000-7000-8000-000000000000")
	tb.check("not-found")
	tb.follow(`form[action="/sign-out"] button`)
	tb.check("signed-out")
	tb.open("/sign-in")
	tb.click("#person-3") // the analyst
	tb.follow(`button[type=submit].govuk-button`)
	tb.open("/record")
	if !strings.Contains(tb.text("h1"), "You cannot use this page") {
		t.Fatalf("an analyst opening the record page: %q", tb.text("h1"))
	}
	tb.check("forbidden")
	e.closeDB() // the database goes away: the pages say so, and show nothing
	tb.open("/")
	if !strings.Contains(tb.text("h1"), "Sorry, the service is unavailable") && !strings.Contains(tb.text("h1"), "Sorry, there is a problem with the service") {
		t.Fatalf("with the database gone: %q", tb.text("h1"))
	}
	tb.check("unavailable")
	t.Logf("%d pages and states checked with axe-core and at 320 pixels", tb.checked)
}

func TestJourneyInChromium(t *testing.T)        { journey(t, false) }
func TestJourneyWithJavaScriptOff(t *testing.T) { journey(t, true) }

// TestJourneyByKeyboard records, finds, opens and withdraws feedback with
// the keyboard alone: every control is reached with Tab and worked with
// Space, Enter or the arrow keys. Then "Exit this page" is taken with its
// shortcut, Shift pressed three times.
func TestJourneyByKeyboard(t *testing.T) {
	e := newEnv(t)
	tb := newTab(t, e.url, false)
	tb.open("/sign-in")
	tb.tabTo("#person")
	tb.press(" ")
	tb.tabTo("button.govuk-button[type=submit]")
	tb.pressToPage(kb.Enter)
	tb.tabTo(`main a[href="/record"]`)
	tb.pressToPage(kb.Enter)

	tb.tabTo("#purposes")
	tb.press(" ")
	tb.tabTo("#method")
	tb.press(" ")
	tb.tabTo(`form[action="/record"] button.govuk-button`)
	tb.pressToPage(kb.Enter)
	if !strings.Contains(tb.title(), "About the feedback") {
		t.Fatalf("the consent step did not go on: %q", tb.title())
	}
	tb.tabTo("#service")
	tb.press(kb.ArrowDown)
	tb.tabTo("#satisfaction-6") // Tab reaches the group at its checked radio, "Not asked"
	tb.press(kb.ArrowUp + kb.ArrowUp)
	tb.tabTo("#comment")
	tb.press("Typed with the keyboard alone.")
	tb.tabTo(`form[action="/record"] button.govuk-button`)
	tb.pressToPage(kb.Enter)
	if !strings.Contains(tb.title(), "Check the feedback") {
		t.Fatalf("the details step did not go on: %q: %s", tb.title(), tb.text("main"))
	}
	if got := tb.text("main"); !strings.Contains(got, "Typed with the keyboard alone.") || !strings.Contains(got, "Satisfaction (1 to 5)\n4") && !strings.Contains(got, "4") {
		t.Fatalf("the check page does not hold what was typed: %s", got)
	}
	tb.tabTo("button[data-prevent-double-click]")
	tb.pressToPage(kb.Enter)
	ref := strings.TrimSpace(tb.text(".candour-reference"))
	if len(ref) != 36 {
		t.Fatalf("no reference: %q", ref)
	}

	tb.tabTo(`main a[href="/records"]`)
	tb.pressToPage(kb.Enter)
	tb.tabTo(`a[href="/records/` + ref + `"]`)
	tb.pressToPage(kb.Enter)
	tb.tabTo(`a[href="/records/` + ref + `/withdraw"]`)
	tb.pressToPage(" ") // a link styled as a button answers Space, as a button does
	tb.tabTo("form button.govuk-button--warning")
	tb.pressToPage(kb.Enter)
	if !strings.Contains(tb.text("h1"), "Feedback withdrawn") {
		t.Fatalf("no receipt: %q", tb.text("h1"))
	}

	tb.open("/record")
	tb.press(kb.Shift + kb.Shift + kb.Shift)
	time.Sleep(500 * time.Millisecond)
	if loc := get(tb, chromedp.Location()); strings.HasPrefix(loc, e.url) {
		t.Errorf("Shift three times did not leave the page: still at %s", loc)
	}
}

// analystJourney: an analyst of a partner agency asks for insight in
// Chromium; every page and state is checked with axe-core and at 320 pixels:
// the form, its errors, a trend with its chart, a comparison, a fully
// suppressed answer, the comments and the explanation of disclosure control.
func analystJourney(t *testing.T, jsOff bool) {
	e := newEnv(t)
	e.seedReleased(t, "2026-08", "2026-09", "2026-10")
	tb := newTab(t, e.url, jsOff)
	tb.open("/sign-in")
	tb.click("#person-3") // Alex Morgan, analyst
	tb.follow(`button[type=submit].govuk-button`)
	tb.follow(`main a[href="/insight"]`)
	tb.check("insight-form")
	tb.follow(`form[action="/insight"] button.govuk-button`)
	if !strings.Contains(tb.text(".govuk-error-summary"), "Select why you are asking") {
		t.Fatal("no purpose: no error summary")
	}
	tb.check("insight-errors")
	tb.click("#purpose-2") // insight shared between agencies
	tb.follow(`form[action="/insight"] button.govuk-button`)
	if !strings.Contains(tb.text("main"), "Published figures") {
		t.Fatalf("no figures: %s", tb.text("main"))
	}
	tb.check("insight-trend")
	tb.click("#group-2")   // compare services
	tb.click("#measure-3") // net promoter score
	tb.follow(`form[action="/insight"] button.govuk-button`)
	tb.check("insight-comparison")
	tb.follow(`a[href^="/insight/comments?"]`)
	if !strings.Contains(tb.text("h1"), "Redacted comments") {
		t.Fatalf("the comments link leads to %s", tb.location())
	}
	if !regexp.MustCompile(`Sentiment\s+-?\d+\.\d \(below 0 leans negative`).MatchString(tb.text("main")) {
		t.Errorf("the comments page gives no sentiment as a number: %.300q", tb.text("main"))
	}
	if main := tb.text("main"); !strings.Contains(main, "Being believed") || strings.Contains(main, "being_believed") {
		t.Errorf("the comments page names its themes by id, not in words: %.300q", main)
	}
	tb.check("insight-comments")
	tb.open("/insight?purpose=research&group=service")
	tb.check("insight-suppressed")
	tb.open("/insight/disclosure-control")
	tb.check("insight-disclosure")
	t.Logf("%d analyst pages and states checked with axe-core and at 320 pixels", tb.checked)
}

func TestAnalystJourneyInChromium(t *testing.T)        { analystJourney(t, false) }
func TestAnalystJourneyWithJavaScriptOff(t *testing.T) { analystJourney(t, true) }

// TestAnalystJourneyByKeyboard asks for a trend with the keyboard alone.
func TestAnalystJourneyByKeyboard(t *testing.T) {
	e := newEnv(t)
	e.seedReleased(t, "2026-09", "2026-10")
	tb := newTab(t, e.url, false)
	tb.open("/sign-in")
	tb.tabTo("#person") // a radio group is one Tab stop; the arrows choose within it
	tb.press(kb.ArrowDown + kb.ArrowDown)
	tb.tabTo("button.govuk-button[type=submit]")
	tb.pressToPage(kb.Enter)
	tb.tabTo(`main a[href="/insight"]`)
	tb.pressToPage(kb.Enter)
	tb.tabTo("#purpose")
	tb.press(kb.ArrowDown)
	tb.tabTo(`form[action="/insight"] button.govuk-button`)
	tb.pressToPage(kb.Enter)
	if !strings.Contains(tb.text("main"), "Published figures") {
		t.Fatalf("no figures by keyboard: %s", tb.text("main"))
	}
	tb.tabTo(`a[href^="/insight/comments?"]`)
	tb.pressToPage(kb.Enter)
	if !strings.Contains(tb.text("h1"), "Redacted comments") {
		t.Fatalf("the comments by keyboard: %q at %s", tb.text("h1"), tb.location())
	}
}

// auditorJourney: an auditor reads the log, a record's timeline, a person's
// actions and the checkpoints in Chromium, every page and state checked with
// axe-core and at 320 pixels.
func auditorJourney(t *testing.T, jsOff bool) {
	e := newEnv(t)
	cw := e.browser(t)
	cw.signIn(0)
	id := cw.record(consentAnswers(), detailAnswers())
	cw.get("/records/" + id)
	tb := newTab(t, e.url, jsOff)
	tb.open("/sign-in")
	tb.click("#person-4") // Jo Evans, auditor
	tb.follow(`button[type=submit].govuk-button`)
	tb.follow(`main a[href="/audit"]`)
	tb.check("audit-log")
	tb.setValue("#from", "2026-13-40")
	tb.follow(`form[action="/audit"] button.govuk-button`)
	if !strings.Contains(tb.text(".govuk-error-summary"), "year-month-day") {
		t.Fatal("a bad date shows no error")
	}
	tb.check("audit-log-errors")
	tb.open("/audit")
	tb.follow(`a[href="/audit/records/` + id + `"]`)
	if !strings.Contains(tb.text("h1"), "Who saw this record") {
		t.Fatalf("the record's timeline: %q", tb.text("h1"))
	}
	tb.check("audit-record")
	tb.open("/audit")
	tb.follow(`a[href^="/audit/actor?actor="]`)
	tb.check("audit-actor")
	tb.open("/audit/checkpoint")
	tb.check("audit-checkpoint")
	tb.follow(`form[action="/audit/checkpoint"] button`)
	if !strings.Contains(tb.text("main"), "The log extends its last checkpoint") {
		t.Fatalf("check now: %s", tb.text("main"))
	}
	tb.check("audit-checked")
	t.Logf("%d auditor pages and states checked with axe-core and at 320 pixels", tb.checked)
}

func TestAuditorJourneyInChromium(t *testing.T)        { auditorJourney(t, false) }
func TestAuditorJourneyWithJavaScriptOff(t *testing.T) { auditorJourney(t, true) }

// TestAuditorJourneyByKeyboard opens a record's timeline from the log with
// the keyboard alone.
func TestAuditorJourneyByKeyboard(t *testing.T) {
	e := newEnv(t)
	cw := e.browser(t)
	cw.signIn(0)
	id := cw.record(consentAnswers(), detailAnswers())
	tb := newTab(t, e.url, false)
	tb.open("/sign-in")
	tb.tabTo("#person")
	tb.press(kb.ArrowDown + kb.ArrowDown + kb.ArrowDown)
	tb.tabTo("button.govuk-button[type=submit]")
	tb.pressToPage(kb.Enter)
	tb.tabTo(`main a[href="/audit"]`)
	tb.pressToPage(kb.Enter)
	tb.tabTo(`a[href="/audit/records/` + id + `"]`)
	tb.pressToPage(kb.Enter)
	if !strings.Contains(tb.text("h1"), "Who saw this record") {
		t.Fatalf("by keyboard: %q", tb.text("h1"))
	}
	tb.tabTo(`main a[href="/audit"]`)
	tb.pressToPage(kb.Enter)
	tb.tabTo(`a[href="/audit/checkpoint"]`)
	tb.pressToPage(kb.Enter)
	tb.tabTo(`form[action="/audit/checkpoint"] button`)
	tb.pressToPage(kb.Enter)
	if !strings.Contains(tb.text("main"), "The log extends its last checkpoint") {
		t.Fatal("check now by keyboard")
	}
}
