package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/candour-vault/candour"
)

// seedReleased records feedback for two services over the given months,
// from 15 caseworkers of victim-support-north, shared with police-north,
// and releases the months (the env's releaser has no embargo).
func (e *env) seedReleased(t testing.TB, periods ...string) {
	t.Helper()
	ctx := context.Background()
	comments := []string{"They kept me updated every week and listened.", "I waited too long for a call back.",
		"The volunteer was kind and patient with me.", "Nobody explained what would happen at court."}
	n := 0
	for _, period := range periods {
		for _, service := range []string{"victim-support/initial-contact", "victim-support/ongoing-support"} {
			for i := range 30 {
				sat, rec := 1+(i*7+n)%5, (i*3+n)%11
				f := candour.Feedback{Service: service, Period: period, Comment: comments[i%len(comments)],
					Ratings: candour.Ratings{Satisfaction: &sat, WouldRecommend: &rec, FeltSafe: []string{"yes", "no", "partly"}[i%3]},
					Consent: candour.Consent{Purposes: []candour.Purpose{candour.PurposeServiceImprovement, candour.PurposeInterAgency},
						ShareWith: []string{"police-north"}, Method: "verbal", NoticeVersion: "1"}}
				c := candour.Caller{Principal: candour.Principal{Issuer: "test", Subject: fmt.Sprintf("cw-%d", i%15),
					Agency: "victim-support-north", Roles: []candour.Role{candour.RoleCaseworker}}}
				if _, err := e.feedback.Submit(ctx, c, f, candour.Idempotency{}); err != nil {
					t.Fatal(err)
				}
				n++
			}
		}
	}
	if _, err := e.releaser.Run(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// auditCount counts the audit entries of an action, and returns the last.
func (e *env) auditCount(t testing.TB, a candour.Action) (int, candour.AuditEntry) {
	t.Helper()
	leaves, err := e.db.AuditEntries(context.Background(), candour.AuditFilter{After: -1, Limit: 100000, Action: a})
	if err != nil {
		t.Fatal(err)
	}
	var last candour.AuditEntry
	if len(leaves) > 0 {
		if last, err = candour.ParseAuditLeaf(leaves[len(leaves)-1].Leaf); err != nil {
			t.Fatal(err)
		}
	}
	return len(leaves), last
}

func TestDashboard(t *testing.T) {
	e := newEnv(t)
	e.seedReleased(t, "2026-08", "2026-09", "2026-10")
	b := e.browser(t)
	b.signIn(2) // Alex Morgan, analyst at police-north
	trend := "/insight?purpose=inter_agency_insight&group=period&measure=satisfaction&from-month=8&from-year=2026&to-month=10&to-year=2026"

	t.Run("PurposeFirst", func(t *testing.T) {
		resp, page := b.get("/insight")
		if resp.StatusCode != 200 || strings.Index(page, `name="purpose"`) > strings.Index(page, `name="group"`) {
			t.Fatalf("the form does not ask for the purpose first: %d", resp.StatusCode)
		}
		resp, page = b.get("/insight?group=period")
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `href="#purpose"`) {
			t.Errorf("no purpose: %d %s", resp.StatusCode, errorSummary(page))
		}
		resp, page = b.get("/insight?purpose=inter_agency_insight&from-month=13&from-year=2026")
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `href="#from-month"`) {
			t.Errorf("month 13: %d %s", resp.StatusCode, errorSummary(page))
		}
	})
	t.Run("TrendTableAndChart", func(t *testing.T) {
		before, _ := e.auditCount(t, candour.ActionInsightSummary)
		resp, page := b.get(trend)
		if resp.StatusCode != 200 {
			t.Fatalf("the trend: %d", resp.StatusCode)
		}
		for _, want := range []string{`<svg class="candour-chart" role="img" aria-labelledby="chart-title chart-desc"`, `<title id="chart-title">`,
			"August 2026", "September 2026", "October 2026", `<table class="govuk-table candour-figures">`, "Download these figures (CSV)",
			"age --decrypt -i your-agency-key.txt"} {
			if !strings.Contains(page, want) {
				t.Errorf("the trend page lacks %s", want)
			}
		}
		after, entry := e.auditCount(t, candour.ActionInsightSummary)
		if after != before+1 || entry.Purpose != candour.PurposeInterAgency || entry.Actor.Agency != "police-north" ||
			entry.QueryParams != "group_by=period; from=2026-08; to=2026-10; service=" {
			t.Errorf("a dashboard view wrote %d summary entries (want 1), the last %+v", after-before, entry)
		}
	})
	t.Run("Comparison", func(t *testing.T) {
		_, page := b.get("/insight?purpose=inter_agency_insight&group=service&measure=nps")
		if !strings.Contains(page, "Initial contact") || !strings.Contains(page, `fill="url(#chart-hatch)"`) {
			t.Error("the comparison has no hatched bars named by service")
		}
	})
	t.Run("FullySuppressed", func(t *testing.T) {
		_, page := b.get("/insight?purpose=research&group=service") // no one consented to research
		if !strings.Contains(page, "No figures can be published for this question") || strings.Contains(page, "<svg") {
			t.Error("an empty answer is not said plainly")
		}
	})
	t.Run("CSVIsThePublishedFigures", func(t *testing.T) {
		resp, body := b.get(strings.Replace(trend, "/insight?", "/insight/figures.csv?", 1))
		lines := strings.Split(strings.TrimSpace(body), "\n")
		if resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || len(lines) != 4 || lines[0] != "period,count,satisfaction_mean,effort_mean,felt_safe_pct,felt_believed_pct,net_promoter_score" {
			t.Errorf("CSV: %s %q", resp.Header.Get("Content-Type"), body)
		}
	})
	t.Run("CommentsAndExport", func(t *testing.T) {
		before, _ := e.auditCount(t, candour.ActionInsightComments)
		_, figures := b.get(trend)
		link := regexp.MustCompile(`href="(/insight/comments\?[^"]+)"`).FindStringSubmatch(figures)
		if link == nil {
			t.Fatal("no link to the comments")
		}
		resp, page := b.get(html.UnescapeString(link[1]))
		if resp.StatusCode != 200 || !strings.Contains(page, "Redacted comments") || !strings.Contains(page, "candour-comment") {
			t.Fatalf("comments through the page's own link: %d", resp.StatusCode)
		}
		if after, _ := e.auditCount(t, candour.ActionInsightComments); after != before+1 {
			t.Errorf("a comments view wrote %d entries, want 1", after-before)
		}
		resp, body := b.get(strings.Replace(trend, "/insight?", "/insight/export?", 1) + "&format=csv")
		if resp.StatusCode != 200 || !strings.HasPrefix(body, "age-encryption.org/v1") {
			t.Errorf("export: %d %.40q", resp.StatusCode, body)
		}
	})
	t.Run("OnlyAnalysts", func(t *testing.T) {
		cw := e.browser(t)
		cw.signIn(0)
		for _, path := range []string{"/insight", trend, "/insight/comments"} {
			if resp, page := cw.get(path); resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "You cannot use this page") {
				t.Errorf("a caseworker opening %s: %d", path, resp.StatusCode)
			}
		}
	})
}
