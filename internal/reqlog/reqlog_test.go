package reqlog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/candour-vault/candour/internal/reqlog"
)

// TestAbandoned checks that a failure which is only the request cancelled
// with its departed client is recorded as 499 with one notice line, through
// Wrap as a handler sees it, and that any other failure is left to the
// handler to report, whether or not the client is still there.
func TestAbandoned(t *testing.T) {
	cancelled := fmt.Errorf("candour: unavailable: The record store is unavailable.: select feedback: %w", context.Canceled)
	for _, tc := range []struct {
		name      string
		gone      bool
		err       error
		abandoned bool
		status    int
		lines     [][]string // for each log line in order, what it holds
	}{
		{name: "client still there", err: cancelled, status: http.StatusServiceUnavailable,
			lines: [][]string{{"level=INFO msg=request ", "status=503"}}},
		{name: "client gone, another failure", gone: true, err: errors.New("candour: internal: template failed"),
			status: http.StatusServiceUnavailable, lines: [][]string{{"level=INFO msg=request ", "status=503"}}},
		{name: "client gone, request cancelled", gone: true, err: cancelled, abandoned: true, status: reqlog.StatusClientClosed,
			lines: [][]string{{`level=INFO msg="request abandoned: the client went away before it was answered"`},
				{"level=INFO msg=request ", "status=499"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			var abandoned bool
			h := reqlog.Wrap(log, reqlog.Options{Kind: "request", Headers: func(http.Header, *http.Request, string) {}},
				http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if abandoned = reqlog.Abandoned(w, r, tc.err, log); !abandoned {
						w.WriteHeader(http.StatusServiceUnavailable)
					}
				}))
			mux := http.NewServeMux()
			mux.Handle("GET /v1/feedback/{id}", h)
			ctx, cancel := context.WithCancel(context.Background())
			if tc.gone {
				cancel()
			} else {
				defer cancel()
			}
			req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/v1/feedback/VS-2026-000999", nil)
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)

			if abandoned != tc.abandoned || rec.Code != tc.status {
				t.Errorf("abandoned %v, status %d; want %v, %d", abandoned, rec.Code, tc.abandoned, tc.status)
			}
			if rec.Body.Len() != 0 {
				t.Errorf("body %q; want none", rec.Body)
			}
			got := strings.Split(strings.TrimSpace(logs.String()), "\n")
			if len(got) != len(tc.lines) {
				t.Fatalf("log lines:\n%s\nwant %d", logs.String(), len(tc.lines))
			}
			for i, want := range tc.lines {
				want = append(want, `route="GET /v1/feedback/{id}"`, "request_id=")
				for _, w := range want {
					if !strings.Contains(got[i], w) {
						t.Errorf("log line %d: %s\nwant %q in it", i, got[i], w)
					}
				}
				if strings.Contains(got[i], "VS-2026") || strings.Contains(got[i], "unavailable") {
					t.Errorf("log line %d names the path or the error: %s", i, got[i])
				}
			}
		})
	}
}
