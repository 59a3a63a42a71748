// Package hydratest runs a real OpenID provider for tests: Ory Hydra v2,
// built by scripts/hydra-binary.sh, on loopback, with a database of its own,
// and a login and consent app whose forms the test answers as the user
// would. It is test-only code; no production code imports it.
package hydratest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/candour-vault/candour/postgres/pgtest"
)

// Binary finds Hydra: CANDOUR_HYDRA_BIN, else the cache of
// scripts/hydra-binary.sh. Tests that need it never skip: without it they
// fail and say how to build it (make test does).
func Binary(t testing.TB) string {
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

// Server is a running Hydra.
type Server struct {
	t testing.TB
	// Public and Admin are the base URLs of Hydra's two APIs; Issuer is
	// the issuer its tokens carry (Public + "/").
	Public, Admin, Issuer string
	login                 string
	claims                func(user string) map[string]any
}

// Start starts Hydra, issuing JWT access tokens. claims gives the claims a
// user's ID token and access token carry (the access token keeps them under
// "ext", as Hydra does, and its "roles" and "agency" at the top level too).
func Start(t testing.TB, claims func(user string) map[string]any) *Server {
	t.Helper()
	bin := Binary(t)
	db := pgtest.NewDatabase(t)
	s := &Server{t: t, claims: claims}
	app := httptest.NewServer(http.HandlerFunc(s.loginApp))
	t.Cleanup(app.Close)
	s.login = app.URL
	pub, adm := FreeAddr(t), FreeAddr(t)
	s.Public, s.Admin, s.Issuer = "http://"+pub, "http://"+adm, "http://"+pub+"/"
	secret := make([]byte, 24)
	rand.Read(secret)
	env := append(os.Environ(), "DSN="+db.Super, "SECRETS_SYSTEM="+hex.EncodeToString(secret),
		"URLS_SELF_ISSUER="+s.Issuer, "URLS_LOGIN="+app.URL+"/login", "URLS_CONSENT="+app.URL+"/consent",
		"SERVE_PUBLIC_HOST=127.0.0.1", "SERVE_PUBLIC_PORT="+strings.Split(pub, ":")[1],
		"SERVE_ADMIN_HOST=127.0.0.1", "SERVE_ADMIN_PORT="+strings.Split(adm, ":")[1],
		"STRATEGIES_ACCESS_TOKEN=jwt", "OAUTH2_ALLOWED_TOP_LEVEL_CLAIMS=roles,agency", "LOG_LEVEL=warn", "SQA_OPT_OUT=true")
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
		resp, err := http.Get(s.Public + "/.well-known/openid-configuration")
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
	return s
}

// FreeAddr returns a loopback address nobody listens on yet.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Client registers a confidential client (authorization code grant) with
// these redirect URLs and audiences, and returns its id and secret.
func (s *Server) Client(redirects, audience []string) (id, secret string) {
	s.t.Helper()
	var c struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	s.admin("POST", "/admin/clients", map[string]any{
		"client_name": "candour-test", "grant_types": []string{"authorization_code"}, "response_types": []string{"code"},
		"redirect_uris": redirects, "scope": "openid profile", "token_endpoint_auth_method": "client_secret_basic",
		"audience": audience,
	}, &c)
	return c.ClientID, c.ClientSecret
}

func (s *Server) admin(method, path string, body, out any) {
	s.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, s.Admin+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		s.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, got)
	}
	if out != nil {
		if err := json.Unmarshal(got, out); err != nil {
			s.t.Fatal(err)
		}
	}
}

var formPage = template.Must(template.New("").Parse(`<!DOCTYPE html><title>Test provider</title>
<form method="post"><input type="hidden" name="challenge" value="{{.Challenge}}">
<label>{{.Label}} <input name="{{.Field}}"></label><button name="answer" value="accept">Continue</button>
<button name="answer" value="deny">Deny</button></form>`))

// loginApp is the provider's login and consent screen: a form the user
// fills in; the answer goes to Hydra's admin API as a real login app's would.
func (s *Server) loginApp(w http.ResponseWriter, r *http.Request) {
	var out struct {
		RedirectTo string `json:"redirect_to"`
	}
	switch {
	case r.Method == "GET" && r.URL.Path == "/login":
		formPage.Execute(w, map[string]string{"Challenge": r.URL.Query().Get("login_challenge"), "Label": "Username", "Field": "username"})
		return
	case r.Method == "GET" && r.URL.Path == "/consent":
		formPage.Execute(w, map[string]string{"Challenge": r.URL.Query().Get("consent_challenge"), "Label": "Say yes", "Field": "ok"})
		return
	case r.Method == "POST" && r.URL.Path == "/login":
		r.ParseForm()
		q := "?login_challenge=" + url.QueryEscape(r.PostForm.Get("challenge"))
		if r.PostForm.Get("answer") == "deny" {
			s.admin("PUT", "/admin/oauth2/auth/requests/login/reject"+q, map[string]any{"error": "access_denied"}, &out)
		} else {
			s.admin("PUT", "/admin/oauth2/auth/requests/login/accept"+q, map[string]any{"subject": r.PostForm.Get("username")}, &out)
		}
	case r.Method == "POST" && r.URL.Path == "/consent":
		r.ParseForm()
		q := "?consent_challenge=" + url.QueryEscape(r.PostForm.Get("challenge"))
		var req struct {
			Subject                      string   `json:"subject"`
			RequestedScope               []string `json:"requested_scope"`
			RequestedAccessTokenAudience []string `json:"requested_access_token_audience"`
		}
		s.admin("GET", "/admin/oauth2/auth/requests/consent"+q, nil, &req)
		claims := s.claims(req.Subject)
		s.admin("PUT", "/admin/oauth2/auth/requests/consent/accept"+q, map[string]any{
			"grant_scope": req.RequestedScope, "grant_access_token_audience": req.RequestedAccessTokenAudience,
			"session": map[string]any{"id_token": claims, "access_token": claims}}, &out)
	default:
		http.NotFound(w, r)
		return
	}
	http.Redirect(w, r, out.RedirectTo, http.StatusFound)
}

// Browse walks client (with cookies, not following redirects by itself)
// from start through the provider's redirects, answering the login and
// consent forms as user ("accept" or "deny"), until a URL that begins with
// stop, which it returns without requesting.
func (s *Server) Browse(client *http.Client, start, stop, user, answer string) string {
	s.t.Helper()
	next := start
	for range 20 {
		if strings.HasPrefix(next, stop) {
			return next
		}
		var resp *http.Response
		var err error
		if strings.HasPrefix(next, s.login+"/") {
			page, gerr := client.Get(next)
			if gerr != nil {
				s.t.Fatal(gerr)
			}
			body, _ := io.ReadAll(page.Body)
			page.Body.Close()
			form := url.Values{"challenge": {hiddenValue(string(body), "challenge")}, "answer": {answer}, "username": {user}, "ok": {"yes"}}
			resp, err = client.PostForm(page.Request.URL.String(), form)
		} else {
			resp, err = client.Get(next)
		}
		if err != nil {
			s.t.Fatal(err)
		}
		resp.Body.Close()
		loc, err := resp.Location()
		if err != nil {
			s.t.Fatalf("%s answered %d, no redirect", next, resp.StatusCode)
		}
		next = loc.String()
	}
	s.t.Fatal("the sign-in went round more than 20 times")
	return ""
}

func hiddenValue(page, name string) string {
	marker := `name="` + name + `" value="`
	i := strings.Index(page, marker)
	if i < 0 {
		return ""
	}
	rest := page[i+len(marker):]
	return rest[:strings.IndexByte(rest, '"')]
}

// AccessToken signs user in with a client of the test's own and returns
// the JWT access token Hydra issues for audience.
func (s *Server) AccessToken(user, audience string) string {
	s.t.Helper()
	redirect := "http://127.0.0.1:9/callback" // never requested: Browse stops there
	id, secret := s.Client([]string{redirect}, []string{audience})
	conf := oauth2.Config{ClientID: id, ClientSecret: secret, RedirectURL: redirect, Scopes: []string{"openid"},
		Endpoint: oauth2.Endpoint{AuthURL: s.Public + "/oauth2/auth", TokenURL: s.Public + "/oauth2/token"}}
	state := fmt.Sprintf("state-%d", time.Now().UnixNano())
	jar := newJar()
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	back := s.Browse(client, conf.AuthCodeURL(state, oauth2.SetAuthURLParam("audience", audience)), redirect, user, "accept")
	u, err := url.Parse(back)
	if err != nil || u.Query().Get("state") != state || u.Query().Get("code") == "" {
		s.t.Fatalf("no code in %s", back)
	}
	tok, err := conf.Exchange(context.Background(), u.Query().Get("code"))
	if err != nil {
		s.t.Fatal(err)
	}
	return tok.AccessToken
}

func newJar() http.CookieJar {
	jar, _ := cookiejar.New(nil)
	return jar
}
