package web_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/candour-vault/candour/postgres/pgtest"
)

// hydraPath finds Ory Hydra, built by scripts/hydra-binary.sh: the tests of
// the sign-in never skip; without it they fail and say how to build it.
func hydraPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CANDOUR_HYDRA_BIN"); p != "" {
		return p
	}
	home, _ := os.UserHomeDir()
	cache := os.Getenv("CANDOUR_CACHE")
	if cache == "" {
		cache = filepath.Join(home, ".cache", "candour")
	}
	p := filepath.Join(cache, "hydra-2.3.0", "hydra")
	if _, err := os.Stat(p); err != nil {
		t.Fatal("Ory Hydra is not built: run scripts/hydra-binary.sh (make test does)")
	}
	return p
}

// freePort returns a loopback address nobody listens on yet.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// hydra is a running Ory Hydra (public and admin APIs on loopback, its own
// PostgreSQL database) with a login and consent app that the test's "user"
// answers: the app shows a form, and the user's answers go to Hydra's admin
// API as a real login provider's would.
type hydra struct {
	t              *testing.T
	public, admin  string // base URLs
	login          string // the login and consent app
	client, secret string
	// claims are what the consent step puts into the ID token.
	claims map[string]any
}

func startHydra(t *testing.T, redirect string, claims map[string]any) *hydra {
	t.Helper()
	bin := hydraPath(t)
	db := pgtest.NewDatabase(t)
	h := &hydra{t: t, claims: claims}
	app := httptest.NewServer(http.HandlerFunc(h.loginApp))
	t.Cleanup(app.Close)
	h.login = app.URL
	pub, adm := freePort(t), freePort(t)
	h.public, h.admin = "http://"+pub, "http://"+adm
	secret := make([]byte, 24)
	rand.Read(secret)
	env := append(os.Environ(), "DSN="+db.Super, "SECRETS_SYSTEM="+hex.EncodeToString(secret),
		"URLS_SELF_ISSUER="+h.public+"/", "URLS_LOGIN="+app.URL+"/login", "URLS_CONSENT="+app.URL+"/consent",
		"SERVE_PUBLIC_HOST=127.0.0.1", "SERVE_PUBLIC_PORT="+strings.Split(pub, ":")[1],
		"SERVE_ADMIN_HOST=127.0.0.1", "SERVE_ADMIN_PORT="+strings.Split(adm, ":")[1],
		"LOG_LEVEL=warn", "SQA_OPT_OUT=true")
	migrate := exec.Command(bin, "migrate", "sql", "up", "-e", "--yes")
	migrate.Env = env
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("hydra migrate: %v\n%s", err, out)
	}
	var logs bytes.Buffer
	serve := exec.Command(bin, "serve", "all", "--dev", "--sqa-opt-out")
	serve.Env = env
	serve.Stdout, serve.Stderr = &logs, &logs
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { serve.Process.Kill(); serve.Wait() })
	for i := 0; ; i++ {
		resp, err := http.Get(h.public + "/.well-known/openid-configuration")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if i == 300 {
			t.Fatalf("Hydra did not start in 30 s:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	var c struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	h.adminCall("POST", "/admin/clients", map[string]any{
		"client_name": "candour-test", "grant_types": []string{"authorization_code"}, "response_types": []string{"code"},
		"redirect_uris": []string{redirect}, "scope": "openid profile", "token_endpoint_auth_method": "client_secret_basic",
	}, &c)
	h.client, h.secret = c.ClientID, c.ClientSecret
	return h
}

func (h *hydra) adminCall(method, path string, body, out any) {
	h.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, h.admin+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		h.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, got)
	}
	if out != nil {
		if err := json.Unmarshal(got, out); err != nil {
			h.t.Fatal(err)
		}
	}
}

var loginPage = template.Must(template.New("").Parse(`<!DOCTYPE html><title>Test provider</title>
<form method="post"><input type="hidden" name="challenge" value="{{.Challenge}}">
<label>{{.Label}} <input name="{{.Field}}"></label><button name="answer" value="accept">Continue</button>
<button name="answer" value="deny">Deny</button></form>`))

// loginApp is the identity provider's login and consent screen: a form
// the user fills in; the answer goes to Hydra's admin API.
func (h *hydra) loginApp(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == "GET" && r.URL.Path == "/login":
		loginPage.Execute(w, map[string]string{"Challenge": r.URL.Query().Get("login_challenge"), "Label": "Username", "Field": "username"})
	case r.Method == "GET" && r.URL.Path == "/consent":
		loginPage.Execute(w, map[string]string{"Challenge": r.URL.Query().Get("consent_challenge"), "Label": "Say yes", "Field": "ok"})
	case r.Method == "POST" && r.URL.Path == "/login":
		r.ParseForm()
		var out struct {
			RedirectTo string `json:"redirect_to"`
		}
		q := "?login_challenge=" + r.PostForm.Get("challenge")
		if r.PostForm.Get("answer") == "deny" {
			h.adminCall("PUT", "/admin/oauth2/auth/requests/login/reject"+q, map[string]any{"error": "access_denied"}, &out)
		} else {
			h.adminCall("PUT", "/admin/oauth2/auth/requests/login/accept"+q, map[string]any{"subject": r.PostForm.Get("username")}, &out)
		}
		http.Redirect(w, r, out.RedirectTo, http.StatusFound)
	case r.Method == "POST" && r.URL.Path == "/consent":
		r.ParseForm()
		q := "?consent_challenge=" + r.PostForm.Get("challenge")
		var req struct {
			RequestedScope []string `json:"requested_scope"`
		}
		h.adminCall("GET", "/admin/oauth2/auth/requests/consent"+q, nil, &req)
		var out struct {
			RedirectTo string `json:"redirect_to"`
		}
		h.adminCall("PUT", "/admin/oauth2/auth/requests/consent/accept"+q, map[string]any{
			"grant_scope": req.RequestedScope, "session": map[string]any{"id_token": h.claims}}, &out)
		http.Redirect(w, r, out.RedirectTo, http.StatusFound)
	default:
		http.NotFound(w, r)
	}
}

// signInAt walks a browser (an HTTP client with cookies) through the
// sign-in: Candour → Hydra → login form → Hydra → consent form → Hydra →
// Candour's callback. It answers the forms as user, and returns the last
// response (Candour's answer to the callback).
func (b *browser) signInAt(h *hydra, user, answer string) *http.Response {
	b.t.Helper()
	next := b.e.url + "/sign-in"
	for range 20 {
		resp, err := b.client.Get(next)
		if err != nil {
			b.t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case strings.HasPrefix(next, b.e.url+"/sign-in/callback"):
		case resp.StatusCode >= 300 && resp.StatusCode < 400:
			loc, err := resp.Location()
			if err != nil {
				b.t.Fatal(err)
			}
			next = loc.String()
			continue
		case strings.HasPrefix(next, h.login):
			u, _ := resp.Request.URL.Parse("")
			challenge := hiddenValue(string(body), "challenge")
			form := fmt.Sprintf("challenge=%s&answer=%s&username=%s&ok=yes", challenge, answer, user)
			req, _ := http.NewRequest("POST", u.String(), strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := b.client.Do(req)
			if err != nil {
				b.t.Fatal(err)
			}
			resp.Body.Close()
			loc, err := resp.Location()
			if err != nil {
				b.t.Fatalf("the login app answered %d", resp.StatusCode)
			}
			next = loc.String()
			continue
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		return resp
	}
	b.t.Fatal("the sign-in went round more than 20 times")
	return nil
}

func hiddenValue(page, name string) string {
	i := strings.Index(page, `name="`+name+`" value="`)
	if i < 0 {
		return ""
	}
	rest := page[i+len(`name="`+name+`" value="`):]
	return rest[:strings.IndexByte(rest, '"')]
}
