package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/api"
	"github.com/candour-vault/candour/postgres/pgtest"
	"github.com/candour-vault/candour/vault/transit"
	"github.com/candour-vault/candour/vault/transit/vaulttest"
)

// fleet is what several `candour server` processes share: one database, one
// key file, one policy directory and one token issuer.
type fleet struct {
	db       pgtest.Database
	auditKey string
	vkey     string
	keyFile  string
	policy   string
	issuer   *api.Issuer
	jwks     string
}

func newFleet(t *testing.T, db pgtest.Database) *fleet {
	t.Helper()
	dir := t.TempDir()
	f := &fleet{db: db, keyFile: filepath.Join(dir, "keyring.json"), policy: filepath.Join(dir, "policy")}
	if out, errOut, code := runCLI(t, "keys", "init", "--key-file", f.keyFile); code != 0 {
		t.Fatalf("keys init: %d %s %s", code, out, errOut)
	}
	f.auditKey = filepath.Join(dir, "audit.key")
	out, errOut, code := runCLI(t, "audit", "init-key", "--audit-key", f.auditKey, "--origin", "candour.test/replicas")
	if code != 0 {
		t.Fatalf("audit init-key: %d %s %s", code, out, errOut)
	}
	f.vkey = strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
	copyDir(t, "../../policy/rego", f.policy)
	iss, err := api.LoadOrCreateIssuer(filepath.Join(dir, "issuer.key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	f.issuer = iss
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(iss.JWKS())
	}))
	t.Cleanup(jwks.Close)
	f.jwks = jwks.URL
	return f
}

func (f *fleet) token(t *testing.T, role candour.Role, agency string) string {
	t.Helper()
	tok, err := f.issuer.Mint("test-"+string(role), agency, []candour.Role{role}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// replica is one running `candour server`.
type replica struct {
	cmd    *exec.Cmd
	addr   string
	url    string
	lastID string
}

// start runs a server on addr (127.0.0.1:0 for a free port), with extra
// flags appended.
func (f *fleet) start(t *testing.T, addr string, extra ...string) *replica {
	t.Helper()
	cmd, u, _ := launch(t, append([]string{"server", "--addr", addr, "--database", f.db.AppURL,
		"--key-file", f.keyFile, "--audit-key", f.auditKey, "--policy-dir", f.policy, "--jwks-url", f.jwks,
		"--issuer", api.DevIssuer, "--audience", api.DevAudience}, extra...), nil)
	return &replica{cmd: cmd, url: u, addr: strings.TrimPrefix(u, "http://")}
}

// submission is one client's record and what it learned.
type submission struct {
	key, comment string
	id           string
	seq          int64
	retries      int
}

func submitBody(comment string) string {
	return `{"service":"victim-support/initial-contact","period":"2026-10","ratings":{"satisfaction":3},
	"comment":"` + comment + `","subject_ref":"VS-2026-` + comment[len(comment)-6:] + `",
	"consent":{"purposes":["service_improvement"],"method":"verbal","notice_version":"2026-01"}}`
}

// post sends one submission; it returns the status (0 when the request did
// not complete) and the receipt.
func post(client *http.Client, url, token string, s *submission) (int, candour.Receipt) {
	req, _ := http.NewRequest("POST", url+"/v1/feedback", strings.NewReader(submitBody(s.comment)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", s.key)
	resp, err := client.Do(req)
	if err != nil {
		return 0, candour.Receipt{}
	}
	defer resp.Body.Close()
	var rc candour.Receipt
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &rc)
	return resp.StatusCode, rc
}

func TestServerCommandLine(t *testing.T) {
	empty := pgtest.NewDatabase(t) // roles exist, schema not migrated
	db := pgtest.NewMigratedDatabase(t)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "keyring.json")
	if _, errOut, code := runCLI(t, "keys", "init", "--key-file", keyFile); code != 0 {
		t.Fatalf("keys init: %s", errOut)
	}
	policyDir := filepath.Join(dir, "policy")
	copyDir(t, "../../policy/rego", policyDir)
	auditKey := filepath.Join(dir, "audit.key")
	if _, errOut, code := runCLI(t, "audit", "init-key", "--audit-key", auditKey, "--origin", "candour.test/cli"); code != 0 {
		t.Fatalf("audit init-key: %s", errOut)
	}
	protectedKey := filepath.Join(dir, "protected.json")
	initCmd := exec.Command(binary, "keys", "init", "--key-file", protectedKey)
	initCmd.Env = append(os.Environ(), "CANDOUR_KEY_PASSPHRASE=a long passphrase for tests")
	if out, err := initCmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "protected by the passphrase") {
		t.Fatalf("keys init with a passphrase: %v %s", err, out)
	}
	base := []string{"server", "--addr", "127.0.0.1:0", "--key-file", keyFile, "--audit-key", auditKey, "--policy-dir", policyDir,
		"--jwks-url", "http://127.0.0.1:1/jwks.json", "--issuer", "iss"}
	tests := []struct {
		name     string
		args     []string
		env      []string
		code     int
		inStderr string
	}{
		{"no database", base, nil, 2, "--database must be a postgres:// URL"},
		{"sqlite path", append(base, "--database", "x.db"), nil, 2, "postgres://"},
		{"unmigrated schema", append(base, "--database", empty.AppURL), nil, 1, "run 'candour migrate up' first"},
		{"database from the environment", base, []string{"CANDOUR_DATABASE=" + empty.AppURL}, 1, "candour migrate up"},
		{"transit without an address", append(base, "--database", empty.AppURL, "--keys", "transit"), nil, 2, "--vault-addr is required"},
		{"unknown provider", append(base, "--database", empty.AppURL, "--keys", "hsm"), nil, 2, "--keys must be transit or keyring"},
		{"protected key file, no passphrase", append(base, "--database", db.AppURL, "--key-file", protectedKey), nil, 1, "protected by a passphrase"},
		{"protected key file, wrong passphrase", append(base, "--database", db.AppURL, "--key-file", protectedKey), []string{"CANDOUR_KEY_PASSPHRASE=wrong"}, 1, "does not open"},
		{"no key file", []string{"server", "--database", empty.AppURL, "--policy-dir", policyDir, "--jwks-url", "u", "--issuer", "i"}, nil, 2, "--key-file is required"},
		{"no audit key", []string{"server", "--database", empty.AppURL, "--key-file", keyFile, "--policy-dir", policyDir, "--jwks-url", "u", "--issuer", "i"}, nil, 2, "one of --audit-key and --audit-transit-key"},
		{"transit audit key without transit", append(base, "--database", empty.AppURL, "--audit-key", "", "--audit-transit-key", "candour-audit"), nil, 2, "--audit-transit-key needs --keys transit and --audit-origin"},
		{"keys init twice", []string{"keys", "init", "--key-file", keyFile}, nil, 1, "never overwritten"},
		{"migrate sqlite", []string{"migrate", "--database", "x.db"}, nil, 2, "postgres://"},
		{"config file names unknown flag", append(base, "--config", writeConfig(t, `{"colour": "blue"}`)), nil, 2, `"colour"`},
		{"JWKS over plain HTTP off loopback", append(base, "--database", empty.AppURL, "--jwks-url", "http://idp.example/jwks.json"), nil, 2, "must use https"},
		{"JWKS not a URL", append(base, "--database", empty.AppURL, "--jwks-url", "jwks.json"), nil, 2, "absolute URL"},
		{"no token lifetime", append(base, "--database", empty.AppURL, "--max-token-lifetime", "0s"), nil, 2, "--max-token-lifetime must be positive"},
		{"OIDC without a client", append(base, "--database", db.AppURL, "--oidc-issuer", "https://idp.example/"), nil, 2, "--oidc-issuer needs --oidc-client-id and --oidc-redirect-url"},
		{"OIDC callback over plain HTTP off loopback", append(base, "--database", db.AppURL, "--oidc-issuer", "https://idp.example/",
			"--oidc-client-id", "c", "--oidc-redirect-url", "http://candour.example/sign-in/callback"), nil, 2, "must use https"},
		{"OIDC callback elsewhere", append(base, "--database", db.AppURL, "--oidc-issuer", "https://idp.example/",
			"--oidc-client-id", "c", "--oidc-redirect-url", "https://candour.example/callback"), nil, 2, "ending in /sign-in/callback"},
		{"bad role map", append(base, "--database", db.AppURL, "--role-map", "x=root"), nil, 2, "--role-map"},
		{"session longer idle than in all", append(base, "--database", db.AppURL, "--session-idle-timeout", "9h"), nil, 2, "--session-max-age at least as long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(binary, tt.args...)
			cmd.Env = append(os.Environ(), tt.env...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != tt.code || !strings.Contains(stderr.String(), tt.inStderr) {
				t.Errorf("exit %d stderr %q; want exit %d and %q", code, stderr.String(), tt.code, tt.inStderr)
			}
			if strings.Contains(stderr.String(), pgtest.Password) {
				t.Error("stderr holds the database password")
			}
		})
	}

	// migrate status, up, up again.
	out, errOut, code := runCLI(t, "migrate", "status", "--database", empty.OwnerURL)
	if code != 0 || !strings.Contains(out, "pending") {
		t.Errorf("migrate status before: %d %q %q", code, out, errOut)
	}
	out, _, code = runCLI(t, "migrate", "up", "--database", empty.OwnerURL, "--operator", "ops-alice")
	if code != 0 || !strings.Contains(out, "Applied") {
		t.Errorf("migrate up: %d %q", code, out)
	}
	checkOperatorEntry(t, empty.OwnerURL, actionSchemaMigrate, "ops-alice")
	out, _, code = runCLI(t, "migrate", "--database", empty.OwnerURL)
	if code != 0 || !strings.Contains(out, "up to date") {
		t.Errorf("migrate again: %d %q", code, out)
	}
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "candour.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDevOnPostgres runs the dev setup on PostgreSQL: submit, read back,
// audit, with the schema migrated at start.
func TestDevOnPostgres(t *testing.T) {
	db := pgtest.NewDatabase(t)
	// An embargo longer than the seeded year: no month is released, so the
	// audit log holds the five seeded records only.
	s := startDevArgs(t, "--database", db.Super, "--seed", "5", "--release-embargo", "9000h")
	fixed := strings.Replace(apiExample, `"inter_agency_insight"]`, `"inter_agency_insight", "equality_monitoring"]`, 1)
	status, body := call(t, "POST", s.url+"/v1/feedback", s.tokens["CASEWORKER"], "", fixed)
	if status != 201 {
		t.Fatalf("submit: %d %s", status, body)
	}
	var rc candour.Receipt
	json.Unmarshal(body, &rc)
	if rc.AuditSeq != 5 {
		t.Errorf("audit_seq %d, want 5 after five seeded records", rc.AuditSeq)
	}
	status, body = call(t, "GET", s.url+"/v1/feedback/"+rc.ID, s.tokens["CASEWORKER"], "case_management", "")
	if status != 200 || !strings.Contains(string(body), comment) {
		t.Errorf("read back: %d %s", status, body)
	}
	if !strings.Contains(strings.Join(s.stdout, "\n"), "Database: PostgreSQL") {
		t.Error("the banner does not say the database is PostgreSQL")
	}
	ctx := context.Background()
	conn := pgtest.Connect(t, db.Super)
	var sealed, hash []byte
	if err := conn.QueryRow(ctx, `SELECT sealed, subject_hash FROM feedback WHERE id = $1`, rc.ID).Scan(&sealed, &hash); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte(comment)) || bytes.Contains(hash, []byte(subjectRef)) {
		t.Error("PostgreSQL holds the comment or subject reference in clear")
	}

	// The pages beside the API, their sessions in PostgreSQL: sign in as the
	// demo caseworker and find the record in the list.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("POST", s.url+"/sign-in", strings.NewReader("person=0"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.url)
	resp, err := browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in on the pages: %d", resp.StatusCode)
	}
	resp, err = browser.Get(s.url + "/records")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), `href="/records/`+rc.ID+`"`) {
		t.Errorf("the list of records on the pages: %d, record listed %v", resp.StatusCode, strings.Contains(string(page), rc.ID))
	}
	var sessions int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM web_sessions`).Scan(&sessions); err != nil || sessions != 1 {
		t.Errorf("sessions in PostgreSQL: %d, %v", sessions, err)
	}
	if status, body := call(t, "GET", s.url+"/v1/nowhere", "", "", ""); status != 404 || !strings.Contains(string(body), "problem") {
		t.Errorf("an unknown API path: %d %s", status, body)
	}

	// The metrics say what happened, in labels from fixed sets only.
	_, metrics := call(t, "GET", s.url+"/metrics", "", "", "")
	for _, want := range []string{
		`candour_http_requests_total{code="201",handler="api",route="POST /v1/feedback"} 1`,
		`candour_http_requests_total{code="200",handler="pages",route="GET /records"} 1`,
		`candour_policy_decisions_total{action="feedback.create",outcome="allow"}`,
		`candour_policy_decisions_total{action="feedback.list",outcome="allow"} 1`,
		`candour_key_provider_calls_total{op="wrap"}`,
		`candour_audit_batch_entries_count`,
		`candour_audit_commit_duration_seconds_bucket`,
		`candour_db_pool_connections{state="max"}`,
		`candour_data_key_cache_total{result="hit"}`,
		`candour_http_request_duration_seconds_bucket{handler="api",route="GET /v1/feedback/{id}"`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, never := range []string{rc.ID, subjectRef, "/v1/nowhere", "dev-caseworker"} {
		if strings.Contains(string(metrics), never) {
			t.Errorf("/metrics holds %q", never)
		}
	}
}

// TestCheckpointsSignedInVault runs `candour server` with its checkpoint key
// in Vault transit (no key file for the audit log), takes a checkpoint as an
// auditor, and verifies the log offline with the verifier key the server
// publishes; a key file and a transit key together are refused.
func TestCheckpointsSignedInVault(t *testing.T) {
	v := vaulttest.Start(t)
	db := pgtest.NewMigratedDatabase(t)
	f := newFleet(t, db)
	args := []string{"server", "--addr", "127.0.0.1:0", "--database", f.db.AppURL, "--policy-dir", f.policy,
		"--jwks-url", f.jwks, "--issuer", api.DevIssuer, "--audience", api.DevAudience,
		"--keys", "transit", "--vault-addr", v.Addr, "--vault-token", v.ServiceToken}
	if _, errOut, code := runCLI(t, append(args, "--audit-key", f.auditKey, "--audit-transit-key", "candour-audit", "--audit-origin", "x")...); code != 2 ||
		!strings.Contains(errOut, "one of --audit-key and --audit-transit-key") {
		t.Errorf("both audit keys: exit %d, %q", code, errOut)
	}
	_, url, _ := launch(t, append(args, "--audit-transit-key", "candour-audit", "--audit-origin", "candour.test/vault-signed"), nil)
	cw := f.token(t, candour.RoleCaseworker, "victim-support-north")
	auditor := f.token(t, candour.RoleAuditor, "victim-support-north")
	for i := range 3 {
		s := &submission{key: fmt.Sprint("k", i), comment: fmt.Sprintf("Kept me informed, visit %06d", i)}
		if st, _ := post(http.DefaultClient, url, cw, s); st != 201 {
			t.Fatalf("submit: %d", st)
		}
	}
	status, checkpoint := call(t, "POST", url+"/v1/audit/checkpoint", auditor, "audit", "")
	if status != 200 || !strings.HasPrefix(string(checkpoint), "candour.test/vault-signed\n") {
		t.Fatalf("checkpoint: %d %s", status, checkpoint)
	}
	status, vkey := call(t, "GET", url+"/v1/audit/verifier-key", auditor, "audit", "")
	if status != 200 {
		t.Fatalf("verifier key: %d %s", status, vkey)
	}
	key := strings.TrimSpace(string(vkey))
	root, err := transit.New(context.Background(), transit.Config{Address: v.Addr, Token: v.RootToken})
	if err != nil {
		t.Fatal(err)
	}
	if _, want, err := root.CheckpointSigner(context.Background(), "candour-audit", "candour.test/vault-signed"); err != nil || key != want {
		t.Fatalf("verifier key %q, want the transit key's %q (%v)", key, want, err)
	}
	file := filepath.Join(t.TempDir(), "checkpoint.txt")
	os.WriteFile(file, checkpoint, 0o600)
	if out, errOut, code := runCLI(t, "audit", "verify", "--database", db.Super, "--verifier-key", key, "--checkpoint", file); code != 0 {
		t.Fatalf("audit verify: exit %d\n%s\n%s", code, out, errOut)
	}
}
