package web_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"golang.org/x/time/rate"

	"github.com/candour-vault/candour/web"
)

// BenchmarkRefusedRequest is the server's cost of answering one request of
// a flood over the public pages' limits (the handler only, no network):
//
//	go test -run XXX -bench RefusedRequest -benchmem ./web
func BenchmarkRefusedRequest(b *testing.B) {
	var h http.Handler
	newEnvWith(b, func(c *web.Config, _ string) {
		c.PublicLimits = web.PublicLimits{Total: rate.Limit(0.001), TotalBurst: 1, ClientIPHeader: "X-Forwarded-For"}
		p, err := web.New(*c)
		if err != nil {
			b.Fatal(err)
		}
		h = p
	}, nil)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		n := 0
		for pb.Next() {
			n++
			r := httptest.NewRequest("GET", "/f/abcdefghijklmnopqrstuvwxyz234567", nil)
			r.Header.Set("X-Forwarded-For", "198.51.100."+strconv.Itoa(n%250))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusTooManyRequests && w.Code != http.StatusNotFound {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
}
