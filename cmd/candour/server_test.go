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
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

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

// TestReplicasExactlyOnce runs three replicas on one database; many clients
// submit and retry through all of them while one replica is killed with
// SIGKILL and restarted. Every acknowledged submission must be stored exactly
// once and open, and the audit log must be one gap-free sequence.
func TestReplicasExactlyOnce(t *testing.T) {
	db := pgtest.NewMigratedDatabase(t)
	f := newFleet(t, db)
	replicas := []*replica{f.start(t, "127.0.0.1:0"), f.start(t, "127.0.0.1:0"), f.start(t, "127.0.0.1:0")}
	var (
		mu   sync.Mutex
		urls = []string{replicas[0].url, replicas[1].url, replicas[2].url}
	)
	urlOf := func(i int) string { mu.Lock(); defer mu.Unlock(); return urls[i%3] }
	cw := f.token(t, candour.RoleCaseworker, "victim-support-north")

	const clients, each = 8, 30
	subs := make([]*submission, 0, clients*each)
	for c := range clients {
		for i := range each {
			n := c*each + i
			subs = append(subs, &submission{key: fmt.Sprintf("client-%d-visit-%d", c, i), comment: fmt.Sprintf("Waited too long, visit %06d", n)})
		}
	}
	var acked atomic.Int32
	killed := make(chan struct{})
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 5 * time.Second}
			// send retries through the replicas until one acknowledges.
			send := func(s *submission, start int) (candour.Receipt, bool) {
				for attempt := 0; attempt < 60; attempt++ {
					st, rc := post(client, urlOf(start+attempt), cw, s)
					switch st {
					case http.StatusCreated:
						return rc, true
					case 0, http.StatusServiceUnavailable: // no answer, or a replica failing closed
						s.retries++
						time.Sleep(50 * time.Millisecond)
					default:
						t.Errorf("%s: status %d", s.key, st)
						return rc, false
					}
				}
				t.Errorf("%s: not acknowledged after 60 attempts", s.key)
				return candour.Receipt{}, false
			}
			for i := range each {
				s := subs[c*each+i]
				rc, ok := send(s, c+i)
				if !ok {
					return
				}
				s.id, s.seq = rc.ID, rc.AuditSeq
				// Some clients never hear the answer and send again: the
				// same key must give the same record.
				if i%4 == 0 {
					if again, ok := send(s, c+i+1); ok && (again.ID != s.id || again.AuditSeq != s.seq) {
						t.Errorf("%s: resend gave %+v, want %s at %d", s.key, again, s.id, s.seq)
					}
				}
				if acked.Add(1) == clients*each/3 {
					close(killed)
				}
			}
		}()
	}
	// Kill replica 1 with SIGKILL a third of the way through, then bring it
	// back on the same address.
	<-killed
	replicas[1].cmd.Process.Signal(syscall.SIGKILL)
	replicas[1].cmd.Wait()
	time.Sleep(200 * time.Millisecond)
	restarted := f.start(t, replicas[1].addr)
	mu.Lock()
	urls[1] = restarted.url
	mu.Unlock()
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// Exactly once: every acknowledged id is stored, no other row is.
	ctx := context.Background()
	conn := pgtest.Connect(t, db.Super)
	var rows int
	conn.QueryRow(ctx, `SELECT count(*) FROM feedback`).Scan(&rows)
	ids := map[string]bool{}
	retries := 0
	for _, s := range subs {
		ids[s.id] = true
		retries += s.retries
	}
	if len(ids) != len(subs) || rows != len(subs) {
		t.Errorf("%d submissions, %d distinct acknowledged ids, %d rows: want all equal", len(subs), len(ids), rows)
	}
	// Every record opens, through any replica, with the comment sent.
	client := &http.Client{Timeout: 5 * time.Second}
	for i, s := range subs {
		req, _ := http.NewRequest("GET", urlOf(i)+"/v1/feedback/"+s.id, nil)
		req.Header.Set("Authorization", "Bearer "+cw)
		req.Header.Set("Candour-Purpose", "case_management")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got candour.Feedback
		json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if resp.StatusCode != 200 || got.Comment != s.comment {
			t.Errorf("%s: read %d, comment %q; want 200 and %q", s.key, resp.StatusCode, got.Comment, s.comment)
		}
	}
	// One consistent audit sequence: 0..n-1, each acknowledged receipt at
	// the entry that records its creation.
	var n, maxSeq int64
	conn.QueryRow(ctx, `SELECT count(*), coalesce(max(seq), -1) FROM audit_log`).Scan(&n, &maxSeq)
	if n != maxSeq+1 {
		t.Errorf("audit log has %d entries up to seq %d: the sequence has gaps", n, maxSeq)
	}
	for _, s := range subs {
		var leaf []byte
		if err := conn.QueryRow(ctx, `SELECT leaf FROM audit_log WHERE seq = $1`, s.seq).Scan(&leaf); err != nil {
			t.Fatalf("%s: audit seq %d: %v", s.key, s.seq, err)
		}
		e, err := candour.ParseAuditLeaf(leaf)
		if err != nil || e.Action != candour.ActionFeedbackCreate || len(e.Records) != 1 || e.Records[0] != s.id {
			t.Errorf("%s: audit seq %d is %+v, %v; want the creation of %s", s.key, s.seq, e, err, s.id)
		}
	}
	// No entry holds a comment or a subject reference.
	leafRows, err := conn.Query(ctx, `SELECT leaf FROM audit_log`)
	if err != nil {
		t.Fatal(err)
	}
	leaves, err := pgx.CollectRows(leafRows, pgx.RowTo[[]byte])
	if err != nil {
		t.Fatal(err)
	}
	for _, leaf := range leaves {
		for _, s := range subs {
			ref := "VS-2026-" + s.comment[len(s.comment)-6:]
			if bytes.Contains(leaf, []byte(s.comment)) || bytes.Contains(leaf, []byte(ref)) {
				t.Fatalf("an audit entry holds personal data of %s: %s", s.key, leaf)
			}
		}
	}
	t.Logf("%d submissions through 3 replicas (one killed and restarted), %d retries, %d audit entries", len(subs), retries, n)
}

// TestDatabaseRestartUnderLoad stops PostgreSQL under a running server while
// clients submit: requests in the outage get 503 (never a false success),
// /readyz turns false and recovers without a restart of Candour, and every
// acknowledged submission is still there afterwards.
func TestDatabaseRestartUnderLoad(t *testing.T) {
	cluster := pgtest.StartCluster(t)
	db := cluster.NewDatabase(t)
	if out, errOut, code := runCLI(t, "migrate", "up", "--database", db.OwnerURL); code != 0 {
		t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	f := newFleet(t, db)
	r := f.start(t, "127.0.0.1:0")
	cw := f.token(t, candour.RoleCaseworker, "victim-support-north")
	client := &http.Client{Timeout: 5 * time.Second}
	ready := func() int {
		resp, err := client.Get(r.url + "/readyz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	waitReady := func(want int) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if ready() == want {
				return
			}
		}
		t.Fatalf("/readyz did not answer %d within 30s", want)
	}

	var (
		mu       sync.Mutex
		acked    []*submission
		statuses = map[int]int{}
		n        atomic.Int64
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	for c := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				s := &submission{key: fmt.Sprintf("restart-%d-%d", c, i), comment: fmt.Sprintf("Kept informed, visit %06d", n.Add(1))}
				st, rc := post(client, r.url, cw, s)
				mu.Lock()
				statuses[st]++
				if st == http.StatusCreated {
					s.id = rc.ID
					acked = append(acked, s)
				}
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	countAcked := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	for deadline := time.Now().Add(20 * time.Second); countAcked() < 50 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	before := countAcked()
	cluster.Stop()
	waitReady(http.StatusServiceUnavailable)
	time.Sleep(500 * time.Millisecond) // load continues against the dead database
	if err := cluster.Start(); err != nil {
		t.Fatal(err)
	}
	waitReady(http.StatusOK)
	for deadline := time.Now().Add(20 * time.Second); countAcked() < before+50 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	for st, count := range statuses {
		if st != http.StatusCreated && st != http.StatusServiceUnavailable {
			t.Errorf("%d answers with status %d: want only 201 and 503", count, st)
		}
	}
	if statuses[http.StatusServiceUnavailable] == 0 {
		t.Error("no request got 503 while the database was down")
	}
	if len(acked) < before+50 {
		t.Errorf("%d acknowledged after the restart, want at least 50 more than %d: service did not resume", len(acked), before)
	}
	ctx := context.Background()
	conn := pgtest.Connect(t, db.Super)
	lost := 0
	for _, s := range acked {
		var one int
		if err := conn.QueryRow(ctx, `SELECT 1 FROM feedback WHERE id = $1`, s.id).Scan(&one); err != nil {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged submissions are missing after the restart", lost, len(acked))
	}
	t.Logf("statuses %v; %d acknowledged (%d before the outage), none lost", statuses, len(acked), before)
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

// TestAuditFailureFailsClosed breaks the audit table under a running server:
// submissions and reads answer 503, store nothing and return nothing; once
// the table works again, so does Candour, without a restart.
func TestAuditFailureFailsClosed(t *testing.T) {
	db := pgtest.NewMigratedDatabase(t)
	f := newFleet(t, db)
	r := f.start(t, "127.0.0.1:0")
	cw := f.token(t, candour.RoleCaseworker, "victim-support-north")
	client := &http.Client{Timeout: 5 * time.Second}
	first := &submission{key: "before", comment: "They listened, visit 000001"}
	if st, rc := post(client, r.url, cw, first); st != 201 {
		t.Fatalf("before: %d", st)
	} else {
		first.id = rc.ID
	}
	read := func(id string) (int, string) {
		req, _ := http.NewRequest("GET", r.url+"/v1/feedback/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+cw)
		req.Header.Set("Candour-Purpose", "case_management")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	rows := func() int { return queryInt(t, db.Super, `SELECT count(*) FROM feedback`) }
	superSQL(t, db.Super, `REVOKE INSERT ON audit_log FROM candour_app`)
	during := &submission{key: "during", comment: "Nobody called back, visit 000002"}
	if st, _ := post(client, r.url, cw, during); st != http.StatusServiceUnavailable {
		t.Errorf("submission with the audit table broken: %d, want 503", st)
	}
	if st, body := read(first.id); st != http.StatusServiceUnavailable || strings.Contains(body, "They listened") {
		t.Errorf("read with the audit table broken: %d %s; want 503 and no content", st, body)
	}
	if n := rows(); n != 1 {
		t.Errorf("%d feedback rows, want 1: a submission was stored without its audit entry", n)
	}
	superSQL(t, db.Super, `GRANT INSERT ON audit_log TO candour_app`)
	if st, _ := post(client, r.url, cw, during); st != 201 {
		t.Errorf("submission after repair: %d, want 201", st)
	}
	if st, _ := read(first.id); st != 200 {
		t.Errorf("read after repair: %d, want 200", st)
	}
}

// TestTransitFailsClosed runs candour server on PostgreSQL with HashiCorp
// Vault transit holding the key-encryption key. With Vault sealed, and with
// Vault hung, submissions and reads answer 503 with Retry-After, store and
// return nothing, and /readyz says the keys are unavailable; when Vault is
// back, service resumes without a restart, and there is never a fallback to
// a local key.
func TestTransitFailsClosed(t *testing.T) {
	v := vaulttest.Start(t)
	db := pgtest.NewMigratedDatabase(t)
	f := newFleet(t, db)
	os.Remove(f.keyFile) // no local key to fall back on
	r := f.start(t, "127.0.0.1:0", "--keys", "transit", "--vault-addr", v.Addr, "--vault-token", v.ServiceToken)
	cw := f.token(t, candour.RoleCaseworker, "victim-support-north")
	client := &http.Client{Timeout: 30 * time.Second}
	n := 0
	submit := func() (int, http.Header) {
		n++
		body := submitBody(fmt.Sprintf("Felt safe at last, visit %06d", n))
		req, _ := http.NewRequest("POST", r.url+"/v1/feedback", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+cw)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rc candour.Receipt
		json.NewDecoder(resp.Body).Decode(&rc)
		if resp.StatusCode == 201 {
			r.lastID = rc.ID
		}
		return resp.StatusCode, resp.Header
	}
	read := func() int {
		req, _ := http.NewRequest("GET", r.url+"/v1/feedback/"+r.lastID, nil)
		req.Header.Set("Authorization", "Bearer "+cw)
		req.Header.Set("Candour-Purpose", "case_management")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ready := func() int {
		resp, err := client.Get(r.url + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	rows := func() int { return queryInt(t, db.Super, `SELECT count(*) FROM feedback`) }
	if st, _ := submit(); st != 201 || read() != 200 || ready() != 200 {
		t.Fatalf("healthy: submit %d", st)
	}
	for _, down := range []struct {
		name       string
		stop, back func(testing.TB)
	}{
		{"sealed", v.Seal, v.Unseal},
		{"hung", v.Freeze, v.Thaw},
	} {
		down.stop(t)
		// Keys already in memory may serve for up to the one-second health
		// check; from the first refusal on, nothing may be stored.
		var st int
		var h http.Header
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
			if st, h = submit(); st != 201 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		before := rows()
		start := time.Now()
		if st != http.StatusServiceUnavailable || h.Get("Retry-After") == "" {
			t.Errorf("%s: submit %d, Retry-After %q; want 503 with Retry-After", down.name, st, h.Get("Retry-After"))
		}
		if st, _ := submit(); st != http.StatusServiceUnavailable {
			t.Errorf("%s: a second submit %d, want 503", down.name, st)
		}
		if st := read(); st != http.StatusServiceUnavailable {
			t.Errorf("%s: read %d, want 503", down.name, st)
		}
		if st := ready(); st != http.StatusServiceUnavailable {
			t.Errorf("%s: /readyz %d, want 503", down.name, st)
		}
		if took := time.Since(start); took > 25*time.Second {
			t.Errorf("%s: the three requests took %v; a down Vault must fail fast", down.name, took)
		}
		if after := rows(); after != before {
			t.Errorf("%s: %d rows stored while Vault was down", down.name, after-before)
		}
		down.back(t)
		resumed := false
		for deadline := time.Now().Add(15 * time.Second); !resumed && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			resumed = ready() == 200
		}
		if st, _ := submit(); !resumed || st != 201 || read() != 200 {
			t.Errorf("%s, then back: ready %v, submit %d; want service to resume without a restart", down.name, resumed, st)
		}
	}
	// The service's token revoked: not ready, and nothing served (this
	// static token has no AppRole to log in again with).
	if err := v.Root().Auth().Token().RevokeTree(v.ServiceToken); err != nil {
		t.Fatal(err)
	}
	if st := ready(); st != http.StatusServiceUnavailable {
		t.Errorf("token revoked: /readyz %d, want 503", st)
	}
	if st, _ := submit(); st != http.StatusServiceUnavailable {
		t.Errorf("token revoked: submit %d, want 503", st)
	}
}

// queryInt runs a query that gives one whole number, over a connection of its
// own.
func queryInt(t *testing.T, url, query string, args ...any) int {
	t.Helper()
	ctx := context.Background()
	conn := pgtest.Connect(t, url)
	var n int
	if err := conn.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
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
