package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestPolicyCheck(t *testing.T) {
	good := filepath.Join(t.TempDir(), "policy")
	copyDir(t, "../../policy/rego", good)
	broken := filepath.Join(t.TempDir(), "policy")
	copyDir(t, "../../policy/rego", broken)
	os.WriteFile(filepath.Join(broken, "extra_test.rego"), []byte("package candour_test\ntest_wrong if { 1 == 2 }\n"), 0o644)
	badData := filepath.Join(t.TempDir(), "policy")
	copyDir(t, "../../policy/rego", badData)
	b, _ := os.ReadFile(filepath.Join(badData, "data.json"))
	os.WriteFile(filepath.Join(badData, "data.json"), bytes.Replace(b, []byte(`"owner": "victim-support-north"`), []byte(`"owner": "nobody"`), 1), 0o644)
	whole := filepath.Join(t.TempDir(), "policy")
	copyDir(t, "../../policy/rego", whole)
	os.WriteFile(filepath.Join(whole, "whole.rego"), []byte("package candour\nwhole_input := input\n"), 0o644)
	// The same decisions, the time put through arithmetic before it is
	// compared: still specialised, but evaluated on every request.
	unclocked := filepath.Join(t.TempDir(), "policy")
	copyDir(t, "../../policy/rego", unclocked)
	b, _ = os.ReadFile(filepath.Join(unclocked, "candour.rego"))
	os.WriteFile(filepath.Join(unclocked, "candour.rego"), bytes.Replace(b, []byte("now_ns := time.parse_rfc3339_ns(input.now)\n"), []byte("now_ns := time.parse_rfc3339_ns(input.now) + 0\n"), 1), 0o644)
	noCompile := filepath.Join(t.TempDir(), "policy")
	copyDir(t, "../../policy/rego", noCompile)
	os.WriteFile(filepath.Join(noCompile, "candour.rego"), []byte("package candour\ndecision := {\n"), 0o644)

	tests := []struct {
		name     string
		dir      string
		code     int
		inStdout string
		inStderr string
	}{
		{"valid", good, 0, "is valid", ""},
		{"valid, specialised to every sample caller", good, 0, "Specialised to each caller (docs/benchmarks.md, \"Policy\"): 525 of 525 sample callers.\n", ""},
		{"valid, every caller's decisions kept, insight between agreements' dates", good, 0, "(docs/policy.md): 525 of them, 30 of which change at a date the policy names.\n", ""},
		{"valid, time compared through arithmetic: the 30 dated callers not kept", unclocked, 0, "(docs/policy.md): 495 of them, 0 of which change at a date the policy names.\n", ""},
		{"valid, read as a whole", whole, 0, "\"Policy\"): none.\n  note: the policy reads its input as a whole", ""},
		{"failing test", broken, 1, "test_wrong: failed", "1 problem(s)"},
		{"bad data", badData, 1, `owner "nobody" is not a known agency`, "problem(s)"},
		{"does not compile", noCompile, 1, "rego_parse_error", "does not compile"},
		{"no such directory", filepath.Join(good, "nope"), 1, "", "is not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, "policy", "check", tt.dir)
			if code != tt.code || !strings.Contains(stdout, tt.inStdout) || !strings.Contains(stderr, tt.inStderr) {
				t.Errorf("exit %d stdout %q stderr %q; want exit %d, %q in stdout, %q in stderr",
					code, stdout, stderr, tt.code, tt.inStdout, tt.inStderr)
			}
		})
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
	filepath.Walk(to, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			os.Chmod(p, 0o644)
		}
		return err
	})
}

// TestDevPolicyReload changes the policy under a running server: SIGHUP puts
// the new policy in force at once, and the audit log names each revision.
func TestDevPolicyReload(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "policy")
	copyDir(t, "../../policy/rego", dir)
	s := startDevArgs(t, "--policy-dir", dir)
	cw := s.tokens["CASEWORKER"]
	status, body := call(t, "POST", s.url+"/v1/feedback", cw, "", strings.Replace(apiExample, `"inter_agency_insight"]`, `"inter_agency_insight", "equality_monitoring"]`, 1))
	if status != 201 {
		t.Fatalf("submit: %d %s", status, body)
	}
	var rc struct{ ID string }
	json.Unmarshal(body, &rc)
	read := func() int {
		st, _ := call(t, "GET", s.url+"/v1/feedback/"+rc.ID, cw, "case_management", "")
		return st
	}
	if st := read(); st != 200 {
		t.Fatalf("read before the change: %d", st)
	}
	// Take case_management away from caseworkers.
	b, _ := os.ReadFile(filepath.Join(dir, "data.json"))
	b = bytes.Replace(b, []byte(`"purposes": ["case_management"]`), []byte(`"purposes": []`), 1)
	if err := os.WriteFile(filepath.Join(dir, "data.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	s.cmd.Process.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(10 * time.Second)
	for read() != 404 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if st := read(); st != 404 {
		t.Fatalf("read after the change: %d, want 404", st)
	}
	// A broken policy is refused and the last good one stays in force.
	os.WriteFile(filepath.Join(dir, "candour.rego"), []byte("package candour\ndecision := {\n"), 0o644)
	s.cmd.Process.Signal(syscall.SIGHUP)
	time.Sleep(300 * time.Millisecond)
	if st := read(); st != 404 {
		t.Errorf("read with a broken policy on disk: %d, want 404 from the last good policy", st)
	}
	status, body = call(t, "GET", s.url+"/v1/audit/entries?record="+rc.ID, s.tokens["AUDITOR"], "", "")
	if status != 200 {
		t.Fatalf("audit: %d %s", status, body)
	}
	var log struct {
		Entries []struct {
			Entry struct {
				Outcome  string
				Decision struct{ Revision string }
			}
		}
	}
	json.Unmarshal(body, &log)
	revisions := map[string]bool{}
	for _, e := range log.Entries {
		revisions[e.Entry.Decision.Revision] = true
	}
	if len(revisions) != 2 {
		t.Errorf("audit entries name %d policy revisions, want 2 (before and after the reload)", len(revisions))
	}
}
