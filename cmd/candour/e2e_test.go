package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/candour-vault/candour/postgres/pgtest"
)

// binary is the candour command built once for these tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "candour-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "candour")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building candour:", err)
		os.Exit(1)
	}
	code := pgtest.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// The example body of docs/api.md as an earlier version printed it: equality
// answers without consent to equality monitoring.
const apiExample = `{
  "service": "victim-support/initial-contact",
  "touchpoint": "first-contact",
  "channel": "phone",
  "period": "2026-10",
  "ratings": {
    "satisfaction": 4,
    "effort": 2,
    "felt_safe": "yes",
    "felt_believed": "yes",
    "would_recommend": 8
  },
  "comment": "The officer who called me back was kind, but I waited 3 weeks.",
  "subject_ref": "VS-2026-000123",
  "sensitivity": "standard",
  "consent": {
    "purposes": ["service_improvement", "inter_agency_insight"],
    "share_with": ["police-north"],
    "method": "verbal",
    "notice_version": "2026-01",
    "expires_at": "2027-10-31T00:00:00Z"
  },
  "equality": {"age_band": "35-44", "sex": "female", "ethnic_group": "white", "disability": "no"}
}`

const (
	comment    = "The officer who called me back was kind, but I waited 3 weeks."
	subjectRef = "VS-2026-000123"
)

// devServer is a running `candour dev`.
type devServer struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	url    string
	dir    string
	tokens map[string]string
	stdout []string
}

func startDev(t *testing.T, seed int) *devServer {
	t.Helper()
	return startDevArgs(t, "--seed", fmt.Sprint(seed))
}

func startDevArgs(t *testing.T, extra ...string) *devServer {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	s := &devServer{dir: dir, tokens: map[string]string{}}
	s.cmd, s.url, s.stderr = launch(t, append([]string{"dev", "--addr", "127.0.0.1:0", "--data-dir", dir}, extra...), func(line string) {
		s.stdout = append(s.stdout, line)
		if name, rest, ok := strings.Cut(strings.TrimPrefix(line, "export "), "="); ok && strings.HasPrefix(line, "export ") {
			s.tokens[name] = strings.Fields(rest)[0]
		}
	})
	return s
}

// launch starts the candour binary with args, hands each line it prints to
// onLine (which may be nil) until it prints "Listening on URL", and returns
// the process and the URL. The process is killed when the test ends, and its
// stderr is logged if the test failed.
func launch(t *testing.T, args []string, onLine func(string)) (*exec.Cmd, string, *syncBuffer) {
	t.Helper()
	return launchEnv(t, args, nil, onLine)
}

// launchEnv is launch with these environment variables beside the test's.
func launchEnv(t *testing.T, args, env []string, onLine func(string)) (*exec.Cmd, string, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if t.Failed() {
			t.Logf("candour %s stderr:\n%s", args[0], stderr.String())
		}
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 64<<10)
		for sc.Scan() {
			line := sc.Text()
			if onLine != nil {
				onLine(line)
			}
			if u, ok := strings.CutPrefix(line, "Listening on "); ok {
				ready <- u
				io.Copy(io.Discard, out)
				return
			}
		}
		close(ready)
	}()
	select {
	case u, ok := <-ready:
		if !ok {
			cmd.Wait()
			t.Fatalf("candour %s exited before listening: %s", args[0], stderr.String())
		}
		return cmd, u, stderr
	case <-time.After(60 * time.Second):
		t.Fatalf("candour %s did not start listening within 60s", args[0])
	}
	return nil, "", nil
}

// syncBuffer is a bytes.Buffer safe for a process writing and a test reading.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

func call(t *testing.T, method, url, token, purpose, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if purpose != "" {
		req.Header.Set("Candour-Purpose", purpose)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestDevEndToEnd(t *testing.T) {
	s := startDev(t, 20)
	joined := strings.Join(s.stdout, "\n")
	for _, want := range []string{"NOT FOR REAL DATA", "Seeded 20 synthetic records", "Audit log verifier key: candour.dev/"} {
		if !strings.Contains(joined, want) {
			t.Errorf("start-up output lacks %q:\n%s", want, joined)
		}
	}
	for _, role := range []string{"CASEWORKER", "ANALYST", "AUDITOR", "ADMIN"} {
		if s.tokens[role] == "" {
			t.Errorf("no %s token printed", role)
		}
	}
	// Headers over 16 KiB are refused before any handler runs.
	req, _ := http.NewRequest("GET", s.url+"/livez", nil)
	req.Header.Set("X-Padding", strings.Repeat("a", 20<<10))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("20 KiB of headers: %v %v, want 431", resp, err)
	} else {
		resp.Body.Close()
	}

	mint := func(role, agency string) string {
		t.Helper()
		out, errOut, code := runCLI(t, "token", "--data-dir", s.dir, "--role", role, "--agency", agency)
		if code != 0 || errOut != "" {
			t.Fatalf("candour token: exit %d, stderr %q", code, errOut)
		}
		if strings.Count(out, "\n") != 1 || strings.Count(out, ".") != 2 {
			t.Fatalf("candour token printed %q, want only a token", out)
		}
		return strings.TrimSpace(out)
	}
	caseworker := mint("caseworker", "victim-support-north")
	police := mint("caseworker", "police-north")

	// Equality data without consent to equality monitoring, which the
	// contract's own rule forbids: it is refused, clearly.
	status, body := call(t, "POST", s.url+"/v1/feedback", caseworker, "", apiExample)
	if status != 400 || !strings.Contains(string(body), "equality_monitoring") {
		t.Fatalf("equality without consent to it: %d %s, want 400 naming equality_monitoring", status, body)
	}
	fixed := strings.Replace(apiExample, `"inter_agency_insight"]`, `"inter_agency_insight", "equality_monitoring"]`, 1)
	status, body = call(t, "POST", s.url+"/v1/feedback", caseworker, "", fixed)
	if status != 201 {
		t.Fatalf("submit: %d %s", status, body)
	}
	var receipt struct {
		ID       string `json:"id"`
		AuditSeq int64  `json:"audit_seq"`
	}
	if err := json.Unmarshal(body, &receipt); err != nil || receipt.ID == "" {
		t.Fatalf("receipt %s: %v", body, err)
	}
	if receipt.AuditSeq < 20 {
		t.Errorf("audit_seq %d, want it after the 20 seeded entries", receipt.AuditSeq)
	}

	// A second record that stays (the first is erased below): its clear
	// touchpoint proves the byte scan at the end can see clear text.
	marker := strings.Replace(strings.Replace(fixed, `"first-contact"`, `"e2e-scan-marker"`, 1), subjectRef, "VS-2026-000999", 1)
	if status, body := call(t, "POST", s.url+"/v1/feedback", caseworker, "", marker); status != 201 {
		t.Fatalf("submit the marker record: %d %s", status, body)
	}

	status, body = call(t, "GET", s.url+"/v1/feedback/"+receipt.ID, caseworker, "case_management", "")
	if status != 200 {
		t.Fatalf("read back: %d %s", status, body)
	}
	var got map[string]any
	json.Unmarshal(body, &got)
	if got["comment"] != comment || got["subject_ref"] != subjectRef || got["agency"] != "victim-support-north" || got["submitted_at"] == nil {
		t.Errorf("read back %s", body)
	}

	status, body = call(t, "GET", s.url+"/v1/feedback/"+receipt.ID, police, "case_management", "")
	if status != 404 {
		t.Errorf("another agency's caseworker: %d %s, want 404", status, body)
	}

	status, body = call(t, "GET", s.url+"/v1/audit/entries?record="+receipt.ID, s.tokens["AUDITOR"], "", "")
	if status != 200 {
		t.Fatalf("audit entries: %d %s", status, body)
	}
	var log struct {
		Entries []struct {
			Seq   int64
			Entry struct {
				Action, Outcome string
				Actor           struct{ Agency string }
			}
		}
	}
	json.Unmarshal(body, &log)
	var trail []string
	for _, e := range log.Entries {
		trail = append(trail, e.Entry.Action+":"+e.Entry.Outcome+":"+e.Entry.Actor.Agency)
	}
	want := "feedback.create:ok:victim-support-north,feedback.read:ok:victim-support-north,feedback.read:denied:police-north"
	if strings.Join(trail, ",") != want {
		t.Errorf("audit trail of the record:\n got %s\nwant %s", strings.Join(trail, ","), want)
	}
	if bytes.Contains(body, []byte(comment)) || bytes.Contains(body, []byte(subjectRef)) {
		t.Error("the audit log holds the comment or the subject reference")
	}

	// The person withdraws from everything: an administrator erases the
	// subject; the record is gone, and the subject reference never reached
	// the server's log.
	status, body = call(t, "POST", s.url+"/v1/subjects/erase", s.tokens["ADMIN"], "", `{"subject_ref":"`+subjectRef+`"}`)
	if status != 200 || !strings.Contains(string(body), `"erased":1`) {
		t.Fatalf("erase: %d %s", status, body)
	}
	if status, _ := call(t, "GET", s.url+"/v1/feedback/"+receipt.ID, caseworker, "case_management", ""); status != 404 {
		t.Errorf("read after erasure: %d, want 404", status)
	}
	if strings.Contains(s.stderr.String(), subjectRef) || strings.Contains(s.stderr.String(), "waited 3 weeks") {
		t.Error("the server's log holds the subject reference or the comment")
	}

	// A clean stop on SIGINT.
	s.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("candour dev after SIGINT: %v, want exit 0", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("candour dev did not stop within 15s of SIGINT")
	}

	// Nothing readable was stored: scan every byte the server left on disk.
	var scanned int
	sawDimension := false
	filepath.Walk(s.dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		scanned += len(b)
		// "35-44" is the age band as given: only its coarse band 25-44 may be
		// in clear.
		for _, secret := range []string{comment, "waited 3 weeks", subjectRef, "VS-2026-000123", `35-44`} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s holds %q in clear", filepath.Base(path), secret)
			}
		}
		if bytes.Contains(b, []byte("e2e-scan-marker")) && bytes.Contains(b, []byte("25-44")) {
			sawDimension = true
		}
		return nil
	})
	if !sawDimension {
		t.Errorf("scanned %d bytes without finding the marker record's clear touchpoint and age band; the scan proves nothing", scanned)
	}
}

func TestCommandLine(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"no command", nil, 2, "Usage"},
		{"unknown command", []string{"serve"}, 2, "unknown command"},
		{"help", []string{"help"}, 0, ""},
		{"dev on all interfaces", []string{"dev", "--addr", "0.0.0.0:8420", "--data-dir", dir}, 2, "loopback"},
		{"dev on a public address", []string{"dev", "--addr", "192.0.2.1:8420", "--data-dir", dir}, 2, "loopback"},
		{"dev bad flag", []string{"dev", "--nope"}, 2, "flag provided but not defined"},
		{"dev negative seed", []string{"dev", "--seed", "-1"}, 2, "--seed"},
		{"token without data dir", []string{"token", "--role", "caseworker", "--agency", "police-north"}, 2, "--data-dir is required"},
		{"token without role", []string{"token", "--data-dir", dir, "--agency", "police-north"}, 2, "--role is required"},
		{"token bad role", []string{"token", "--data-dir", dir, "--role", "root", "--agency", "police-north"}, 2, "unknown role"},
		{"token without issuer key", []string{"token", "--data-dir", dir, "--role", "analyst", "--agency", "police-north"}, 1, "start 'candour dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.inStderr) {
				t.Errorf("stderr %q, want it to contain %q", stderr, tt.inStderr)
			}
		})
	}
}

// TestDevTemporaryDataDir: without --data-dir, candour dev makes a data
// directory of its own, names it in an export line, and removes it (keys and
// all) when it stops.
func TestDevTemporaryDataDir(t *testing.T) {
	var dataDir string
	cmd, _, _ := launch(t, []string{"dev", "--addr", "127.0.0.1:0"}, func(line string) {
		if d, ok := strings.CutPrefix(line, "export DATA="); ok {
			dataDir = d
		}
	})
	if dataDir == "" {
		t.Fatal("the banner has no export DATA= line")
	}
	if _, err := os.Stat(filepath.Join(dataDir, "keyring.json")); err != nil {
		t.Fatalf("the data directory holds no key file while running: %v", err)
	}
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Errorf("the temporary data directory is still there after candour dev stopped: %v", err)
		os.RemoveAll(dataDir)
	}
}
