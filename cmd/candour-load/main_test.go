package main

import (
	"testing"
	"time"

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
		name  string
		reads int
	}{{"submit", 0}, {"read", 20}} {
		t.Run(tt.name, func(t *testing.T) {
			var ids []string
			if tt.reads > 0 {
				var err error
				if ids, err = submitAll(url, token, tt.reads); err != nil {
					t.Fatal(err)
				}
			}
			res := load(url, token, 2, 0, 500*time.Millisecond, ids)
			if res.failed > 0 || len(res.latencies) == 0 {
				t.Fatalf("%d ok, %d failed (%v)", len(res.latencies), res.failed, res.statuses)
			}
		})
	}
}
