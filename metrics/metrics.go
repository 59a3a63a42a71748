// Package metrics is Candour's Prometheus metrics (client_golang): HTTP
// requests, policy decisions, key-provider calls, audit group commits and
// the database pool.
//
// Guarantee: no label ever carries a subject, a record id, a path or free
// text. Labels are route patterns as registered ("GET /v1/feedback/{id}"),
// status codes, action names, outcomes and operation names, each from a
// fixed set.
package metrics

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/candour-vault/candour"
)

// Metrics holds the instruments and their registry. Safe for concurrent
// use.
type Metrics struct {
	reg             *prometheus.Registry
	requests        *prometheus.CounterVec
	latency         *prometheus.HistogramVec
	decisions       *prometheus.CounterVec
	decisionLatency *prometheus.HistogramVec
	keyCalls        *prometheus.CounterVec
	keyErrors       *prometheus.CounterVec
	batchSize       prometheus.Histogram
	commitLatency   prometheus.Histogram
	batchFailures   prometheus.Counter
}

// New returns the metrics, with Go's runtime and the process's collectors
// registered beside Candour's own.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "candour_http_requests_total",
			Help: "HTTP requests, by handler (api or pages), route pattern and status code."}, []string{"handler", "route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "candour_http_request_duration_seconds",
			Help: "Time to answer an HTTP request, by handler and route pattern.", Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12)},
			[]string{"handler", "route"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "candour_policy_decisions_total",
			Help: "Policy decisions, by action and outcome (allow, deny or error)."}, []string{"action", "outcome"}),
		decisionLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "candour_policy_decision_duration_seconds",
			Help: "Time to take a policy decision, by action.", Buckets: prometheus.ExponentialBuckets(0.00002, 2.5, 10)}, []string{"action"}),
		keyCalls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "candour_key_provider_calls_total",
			Help: "Calls to the key provider (Vault transit or the key file), by operation."}, []string{"op"}),
		keyErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "candour_key_provider_errors_total",
			Help: "Calls to the key provider that failed, by operation."}, []string{"op"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "candour_audit_batch_entries",
			Help: "Audit entries per group commit.", Buckets: prometheus.ExponentialBuckets(1, 2, 10)}),
		commitLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "candour_audit_commit_duration_seconds",
			Help: "Time to commit one group of audit entries.", Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 10)}),
		batchFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "candour_audit_commit_failures_total",
			Help: "Group commits of audit entries that failed (their entries are retried alone)."}),
	}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.latency, m.decisions, m.decisionLatency, m.keyCalls, m.keyErrors, m.batchSize, m.commitLatency, m.batchFailures)
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Request records one answered request: route is the pattern the mux
// matched ("" for none, recorded as "unmatched").
func (m *Metrics) Request(handler, route string, status int, took time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(handler, route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(handler, route).Observe(took.Seconds())
}

// AuditBatch records one group commit of the audit log.
func (m *Metrics) AuditBatch(entries int, took time.Duration, failed bool) {
	if failed {
		m.batchFailures.Inc()
		return
	}
	m.batchSize.Observe(float64(entries))
	m.commitLatency.Observe(took.Seconds())
}

// Count registers a counter whose value is read from f when scraped (the
// data-key cache's hits and misses, say).
func (m *Metrics) Count(name, help string, labels prometheus.Labels, f func() float64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels}, f))
}

// Gauge registers a gauge read from f when scraped (the database pool).
func (m *Metrics) Gauge(name, help string, labels prometheus.Labels, f func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: labels}, f))
}

// Authorizer counts and times the decisions of a.
func (m *Metrics) Authorizer(a candour.Authorizer) candour.Authorizer { return authorizer{a, m} }

type authorizer struct {
	candour.Authorizer
	m *Metrics
}

func (a authorizer) Decide(ctx context.Context, in candour.DecisionInput) (candour.Decision, error) {
	start := time.Now()
	d, err := a.Authorizer.Decide(ctx, in)
	outcome := "deny"
	switch {
	case err != nil:
		outcome = "error"
	case d.Allow:
		outcome = "allow"
	}
	action := string(in.Action)
	if !slices.Contains(candour.Actions(), in.Action) {
		action = "other" // the label's values stay a fixed set
	}
	a.m.decisions.WithLabelValues(action, outcome).Inc()
	a.m.decisionLatency.WithLabelValues(action).Observe(time.Since(start).Seconds())
	return d, err
}

// KeyProvider is what the feedback service asks of a key provider
// (vault.KEK).
type KeyProvider interface {
	WrapKeys(ctx context.Context, keys [][]byte) ([][]byte, error)
	UnwrapKeys(ctx context.Context, wrapped [][]byte) ([][]byte, error)
	SubjectHash(ctx context.Context, ref string) ([]byte, error)
}

// Keys counts k's calls and errors by operation.
func (m *Metrics) Keys(k KeyProvider) KeyProvider { return keys{k, m} }

type keys struct {
	k KeyProvider
	m *Metrics
}

func (k keys) count(op string, err error) {
	k.m.keyCalls.WithLabelValues(op).Inc()
	if err != nil {
		k.m.keyErrors.WithLabelValues(op).Inc()
	}
}

func (k keys) WrapKeys(ctx context.Context, in [][]byte) ([][]byte, error) {
	out, err := k.k.WrapKeys(ctx, in)
	k.count("wrap", err)
	return out, err
}

func (k keys) UnwrapKeys(ctx context.Context, in [][]byte) ([][]byte, error) {
	out, err := k.k.UnwrapKeys(ctx, in)
	k.count("unwrap", err)
	return out, err
}

func (k keys) SubjectHash(ctx context.Context, ref string) ([]byte, error) {
	out, err := k.k.SubjectHash(ctx, ref)
	k.count("subject_hash", err)
	return out, err
}
