package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp/kb"
)

// dpoJourney: the data protection officer answers a subject access request,
// previews and carries out an erasure, places and releases a legal hold and
// reads the retention overview, in Chromium; every page and error state is
// checked with axe-core and at 320 pixels.
func dpoJourney(t *testing.T, jsOff bool) {
	e := newEnv(t)
	cw := e.browser(t)
	cw.signIn(0)
	id := cw.record(consentAnswers(), detailAnswers())
	cw.get("/records/" + id)
	tb := newTab(t, e.url, jsOff)
	tb.open("/sign-in")
	tb.click("#person-5") // Chris, the administrator and data protection officer
	tb.follow(`button[type=submit].govuk-button`)
	tb.check("dpo-home")
	tb.follow(`main a[href="/subject-access"]`)
	tb.check("dpo-access")
	tb.follow(`form[action="/subject-access"] button.govuk-button`)
	if !strings.Contains(tb.text(".govuk-error-summary"), "Enter the subject reference") {
		t.Fatal("an empty reference shows no error summary")
	}
	tb.check("dpo-access-error")
	tb.typeInto("#subject-ref", journeySubject)
	tb.follow(`form[action="/subject-access"] button.govuk-button`)
	if got := tb.text("main"); !strings.Contains(got, journeyComment) || !strings.Contains(got, "A caseworker at Victim Support North") {
		t.Fatalf("the answer: %s", got)
	}
	tb.check("dpo-access-answer")

	tb.open("/holds")
	tb.check("dpo-holds")
	tb.follow(`form[action="/holds"] button.govuk-button`)
	tb.check("dpo-holds-errors")
	tb.click("#target")
	tb.typeInto("#record", id)
	tb.typeInto("#reason", "Civil claim 2026/114")
	tb.typeInto("#review", "1")
	tb.typeInto("#review-month", "6")
	tb.typeInto("#review-year", "2030")
	tb.follow(`form[action="/holds"] button.govuk-button`)
	if !strings.Contains(tb.text("main"), "Hold placed") {
		t.Fatalf("placing a hold: %s", tb.text("main"))
	}
	tb.check("dpo-hold-placed")

	tb.open("/erasure")
	tb.check("dpo-erasure")
	tb.typeInto("#subject-ref", journeySubject)
	tb.follow(`form[action="/erasure"] button.govuk-button`)
	if !strings.Contains(tb.text("main"), "Blocks erasure") {
		t.Fatalf("the preview under a hold: %s", tb.text("main"))
	}
	tb.check("dpo-erasure-held")

	tb.open("/holds")
	tb.follow(`form[action^="/holds/"] button`)
	if !strings.Contains(tb.text("main"), "Hold released") {
		t.Fatalf("releasing the hold: %s", tb.text("main"))
	}
	tb.check("dpo-hold-released")

	tb.open("/erasure")
	tb.typeInto("#subject-ref", journeySubject)
	tb.follow(`form[action="/erasure"] button.govuk-button`)
	tb.check("dpo-erasure-preview")
	tb.follow(`form[action="/erasure"] button.govuk-button--warning`)
	if !strings.Contains(tb.text(".govuk-error-summary"), "Confirm that you have checked") {
		t.Fatal("an unconfirmed erasure shows no error summary")
	}
	tb.check("dpo-erasure-unconfirmed")
	tb.click("#confirmed")
	tb.follow(`form[action="/erasure"] button.govuk-button--warning`)
	if !strings.Contains(tb.text("h1"), "Records erased") {
		t.Fatalf("no receipt: %q", tb.text("h1"))
	}
	tb.check("dpo-erased")

	tb.open("/retention")
	if !strings.Contains(tb.text("main"), "vs-24m") {
		t.Fatalf("the retention page: %s", tb.text("main"))
	}
	tb.check("dpo-retention")
	t.Logf("%d data protection pages and states checked with axe-core and at 320 pixels", tb.checked)
}

func TestDPOJourneyInChromium(t *testing.T)        { dpoJourney(t, false) }
func TestDPOJourneyWithJavaScriptOff(t *testing.T) { dpoJourney(t, true) }

// TestDPOJourneyByKeyboard answers a subject access request and places a
// hold on a person's records with the keyboard alone.
func TestDPOJourneyByKeyboard(t *testing.T) {
	e := newEnv(t)
	cw := e.browser(t)
	cw.signIn(0)
	cw.record(consentAnswers(), detailAnswers())
	tb := newTab(t, e.url, false)
	tb.open("/sign-in")
	tb.tabTo("#person")
	tb.press(kb.ArrowDown + kb.ArrowDown + kb.ArrowDown + kb.ArrowDown)
	tb.tabTo("button.govuk-button[type=submit]")
	tb.pressToPage(kb.Enter)
	tb.tabTo(`main a[href="/subject-access"]`)
	tb.pressToPage(kb.Enter)
	tb.tabTo("#subject-ref")
	tb.press(journeySubject)
	tb.tabTo(`form[action="/subject-access"] button.govuk-button`)
	tb.pressToPage(kb.Enter)
	if !strings.Contains(tb.text("main"), journeyComment) {
		t.Fatalf("subject access by keyboard: %s", tb.text("main"))
	}
	tb.tabTo(`a[href="/holds"]`)
	tb.pressToPage(kb.Enter)
	tb.tabTo("#target")
	tb.press(kb.ArrowDown) // the second radio: a person's records
	tb.tabTo("#subject-ref")
	tb.press(journeySubject)
	tb.tabTo("#reason")
	tb.press("Inquiry 2026/7")
	tb.tabTo("#review")
	tb.press("1")
	tb.tabTo("#review-month")
	tb.press("6")
	tb.tabTo("#review-year")
	tb.press("2030")
	tb.tabTo(`form[action="/holds"] button.govuk-button`)
	tb.pressToPage(kb.Enter)
	if !strings.Contains(tb.text("main"), "Hold placed") {
		t.Fatalf("a hold by keyboard: %s", tb.text("main"))
	}
}
