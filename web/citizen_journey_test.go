package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/candour-vault/candour"
)

const ownWords = "The officer listened and rang me back when she said she would."

// citizenJourney: a caseworker makes a feedback link in Chromium; the
// person opens it (in Welsh when welsh is set), meets each error, consents,
// answers, sends and gets a receipt; the link then shows the page of a link
// that does not work; the receipt takes the feedback back, and the record
// leaves every list and figure. Every page and state is checked with
// axe-core and at 320 pixels.
func citizenJourney(t *testing.T, jsOff, welsh bool) {
	e := newEnv(t)
	tb := newTab(t, e.url, jsOff)
	tb.open("/sign-in")
	tb.click("#person") // Sam, a caseworker of Victim Support North
	tb.follow(`button[type=submit].govuk-button`)
	tb.follow(`main a[href="/invitations"]`)
	tb.check("links")
	tb.follow(`form[action="/invitations"] button.govuk-button`)
	if !strings.Contains(tb.text(".govuk-error-summary"), "Select the service") {
		t.Fatal("an empty link form shows no error summary")
	}
	tb.check("links-errors")
	tb.setValue("#service", "victim-support/initial-contact")
	tb.setValue("#touchpoint", "first-contact")
	tb.typeInto("#subject-ref", journeySubject)
	tb.follow(`form[action="/invitations"] button.govuk-button`)
	link := tb.text("#link-1")
	if !strings.HasPrefix(link, e.url+"/f/") {
		t.Fatalf("the link: %q", link)
	}
	tb.check("link-made")
	path := strings.TrimPrefix(link, e.url)

	person := newTab(t, e.url, jsOff)
	person.open(path)
	if welsh {
		person.follow(`main a[hreflang="cy"]`)
		if got := person.text("h1"); got != "Dywedwch wrthym sut aeth hi" {
			t.Fatalf("Welsh start page: %q", got)
		}
	}
	person.checkIn(welsh, "give-start")
	person.follow(`#give button.govuk-button`)
	if person.text(".govuk-error-summary") == "" {
		t.Fatal("no consent shows no error summary")
	}
	person.checkIn(welsh, "give-consent-error")
	person.click("#purpose")
	person.click("#purpose-2")
	person.follow(`#give button.govuk-button`)
	person.checkIn(welsh, "give-answers")
	person.follow(`#give button[name=send]`)
	if person.text(".govuk-error-summary") == "" {
		t.Fatal("no answer shows no error summary")
	}
	person.checkIn(welsh, "give-answers-error")
	person.click("#overall-2") // Good (4)
	person.click("#safe")
	person.typeInto("#comment", ownWords)
	// The language switch keeps what was typed.
	person.follow(`nav.candour-language button`)
	if got := person.value("#comment"); got != ownWords {
		t.Fatalf("the comment after switching language: %q", got)
	}
	person.follow(`nav.candour-language button`)
	person.follow(`#give button[name=send]`)
	receipt := person.text("#receipt-code")
	if strings.Count(receipt, "-") != 4 {
		t.Fatalf("receipt %q", receipt)
	}
	person.checkIn(welsh, "give-done")

	if welsh {
		person.open(path + "?lang=cy") // the language is asked for again: no cookie remembers it
	} else {
		person.open(path)
	}
	if !strings.Contains(person.text("h1"), "link does not work") && !strings.Contains(person.text("h1"), "ddolen hon ddim yn gweithio") {
		t.Fatalf("the used link: %q", person.text("h1"))
	}
	person.checkIn(welsh, "give-gone")
	ctx := context.Background()
	list, err := e.feedback.List(ctx, caller("victim-support-north"), candour.ListQuery{})
	if err != nil || len(list.Records) != 1 || list.Records[0].SubmittedBy != candour.PersonSubject {
		t.Fatalf("stored: %+v %v", list.Records, err)
	}

	person.follow(`main a[href^="/withdraw"]`)
	person.checkIn(welsh, "withdraw")
	person.typeInto("#code", "not my code")
	person.follow(`#withdraw button.govuk-button`)
	if person.text(".govuk-error-summary") == "" {
		t.Fatal("a wrong code shows no error summary")
	}
	person.checkIn(welsh, "withdraw-error")
	person.setValue("#code", strings.ReplaceAll(receipt, "-", " "))
	person.follow(`#withdraw button.govuk-button`)
	person.checkIn(welsh, "withdrawn")
	list, _ = e.feedback.List(ctx, caller("victim-support-north"), candour.ListQuery{})
	if !list.Records[0].Withdrawn {
		t.Error("the receipt did not take the feedback back")
	}
	t.Logf("%d citizen channel pages and states checked with axe-core and at 320 pixels", tb.checked+person.checked)
}

func lang(welsh bool, name string) string {
	if welsh {
		return name + "-cy"
	}
	return name
}

// checkIn is check, after making sure the page is in the journey's
// language.
func (tb *tab) checkIn(welsh bool, name string) {
	tb.t.Helper()
	want := "en"
	if welsh {
		want = "cy"
	}
	if got := eval[string](tb, `document.documentElement.lang`); got != want {
		tb.t.Errorf("%s: the page is in %q, want %q", name, got, want)
	}
	tb.check(lang(welsh, name))
}

func TestCitizenJourneyInChromium(t *testing.T)        { citizenJourney(t, false, false) }
func TestCitizenJourneyWithJavaScriptOff(t *testing.T) { citizenJourney(t, true, false) }
func TestCitizenJourneyInWelsh(t *testing.T)           { citizenJourney(t, false, true) }

// TestCitizenJourneyByKeyboard gives feedback through a link and takes it
// back with the keyboard alone.
func TestCitizenJourneyByKeyboard(t *testing.T) {
	e := newEnv(t)
	cw := e.browser(t)
	cw.signIn(0)
	path := cw.invite(linkForm())
	tb := newTab(t, e.url, false)
	tb.open(path)
	tb.tabTo("#purpose")
	tb.press(" ")
	tb.tabTo(`#give button.govuk-button`)
	tb.pressToPage(kb.Enter)
	tb.tabTo("#overall")
	tb.press(kb.ArrowDown) // Good
	tb.tabTo("#comment")
	tb.press(ownWords)
	tb.tabTo(`#give button[name=send]`)
	tb.pressToPage(kb.Enter)
	receipt := tb.text("#receipt-code")
	if strings.Count(receipt, "-") != 4 {
		t.Fatalf("receipt by keyboard: %q (%s)", receipt, tb.text("main"))
	}
	tb.open("/withdraw")
	tb.tabTo("#code")
	tb.press(receipt)
	tb.pressToPage(kb.Enter) // Enter in the field sends the form, not the language switch
	if !strings.Contains(tb.text("h1"), "taken back") {
		t.Fatalf("withdrawal by keyboard: %s", tb.text("main"))
	}
	// Exit this page: Shift three times leaves.
	tb.open("/withdraw")
	tb.press(kb.Shift + kb.Shift + kb.Shift)
	time.Sleep(500 * time.Millisecond)
	if loc := get(tb, chromedp.Location()); strings.HasPrefix(loc, e.url) {
		t.Errorf("Shift three times did not leave the page: still at %s", loc)
	}
}
