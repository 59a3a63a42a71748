package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/api"
	"github.com/candour-vault/candour/apitest"
	"github.com/candour-vault/candour/audit"
)

const secret = "Please do not tell my ex-partner John Smith where I live"

type env struct {
	url    string
	issuer *api.Issuer
	dbPath string
	tree   *audit.Log
	srv    *apitest.Server
}

func newEnv(t *testing.T) env {
	t.Helper()
	s := apitest.Start(t)
	return env{url: s.URL, issuer: s.Issuer, dbPath: s.DBPath, tree: s.Tree, srv: s}
}

// release releases every month that has ended.
func (e env) release(t *testing.T) { t.Helper(); e.srv.Release(t) }

func (e env) token(t *testing.T, role candour.Role, agency string) string {
	t.Helper()
	return e.srv.Token(t, "dev-"+string(role), role, agency)
}

// tokenAs mints a token for a principal with the given subject.
func (e env) tokenAs(t *testing.T, sub string, role candour.Role, agency string) string {
	t.Helper()
	return e.srv.Token(t, sub, role, agency)
}

func (e env) do(t *testing.T, method, path, token string, header map[string]string, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

const validBody = `{"service":"victim-support/initial-contact","period":"2026-10","ratings":{"satisfaction":4},
 "comment":"` + secret + `","subject_ref":"VS-2026-000999",
 "consent":{"purposes":["service_improvement"],"method":"verbal","notice_version":"2026-01"}}`

var jsonCT = map[string]string{"Content-Type": "application/json"}

func TestCreateFeedbackRejects(t *testing.T) {
	e := newEnv(t)
	cw := e.token(t, candour.RoleCaseworker, "victim-support-north")
	big := `{"comment":"` + strings.Repeat(secret, 2000) + `"}`
	tests := []struct {
		name   string
		token  string
		header map[string]string
		body   string
		status int
	}{
		{"no token", "", jsonCT, validBody, 401},
		{"bad token", cw + "x", jsonCT, validBody, 401},
		{"analyst", e.token(t, candour.RoleAnalyst, "victim-support-north"), jsonCT, validBody, 403},
		{"caseworker of unknown agency", e.token(t, candour.RoleCaseworker, "nowhere-north"), jsonCT, validBody, 403},
		{"no content type", cw, nil, validBody, 415},
		{"text content type", cw, map[string]string{"Content-Type": "text/plain"}, validBody, 415},
		{"too large", cw, jsonCT, big, 413},
		{"empty", cw, jsonCT, "", 400},
		{"not json", cw, jsonCT, "comment=" + secret, 400},
		{"array", cw, jsonCT, `["` + secret + `"]`, 400},
		{"truncated", cw, jsonCT, validBody[:60], 400},
		{"trailing data", cw, jsonCT, validBody + `{"comment":"` + secret + `"}`, 400},
		{"unknown field", cw, jsonCT, strings.Replace(validBody, `"period"`, `"agency":"police-north","period"`, 1), 400},
		{"unknown field named with the secret", cw, jsonCT, strings.Replace(validBody, `"period"`, `"`+secret+`":1,"period"`, 1), 400},
		{"wrong type", cw, jsonCT, strings.Replace(validBody, `"satisfaction":4`, `"satisfaction":"`+secret+`"`, 1), 400},
		{"fraction", cw, jsonCT, strings.Replace(validBody, `"satisfaction":4`, `"satisfaction":4.5`, 1), 400},
		{"out of range", cw, jsonCT, strings.Replace(validBody, `"satisfaction":4`, `"satisfaction":7`, 1), 400},
		{"bad period", cw, jsonCT, strings.Replace(validBody, `"2026-10"`, `"October"`, 1), 400},
		{"no consent", cw, jsonCT, `{"service":"a","period":"2026-10","comment":"` + secret + `"}`, 400},
		{"equality without consent", cw, jsonCT, strings.Replace(validBody, `"period"`, `"equality":{"sex":"female"},"period"`, 1), 400},
		{"bad purpose header", cw, map[string]string{"Content-Type": "application/json", "Candour-Purpose": "curiosity"}, validBody, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.do(t, "POST", "/v1/feedback", tt.token, tt.header, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			checkProblem(t, resp, body, tt.status)
		})
	}
}

func checkProblem(t *testing.T, resp *http.Response, body []byte, status int) {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatalf("body is not JSON: %s", body)
	}
	for _, k := range []string{"type", "title", "status", "detail", "request_id"} {
		if raw[k] == nil || raw[k] == "" {
			t.Errorf("problem lacks %q: %s", k, body)
		}
	}
	if int(raw["status"].(float64)) != status {
		t.Errorf("problem status %v, want %d", raw["status"], status)
	}
	for _, leak := range []string{"John Smith", "VS-2026-000999", "eyJ"} {
		if strings.Contains(string(body), leak) {
			t.Errorf("problem echoes %q: %s", leak, body)
		}
	}
}

// submit posts one feedback body, which must be accepted, and returns the
// answer and its receipt.
func (e env) submit(t *testing.T, token, body string) (*http.Response, candour.Receipt) {
	t.Helper()
	resp, out := e.do(t, "POST", "/v1/feedback", token, jsonCT, body)
	var rc candour.Receipt
	if resp.StatusCode != 201 || json.Unmarshal(out, &rc) != nil {
		t.Fatalf("submit: %d %s", resp.StatusCode, out)
	}
	return resp, rc
}

func TestReadFeedback(t *testing.T) {
	e := newEnv(t)
	cw := e.token(t, candour.RoleCaseworker, "victim-support-north")
	resp, rc := e.submit(t, cw, validBody)
	if loc := resp.Header.Get("Location"); loc != "/v1/feedback/"+rc.ID {
		t.Errorf("Location %q", loc)
	}
	purpose := map[string]string{"Candour-Purpose": "case_management"}
	tests := []struct {
		name   string
		token  string
		header map[string]string
		id     string
		status int
	}{
		{"owner", cw, purpose, rc.ID, 200},
		{"no purpose", cw, nil, rc.ID, 400},
		{"other agency", e.token(t, candour.RoleCaseworker, "police-north"), purpose, rc.ID, 404},
		{"auditor", e.token(t, candour.RoleAuditor, "victim-support-north"), purpose, rc.ID, 404},
		{"missing", cw, purpose, "01a20db6-610d-704e-8661-01d15feb70cf", 404},
		{"no token", "", purpose, rc.ID, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.do(t, "GET", "/v1/feedback/"+tt.id, tt.token, tt.header, "")
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.status != 200 {
				checkProblem(t, resp, body, tt.status)
				return
			}
			var f candour.Feedback
			if err := json.Unmarshal(body, &f); err != nil {
				t.Fatal(err)
			}
			if f.Comment != secret || f.ID != rc.ID || f.Agency != "victim-support-north" || f.SubmittedAt.IsZero() {
				t.Errorf("read back %+v", f)
			}
		})
	}
}

func TestAuditEntries(t *testing.T) {
	e := newEnv(t)
	cw := e.token(t, candour.RoleCaseworker, "victim-support-north")
	auditor := e.token(t, candour.RoleAuditor, "victim-support-north")
	resp, body := e.do(t, "POST", "/v1/feedback", cw, jsonCT, validBody)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	tests := []struct {
		name   string
		token  string
		query  string
		status int
		want   []string // action:outcome of the entries returned
	}{
		{"auditor sees the create and their own read", auditor, "", 200, []string{"feedback.create:ok", "audit.read:ok"}},
		{"filter by action", auditor, "?action=feedback.create", 200, []string{"feedback.create:ok"}},
		{"after and limit", auditor, "?after=0&limit=1", 200, []string{"audit.read:ok"}},
		{"caseworker is refused", cw, "", 403, nil},
		{"unknown parameter", auditor, "?actr=x", 400, nil},
		{"bad number", auditor, "?limit=ten", 400, nil},
		{"limit too large", auditor, "?limit=100000", 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.do(t, "GET", "/v1/audit/entries"+tt.query, tt.token, nil, "")
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.status != 200 {
				checkProblem(t, resp, body, tt.status)
				return
			}
			var out struct {
				Entries []struct {
					Seq   int64
					Leaf  []byte
					Entry candour.AuditEntry
				}
			}
			if err := json.Unmarshal(body, &out); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, en := range out.Entries {
				got = append(got, string(en.Entry.Action)+":"+en.Entry.Outcome)
				if parsed, err := candour.ParseAuditLeaf(en.Leaf); err != nil || parsed.Action != en.Entry.Action {
					t.Errorf("seq %d: leaf does not decode to the entry shown: %v", en.Seq, err)
				}
				if strings.Contains(string(en.Leaf), "John Smith") || strings.Contains(string(en.Leaf), "VS-2026-000999") {
					t.Errorf("seq %d: audit leaf holds personal data", en.Seq)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("entries %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOperationalRoutes(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		method, path string
		status       int
	}{
		{"GET", "/livez", 200},
		{"GET", "/readyz", 200},
		{"GET", "/.well-known/jwks.json", 200},
		{"GET", "/nope", 404},
		{"DELETE", "/v1/feedback/abc", 405},
		{"PUT", "/v1/feedback", 405},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp, body := e.do(t, tt.method, tt.path, "", nil, "")
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			for h, want := range map[string]string{"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
				"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'", "Referrer-Policy": "no-referrer"} {
				if got := resp.Header.Get(h); got != want {
					t.Errorf("%s %q, want %q", h, got, want)
				}
			}
			if resp.Header.Get("Strict-Transport-Security") != "" {
				t.Error("HSTS over plain HTTP")
			}
			switch tt.status {
			case 405:
				if resp.Header.Get("Allow") == "" {
					t.Error("405 without Allow")
				}
				fallthrough
			case 404:
				checkProblem(t, resp, body, tt.status)
			}
		})
	}
}

func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	cw := e.token(t, candour.RoleCaseworker, "victim-support-north")
	post := func(key, body string) (*http.Response, candour.Receipt, []byte) {
		t.Helper()
		h := map[string]string{"Content-Type": "application/json", "Idempotency-Key": key}
		resp, b := e.do(t, "POST", "/v1/feedback", cw, h, body)
		var rc candour.Receipt
		json.Unmarshal(b, &rc)
		return resp, rc, b
	}
	resp, first, b := post("visit-2026-11-24-a", validBody)
	if resp.StatusCode != 201 || resp.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("first: %d %s", resp.StatusCode, b)
	}
	resp, again, _ := post("visit-2026-11-24-a", validBody)
	if resp.StatusCode != 201 || again != first || resp.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry: %d %+v replayed=%q; want 201 with %+v", resp.StatusCode, again, resp.Header.Get("Idempotent-Replayed"), first)
	}
	// The same request serialised otherwise (members reordered, white
	// space, an escaped character) is a retry too.
	var m map[string]any
	json.Unmarshal([]byte(validBody), &m)
	reordered, _ := json.MarshalIndent(m, "", "   ")
	reordered = bytes.Replace(reordered, []byte("victim-support"), []byte(`victim\u002dsupport`), 1)
	resp, again, _ = post("visit-2026-11-24-a", string(reordered))
	if resp.StatusCode != 201 || again != first || resp.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry re-serialised: %d %+v; want the first receipt %+v", resp.StatusCode, again, first)
	}
	resp, _, b = post("visit-2026-11-24-a", strings.Replace(validBody, `"satisfaction":4`, `"satisfaction":5`, 1))
	if resp.StatusCode != 409 {
		t.Errorf("same key, other body: %d, want 409", resp.StatusCode)
	}
	checkProblem(t, resp, b, 409)
	resp, _, b = post("key with spaces", validBody)
	if resp.StatusCode != 400 {
		t.Errorf("bad key: %d, want 400", resp.StatusCode)
	}
	checkProblem(t, resp, b, 400)
}

// TestBearerSchemeAnyCase: the authentication scheme is case-insensitive
// (RFC 7235); anything but Bearer is refused.
func TestBearerSchemeAnyCase(t *testing.T) {
	e := newEnv(t)
	tok := e.token(t, candour.RoleAuditor, "victim-support-north")
	for _, tt := range []struct {
		header string
		status int
	}{
		{"Bearer " + tok, 200}, {"bearer " + tok, 200}, {"BEARER " + tok, 200},
		{"Basic " + tok, 401}, {"Bearer", 401}, {tok, 401},
	} {
		req, _ := http.NewRequest("GET", e.url+"/v1/audit/entries", nil)
		req.Header.Set("Authorization", tt.header)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("Authorization %.12q…: %d, want %d", tt.header, resp.StatusCode, tt.status)
		}
	}
}

// TestEraseSubjectInBody: a subject reference travels only in a request
// body; the old path form is gone, and bad bodies get a problem.
func TestEraseSubjectInBody(t *testing.T) {
	e := newEnv(t)
	cw := e.token(t, candour.RoleCaseworker, "victim-support-north")
	admin := e.token(t, candour.RoleAdmin, "victim-support-north")
	body := strings.Replace(validBody, "VS-2026-000999", "VS-2026-000777", 1)
	if resp, out := e.do(t, "POST", "/v1/feedback", cw, jsonCT, body); resp.StatusCode != 201 {
		t.Fatalf("submit: %d %s", resp.StatusCode, out)
	}
	tests := []struct {
		name, method, path string
		header             map[string]string
		body               string
		status             int
	}{
		{"the old path form", "DELETE", "/v1/subjects/VS-2026-000777", nil, "", 404},
		{"not JSON", "POST", "/v1/subjects/erase", map[string]string{"Content-Type": "text/plain"}, "VS-2026-000777", 415},
		{"unknown field", "POST", "/v1/subjects/erase", jsonCT, `{"subject":"VS-2026-000777"}`, 400},
		{"empty reference", "POST", "/v1/subjects/erase", jsonCT, `{"subject_ref":""}`, 400},
		{"erased", "POST", "/v1/subjects/erase", jsonCT, `{"subject_ref":"VS-2026-000777"}`, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, out := e.do(t, tt.method, tt.path, admin, tt.header, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, out)
			}
			if tt.status == 200 && !strings.Contains(string(out), `"erased":1`) {
				t.Errorf("receipt %s, want one record erased", out)
			}
			if strings.Contains(string(out), "VS-2026-000777") {
				t.Error("the answer repeats the subject reference")
			}
		})
	}
}

// TestHSTSOverTLS: over TLS every response carries Strict-Transport-Security
// (over plain HTTP none does: TestOperationalRoutes).
func TestHSTSOverTLS(t *testing.T) {
	srv := httptest.NewTLSServer(api.New(api.Config{}))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/livez")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if h := resp.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(h, "max-age=") {
		t.Errorf("Strict-Transport-Security %q over TLS", h)
	}
}

// TestReadAbandoned checks that a read whose client went away before it was
// answered is recorded as 499 and noted, not logged as a failure of the
// store or the audit log, and that the record stays readable.
func TestReadAbandoned(t *testing.T) {
	e := newEnv(t)
	cw := e.token(t, candour.RoleCaseworker, "victim-support-north")
	_, rc := e.submit(t, cw, validBody)

	var logs bytes.Buffer
	h := api.New(api.Config{Feedback: e.srv.Feedback, Auth: api.NewVerifier(e.issuer, api.DevIssuer, api.DevAudience, nil),
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the client has gone by the time the store is asked
	req := httptest.NewRequestWithContext(ctx, "GET", "/v1/feedback/"+rc.ID, nil)
	req.Header.Set("Authorization", "Bearer "+cw)
	req.Header.Set("Candour-Purpose", "case_management")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	if rec.Code != 499 || rec.Body.Len() != 0 {
		t.Errorf("abandoned read answered %d %q; want 499 and no body", rec.Code, rec.Body)
	}
	for _, bad := range []string{"level=ERROR", "unavailable", rc.ID, secret} {
		if strings.Contains(logs.String(), bad) {
			t.Errorf("log holds %q:\n%s", bad, logs.String())
		}
	}
	if !strings.Contains(logs.String(), "request abandoned") || !strings.Contains(logs.String(), "status=499") {
		t.Errorf("log:\n%s\nwant the abandoned request noted with status 499", logs.String())
	}
	if resp, body := e.do(t, "GET", "/v1/feedback/"+rc.ID, cw, map[string]string{"Candour-Purpose": "case_management"}, ""); resp.StatusCode != 200 {
		t.Errorf("read after the abandoned one: %d %s", resp.StatusCode, body)
	}
}
