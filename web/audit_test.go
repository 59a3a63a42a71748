package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/candour-vault/candour"
)

// TestAuditConsole: the log newest first with filters, who saw a record,
// what a person did, checkpoints, and the export; only auditors reach it,
// and each view is itself audited.
func TestAuditConsole(t *testing.T) {
	e := newEnv(t)
	cw := e.browser(t)
	cw.signIn(0)
	id := cw.record(consentAnswers(), detailAnswers())
	cw.get("/records/" + id) // a read, to be seen
	police := e.browser(t)
	police.signIn(1)
	police.get("/records/" + id) // another agency's caseworker: refused, and logged
	analyst := e.browser(t)
	analyst.signIn(2)
	analyst.get("/insight?purpose=inter_agency_insight&group=service&measure=nps") // an analyst's question, to be read
	b := e.browser(t)
	b.signIn(3) // Jo Evans, auditor

	t.Run("NewestFirstAndFiltered", func(t *testing.T) {
		resp, page := b.get("/audit")
		if resp.StatusCode != 200 || !strings.Contains(page, "Read a record") || !strings.Contains(page, "Recorded feedback") {
			t.Fatalf("the log: %d", resp.StatusCode)
		}
		table := page[strings.Index(page, "<table"):]
		if strings.Index(table, "Read a record") > strings.Index(table, "Recorded feedback") {
			t.Error("the log is not newest first")
		}
		_, page = b.get("/audit?" + url.Values{"action": {"feedback.read"}, "outcome": {"denied"}}.Encode())
		if !strings.Contains(page, "dev-caseworker-police-north") || strings.Contains(page, ">dev-caseworker-victim-support-north<") {
			t.Errorf("the refused read, filtered by outcome: %s", page)
		}
		// The police analyst's question is police business: victim support's
		// auditor does not see it; the inspectorate's does, with what was asked.
		if _, page = b.get("/audit?action=insight.summary"); strings.Contains(page, "asked:") {
			t.Error("victim support's auditor sees police's insight questions")
		}
		inspector := e.browser(t)
		inspector.signIn(5) // Ruth Ali, auditor at the inspectorate
		if _, page = inspector.get("/audit?action=insight.summary"); !strings.Contains(page, "asked: group_by=service; from=; to=; service=") {
			t.Error("the inspectorate's log does not show what the analyst asked")
		}
		resp, page = b.get("/audit?from=2026-13-01")
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `href="#from"`) {
			t.Errorf("a bad date: %d", resp.StatusCode)
		}
	})
	t.Run("WhoSawThisRecord", func(t *testing.T) {
		before, _ := e.auditCount(t, candour.ActionAuditRead)
		resp, page := b.get("/audit/records/" + id)
		if resp.StatusCode != 200 {
			t.Fatalf("the timeline: %d", resp.StatusCode)
		}
		for _, want := range []string{"Who saw this record", "Recorded feedback", "Read a record", "dev-caseworker-police-north",
			"Refused by policy", "case_management", "sha256:"} {
			if !strings.Contains(page, want) {
				t.Errorf("the timeline lacks %q", want)
			}
		}
		if strings.Contains(page, "Gorse Lane") || strings.Contains(page, journeySubject) {
			t.Error("the timeline shows content")
		}
		if after, last := e.auditCount(t, candour.ActionAuditRead); after != before+1 || last.Purpose != candour.PurposeAudit {
			t.Errorf("a timeline view wrote %d audit.read entries (want 1), the last %+v", after-before, last)
		}
		_, page = b.get("/audit/actor?actor=dev-caseworker-police-north")
		if !strings.Contains(page, "What this person did") || !strings.Contains(page, "Read a record") || strings.Contains(page, "Recorded feedback") {
			t.Error("what the police caseworker did")
		}
	})
	t.Run("Checkpoint", func(t *testing.T) {
		resp, page := b.post("/audit/checkpoint", nil)
		if resp.StatusCode != 200 || !strings.Contains(page, "The log extends its last checkpoint") || !strings.Contains(page, "verifies with the log") ||
			!strings.Contains(page, "candour audit verify --log candour-audit.jsonl --verifier-key") {
			t.Fatalf("check now: %d", resp.StatusCode)
		}
		if _, page = b.get("/audit/checkpoint"); !strings.Contains(page, "candour.test/pages") {
			t.Error("the latest checkpoint is not shown")
		}
	})
	t.Run("Export", func(t *testing.T) {
		resp, body := b.get("/audit/export")
		lines := strings.Split(strings.TrimSpace(body), "\n")
		var first struct {
			Seq  int64  `json:"seq"`
			Leaf []byte `json:"leaf"`
		}
		if resp.Header.Get("Content-Type") != "application/x-ndjson" || len(lines) < 4 || json.Unmarshal([]byte(lines[0]), &first) != nil || first.Seq != 0 {
			t.Errorf("export: %s, %d lines, first %q", resp.Header.Get("Content-Type"), len(lines), lines[0])
		}
		if _, err := candour.ParseAuditLeaf(first.Leaf); err != nil {
			t.Errorf("the exported leaf does not parse: %v", err)
		}
	})
	t.Run("OnlyAuditors", func(t *testing.T) {
		for _, path := range []string{"/audit", "/audit/records/" + id, "/audit/checkpoint", "/audit/export"} {
			if resp, _ := cw.get(path); resp.StatusCode != http.StatusForbidden {
				t.Errorf("a caseworker opening %s: %d", path, resp.StatusCode)
			}
		}
		if resp, _ := b.get("/records/" + id); resp.StatusCode != http.StatusForbidden {
			t.Errorf("an auditor opening a record: %d", resp.StatusCode)
		}
	})
}
