package web_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/candour-vault/candour"
)

// dpoPerson is the dev sign-in's administrator (data protection officer)
// of victim-support-north.
const dpoPerson = 4

// TestSubjectAccessPages: the officer finds a person's records with what
// they say and who has seen each, and downloads them; a bad reference or
// recipient gets an error summary; the reference is never in a URL or a
// log line.
func TestSubjectAccessPages(t *testing.T) {
	e := newEnv(t)
	cw := e.browser(t)
	cw.signIn(0)
	id := cw.record(consentAnswers(), detailAnswers())
	cw.get("/records/" + id)
	b := e.browser(t)
	b.signIn(dpoPerson)

	resp, page := b.post("/subject-access", url.Values{"subject-ref": {""}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `href="#subject-ref">Enter the subject reference`) {
		t.Fatalf("an empty reference: %d", resp.StatusCode)
	}
	resp, page = b.post("/subject-access", url.Values{"subject-ref": {journeySubject}})
	text := html.UnescapeString(page)
	for _, want := range []string{"1 record about this person", journeyComment, "Age: 35 to 44", "A caseworker at Victim Support North",
		"Managing the person's case", "Recorded feedback", "Read a record"} {
		if !strings.Contains(text, want) {
			t.Errorf("the answer lacks %q", want)
		}
	}
	if resp.StatusCode != 200 || strings.Contains(text, "dev-caseworker") {
		t.Errorf("answer %d, or it names a member of staff", resp.StatusCode)
	}
	resp, page = b.post("/subject-access/download", url.Values{"subject-ref": {journeySubject}, "recipient": {"age1nonsense"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `href="#recipient"`) {
		t.Errorf("a bad recipient: %d", resp.StatusCode)
	}
	resp, page = b.post("/subject-access/download", url.Values{"subject-ref": {journeySubject}})
	var got candour.SubjectAccess
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") || json.Unmarshal([]byte(page), &got) != nil ||
		len(got.Records) != 1 || got.Records[0].Comment != journeyComment {
		t.Errorf("download: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), page[:min(len(page), 200)])
	}
	if strings.Contains(e.logs.String(), journeySubject) {
		t.Error("a log line holds the subject reference")
	}
}

// TestErasurePages: preview, a confirmation that is required, a refusal
// under a legal hold with nothing erased, then the erasure and its receipt.
func TestErasurePages(t *testing.T) {
	e := newEnv(t)
	cw := e.browser(t)
	cw.signIn(0)
	id := cw.record(consentAnswers(), detailAnswers())
	b := e.browser(t)
	b.signIn(dpoPerson)
	resp, page := b.post("/erasure", url.Values{"step": {"preview"}, "subject-ref": {journeySubject}})
	if resp.StatusCode != 200 || !strings.Contains(page, "Check before you erase") || !strings.Contains(page, "Erase 1 record") {
		t.Fatalf("preview: %d", resp.StatusCode)
	}
	resp, page = b.post("/erasure", url.Values{"step": {"confirm"}, "subject-ref": {journeySubject}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `href="#confirmed"`) {
		t.Fatalf("an unconfirmed erasure: %d", resp.StatusCode)
	}
	resp, page = b.post("/holds", url.Values{"target": {"record"}, "record": {id}, "reason": {"Claim 2026/114"},
		"review-day": {"1"}, "review-month": {"6"}, "review-year": {"2030"}})
	if resp.StatusCode != 200 || !strings.Contains(page, "Hold placed") || !strings.Contains(page, "Claim 2026/114") {
		t.Fatalf("placing a hold: %d", resp.StatusCode)
	}
	resp, page = b.post("/erasure", url.Values{"step": {"confirm"}, "subject-ref": {journeySubject}, "confirmed": {"yes"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "under a legal hold, so nothing was erased") {
		t.Fatalf("erasure under a hold: %d", resp.StatusCode)
	}
	if resp, _ := cw.get("/records/" + id); resp.StatusCode != 200 {
		t.Fatal("a refused erasure erased the record")
	}
	holdID := between(page, `/holds/`, `/release`)
	if holdID == "" {
		_, holds := b.get("/holds")
		holdID = between(holds, `action="/holds/`, `/release"`)
	}
	if resp, _ := b.post("/holds/"+holdID+"/release", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("releasing the hold: %d", resp.StatusCode)
	}
	resp, page = b.post("/erasure", url.Values{"step": {"confirm"}, "subject-ref": {journeySubject}, "confirmed": {"yes"}})
	if resp.StatusCode != 200 || !strings.Contains(page, "Records erased") || !strings.Contains(page, "1 record erased") {
		t.Fatalf("erasure: %d", resp.StatusCode)
	}
	if resp, _ := cw.get("/records/" + id); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the erased record still opens: %d", resp.StatusCode)
	}
}

// TestHoldAndRetentionPages: the holds form answers each mistake with an
// error summary and keeps what was typed; the retention page shows the
// agency's rules.
func TestHoldAndRetentionPages(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.signIn(dpoPerson)
	tests := []struct {
		name  string
		form  url.Values
		field string
	}{
		{"nothing chosen", url.Values{"reason": {"r"}, "review-day": {"1"}, "review-month": {"1"}, "review-year": {"2030"}}, "target"},
		{"a bad record reference", url.Values{"target": {"record"}, "record": {"12"}, "reason": {"r"}, "review-day": {"1"}, "review-month": {"1"}, "review-year": {"2030"}}, "record"},
		{"another agency's record", url.Values{"target": {"record"}, "record": {"0190aaaa-0000-7000-8000-000000000000"}, "reason": {"r"}, "review-day": {"1"}, "review-month": {"1"}, "review-year": {"2030"}}, "record"},
		{"no subject reference", url.Values{"target": {"subject"}, "reason": {"r"}, "review-day": {"1"}, "review-month": {"1"}, "review-year": {"2030"}}, "subject-ref"},
		{"no reason", url.Values{"target": {"subject"}, "subject-ref": {"VS-1"}, "review-day": {"1"}, "review-month": {"1"}, "review-year": {"2030"}}, "reason"},
		{"no such day", url.Values{"target": {"subject"}, "subject-ref": {"VS-1"}, "reason": {"Kept for the inquiry"}, "review-day": {"31"}, "review-month": {"2"}, "review-year": {"2030"}}, "review"},
		{"no review date", url.Values{"target": {"subject"}, "subject-ref": {"VS-1"}, "reason": {"Kept for the inquiry"}}, "review"},
		{"a past day", url.Values{"target": {"subject"}, "subject-ref": {"VS-1"}, "reason": {"Kept for the inquiry"}, "review-day": {"1"}, "review-month": {"1"}, "review-year": {"2020"}}, "review"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, page := b.post("/holds", tt.form)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `href="#`+tt.field+`"`) {
				t.Errorf("status %d, want 422 with an error for %s", resp.StatusCode, tt.field)
			}
			if r := tt.form.Get("reason"); r != "" && !strings.Contains(page, r) {
				t.Error("the reason typed was lost")
			}
		})
	}
	resp, page := b.post("/holds", url.Values{"target": {"subject"}, "subject-ref": {"VS-2026-777"}, "reason": {"Kept for the inquiry"},
		"review-day": {"1"}, "review-month": {"1"}, "review-year": {"2030"}})
	if resp.StatusCode != 200 || !strings.Contains(html.UnescapeString(page), "A person's records") || strings.Contains(page, "VS-2026-777") {
		t.Errorf("a subject's hold: %d, or the page repeats the reference", resp.StatusCode)
	}
	resp, page = b.get("/retention")
	if resp.StatusCode != 200 || !strings.Contains(page, "vs-24m") || !strings.Contains(page, "vs-safeguarding-72m") || strings.Contains(page, "police-36m") {
		t.Errorf("retention page %d: want the agency's own rules only", resp.StatusCode)
	}
}

// between returns the text of s between the first before and the next after.
func between(s, before, after string) string {
	_, rest, ok := strings.Cut(s, before)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, after)
	return v
}
