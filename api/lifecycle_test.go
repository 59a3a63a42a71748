package api_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/candour-vault/candour"
)

// agePath finds the standard age tool (Debian's age; scripts/test-setup.sh
// installs it). The test never skips without it.
func agePath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("age")
	if err != nil {
		t.Fatal("the age tool is not installed: run scripts/test-setup.sh (make test does)")
	}
	return p
}

// TestSubjectAccessAgeFile: the answer to a subject access request, sent as
// an age file, opens with the standard age tool and the named key only, and
// holds every record of the subject and each one's accesses, and nothing of
// anyone else.
func TestSubjectAccessAgeFile(t *testing.T) {
	e := newEnv(t)
	cw := e.token(t, candour.RoleCaseworker, "victim-support-north")
	dpo := e.token(t, candour.RoleAdmin, "victim-support-north")
	var mine []string
	for _, ref := range []string{"VS-2026-000999", "VS-2026-000111", "VS-2026-000999"} {
		resp, body := e.do(t, "POST", "/v1/feedback", cw, jsonCT, strings.Replace(validBody, "VS-2026-000999", ref, 1))
		if resp.StatusCode != 201 {
			t.Fatalf("submit: %d %s", resp.StatusCode, body)
		}
		var rc candour.Receipt
		json.Unmarshal(body, &rc)
		if ref == "VS-2026-000999" {
			mine = append(mine, rc.ID)
		}
	}
	e.do(t, "GET", "/v1/feedback/"+mine[0], cw, map[string]string{"Candour-Purpose": "case_management"}, "")

	named, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := age.GenerateX25519Identity()
	resp, sealed := e.do(t, "POST", "/v1/subjects/access", dpo, jsonCT,
		`{"subject_ref":"VS-2026-000999","recipient":"`+named.Recipient().String()+`"}`)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("subject access: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if strings.Contains(string(sealed), secret) || strings.Contains(string(sealed), "VS-2026") {
		t.Fatal("the age file holds the content in clear")
	}
	dir := t.TempDir()
	file, namedKey, otherKey := filepath.Join(dir, "answer.age"), filepath.Join(dir, "named.key"), filepath.Join(dir, "other.key")
	os.WriteFile(file, sealed, 0o600)
	os.WriteFile(namedKey, []byte(named.String()+"\n"), 0o600)
	os.WriteFile(otherKey, []byte(other.String()+"\n"), 0o600)
	tool := agePath(t)
	if out, err := exec.Command(tool, "-d", "-i", otherKey, file).CombinedOutput(); err == nil {
		t.Fatalf("another key opened the answer: %s", out)
	}
	plain, err := exec.Command(tool, "-d", "-i", namedKey, file).Output()
	if err != nil {
		t.Fatalf("age -d with the named key: %v", err)
	}
	var got candour.SubjectAccess
	if err := json.Unmarshal(plain, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Records) != 2 || got.Records[0].ID != mine[0] || got.Records[1].ID != mine[1] {
		t.Fatalf("records %+v, want %v", got.Records, mine)
	}
	for _, r := range got.Records {
		if r.Comment != secret || r.SubjectRef != "VS-2026-000999" {
			t.Errorf("record %s: comment %q ref %q", r.ID, r.Comment, r.SubjectRef)
		}
	}
	var actions []string
	for _, a := range got.Records[0].Accesses {
		actions = append(actions, string(a.Action)+":"+a.Outcome)
		if a.Agency != "victim-support-north" || len(a.Roles) != 1 {
			t.Errorf("access %+v names no role and agency", a)
		}
	}
	if strings.Join(actions, ",") != "feedback.create:ok,feedback.read:ok" {
		t.Errorf("accesses of the read record: %v", actions)
	}
	if strings.Contains(string(plain), "dev-caseworker") {
		t.Error("the answer names a member of staff")
	}
	// Refusals are problems and name nothing of the request.
	for _, tt := range []struct {
		name, token, body string
		status            int
	}{
		{"a caseworker", cw, `{"subject_ref":"VS-2026-000999"}`, 403},
		{"no reference", dpo, `{"subject_ref":""}`, 400},
		{"a bad recipient", dpo, `{"subject_ref":"VS-2026-000999","recipient":"age1nonsense"}`, 400},
		{"the reference in the URL", dpo, `{}`, 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.do(t, "POST", "/v1/subjects/access", tt.token, jsonCT, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			checkProblem(t, resp, body, tt.status)
		})
	}
}
