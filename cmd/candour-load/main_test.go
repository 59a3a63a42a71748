package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/apitest"
)

// TestLoadAgainstCandour: the submissions candour-load sends are accepted by
// a real Candour server, and the records it reads back are found.
func TestLoadAgainstCandour(t *testing.T) {
	s := apitest.Start(t)
	token := s.Token(t, "cw-load", candour.RoleCaseworker, "victim-support-north")
	url := s.URL + "/v1/feedback"
	for _, tt := range []struct {
		name    string
		reads   int
		subject bool
	}{{"submit", 0, true}, {"submit without subject", 0, false}, {"read", 20, true}} {
		t.Run(tt.name, func(t *testing.T) {
			run := strings.ReplaceAll(tt.name, " ", "-")
			req := requester(func(ctx context.Context, client *http.Client, n int64) int {
				return send(ctx, client, url, token, run, n, body(n, tt.subject))
			})
			if tt.reads > 0 {
				ids, err := submitAll(url, token, tt.reads)
				if err != nil {
					t.Fatal(err)
				}
				req = func(ctx context.Context, client *http.Client, n int64) int {
					return read(ctx, client, url+"/"+ids[int(n)%len(ids)], token)
				}
			}
			res := load(req, 2, 0, 500*time.Millisecond, nil)
			if res.failed > 0 || len(res.latencies) == 0 {
				t.Fatalf("%d ok, %d failed (%v)", len(res.latencies), res.failed, res.statuses)
			}
		})
	}
}

// TestPublicModes: --links answers each link once, as the form does, and
// stops when they are used; --flood counts refusals as answers.
func TestPublicModes(t *testing.T) {
	var (
		mu    sync.Mutex
		paths []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Method == "POST" {
			r.ParseForm()
			if r.PostForm.Get("send") != "1" || len(r.PostForm["purpose"]) == 0 || r.Header.Get("Origin") == "" {
				w.WriteHeader(400)
				return
			}
			paths = append(paths, r.URL.Path)
			return
		}
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "links")
	os.WriteFile(file, []byte(srv.URL+"/f/a\n"+srv.URL+"/f/b\n\n"+srv.URL+"/f/c\n"), 0o600)
	links, err := readLinks(file)
	if err != nil {
		t.Fatal(err)
	}
	res := load(answerLinks(links), 2, 0, 2*time.Second, nil)
	slices.Sort(paths)
	if res.failed > 0 || len(res.latencies) != 3 || fmt.Sprint(paths) != "[/f/a /f/b /f/c]" {
		t.Errorf("links: %d ok, %d failed, posted %v; want each link answered once", len(res.latencies), res.failed, paths)
	}
	res = load(floodPublic(srv.URL), 4, 0, 300*time.Millisecond, rate.NewLimiter(50, 1)).answered()
	if res.failed > 0 || len(res.latencies) == 0 || len(res.latencies) > 20 {
		t.Errorf("flood at 50/s for 0.3 s: %d answered, %d failed", len(res.latencies), res.failed)
	}
}
