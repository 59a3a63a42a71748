package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/candour-vault/candour"
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
	b.Run("SQLite", func(b *testing.B) { benchmarkPages(b, false) })
	b.Run("PostgreSQL", func(b *testing.B) { benchmarkPages(b, true) })
}

func benchmarkPages(b *testing.B, pg bool) {
	times := &serverTimes{by: map[string][]time.Duration{}}
	e := newEnvOn(b, pg, nil, times.wrap)
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
