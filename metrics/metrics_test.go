package metrics

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/candour-vault/candour"
)

type fixedPolicy struct {
	d   candour.Decision
	err error
}

func (p fixedPolicy) Decide(context.Context, candour.DecisionInput) (candour.Decision, error) {
	return p.d, p.err
}

type failingKeys struct{}

func (failingKeys) WrapKeys(context.Context, [][]byte) ([][]byte, error) {
	return nil, errors.New("down")
}
func (failingKeys) UnwrapKeys(context.Context, [][]byte) ([][]byte, error) { return [][]byte{{1}}, nil }
func (failingKeys) SubjectHash(context.Context, string) ([]byte, error)    { return []byte{1}, nil }

// TestLabelsFromFixedSets: decisions, key calls, requests and audit batches
// are counted under fixed label values; an action the metrics do not know
// is "other", a request no route matched is "unmatched".
func TestLabelsFromFixedSets(t *testing.T) {
	m := New()
	ctx := context.Background()
	for _, tt := range []struct {
		p      fixedPolicy
		action candour.Action
	}{
		{fixedPolicy{d: candour.Decision{Allow: true}}, candour.ActionFeedbackRead},
		{fixedPolicy{}, candour.ActionFeedbackRead},
		{fixedPolicy{err: errors.New("no")}, candour.ActionInsightSummary},
		{fixedPolicy{d: candour.Decision{Allow: true}}, candour.Action("subject 0190aaaa")},
		{fixedPolicy{}, candour.ActionHoldPlace},
	} {
		m.Authorizer(tt.p).Decide(ctx, candour.DecisionInput{Action: tt.action})
	}
	k := m.Keys(failingKeys{})
	k.WrapKeys(ctx, nil)
	k.UnwrapKeys(ctx, nil)
	m.Request("api", "", 404, time.Millisecond)
	m.Request("pages", "GET /records/{id}", 200, time.Millisecond)
	m.AuditBatch(7, time.Millisecond, false)
	m.AuditBatch(3, time.Millisecond, true)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	got := string(body)
	for _, want := range []string{
		`candour_policy_decisions_total{action="feedback.read",outcome="allow"} 1`,
		`candour_policy_decisions_total{action="feedback.read",outcome="deny"} 1`,
		`candour_policy_decisions_total{action="insight.summary",outcome="error"} 1`,
		`candour_policy_decisions_total{action="other",outcome="allow"} 1`,
		`candour_policy_decisions_total{action="hold.place",outcome="deny"} 1`,
		`candour_key_provider_calls_total{op="wrap"} 1`,
		`candour_key_provider_errors_total{op="wrap"} 1`,
		`candour_key_provider_calls_total{op="unwrap"} 1`,
		`candour_http_requests_total{code="404",handler="api",route="unmatched"} 1`,
		`candour_http_requests_total{code="200",handler="pages",route="GET /records/{id}"} 1`,
		`candour_audit_batch_entries_sum 7`,
		`candour_audit_commit_failures_total 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the metrics lack %s", want)
		}
	}
	if strings.Contains(got, "0190aaaa") {
		t.Error("an unknown action's text reached a label")
	}
	if strings.Contains(got, `candour_key_provider_errors_total{op="unwrap"}`) {
		t.Error("a call that succeeded was counted as an error")
	}
}
