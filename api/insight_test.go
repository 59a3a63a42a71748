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

func TestInsightSummary(t *testing.T) {
	e := newEnv(t)
	cw := e.token(t, candour.RoleCaseworker, "victim-support-north")
	for i := range 24 {
		period := "2026-09"
		if i >= 21 {
			period = "2026-10" // a month of three people
		}
		e.submit(t, cw, sharedBody(1+i%5, period))
	}
	partner := e.token(t, candour.RoleAnalyst, "police-north")
	purpose := map[string]string{"Candour-Purpose": "service_improvement"}
	resp, body := e.do(t, "GET", "/v1/insights/summary?group_by=agency,period", partner, purpose, "")
	if resp.StatusCode != 200 {
		t.Fatalf("partner analyst: %d %s", resp.StatusCode, body)
	}
	if strings.Contains(string(body), "John Smith") {
		t.Fatal("a summary holds comment text")
	}
	var sum struct {
		MinCell         int `json:"min_cell"`
		Rounding        int
		SuppressedCells int `json:"suppressed_cells"`
		Cells           []map[string]any
	}
	if err := json.Unmarshal(body, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.MinCell != 10 || sum.Rounding != 5 || len(sum.Cells) != 2 {
		t.Fatalf("summary %s", body)
	}
	// The month of three is suppressed, and so is its only neighbour: with
	// the agency's total known, one visible month would give the other away.
	if sum.SuppressedCells != 2 {
		t.Errorf("%d cells suppressed, want 2 (the month of three and, secondarily, its neighbour): %s", sum.SuppressedCells, body)
	}
	for _, c := range sum.Cells {
		if c["agency"] != "victim-support-north" || c["count"] != nil || c["satisfaction_mean"] != nil {
			t.Errorf("cell %v: want victim-support-north, suppressed", c)
		}
	}
	resp, body = e.do(t, "GET", "/v1/insights/summary?group_by=agency", partner, purpose, "")
	json.Unmarshal(body, &sum)
	if resp.StatusCode != 200 || len(sum.Cells) != 1 {
		t.Fatalf("by agency: %d %s", resp.StatusCode, body)
	}
	c := sum.Cells[0]
	n, _ := c["count"].(float64)
	if c["suppressed"] != false || int(n)%5 != 0 || n < 20 || n > 30 || c["satisfaction_mean"] == nil || c["felt_safe_pct"] == nil {
		t.Errorf("the agency's 24 records: %v; want a count rounded to 5 near 24 and measures", c)
	}
	// An analyst of an agency with no agreement sees none of it.
	other := e.token(t, candour.RoleAnalyst, "housing-north")
	resp, body = e.do(t, "GET", "/v1/insights/summary?group_by=agency", other, purpose, "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"cells":[]`) {
		t.Errorf("unrelated analyst: %d %s; want no cells", resp.StatusCode, body)
	}
	e.checkStatuses(t, "/v1/insights/summary", []statusCase{
		{"caseworker", "", cw, purpose, 403},
		{"case management purpose", "", partner, map[string]string{"Candour-Purpose": "case_management"}, 403},
		{"no purpose", "", partner, nil, 400},
		{"bad dimension", "?group_by=subject_hash", partner, purpose, 400},
		{"too many dimensions", "?group_by=agency,service,touchpoint,channel", partner, purpose, 400},
		{"bad period", "?from=October", partner, purpose, 400},
		{"from after to", "?from=2026-10&to=2026-01", partner, purpose, 400},
		{"unknown parameter", "?colour=red", partner, purpose, 400},
	})
	// Every summary asked for is in the audit log, with a digest of the query.
	entries := e.auditEntries(t, "insight.summary")
	if len(entries) < 4 || entries[0].Query == "" || entries[0].Outcome != candour.OutcomeOK {
		t.Errorf("insight entries in the audit log: %d, first %+v", len(entries), entries)
	}
}

// submit posts one feedback body, which must be accepted.
func (e env) submit(t *testing.T, token, body string) {
	t.Helper()
	if resp, out := e.do(t, "POST", "/v1/feedback", token, jsonCT, body); resp.StatusCode != 201 {
		t.Fatalf("submit: %d %s", resp.StatusCode, out)
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
// reads them.
func (e env) auditEntries(t *testing.T, action string) []candour.AuditEntry {
	t.Helper()
	auditor := e.token(t, candour.RoleAuditor, "victim-support-north")
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
	cw := e.token(t, candour.RoleCaseworker, "victim-support-north")
	body := func(purposes, equality string) string {
		return `{"service":"victim-support/ongoing-support","period":"2026-09","ratings":{"satisfaction":4},
		 "consent":{"purposes":[` + purposes + `],"method":"verbal","notice_version":"2026-01"}` + equality + `}`
	}
	monitoring := `"service_improvement","equality_monitoring"`
	var submissions []string
	for i := range 12 {
		band := []string{"35-44", "25-34"}[i%2] // both widen to 25-44
		submissions = append(submissions,
			body(monitoring, `,"equality":{"age_band":"`+band+`","sex":"female"}`),
			body(monitoring, `,"equality":{"age_band":"18-24","sex":"male"}`))
	}
	for range 11 { // no consent to equality monitoring: out of scope for it
		submissions = append(submissions, body(`"service_improvement"`, ""))
	}
	for _, b := range submissions {
		e.submit(t, cw, b)
	}
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
	if len(bands) != 2 || bands["25-44"] < 10 || bands["25-44"] > 15 || bands["under_25"] < 10 || bands["under_25"] > 15 {
		t.Errorf("cells %s; want under_25 and 25-44, about 12 each, and none for records without consent to equality monitoring", out)
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
	cw := e.token(t, candour.RoleCaseworker, "victim-support-north")
	comment := func(i int) string {
		return fmt.Sprintf("Call me on 07700 900%03d, or ask for my key worker. My name is Sarah and I live at %d Station Road.", i, i)
	}
	body := func(i int, period string) string {
		return fmt.Sprintf(`{"service":"victim-support/initial-contact","period":"%s","comment":%q,
		 "consent":{"purposes":["service_improvement","inter_agency_insight"],"share_with":["police-north"],
		 "method":"verbal","notice_version":"2026-01"}}`, period, comment(i))
	}
	for i := range 15 {
		period := "2026-09"
		if i >= 12 {
			period = "2026-10" // three people
		}
		e.submit(t, cw, body(i, period))
	}
	partner := e.token(t, candour.RoleAnalyst, "police-north")
	purpose := map[string]string{"Candour-Purpose": "service_improvement"}
	resp, b := e.do(t, "GET", "/v1/insights/comments", partner, purpose, "")
	if resp.StatusCode != 200 {
		t.Fatalf("comments: %d %s", resp.StatusCode, b)
	}
	var out candour.InsightComments
	json.Unmarshal(b, &out)
	if len(out.Groups) != 2 {
		t.Fatalf("groups: %s", b)
	}
	for _, g := range out.Groups {
		switch g.Period {
		case "2026-09":
			if g.Withheld || len(g.Comments) != 12 {
				t.Errorf("the month of 12: withheld %v, %d comments", g.Withheld, len(g.Comments))
			}
			for _, c := range g.Comments {
				if !strings.Contains(c, "[PHONE]") || !strings.Contains(c, "[NAME]") || !strings.Contains(c, "[ADDRESS]") {
					t.Errorf("comment not redacted: %q", c)
				}
			}
			if n := g.Themes["communication"]; n == nil || *n != 12 || g.Themes["safety"] != nil || g.SentimentMean == nil {
				t.Errorf("themes %v, sentiment %v: want communication in all 12 (\"call\"), safety withheld, a mean", g.Themes, g.SentimentMean)
			}
		case "2026-10":
			if !g.Withheld || len(g.Comments) != 0 {
				t.Errorf("the month of 3 is shown: %+v", g)
			}
		}
	}
	for _, leak := range []string{"07700 900", "Sarah", "Station Road"} {
		if strings.Contains(string(b), leak) {
			t.Errorf("the comments hold %q", leak)
		}
	}
	other := e.token(t, candour.RoleAnalyst, "housing-north")
	if resp, b := e.do(t, "GET", "/v1/insights/comments", other, purpose, ""); resp.StatusCode != 200 || !strings.Contains(string(b), `"groups":[]`) {
		t.Errorf("unrelated analyst: %d %s", resp.StatusCode, b)
	}
	if resp, b := e.do(t, "GET", "/v1/insights/comments?group_by=service", partner, purpose, ""); resp.StatusCode != 400 {
		t.Errorf("group_by on comments: %d %s", resp.StatusCode, b)
	}
	if entries := e.auditEntries(t, "insight.comments"); len(entries) == 0 || len(entries[0].Records) != 12 {
		t.Errorf("the audit entry of the comments read: %+v; want the 12 opened records named", entries)
	}
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
	cw := e.token(t, candour.RoleCaseworker, "victim-support-north")
	for i := range 12 {
		e.submit(t, cw, sharedBody(1+i%5, "2026-09"))
	}
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
		Comments *candour.InsightComments
	}
	if err := json.Unmarshal(plain, &out); err != nil {
		t.Fatalf("export JSON: %v\n%s", err, plain)
	}
	if len(out.Summary.Cells) != 1 || out.Comments == nil || len(out.Comments.Groups) != 1 || len(out.Comments.Groups[0].Comments) != 12 {
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
