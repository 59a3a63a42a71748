package web_test

import (
	"net/http"
	"testing"
)

// TestPagesMatrix: every page against every role, signed in as the demo
// person of that role: each role reaches only its own pages, and the others
// answer the 403 page (a record's page answers 404 to a caseworker of
// another agency, as the API does). Without a session, every page sends the
// person to sign in.
func TestPagesMatrix(t *testing.T) {
	e := newEnv(t)
	e.seedReleased(t, "2026-09")
	cw := e.browser(t)
	cw.signIn(0)
	id := cw.record(consentAnswers(), detailAnswers())
	pages := []string{"/", "/record", "/records", "/records/" + id, "/records/" + id + "/withdraw", "/records/" + id + "/correct",
		"/insight", "/insight?purpose=inter_agency_insight&group=service", "/insight/comments?purpose=inter_agency_insight",
		"/insight/disclosure-control", "/audit", "/audit/records/" + id, "/audit/actor?actor=x", "/audit/checkpoint",
		"/subject-access", "/erasure", "/retention", "/holds", "/invitations"}
	// person: 0 caseworker of the record's agency, 1 caseworker of another
	// agency, 2 analyst, 3 auditor, 4 administrator.
	want := map[string][5]int{
		"/":                            {200, 200, 200, 200, 200},
		"/record":                      {200, 200, 403, 403, 403},
		"/records":                     {200, 200, 403, 403, 403},
		"/records/" + id:               {200, 404, 403, 403, 403},
		"/records/" + id + "/withdraw": {200, 200, 403, 403, 403},
		"/records/" + id + "/correct":  {200, 404, 403, 403, 403},
		"/insight":                     {403, 403, 200, 403, 403},
		"/insight?purpose=inter_agency_insight&group=service": {403, 403, 200, 403, 403},
		"/insight/comments?purpose=inter_agency_insight":      {403, 403, 200, 403, 403},
		"/insight/disclosure-control":                         {403, 403, 200, 403, 403},
		"/audit":                                              {403, 403, 403, 200, 403},
		"/audit/records/" + id:                                {403, 403, 403, 200, 403},
		"/audit/actor?actor=x":                                {403, 403, 403, 200, 403},
		"/audit/checkpoint":                                   {403, 403, 403, 200, 403},
		"/subject-access":                                     {403, 403, 403, 403, 200},
		"/erasure":                                            {403, 403, 403, 403, 200},
		"/retention":                                          {403, 403, 403, 403, 200},
		"/holds":                                              {403, 403, 403, 403, 200},
		"/invitations":                                        {200, 200, 403, 403, 200},
	}
	anon := e.browser(t)
	for _, page := range pages {
		if resp, _ := anon.get(page); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/sign-in" {
			t.Errorf("no session, %s: %d, want a redirect to sign in", page, resp.StatusCode)
		}
	}
	for person := range 5 {
		b := e.browser(t)
		b.signIn(person)
		for _, page := range pages {
			resp, _ := b.get(page)
			if w := want[page][person]; resp.StatusCode != w {
				t.Errorf("person %d, %s: %d, want %d", person, page, resp.StatusCode, w)
			}
		}
	}
}
