package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/candour-vault/candour"
)

// sharedBody is feedback that the person agreed may inform service
// improvement and be shared with police-north.
func sharedBody(satisfaction int, period string) string {
	return fmt.Sprintf(`{"service":"victim-support/initial-contact","period":"%s","ratings":{"satisfaction":%d,"felt_safe":"yes"},
	 "comment":"`+secret+`","consent":{"purposes":["service_improvement","inter_agency_insight"],
	 "share_with":["police-north"],"method":"verbal","notice_version":"2026-01"}}`, period, satisfaction)
}

// caseworkers returns n tokens of distinct caseworkers of an agency, so that
// insight's contributor rules see a team rather than one person.
func (e env) caseworkers(t *testing.T, agency string, n int) []string {
	t.Helper()
	out := make([]string, n)
	for i := range out {
		out[i] = e.tokenAs(t, fmt.Sprintf("cw-%s-%02d", agency, i), candour.RoleCaseworker, agency)
	}
	return out
}

func TestInsightSummary(t *testing.T) {
	e := newEnv(t)
	cws := e.caseworkers(t, "victim-support-north", 12)
	for i := range 24 {
		e.submit(t, cws[i%12], sharedBody(1+i%5, "2026-09"))
	}
	for i := range 3 { // a month of three people
		e.submit(t, cws[i], sharedBody(5, "2026-10"))
	}
	partner := e.token(t, candour.RoleAnalyst, "police-north")
	purpose := map[string]string{"Candour-Purpose": "service_improvement"}
	var sum struct {
		MinCell         int `json:"min_cell"`
		Rounding        int
		ReleasedThrough string `json:"released_through"`
		Cells           []map[string]any
	}
	// The first question releases every month that may be released by now
	// (with no embargo here: every month that has ended).
	resp, body := e.do(t, "GET", "/v1/insights/summary?group_by=agency,period", partner, purpose, "")
	if resp.StatusCode != 200 {
		t.Fatalf("partner analyst: %d %s", resp.StatusCode, body)
	}
	if releases := e.auditEntries(t, "insight.release"); len(releases) != 2 {
		t.Errorf("%d release entries after the first question, want one for each month", len(releases))
	}
	e.release(t) // nothing more to release
	if strings.Contains(string(body), "John Smith") || strings.Contains(string(body), "suppressed") {
		t.Fatal("a summary holds comment text, or says what it hides")
	}
	if err := json.Unmarshal(body, &sum); err != nil {
		t.Fatal(err)
	}
	// The month of three is left out, exactly as a month with nobody in it.
	if sum.MinCell != 10 || sum.Rounding != 5 || len(sum.Cells) != 1 || sum.Cells[0]["period"] != "2026-09" || sum.ReleasedThrough < "2026-10" {
		t.Fatalf("summary %s; want the month of 24 only", body)
	}
	c := sum.Cells[0]
	n, _ := c["count"].(float64)
	if c["agency"] != "victim-support-north" || int(n)%5 != 0 || n < 20 || n > 30 || c["satisfaction_mean"] == nil || c["felt_safe_pct"] == nil {
		t.Errorf("the agency's 24 records: %v; want a count rounded to 5 near 24 and measures", c)
	}
	// A record arriving late for a released month changes nothing.
	e.submit(t, cws[0], sharedBody(1, "2026-09"))
	if _, again := e.do(t, "GET", "/v1/insights/summary?group_by=agency,period", partner, purpose, ""); !bytes.Equal(again, body) {
		t.Errorf("a late record changed a released month:\n%s\n%s", body, again)
	}
	// An analyst of an agency with no agreement sees none of it.
	other := e.token(t, candour.RoleAnalyst, "housing-north")
	resp, body = e.do(t, "GET", "/v1/insights/summary?group_by=agency", other, purpose, "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"cells":[]`) {
		t.Errorf("unrelated analyst: %d %s; want no cells", resp.StatusCode, body)
	}
	e.checkStatuses(t, "/v1/insights/summary", []statusCase{
		{"caseworker", "", cws[0], purpose, 403},
		{"case management purpose", "", partner, map[string]string{"Candour-Purpose": "case_management"}, 403},
		{"no purpose", "", partner, nil, 400},
		{"bad dimension", "?group_by=subject_hash", partner, purpose, 400},
		{"too many dimensions", "?group_by=agency,service,touchpoint,channel", partner, purpose, 400},
		{"bad period", "?from=October", partner, purpose, 400},
		{"from after to", "?from=2026-10&to=2026-01", partner, purpose, 400},
		{"unknown parameter", "?colour=red", partner, purpose, 400},
		{"page is for comments", "?page=2", partner, purpose, 400},
	})
	// Every summary asked for is in the audit log, with a digest of the query.
	entries := e.auditEntries(t, "insight.summary")
	if len(entries) < 4 || entries[0].Query == "" || entries[0].Outcome != candour.OutcomeOK {
		t.Errorf("insight entries in the audit log: %d, first %+v", len(entries), entries)
	}
}

// statusCase is one request and the status it must get; an error status must
// come as problem+json.
type statusCase struct {
	name, query, token string
	header             map[string]string
	status             int
}

// checkStatuses sends GET path+query for each case.
func (e env) checkStatuses(t *testing.T, path string, cases []statusCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.do(t, "GET", path+tt.query, tt.token, tt.header, "")
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			checkProblem(t, resp, body, tt.status)
		})
	}
}

// auditEntries returns the audit log's entries of an action, as an auditor
// of the oversight body (who reads the whole log) reads them.
func (e env) auditEntries(t *testing.T, action string) []candour.AuditEntry {
	t.Helper()
	auditor := e.token(t, candour.RoleAuditor, "north-inspectorate")
	resp, body := e.do(t, "GET", "/v1/audit/entries?action="+action, auditor, nil, "")
	var log struct {
		Entries []struct{ Entry candour.AuditEntry }
	}
	if err := json.Unmarshal(body, &log); err != nil || resp.StatusCode != 200 {
		t.Fatalf("audit entries: %d %s", resp.StatusCode, body)
	}
	out := make([]candour.AuditEntry, len(log.Entries))
	for i, le := range log.Entries {
		out[i] = le.Entry
	}
	return out
}

func TestInsightEqualityBands(t *testing.T) {
	e := newEnv(t)
	cws := e.caseworkers(t, "victim-support-north", 15)
	body := func(purposes, equality string) string {
		return `{"service":"victim-support/ongoing-support","period":"2026-09","ratings":{"satisfaction":4},
		 "consent":{"purposes":[` + purposes + `],"method":"verbal","notice_version":"2026-01"}` + equality + `}`
	}
	monitoring := `"service_improvement","equality_monitoring"`
	for i := range 30 {
		band := []string{"35-44", "25-34"}[i%2] // both widen to 25-44
		e.submit(t, cws[i%15], body(monitoring, `,"equality":{"age_band":"`+band+`","sex":"female"}`))
		e.submit(t, cws[i%15], body(monitoring, `,"equality":{"age_band":"18-24","sex":"male"}`))
	}
	for i := range 11 { // no consent to equality monitoring: out of scope for it
		e.submit(t, cws[i], body(`"service_improvement"`, ""))
	}
	e.release(t)
	analyst := e.token(t, candour.RoleAnalyst, "victim-support-north")
	equality := map[string]string{"Candour-Purpose": "equality_monitoring"}
	resp, out := e.do(t, "GET", "/v1/insights/summary?group_by=age_band", analyst, equality, "")
	if resp.StatusCode != 200 {
		t.Fatalf("equality monitoring by age band: %d %s", resp.StatusCode, out)
	}
	var sum struct{ Cells []map[string]any }
	if err := json.Unmarshal(out, &sum); err != nil {
		t.Fatal(err)
	}
	bands := map[string]float64{}
	for _, c := range sum.Cells {
		n, _ := c["count"].(float64)
		bands[c["age_band"].(string)] = n
	}
	if len(bands) != 2 || bands["25-44"] < 25 || bands["25-44"] > 35 || bands["under_25"] < 25 || bands["under_25"] > 35 {
		t.Errorf("cells %s; want under_25 and 25-44, about 30 each, and none for records without consent to equality monitoring", out)
	}
	for _, fine := range []string{"35-44", "25-34", "18-24"} {
		if strings.Contains(string(out), fine) {
			t.Errorf("a submitted band %q reached the summary: %s", fine, out)
		}
	}
	e.checkStatuses(t, "/v1/insights/summary", []statusCase{
		{"another purpose", "?group_by=age_band", analyst, map[string]string{"Candour-Purpose": "service_improvement"}, 403},
		{"partner under an agreement without equality", "?group_by=sex", e.token(t, candour.RoleAnalyst, "police-north"),
			map[string]string{"Candour-Purpose": "inter_agency_insight"}, 403},
		{"four dimensions", "?group_by=age_band,sex,ethnic_group,disability", analyst, equality, 400},
	})
	// The refusals are in the audit log as denied.
	entries := e.auditEntries(t, "insight.summary")
	denied := 0
	for _, entry := range entries {
		if entry.Outcome == candour.OutcomeDenied {
			denied++
		}
	}
	if len(entries) != 3 || denied != 2 {
		t.Errorf("%d insight entries, %d denied; want 3 and 2", len(entries), denied)
	}
}

func TestInsightComments(t *testing.T) {
	e := newEnv(t)
	cws := e.caseworkers(t, "victim-support-north", 15)
	comment := func(i int) string {
		return fmt.Sprintf("Call me on 07700 900%03d, or ask for my key worker. My name is Sarah and I live at %d Station Road.", i, i)
	}
	body := func(i int, period string) string {
		return fmt.Sprintf(`{"service":"victim-support/initial-contact","period":"%s","comment":%q,
		 "consent":{"purposes":["service_improvement","inter_agency_insight"],"share_with":["police-north"],
		 "method":"verbal","notice_version":"2026-01"}}`, period, comment(i))
	}
	var ids []string
	for i := range 62 {
		resp, out := e.do(t, "POST", "/v1/feedback", cws[i%15], jsonCT, body(i, "2026-09"))
		var rc candour.Receipt
		if json.Unmarshal(out, &rc); resp.StatusCode != 201 {
			t.Fatalf("submit: %d %s", resp.StatusCode, out)
		}
		ids = append(ids, rc.ID)
	}
	for i := range 3 { // three people
		e.submit(t, cws[i], body(100+i, "2026-10"))
	}
	e.release(t)
	partner := e.token(t, candour.RoleAnalyst, "police-north")
	purpose := map[string]string{"Candour-Purpose": "service_improvement"}
	page := func(n int) (candour.InsightComments, []byte) {
		t.Helper()
		resp, b := e.do(t, "GET", fmt.Sprintf("/v1/insights/comments?page=%d", n), partner, purpose, "")
		if resp.StatusCode != 200 {
			t.Fatalf("comments page %d: %d %s", n, resp.StatusCode, b)
		}
		var out candour.InsightComments
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		return out, b
	}
	// 62 comments show as 60 (never an exact count), 50 to a page; the
	// month of three is not named at all.
	first, b := page(1)
	if len(first.Groups) != 1 || first.Groups[0].Period != "2026-09" || len(first.Groups[0].Comments) != 50 || !first.More {
		t.Fatalf("page 1: %s", b)
	}
	second, _ := page(2)
	if len(second.Groups) != 1 || len(second.Groups[0].Comments) != 10 || second.More {
		t.Fatalf("page 2: %d groups, more %v", len(second.Groups), second.More)
	}
	if third, _ := page(3); len(third.Groups) != 0 || third.More {
		t.Errorf("page 3: %+v", third)
	}
	g := first.Groups[0]
	for _, c := range g.Comments {
		if !strings.Contains(c, "[PHONE]") || !strings.Contains(c, "[NAME]") || !strings.Contains(c, "[ADDRESS]") {
			t.Errorf("comment not redacted: %q", c)
		}
	}
	if n := g.Themes["communication"]; n == nil || *n != 50 || g.Themes["safety"] != nil || g.SentimentMean == nil {
		t.Errorf("themes %v, sentiment %v: want communication in all 50 (\"call\"), safety withheld, a mean", g.Themes, g.SentimentMean)
	}
	for _, leak := range []string{"07700 900", "Sarah", "Station Road", "2026-10"} {
		if strings.Contains(string(b), leak) {
			t.Errorf("the comments hold %q", leak)
		}
	}
	if entries := e.auditEntries(t, "insight.comments"); len(entries) != 3 || len(entries[0].Records) != 50 || len(entries[1].Records) != 10 {
		t.Errorf("the audit entries of the comment pages: %+v; want the opened records named, page by page", entries)
	}
	// The same page asked again is the same page.
	if _, again := page(1); !bytes.Equal(again, b) {
		t.Error("page 1 changed between two requests")
	}
	// One person withdraws: the group is withheld, not shown a comment short.
	if resp, out := e.do(t, "POST", "/v1/feedback/"+ids[7]+"/withdraw", cws[7], nil, ""); resp.StatusCode != 200 {
		t.Fatalf("withdraw: %d %s", resp.StatusCode, out)
	}
	if after, b := page(1); len(after.Groups) != 0 {
		t.Errorf("after a withdrawal the group is still shown: %s", b)
	}
	other := e.token(t, candour.RoleAnalyst, "housing-north")
	if resp, b := e.do(t, "GET", "/v1/insights/comments", other, purpose, ""); resp.StatusCode != 200 || !strings.Contains(string(b), `"groups":[]`) {
		t.Errorf("unrelated analyst: %d %s", resp.StatusCode, b)
	}
	e.checkStatuses(t, "/v1/insights/comments", []statusCase{
		{"group_by", "?group_by=service", partner, purpose, 400},
		{"page 0", "?page=0", partner, purpose, 400},
		{"page not a number", "?page=two", partner, purpose, 400},
		{"page too far", "?page=10001", partner, purpose, 400},
	})
}

// demoIdentity reads a demo agency's age identity from the policy directory.
func demoIdentity(t *testing.T, agency string) *age.X25519Identity {
	t.Helper()
	b, err := os.ReadFile("../policy/rego/demo-agency-keys.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if l == "# "+agency && i+1 < len(lines) {
			id, err := age.ParseX25519Identity(lines[i+1])
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
	}
	t.Fatalf("no demo identity for %s", agency)
	return nil
}

func TestInsightExport(t *testing.T) {
	e := newEnv(t)
	cws := e.caseworkers(t, "victim-support-north", 12)
	cw := cws[0]
	for i := range 24 {
		e.submit(t, cws[i%12], sharedBody(1+i%5, "2026-09"))
	}
	e.release(t)
	partner := e.token(t, candour.RoleAnalyst, "police-north")
	purpose := map[string]string{"Candour-Purpose": "service_improvement"}
	open := func(sealed []byte, id age.Identity) ([]byte, error) {
		r, err := age.Decrypt(bytes.NewReader(sealed), id)
		if err != nil {
			return nil, err
		}
		return io.ReadAll(r)
	}
	resp, sealed := e.do(t, "GET", "/v1/insights/export?format=json", partner, purpose, "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("export: %d %s", resp.StatusCode, sealed)
	}
	if _, err := open(sealed, demoIdentity(t, "victim-support-north")); err == nil {
		t.Error("another agency's key opened the export")
	}
	plain, err := open(sealed, demoIdentity(t, "police-north"))
	if err != nil {
		t.Fatalf("police-north's key does not open its export: %v", err)
	}
	var out struct {
		Summary  candour.InsightSummary
		Comments []candour.CommentGroup
	}
	if err := json.Unmarshal(plain, &out); err != nil {
		t.Fatalf("export JSON: %v\n%s", err, plain)
	}
	if len(out.Summary.Cells) != 1 || len(out.Comments) != 1 || len(out.Comments[0].Comments) != 20 {
		t.Errorf("export content: %s", plain)
	}
	if strings.Contains(string(plain), "John Smith") || !strings.Contains(string(plain), "[NAME]") {
		t.Error("the export holds an unredacted name")
	}
	resp, sealed = e.do(t, "GET", "/v1/insights/export?format=csv&group_by=service", partner, purpose, "")
	plain, err = open(sealed, demoIdentity(t, "police-north"))
	if resp.StatusCode != 200 || err != nil || !strings.HasPrefix(string(plain), "service,count,satisfaction_mean") {
		t.Errorf("CSV export: %d %v %q", resp.StatusCode, err, plain)
	}
	for _, tt := range []struct {
		name, query, token string
		status             int
	}{
		{"bad format", "?format=xml", partner, 400},
		{"caseworker", "?format=json", cw, 403},
	} {
		resp, b := e.do(t, "GET", "/v1/insights/export"+tt.query, tt.token, purpose, "")
		if resp.StatusCode != tt.status {
			t.Errorf("%s: %d, want %d: %s", tt.name, resp.StatusCode, tt.status, b)
		}
	}
}
