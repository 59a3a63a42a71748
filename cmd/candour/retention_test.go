package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/sqlite"
	"github.com/candour-vault/candour/storetest"
)

// TestRetentionCommand: `candour retention run --dry-run` says what a sweep
// would destroy and changes nothing; without --dry-run it destroys exactly
// that and says so; bad flags get a plain sentence.
func TestRetentionCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "candour.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := storetest.Context()
	for id, period := range map[string]string{"old-1": "2020-01", "old-2": "2021-06", "new-1": "2026-10"} {
		rec := storetest.Record(id)
		rec.Period, rec.SubjectHash, rec.Consent.ExpiresAt = period, nil, nil
		if _, err := db.CreateFeedback(ctx, rec, storetest.Entry("cw", candour.ActionFeedbackCreate, id), candour.Idempotency{}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	runCmd := func(args ...string) (string, error) {
		out, err := exec.Command(binary, append([]string{"retention", "run", "--database", path}, args...)...).CombinedOutput()
		return string(out), err
	}
	out, err := runCmd("--dry-run")
	if err != nil || !strings.Contains(out, "nothing was changed") || !strings.Contains(out, "would destroy 2 (victim-support-north/vs-24m: 2)") {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	out, err = runCmd()
	if err != nil || !strings.Contains(out, "destroyed 2 (victim-support-north/vs-24m: 2)") || !strings.Contains(out, "audit log names every destroyed record") {
		t.Fatalf("run: %v\n%s", err, out)
	}
	out, err = runCmd("--dry-run")
	if err != nil || !strings.Contains(out, "would destroy 0,") {
		t.Errorf("dry run after the sweep: %v\n%s", err, out)
	}
	db, err = sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for id, want := range map[string]string{"old-1": candour.ENOTFOUND, "old-2": candour.ENOTFOUND, "new-1": ""} {
		if _, err := db.Record(ctx, id); candour.ErrorCode(err) != want {
			t.Errorf("%s: %v, want %q", id, err, want)
		}
	}
	for _, args := range [][]string{{"retention"}, {"retention", "sweep"}, {"retention", "run"}} {
		out, err := exec.Command(binary, args...).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.HasPrefix(string(out), "candour: retention") {
			t.Errorf("candour %v: %v\n%s", args, err, out)
		}
	}
}

// TestProgressBar: on a terminal the destruction shows as a bar of what is
// due; elsewhere nothing is drawn.
func TestProgressBar(t *testing.T) {
	tests := []struct {
		n, total int64
		on       bool
		want     string
	}{
		{0, 100, true, "\r[------------------------------]   0% 0 of 100 records destroyed"},
		{50, 100, true, "\r[###############---------------]  50% 50 of 100 records destroyed"},
		{100, 100, true, "\r[##############################] 100% 100 of 100 records destroyed"},
		{50, 100, false, ""},
		{1, 0, true, ""},
	}
	for _, tt := range tests {
		var b strings.Builder
		p := &progress{w: &b, on: tt.on}
		p.of(tt.n, tt.total, "records destroyed")
		if b.String() != tt.want {
			t.Errorf("of(%d, %d) = %q, want %q", tt.n, tt.total, b.String(), tt.want)
		}
	}
}
