package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/postgres/pgtest"
	"github.com/candour-vault/candour/vault/transit/vaulttest"
	"github.com/candour-vault/candour/web/hydratest"
)

// exampleConfig reads deploy/candour.env.example as the environment it
// sets, with the test's values for the settings named in set.
func exampleConfig(t *testing.T, set map[string]string) []string {
	t.Helper()
	f, err := os.Open("../../deploy/candour.env.example")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var env []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		k, v, ok := strings.Cut(line, "=")
		if line == "" || strings.HasPrefix(line, "#") || !ok {
			continue
		}
		if w, mine := set[k]; mine {
			v = w
		}
		seen[k] = true
		env = append(env, k+"="+v)
	}
	for k := range set {
		if !seen[k] {
			t.Fatalf("%s is not in the example configuration", k)
		}
	}
	return env
}

// TestProductionSmoke runs Candour the way an agency would, every part real,
// on loopback: PostgreSQL (a database of its own, migrated by `candour
// migrate up` as the owner), the Vault dev server with transit, AppRole and
// the checkpoint key set up by the scripted steps, Ory Hydra as the
// identity provider, and two `candour server` replicas configured from
// deploy/candour.env.example. A caseworker signs in on the pages of one
// replica and finds, on the other, feedback recorded through the first;
// an analyst asks for insight; the caseworker withdraws; the data
// protection officer erases a subject; an auditor takes a checkpoint; and
// the log is verified offline with `candour audit verify`.
func TestProductionSmoke(t *testing.T) {
	v := vaulttest.Start(t)
	roleID, secretID := v.AppRole(t)
	db := pgtest.NewDatabase(t)
	if out, errOut, code := runCLI(t, "migrate", "up", "--database", db.OwnerURL); code != 0 {
		t.Fatalf("migrate up: %s %s", out, errOut)
	}
	policyDir := filepath.Join(t.TempDir(), "policy")
	copyDir(t, "../../policy/rego", policyDir)
	people := map[string]map[string]any{
		"jo.caseworker": {"roles": []string{"candour-caseworker", "intranet-user"}, "agency": "victim-support-north"},
		"alex.analyst":  {"roles": []string{"candour-analyst"}, "agency": "police-north"},
		"sam.auditor":   {"roles": []string{"candour-auditor"}, "agency": "victim-support-north"},
		"chris.dpo":     {"roles": []string{"candour-dpo"}, "agency": "victim-support-north"},
	}
	h := hydratest.Start(t, func(user string) map[string]any { return people[user] })
	addrs := []string{hydratest.FreeAddr(t), hydratest.FreeAddr(t)}
	var redirects []string
	for _, a := range addrs {
		redirects = append(redirects, "http://"+a+"/sign-in/callback")
	}
	clientID, clientSecret := h.Client(redirects, []string{"candour"})
	var urls []string
	for i, a := range addrs {
		env := exampleConfig(t, map[string]string{
			"CANDOUR_ADDR": a, "CANDOUR_DATABASE": db.AppURL,
			"CANDOUR_KEYS": "transit", "CANDOUR_VAULT_ADDR": v.Addr, "CANDOUR_VAULT_ROLE_ID": roleID, "CANDOUR_VAULT_SECRET_ID": secretID,
			"CANDOUR_VAULT_K8S_ROLE": "", "CANDOUR_POLICY_DIR": policyDir,
			"CANDOUR_AUDIT_TRANSIT_KEY": "candour-audit", "CANDOUR_AUDIT_ORIGIN": "candour.test/smoke",
			"CANDOUR_JWKS_URL": h.Public + "/.well-known/jwks.json", "CANDOUR_ISSUER": h.Issuer, "CANDOUR_AUDIENCE": "candour",
			"CANDOUR_ROLE_MAP":    "candour-caseworker=caseworker,candour-analyst=analyst,candour-auditor=auditor,candour-dpo=admin",
			"CANDOUR_OIDC_ISSUER": h.Issuer, "CANDOUR_OIDC_CLIENT_ID": clientID, "CANDOUR_OIDC_CLIENT_SECRET": clientSecret,
			"CANDOUR_OIDC_REDIRECT_URL": redirects[i],
		})
		_, u, _ := launchEnv(t, []string{"server"}, env, nil)
		urls = append(urls, u)
	}
	for _, u := range urls {
		if status, body := call(t, "GET", u+"/readyz", "", "", ""); status != 200 {
			t.Fatalf("%s/readyz: %d %s", u, status, body)
		}
	}
	cw, analyst := h.AccessToken("jo.caseworker", "candour"), h.AccessToken("alex.analyst", "candour")
	auditor, dpo := h.AccessToken("sam.auditor", "candour"), h.AccessToken("chris.dpo", "candour")

	// Recorded through one replica, read through the other.
	const comment = "The volunteer who rang back every Friday made it bearable."
	body := `{"service":"victim-support/initial-contact","period":"2026-10","ratings":{"satisfaction":5},"comment":"` + comment + `",
	 "subject_ref":"VS-2026-777001","consent":{"purposes":["service_improvement","inter_agency_insight"],"share_with":["police-north"],
	 "method":"verbal","notice_version":"2026-01"}}`
	status, out := call(t, "POST", urls[0]+"/v1/feedback", cw, "", body)
	if status != 201 {
		t.Fatalf("submit through replica 1: %d %s", status, out)
	}
	var rc candour.Receipt
	json.Unmarshal(out, &rc)
	if status, out = call(t, "GET", urls[1]+"/v1/feedback/"+rc.ID, cw, "case_management", ""); status != 200 || !strings.Contains(string(out), comment) {
		t.Fatalf("read through replica 2: %d %s", status, out)
	}

	// The pages: signed in on replica 1, the same session finds the record on
	// replica 2 (sessions live in PostgreSQL; cookies belong to the host).
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	callback := h.Browse(browser, urls[0]+"/sign-in", urls[0]+"/sign-in/callback", "jo.caseworker", "accept")
	resp, err := browser.Get(callback)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the sign-in callback on replica 1: %d", resp.StatusCode)
	}
	if resp, err = browser.Get(urls[1] + "/records"); err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), rc.ID) {
		t.Fatalf("the list on replica 2 with replica 1's session: %d, record listed %v", resp.StatusCode, strings.Contains(string(page), rc.ID))
	}

	// Insight for the partner's analyst (an answer, whatever the release
	// holds), a withdrawal, an erasure.
	if status, out = call(t, "GET", urls[1]+"/v1/insights/summary?group_by=service", analyst, "inter_agency_insight", ""); status != 200 {
		t.Errorf("insight: %d %s", status, out)
	}
	if status, out = call(t, "POST", urls[1]+"/v1/feedback/"+rc.ID+"/withdraw", cw, "", ""); status != 200 {
		t.Errorf("withdraw: %d %s", status, out)
	}
	second := strings.Replace(strings.Replace(body, "777001", "777002", 1), comment, "Second visit.", 1)
	if status, out = call(t, "POST", urls[0]+"/v1/feedback", cw, "", second); status != 201 {
		t.Fatalf("second submit: %d %s", status, out)
	}
	status, out = call(t, "POST", urls[1]+"/v1/subjects/erase", dpo, "", `{"subject_ref":"VS-2026-777002"}`)
	if status != 200 || !strings.Contains(string(out), `"erased":1`) {
		t.Errorf("erase: %d %s", status, out)
	}

	// A checkpoint, and the whole log verified offline against it.
	status, checkpoint := call(t, "POST", urls[0]+"/v1/audit/checkpoint", auditor, "audit", "")
	if status != 200 || !strings.HasPrefix(string(checkpoint), "candour.test/smoke\n") {
		t.Fatalf("checkpoint: %d %s", status, checkpoint)
	}
	_, key := call(t, "GET", urls[1]+"/v1/audit/verifier-key", "", "", "")
	file := filepath.Join(t.TempDir(), "checkpoint.txt")
	os.WriteFile(file, checkpoint, 0o600)
	out2, errOut, code := runCLI(t, "audit", "verify", "--database", db.Super, "--verifier-key", strings.TrimSpace(string(key)), "--checkpoint", file)
	if code != 0 {
		t.Fatalf("audit verify: exit %d\n%s\n%s", code, out2, errOut)
	}
	t.Log(strings.TrimSpace(out2))

	// The backup procedure of docs/operations.md, scripted: dump, restore
	// into a scratch database, verify the restored log against the
	// checkpoint. Then a restore that lost the newest entries fails it.
	scratch := pgtest.NewDatabase(t)
	dump := filepath.Join(t.TempDir(), "candour.dump")
	backup := exec.Command("../../scripts/backup-check.sh", db.Super, scratch.Super, dump, strings.TrimSpace(string(key)), file)
	backup.Env = append(os.Environ(), "CANDOUR="+binary)
	if out, err := backup.CombinedOutput(); err != nil || !strings.Contains(string(out), "consistent with every checkpoint") {
		t.Fatalf("scripts/backup-check.sh: %v\n%s", err, out)
	}
	if _, out = call(t, "POST", urls[0]+"/v1/feedback", cw, "", strings.Replace(body, "777001", "777003", 1)); len(out) == 0 {
		t.Fatal("a submission after the backup")
	}
	_, newer := call(t, "POST", urls[0]+"/v1/audit/checkpoint", auditor, "audit", "")
	os.WriteFile(file, newer, 0o600)
	stale := pgtest.NewDatabase(t)
	old := exec.Command("../../scripts/backup-check.sh", scratch.Super, stale.Super, dump+".2", strings.TrimSpace(string(key)), file)
	old.Env = append(os.Environ(), "CANDOUR="+binary)
	if out, err := old.CombinedOutput(); err == nil || !strings.Contains(string(out), "restored into the scratch database") {
		t.Errorf("a backup older than the auditor's checkpoint: %v\n%s", err, out)
	} else {
		t.Logf("a backup older than the checkpoint is refused:\n%s", out)
	}
	for _, u := range urls {
		_, m := call(t, "GET", u+"/metrics", "", "", "")
		if !strings.Contains(string(m), `candour_key_provider_calls_total{op=`) {
			t.Errorf("%s/metrics: no key-provider calls counted", u)
		}
	}
}
