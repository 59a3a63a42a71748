package api_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/candour-vault/candour"
)

// matrixCell is one row of testdata/authz_matrix.txt.
type matrixCell struct {
	method, path, role, relation, purpose, consent string
	status                                         int
	line                                           int
}

func (c matrixCell) key() string {
	return strings.Join([]string{c.method, c.path, c.role, c.relation, c.purpose, c.consent}, " ")
}

func readMatrix(t *testing.T) []matrixCell {
	t.Helper()
	f, err := os.Open("testdata/authz_matrix.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cells []matrixCell
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 7 {
			t.Fatalf("authz_matrix.txt:%d: %d columns, want 7", n, len(fields))
		}
		st, err := strconv.Atoi(fields[6])
		if err != nil {
			t.Fatalf("authz_matrix.txt:%d: status %q", n, fields[6])
		}
		cells = append(cells, matrixCell{fields[0], fields[1], fields[2], fields[3], fields[4], fields[5], st, n})
	}
	return cells
}

// TestAuthorizationMatrix sends every request of the matrix and checks the
// answer. It first checks that the matrix holds every cell exactly once.
func TestAuthorizationMatrix(t *testing.T) {
	cells := readMatrix(t)
	endpoints := []string{"POST /v1/feedback", "GET /v1/feedback/{id}", "GET /v1/feedback?mine=false", "GET /v1/audit/entries?record={id}",
		"GET /v1/audit/checkpoint", "POST /v1/audit/checkpoint", "GET /v1/audit/proof/inclusion?seq=0&size=2",
		"GET /v1/audit/proof/consistency?old=1&new=2", "GET /v1/audit/verifier-key",
		"POST /v1/feedback/{fresh}/withdraw", "POST /v1/subjects/erase",
		"GET /v1/insights/summary?group_by=agency", "GET /v1/insights/comments", "GET /v1/insights/export?format=csv"}
	relations := map[string]string{"own": "victim-support-north", "partner": "police-north", "unrelated": "housing-north"}
	consents := []string{"given", "withdrawn", "expired"}
	want := map[string]bool{}
	for _, ep := range endpoints {
		for _, role := range candour.Roles() {
			for rel := range relations {
				for _, p := range candour.RequestPurposes() {
					for _, c := range consents {
						want[strings.Join([]string{ep, string(role), rel, string(p), c}, " ")] = true
					}
				}
			}
		}
	}
	seen := map[string]int{}
	for _, c := range cells {
		if !want[c.key()] {
			t.Errorf("authz_matrix.txt:%d: %q is not a cell of the matrix", c.line, c.key())
		}
		if prev, dup := seen[c.key()]; dup {
			t.Errorf("authz_matrix.txt:%d: %q repeats line %d", c.line, c.key(), prev)
		}
		seen[c.key()] = c.line
	}
	for k := range want {
		if _, ok := seen[k]; !ok {
			t.Errorf("authz_matrix.txt lacks the cell %q", k)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	e := newEnv(t)
	records := e.matrixRecords(t)
	if _, err := e.tree.Checkpoint(context.Background()); err != nil { // so that there is one to read and prove against
		t.Fatal(err)
	}
	tokens := map[string]string{}
	for _, role := range candour.Roles() {
		for rel, agency := range relations {
			tokens[string(role)+"/"+rel] = e.token(t, role, agency)
		}
	}
	for _, c := range cells {
		t.Run(c.key(), func(t *testing.T) {
			header := map[string]string{"Candour-Purpose": c.purpose}
			body := ""
			path := strings.ReplaceAll(c.path, "{id}", records[c.consent])
			if strings.Contains(path, "{fresh}") {
				path = strings.ReplaceAll(path, "{fresh}", e.freshRecord(t, c.consent, records))
			}
			if c.method == "POST" {
				header["Content-Type"] = "application/json"
				body = matrixBody(c.consent)
				if path == "/v1/subjects/erase" {
					body = `{"subject_ref": "VS-0000-000000"}`
				}
			}
			resp, got := e.do(t, c.method, path, tokens[c.role+"/"+c.relation], header, body)
			if resp.StatusCode != c.status {
				t.Errorf("authz_matrix.txt:%d: status %d, want %d: %s", c.line, resp.StatusCode, c.status, got)
			}
		})
	}
}

// matrixRecords makes one record of victim-support-north per consent state
// and returns their ids. The expired record is given consent that expires
// a few seconds later (time enough to store them all under the race
// detector), and the function waits for it; withdrawal is set in the
// database directly (the API's withdrawal also destroys content, which the
// read cells do not need).
func (e env) matrixRecords(t *testing.T) map[string]string {
	t.Helper()
	cw := e.token(t, candour.RoleCaseworker, "victim-support-north")
	ids := map[string]string{}
	expiry := time.Now().Add(6 * time.Second).UTC()
	for _, state := range []string{"given", "withdrawn", "expired"} {
		req := matrixBody("given")
		if state == "expired" {
			req = strings.Replace(req, `"notice_version": "2026-01"`, `"notice_version": "2026-01", "expires_at": "`+expiry.Format(time.RFC3339Nano)+`"`, 1)
		}
		resp, body := e.do(t, "POST", "/v1/feedback", cw, jsonCT, req)
		if resp.StatusCode != 201 {
			t.Fatalf("creating the %s record: %d %s", state, resp.StatusCode, body)
		}
		var rc candour.Receipt
		json.Unmarshal(body, &rc)
		ids[state] = rc.ID
	}
	db, err := sql.Open("sqlite", "file:"+e.dbPath+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE feedback SET consent_withdrawn_at = '2026-11-01T00:00:00.000000000Z' WHERE id = ?`, ids["withdrawn"]); err != nil {
		t.Fatal(err)
	}
	// A pool of expired records for the withdrawal cells, one each.
	for i := range 72 {
		req := strings.Replace(matrixBody("given"), `"notice_version": "2026-01"`, `"notice_version": "2026-01", "expires_at": "`+expiry.Format(time.RFC3339Nano)+`"`, 1)
		resp, body := e.do(t, "POST", "/v1/feedback", cw, jsonCT, req)
		if resp.StatusCode != 201 {
			t.Fatalf("creating expired record %d: %d %s", i, resp.StatusCode, body)
		}
		var rc candour.Receipt
		json.Unmarshal(body, &rc)
		ids[fmt.Sprintf("expired-%d", i)] = rc.ID
	}
	time.Sleep(time.Until(expiry) + 10*time.Millisecond)
	return ids
}

// freshRecord returns a record of its own for a withdrawal cell: a new one
// with consent given, one from the pool of expired ones, or the shared
// withdrawn one (a second withdrawal changes nothing).
func (e env) freshRecord(t *testing.T, consent string, records map[string]string) string {
	t.Helper()
	switch consent {
	case "withdrawn":
		return records["withdrawn"]
	case "expired":
		for k, id := range records {
			if strings.HasPrefix(k, "expired-") {
				delete(records, k)
				return id
			}
		}
		t.Fatal("the pool of expired records is empty")
	}
	cw := e.token(t, candour.RoleCaseworker, "victim-support-north")
	resp, body := e.do(t, "POST", "/v1/feedback", cw, jsonCT, matrixBody("given"))
	if resp.StatusCode != 201 {
		t.Fatalf("creating a fresh record: %d %s", resp.StatusCode, body)
	}
	var rc candour.Receipt
	json.Unmarshal(body, &rc)
	return rc.ID
}

func matrixBody(consent string) string {
	extra := ""
	switch consent {
	case "withdrawn":
		extra = `, "withdrawn_at": "2026-11-01T00:00:00Z"`
	case "expired":
		extra = `, "expires_at": "2026-01-01T00:00:00Z"`
	}
	return fmt.Sprintf(`{"service": "victim-support/initial-contact", "period": "2026-10",
		"ratings": {"satisfaction": 3}, "comment": "They kept me updated.",
		"consent": {"purposes": ["service_improvement", "inter_agency_insight"],
		"share_with": ["police-north", "council-north-social-care"],
		"method": "verbal", "notice_version": "2026-01"%s}}`, extra)
}

// TestOneRoleARequest: the cells of the matrix for a token that carries
// two roles (caseworker and auditor of victim-support-north). A request acts
// in the one role Candour-Role names; without it, it is refused, and a role
// the token does not carry is forbidden.
func TestOneRoleARequest(t *testing.T) {
	e := newEnv(t)
	cw := e.token(t, candour.RoleCaseworker, "victim-support-north")
	resp, body := e.do(t, "POST", "/v1/feedback", cw, jsonCT, matrixBody("given"))
	if resp.StatusCode != 201 {
		t.Fatalf("submit: %d %s", resp.StatusCode, body)
	}
	var rc candour.Receipt
	json.Unmarshal(body, &rc)
	both, err := e.issuer.Mint("both-1", "victim-support-north", []candour.Role{candour.RoleCaseworker, candour.RoleAuditor}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	read, log := "/v1/feedback/"+rc.ID, "/v1/audit/entries?record="+rc.ID
	for _, tt := range []struct {
		name, path, role, purpose string
		status                    int
	}{
		{"read, no role named", read, "", "case_management", 400},
		{"log, no role named", log, "", "audit", 400},
		{"read as caseworker", read, "caseworker", "case_management", 200},
		{"log as caseworker", log, "caseworker", "audit", 403},
		{"read as auditor", read, "auditor", "audit", 404},
		{"log as auditor", log, "auditor", "audit", 200},
		{"a role the token lacks", read, "admin", "case_management", 403},
		{"a role that does not exist", log, "superuser", "audit", 403},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{"Candour-Purpose": tt.purpose}
			if tt.role != "" {
				h["Candour-Role"] = tt.role
			}
			resp, body := e.do(t, "GET", tt.path, both, h, "")
			if resp.StatusCode != tt.status {
				t.Fatalf("%d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.status >= 400 {
				checkProblem(t, resp, body, tt.status)
			}
		})
	}
	// The audit entries name the one role each request acted in.
	for _, e := range e.auditEntries(t, "feedback.read") {
		if e.Actor.Subject == "both-1" && len(e.Actor.Roles) != 1 {
			t.Errorf("an entry names roles %v, want the one acted in", e.Actor.Roles)
		}
	}
}
