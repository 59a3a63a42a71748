package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/postgres"
	"github.com/candour-vault/candour/postgres/pgtest"
)

// serverTimes keeps how long the pages' handler took per route.
type serverTimes struct {
	mu sync.Mutex
	by map[string][]time.Duration
}

func (s *serverTimes) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h.ServeHTTP(w, r)
		d := time.Since(start)
		route := r.URL.Path
		if len(route) > len("/records/") && route[:len("/records/")] == "/records/" {
			route = "/records/{id}"
		}
		s.mu.Lock()
		s.by[route] = append(s.by[route], d)
		s.mu.Unlock()
	})
}

func quantile(ds []time.Duration, q float64) time.Duration {
	slices.Sort(ds)
	return ds[int(float64(len(ds)-1)*q)]
}

// BenchmarkPages: 50 signed-in caseworkers at once, each in turn loading
// the list of records (a page of 20 of 1,000, audited), the record form,
// and one record (opened and audited), on SQLite and on PostgreSQL, with
// the local keyring.
// It reports the handler's time per page (p50 and p99), and the bytes a
// first and a repeat visit to the record form transfer.
func BenchmarkPages(b *testing.B) {
	b.Run("SQLite", func(b *testing.B) { benchmarkPages(b, "") })
	b.Run("PostgreSQL", func(b *testing.B) { benchmarkPages(b, pgtest.NewMigratedDatabase(b).AppURL) })
}

func benchmarkPages(b *testing.B, pgURL string) {
	times := &serverTimes{by: map[string][]time.Duration{}}
	e := newEnvOn(b, pgURL, nil, times.wrap)
	ctx := context.Background()
	var ids []string
	for i := range 1000 {
		f := candour.Feedback{Service: "victim-support/initial-contact", Period: "2026-10", Comment: fmt.Sprintf("Comment %d about the service.", i),
			Ratings: candour.Ratings{FeltSafe: "yes"}, Consent: candour.Consent{Purposes: []candour.Purpose{candour.PurposeServiceImprovement},
				Method: "verbal", NoticeVersion: "1"}}
		c := caller("victim-support-north")
		rc, err := e.feedback.Submit(ctx, c, f, candour.Idempotency{})
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, rc.ID)
	}
	const users = 50
	browsers := make([]*browser, users)
	for i := range browsers {
		browsers[i] = e.browser(b)
		browsers[i].signIn(0)
	}
	first, repeat := visitBytes(b, e)
	times.by = map[string][]time.Duration{}
	var next atomic.Int64
	b.SetParallelism((users + 1) / 2) // 50 goroutines on two cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := next.Add(1) - 1
		br := browsers[int(i)%users]
		for n := 0; pb.Next(); n++ {
			var path string
			switch n % 3 {
			case 0:
				path = "/records"
			case 1:
				path = "/record"
			default:
				path = "/records/" + ids[(int(i)*7+n)%len(ids)]
			}
			resp, err := br.client.Get(e.url + path)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("%s: %d", path, resp.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	for route, unit := range map[string]string{"/records": "list", "/record": "form", "/records/{id}": "record"} {
		if ds := times.by[route]; len(ds) > 0 {
			b.ReportMetric(float64(quantile(ds, 0.5).Microseconds())/1000, unit+"-p50-ms")
			b.ReportMetric(float64(quantile(ds, 0.99).Microseconds())/1000, unit+"-p99-ms")
		}
	}
	b.ReportMetric(float64(first), "first-visit-bytes")
	b.ReportMetric(float64(repeat), "repeat-visit-bytes")
}

// visitBytes counts the bytes of the record form on a first visit (the page
// and every asset it names, gzipped where offered) and on a repeat visit
// (the page alone: the assets are cached under their hashed names).
func visitBytes(b *testing.B, e *env) (first, repeat int) {
	br := e.browser(b)
	br.signIn(0)
	_, page := br.get("/record")
	html := len(page) // pages are not compressed
	first = html
	for _, m := range regexp.MustCompile(`(?:href|src)="(/assets/[^"]+)"`).FindAllStringSubmatch(page, -1) {
		req, _ := http.NewRequest("GET", e.url+m[1], nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		first += int(n)
	}
	return first, html
}

// BenchmarkDashboardMillion: an analyst of police-north loads the dashboard
// (a trend over twelve months, with its chart) over a million records on
// PostgreSQL, released once; the handler's time per page, p50 and p99.
// Each page is one audited summary under disclosure control.
//
//	go test -run XXX -bench DashboardMillion -benchtime 200x ./web
func BenchmarkDashboardMillion(b *testing.B) {
	ctx := context.Background()
	d := pgtest.NewMigratedDatabase(b)
	conn := pgtest.Connect(b, d.Super)
	if _, err := conn.Exec(ctx, `INSERT INTO feedback (id, agency, submitted_by, submitted_at, service, touchpoint, channel, period,
		satisfaction, effort, felt_safe, felt_believed, would_recommend, sensitivity, consent_purposes, consent_share_with,
		consent_method, consent_notice_version, consent_captured_at, consent_captured_by, sealed, record_key)
	SELECT 'bench-' || i,
		(ARRAY['victim-support-north','police-north','council-north-social-care'])[1 + i % 3],
		'cw-' || (i % 40), now() - interval '1 day', (ARRAY['victim-support/initial-contact','victim-support/ongoing-support','police/report-a-crime','social-care/assessment'])[1 + i % 4],
		'first-contact', 'phone', '2025-' || lpad((1 + i % 12)::text, 2, '0'),
		1 + i % 5, 1 + (i / 7) % 5, (ARRAY['yes','no','partly',''])[1 + i % 4], (ARRAY['yes','no',''])[1 + i % 3], i % 11,
		'standard', ARRAY['service_improvement','inter_agency_insight'], ARRAY['police-north'],
		'verbal', '2026-01', now(), 'cw', '\x00'::bytea, (i * 2654435761) % 4294967296
	FROM generate_series(1, 1000000) AS i`); err != nil {
		b.Fatal(err)
	}
	db, err := postgres.Open(ctx, d.AppURL)
	if err != nil {
		b.Fatal(err)
	}
	all := candour.WithAgencies(ctx, "police-north", "victim-support-north", "council-north-social-care")
	for m := 1; m <= 12; m++ {
		if _, err := db.ReleasePeriod(all, fmt.Sprintf("2025-%02d", m), time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	db.Close()
	if _, err := conn.Exec(ctx, `VACUUM ANALYZE feedback, insight_release_rows, insight_release_strata`); err != nil {
		b.Fatal(err)
	}
	times := &serverTimes{by: map[string][]time.Duration{}}
	e := newEnvOn(b, d.AppURL, nil, times.wrap)
	br := e.browser(b)
	br.signIn(2) // Alex Morgan, analyst at police-north
	path := "/insight?purpose=inter_agency_insight&group=period&measure=satisfaction&from-month=1&from-year=2025&to-month=12&to-year=2025"
	resp, page := br.get(path)
	if resp.StatusCode != 200 || !strings.Contains(page, "<svg") {
		b.Fatalf("the dashboard: %d, chart %v", resp.StatusCode, strings.Contains(page, "<svg"))
	}
	times.by = map[string][]time.Duration{}
	b.ResetTimer()
	for b.Loop() {
		if resp, _ := br.get(path); resp.StatusCode != 200 {
			b.Fatalf("%d", resp.StatusCode)
		}
	}
	b.StopTimer()
	ds := times.by["/insight"]
	b.ReportMetric(float64(quantile(ds, 0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(quantile(ds, 0.99).Microseconds())/1000, "p99-ms")
}
