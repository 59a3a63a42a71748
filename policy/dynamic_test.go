package policy_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/policy"
)

func writePolicy(t *testing.T, dir, src string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "p.rego"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

const (
	denyAll  = "package candour\ndecision := {\"allow\": false, \"reasons\": [\"closed\"]}\n"
	allowAll = "package candour\ndecision := {\"allow\": true, \"reasons\": [\"open\"]}\n"
	broken   = "package candour\ndecision := {\n"
)

func TestDynamicReload(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writePolicy(t, dir, denyAll)
	d, err := policy.NewDynamic(ctx, os.DirFS(dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	allowed := func() bool {
		t.Helper()
		dec, err := d.Decide(ctx, candour.DecisionInput{Action: candour.ActionAuditRead})
		if err != nil {
			t.Fatal(err)
		}
		return dec.Allow
	}
	first := d.Revision()
	steps := []struct {
		name        string
		src         string
		wantChanged bool
		wantErr     bool
		wantAllow   bool
	}{
		{"unchanged", denyAll, false, false, false},
		{"new policy", allowAll, true, false, true},
		{"broken policy keeps the last good one", broken, false, true, true},
		{"back to closed", denyAll, true, false, false},
	}
	for _, s := range steps {
		writePolicy(t, dir, s.src)
		changed, err := d.Reload(ctx)
		if changed != s.wantChanged || (err != nil) != s.wantErr {
			t.Errorf("%s: Reload = %v, %v; want changed=%v err=%v", s.name, changed, err, s.wantChanged, s.wantErr)
		}
		if got := allowed(); got != s.wantAllow {
			t.Errorf("%s: allow = %v, want %v", s.name, got, s.wantAllow)
		}
	}
	if d.Revision() != first {
		t.Errorf("revision %s after returning to the first files, want %s", d.Revision(), first)
	}
}

func TestDynamicWatch(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	writePolicy(t, dir, denyAll)
	d, err := policy.NewDynamic(ctx, os.DirFS(dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	signals := make(chan struct{})
	go d.Watch(ctx, time.Hour, signals) // only the signal can trigger a reload here
	before := d.Revision()
	writePolicy(t, dir, allowAll)
	signals <- struct{}{}
	deadline := time.Now().Add(10 * time.Second)
	for d.Revision() == before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if d.Revision() == before {
		t.Fatal("a signal did not reload the changed policy within 10s")
	}
}

// TestDynamicPing: readiness asks the policy one question; a policy that
// cannot decide, or allows a principal with no role, is not ready.
func TestDynamicPing(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, src string
		ready     bool
	}{
		{"denies", denyAll, true},
		{"allows anyone", allowAll, false},
		{"cannot decide", "package candour\ndecision := {\"allow\": 1 / 0}\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writePolicy(t, dir, tt.src)
			d, err := policy.NewDynamic(ctx, os.DirFS(dir), nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Ping(ctx); (err == nil) != tt.ready {
				t.Errorf("Ping = %v, want ready %v", err, tt.ready)
			}
		})
	}
	embedded, err := policy.NewDynamic(ctx, policy.Embedded(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := embedded.Ping(ctx); err != nil {
		t.Errorf("the embedded policy is not ready: %v", err)
	}
}
