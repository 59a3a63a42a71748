package api_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/candour-vault/candour"
)

// TestAuditIndependentVerification checks Candour's checkpoints and proofs,
// fetched over HTTP, with code that is not Candour's: transparency-dev's
// checkpoint parser and RFC 6962 proof verifiers.
func TestAuditIndependentVerification(t *testing.T) {
	e := newEnv(t)
	cw := e.token(t, candour.RoleCaseworker, "victim-support-north")
	auditor := e.token(t, candour.RoleAuditor, "victim-support-north")
	submit := func(n int) {
		for range n {
			if resp, body := e.do(t, "POST", "/v1/feedback", cw, jsonCT, validBody); resp.StatusCode != 201 {
				t.Fatalf("submit: %d %s", resp.StatusCode, body)
			}
		}
	}
	resp, body := e.do(t, "GET", "/v1/audit/checkpoint", auditor, nil, "")
	if resp.StatusCode != 404 {
		t.Fatalf("checkpoint before any: %d %s", resp.StatusCode, body)
	}
	submit(6)

	resp, vkeyBody := e.do(t, "GET", "/v1/audit/verifier-key", "", nil, "")
	if resp.StatusCode != 200 {
		t.Fatalf("verifier key: %d", resp.StatusCode)
	}
	verifier, err := note.NewVerifier(strings.TrimSpace(string(vkeyBody)))
	if err != nil {
		t.Fatalf("verifier key %q: %v", vkeyBody, err)
	}
	checkpoint := func() *log.Checkpoint {
		t.Helper()
		resp, body := e.do(t, "POST", "/v1/audit/checkpoint", auditor, nil, "")
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
			t.Fatalf("issue checkpoint: %d %s", resp.StatusCode, body)
		}
		cp, _, _, err := log.ParseCheckpoint(body, verifier.Name(), verifier)
		if err != nil {
			t.Fatalf("transparency-dev cannot parse the checkpoint: %v\n%s", err, body)
		}
		resp, again := e.do(t, "GET", "/v1/audit/checkpoint", auditor, nil, "")
		if resp.StatusCode != 200 || string(again) != string(body) {
			t.Errorf("GET checkpoint %d differs from the one just issued", resp.StatusCode)
		}
		return cp
	}
	first := checkpoint()
	leaves := e.leaves(t, auditor)
	if first.Size < 7 || uint64(len(leaves)) < first.Size {
		t.Fatalf("checkpoint size %d, %d leaves", first.Size, len(leaves))
	}
	for seq := uint64(0); seq < first.Size; seq++ {
		hashes := e.proof(t, auditor, fmt.Sprintf("/v1/audit/proof/inclusion?seq=%d&size=%d", seq, first.Size))
		leafHash := rfc6962.DefaultHasher.HashLeaf(leaves[seq])
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, seq, first.Size, leafHash, hashes, first.Hash); err != nil {
			t.Errorf("inclusion of %d in %d: %v", seq, first.Size, err)
		}
	}
	submit(5)
	second := checkpoint()
	hashes := e.proof(t, auditor, fmt.Sprintf("/v1/audit/proof/consistency?old=%d&new=%d", first.Size, second.Size))
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, first.Size, second.Size, hashes, first.Hash, second.Hash); err != nil {
		t.Errorf("consistency %d → %d: %v", first.Size, second.Size, err)
	}
	// A wrong root must not verify: the check above can fail.
	bad := append([]byte(nil), second.Hash...)
	bad[0] ^= 1
	if proof.VerifyConsistency(rfc6962.DefaultHasher, first.Size, second.Size, hashes, first.Hash, bad) == nil {
		t.Error("a consistency proof verified against a wrong root")
	}
}

func (e env) leaves(t *testing.T, token string) [][]byte {
	t.Helper()
	resp, body := e.do(t, "GET", "/v1/audit/entries?limit=1000", token, nil, "")
	if resp.StatusCode != 200 {
		t.Fatalf("entries: %d %s", resp.StatusCode, body)
	}
	var out struct {
		Entries []struct {
			Seq  int64
			Leaf string
		}
	}
	json.Unmarshal(body, &out)
	var leaves [][]byte
	for i, en := range out.Entries {
		if en.Seq != int64(i) {
			t.Fatalf("entry %d has seq %d", i, en.Seq)
		}
		b, err := base64.StdEncoding.DecodeString(en.Leaf)
		if err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, b)
	}
	return leaves
}

func (e env) proof(t *testing.T, token, path string) [][]byte {
	t.Helper()
	resp, body := e.do(t, "GET", path, token, nil, "")
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
	}
	var out struct{ Hashes []string }
	json.Unmarshal(body, &out)
	hs := make([][]byte, len(out.Hashes))
	for i, h := range out.Hashes {
		hs[i], _ = base64.StdEncoding.DecodeString(h)
	}
	return hs
}

func TestAuditEndpointsRefuse(t *testing.T) {
	e := newEnv(t)
	cw := e.token(t, candour.RoleCaseworker, "victim-support-north")
	auditor := e.token(t, candour.RoleAuditor, "victim-support-north")
	admin := e.token(t, candour.RoleAdmin, "victim-support-north")
	e.do(t, "POST", "/v1/feedback", cw, jsonCT, validBody)
	tests := []struct {
		name, method, path, token string
		status                    int
	}{
		{"caseworker issues", "POST", "/v1/audit/checkpoint", cw, 403},
		{"caseworker reads", "GET", "/v1/audit/checkpoint", cw, 403},
		{"no token", "GET", "/v1/audit/checkpoint", "", 401},
		{"admin issues", "POST", "/v1/audit/checkpoint", admin, 200},
		{"auditor issues", "POST", "/v1/audit/checkpoint", auditor, 200},
		{"size beyond the tree", "GET", "/v1/audit/proof/inclusion?seq=0&size=999", auditor, 400},
		{"seq beyond size", "GET", "/v1/audit/proof/inclusion?seq=3&size=3", auditor, 400},
		{"missing parameter", "GET", "/v1/audit/proof/inclusion?seq=0", auditor, 400},
		{"extra parameter", "GET", "/v1/audit/proof/consistency?old=1&new=2&x=1", auditor, 400},
		{"not a number", "GET", "/v1/audit/proof/consistency?old=one&new=2", auditor, 400},
		{"old after new", "GET", "/v1/audit/proof/consistency?old=3&new=2", auditor, 400},
		{"caseworker proof", "GET", "/v1/audit/proof/consistency?old=1&new=2", cw, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.do(t, tt.method, tt.path, tt.token, nil, "")
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.status >= 400 {
				checkProblem(t, resp, body, tt.status)
			}
		})
	}
	// Every one of those requests is in the log, refused or not.
	leaves := e.leaves(t, auditor)
	counts := map[string]int{}
	for _, l := range leaves {
		en, _ := candour.ParseAuditLeaf(l)
		counts[string(en.Action)+":"+en.Outcome]++
	}
	if counts["audit.checkpoint:denied"] != 1 || counts["audit.checkpoint:ok"] != 2 || counts["audit.read:denied"] != 2 {
		t.Errorf("audit of audit requests: %v", counts)
	}
}

// TestAuditorsReadTheirAgencysPart: an agency's auditor reads the entries of
// its staff and about its records, whoever the actor; the oversight body's
// auditor reads every entry.
func TestAuditorsReadTheirAgencysPart(t *testing.T) {
	e := newEnv(t)
	vs := e.tokenAs(t, "cw-vs", candour.RoleCaseworker, "victim-support-north")
	police := e.tokenAs(t, "cw-police", candour.RoleCaseworker, "police-north")
	resp, body := e.do(t, "POST", "/v1/feedback", vs, jsonCT, validBody)
	if resp.StatusCode != 201 {
		t.Fatalf("submit: %d %s", resp.StatusCode, body)
	}
	var rc candour.Receipt
	json.Unmarshal(body, &rc)
	cm := map[string]string{"Candour-Purpose": "case_management"}
	e.do(t, "GET", "/v1/feedback/"+rc.ID, police, cm, "") // police tries victim support's record: refused, logged
	e.do(t, "GET", "/v1/feedback", police, cm, "")        // police's own business
	actors := func(agency string) map[string]bool {
		t.Helper()
		tok := e.tokenAs(t, "auditor-"+agency, candour.RoleAuditor, agency)
		resp, body := e.do(t, "GET", "/v1/audit/entries?limit=1000", tok, nil, "")
		var log struct {
			Entries []struct{ Entry candour.AuditEntry }
		}
		if err := json.Unmarshal(body, &log); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s's auditor: %d %s", agency, resp.StatusCode, body)
		}
		seen := map[string]bool{}
		for _, le := range log.Entries {
			seen[le.Entry.Actor.Subject+" "+string(le.Entry.Action)] = true
		}
		return seen
	}
	vsSees, policeSees, allSees := actors("victim-support-north"), actors("police-north"), actors("north-inspectorate")
	for _, tt := range []struct {
		who      string
		seen     map[string]bool
		entry    string
		expected bool
	}{
		{"victim support", vsSees, "cw-vs feedback.create", true},
		{"victim support", vsSees, "cw-police feedback.read", true}, // about their record
		{"victim support", vsSees, "cw-police feedback.list", false},
		{"police", policeSees, "cw-police feedback.read", true},
		{"police", policeSees, "cw-police feedback.list", true},
		{"police", policeSees, "cw-vs feedback.create", false},
		{"the inspectorate", allSees, "cw-vs feedback.create", true},
		{"the inspectorate", allSees, "cw-police feedback.list", true},
	} {
		if tt.seen[tt.entry] != tt.expected {
			t.Errorf("%s's auditor sees %q: %v, want %v", tt.who, tt.entry, tt.seen[tt.entry], tt.expected)
		}
	}
}
