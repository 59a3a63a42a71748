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
		if resp, body := e.do(t, "POST", "/v1/feedback", cw, jsonCT, sharedBody(1+i%5, period)); resp.StatusCode != 201 {
			t.Fatalf("submit: %d %s", resp.StatusCode, body)
		}
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
	for _, tt := range []struct {
		name, query, token string
		header             map[string]string
		status             int
	}{
		{"caseworker", "", cw, purpose, 403},
		{"case management purpose", "", partner, map[string]string{"Candour-Purpose": "case_management"}, 403},
		{"no purpose", "", partner, nil, 400},
		{"bad dimension", "?group_by=subject_hash", partner, purpose, 400},
		{"too many dimensions", "?group_by=agency,service,touchpoint,channel", partner, purpose, 400},
		{"bad period", "?from=October", partner, purpose, 400},
		{"from after to", "?from=2026-10&to=2026-01", partner, purpose, 400},
		{"unknown parameter", "?colour=red", partner, purpose, 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.do(t, "GET", "/v1/insights/summary"+tt.query, tt.token, tt.header, "")
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			checkProblem(t, resp, body, tt.status)
		})
	}
	// Every summary asked for is in the audit log, with a digest of the query.
	auditor := e.token(t, candour.RoleAuditor, "victim-support-north")
	resp, body = e.do(t, "GET", "/v1/audit/entries?action=insight.summary", auditor, nil, "")
	var log struct {
		Entries []struct{ Entry candour.AuditEntry }
	}
	json.Unmarshal(body, &log)
	if len(log.Entries) < 4 || log.Entries[0].Entry.Query == "" || log.Entries[0].Entry.Outcome != candour.OutcomeOK {
		t.Errorf("insight entries in the audit log: %d, first %+v", len(log.Entries), log.Entries)
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
		if resp, b := e.do(t, "POST", "/v1/feedback", cw, jsonCT, body(i, period)); resp.StatusCode != 201 {
			t.Fatalf("submit: %d %s", resp.StatusCode, b)
		}
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
	auditor := e.token(t, candour.RoleAuditor, "victim-support-north")
	_, b = e.do(t, "GET", "/v1/audit/entries?action=insight.comments", auditor, nil, "")
	var log struct {
		Entries []struct{ Entry candour.AuditEntry }
	}
	json.Unmarshal(b, &log)
	if len(log.Entries) == 0 || len(log.Entries[0].Entry.Records) != 12 {
		t.Errorf("the audit entry of the comments read: %+v; want the 12 opened records named", log.Entries)
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
		if resp, b := e.do(t, "POST", "/v1/feedback", cw, jsonCT, sharedBody(1+i%5, "2026-09")); resp.StatusCode != 201 {
			t.Fatalf("submit: %d %s", resp.StatusCode, b)
		}
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
