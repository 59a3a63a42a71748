package api_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/candour-vault/candour"
)

// TestListRecords: a caseworker pages through their own agency's records,
// newest first, by filter and by subject reference (in the body only); other
// agencies' records never appear; every page is audited with the ids it
// showed, and nothing sealed is in the answer.
func TestListRecords(t *testing.T) {
	e := newEnv(t)
	me := e.tokenAs(t, "cw-me", candour.RoleCaseworker, "victim-support-north")
	colleague := e.tokenAs(t, "cw-colleague", candour.RoleCaseworker, "victim-support-north")
	police := e.tokenAs(t, "cw-police", candour.RoleCaseworker, "police-north")
	body := func(service, period, subject string) string {
		return `{"service":"` + service + `","period":"` + period + `","comment":"` + secret + `","subject_ref":"` + subject + `",
		 "consent":{"purposes":["service_improvement"],"method":"verbal","notice_version":"2026-01"}}`
	}
	var mine []string
	for i := range 7 {
		resp, out := e.do(t, "POST", "/v1/feedback", me, jsonCT, body("victim-support/initial-contact", []string{"2026-09", "2026-10"}[i%2], "VS-"+string(rune('A'+i%3))))
		if resp.StatusCode != 201 {
			t.Fatalf("submit: %d %s", resp.StatusCode, out)
		}
		var rc candour.Receipt
		json.Unmarshal(out, &rc)
		mine = append(mine, rc.ID)
	}
	e.submit(t, colleague, body("victim-support/court-preparation", "2026-10", "VS-A"))
	e.submit(t, police, body("police/report-a-crime", "2026-10", "VS-A"))
	slices.Reverse(mine)

	cm := map[string]string{"Candour-Purpose": "case_management"}
	cmJSON := map[string]string{"Candour-Purpose": "case_management", "Content-Type": "application/json"}
	page := func(t *testing.T, method, path, body string) candour.RecordList {
		t.Helper()
		h := cm
		if method == "POST" {
			h = cmJSON
		}
		resp, out := e.do(t, method, path, me, h, body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, out)
		}
		if strings.Contains(string(out), secret) || strings.Contains(string(out), "VS-") {
			t.Fatalf("a list shows sealed content: %s", out)
		}
		var l candour.RecordList
		if err := json.Unmarshal(out, &l); err != nil {
			t.Fatal(err)
		}
		return l
	}
	ids := func(l candour.RecordList) []string {
		var out []string
		for _, r := range l.Records {
			out = append(out, r.ID)
		}
		return out
	}

	t.Run("PagesNewestFirst", func(t *testing.T) {
		var got []string
		path := "/v1/feedback?mine=true&limit=3"
		for range 5 {
			l := page(t, "GET", path, "")
			got = append(got, ids(l)...)
			if l.Next == "" {
				break
			}
			path = "/v1/feedback?mine=true&limit=3&cursor=" + l.Next
		}
		if !slices.Equal(got, mine) {
			t.Errorf("paged through %v, want %v", got, mine)
		}
	})
	t.Run("Filters", func(t *testing.T) {
		all := page(t, "GET", "/v1/feedback", "")
		if len(all.Records) != 8 {
			t.Errorf("the agency's list holds %d records, want 8 (7 mine, 1 a colleague's, none of the police's)", len(all.Records))
		}
		for _, r := range page(t, "GET", "/v1/feedback?period=2026-09", "").Records {
			if r.Period != "2026-09" {
				t.Errorf("period filter let through %+v", r)
			}
		}
		if got := page(t, "GET", "/v1/feedback?service=victim-support/court-preparation", "").Records; len(got) != 1 || got[0].SubmittedBy != "cw-colleague" {
			t.Errorf("service filter: %+v", got)
		}
	})
	t.Run("BySubjectInTheBody", func(t *testing.T) {
		l := page(t, "POST", "/v1/feedback/search", `{"subject_ref":"VS-A"}`)
		if len(l.Records) != 4 { // records 0, 3, 6 and the colleague's; not the police's
			t.Errorf("subject VS-A: %d records, want 4", len(l.Records))
		}
		if l := page(t, "POST", "/v1/feedback/search", `{"subject_ref":"VS-A","mine":true}`); len(l.Records) != 3 {
			t.Errorf("subject VS-A, mine: %d records, want 3", len(l.Records))
		}
		resp, out := e.do(t, "GET", "/v1/feedback?subject_ref=VS-A", me, cm, "")
		if resp.StatusCode != 400 || strings.Contains(string(out), "VS-A") {
			t.Errorf("a subject reference in the URL: %d %s", resp.StatusCode, out)
		}
	})
	t.Run("Refusals", func(t *testing.T) {
		for _, tt := range []struct {
			name, path string
			header     map[string]string
			status     int
		}{
			{"no purpose", "/v1/feedback", nil, 400},
			{"bad month", "/v1/feedback?period=2026-13", cm, 400},
			{"bad cursor", "/v1/feedback?cursor=x", cm, 400},
			{"too large a page", "/v1/feedback?limit=51", cm, 400},
			{"unknown filter", "/v1/feedback?colour=red", cm, 400},
			{"another purpose", "/v1/feedback", map[string]string{"Candour-Purpose": "service_improvement"}, 403},
		} {
			t.Run(tt.name, func(t *testing.T) {
				resp, out := e.do(t, "GET", tt.path, me, tt.header, "")
				if resp.StatusCode != tt.status {
					t.Fatalf("%d, want %d: %s", resp.StatusCode, tt.status, out)
				}
				checkProblem(t, resp, out, tt.status)
			})
		}
	})
	t.Run("Audited", func(t *testing.T) {
		l := page(t, "GET", "/v1/feedback?mine=true&limit=2", "")
		entries := e.auditEntries(t, "feedback.list")
		var found bool
		for _, en := range entries {
			if slices.Equal(en.Records, ids(l)) && en.Actor.Subject == "cw-me" && en.Purpose == candour.PurposeCaseManagement {
				found = true
			}
			if strings.Contains(en.Query, "VS-") {
				t.Errorf("an audit entry holds a subject reference: %+v", en)
			}
		}
		if !found {
			t.Errorf("no audit entry names the page's records %v", ids(l))
		}
	})
}
