package web_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestCorrectionPage: a caseworker corrects a record from its page: the
// form holds the record's answers; nothing changed is an error summary;
// a change is saved, shown with a banner, and what the record said before
// is gone; unticking inter-agency insight drops the partners; another
// agency's caseworker finds no such record.
func TestCorrectionPage(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.signIn(0)
	id := b.record(consentAnswers(), detailAnswers())
	resp, page := b.get("/records/" + id + "/correct")
	if resp.StatusCode != 200 || !strings.Contains(html.UnescapeString(page), journeyComment) {
		t.Fatalf("the correction form: %d", resp.StatusCode)
	}
	form := hidden(page)
	resp, page = b.post("/records/"+id+"/correct", form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "You have not changed anything") {
		t.Fatalf("nothing changed: %d", resp.StatusCode)
	}
	form.Set("comment", "They rang back the next day.")
	form.Set("satisfaction", "5")
	form["purposes"] = []string{"service_improvement", "equality_monitoring"} // inter-agency insight taken away
	resp, _ = b.post("/records/"+id+"/correct", form)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/records/"+id+"?corrected=yes" {
		t.Fatalf("saving: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page = b.get("/records/" + id + "?corrected=yes")
	text := html.UnescapeString(page)
	if !strings.Contains(text, "Correction saved") || !strings.Contains(text, "They rang back the next day.") ||
		strings.Contains(text, journeyComment) || strings.Contains(text, "North Police") {
		t.Errorf("the record after the correction does not show it, or still shows the partner or the old comment")
	}
	_, page = b.get("/records/" + id + "/correct")
	widen := hidden(page)
	widen["purposes"] = append(widen["purposes"], "research")
	resp, page = b.post("/records/"+id+"/correct", widen)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "must give their consent again") || !strings.Contains(page, `href="#purposes"`) {
		t.Errorf("a widening sent past the form: %d", resp.StatusCode)
	}
	other := e.browser(t)
	other.signIn(1)
	if resp, _ := other.get("/records/" + id + "/correct"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another agency's caseworker: %d, want 404", resp.StatusCode)
	}
	if resp, _ := other.post("/records/"+id+"/correct", url.Values{"comment": {"x"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another agency's caseworker saving: %d, want 404", resp.StatusCode)
	}
}
