package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/audit"
	"github.com/candour-vault/candour/insight"
	"github.com/candour-vault/candour/policy"
	"github.com/candour-vault/candour/postgres"
	"github.com/candour-vault/candour/redact"
	"github.com/candour-vault/candour/retention"
	"github.com/candour-vault/candour/sqlite"
	"github.com/candour-vault/candour/vault"
	"github.com/candour-vault/candour/vault/keyring"
	"github.com/candour-vault/candour/web"
)

// env is a running Candour with its pages: SQLite in a temporary
// directory, the local keyring, the embedded policy, the dev sign-in.
type env struct {
	url string
	// closeDB closes the database under the running pages.
	closeDB  func()
	feedback *vault.Service
	releaser *insight.Releaser
	db       store
	logs     *syncBuffer
	clock    *clock
}

// clock is a settable clock, for session timeouts.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.off) }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func newEnv(t testing.TB) *env { t.Helper(); return newEnvWith(t, nil, nil) }

// store is what the pages' services need of a database.
type store interface {
	vault.Store
	candour.RetentionStore
	candour.DataKeyStore
	candour.AuditLog
	candour.SessionStore
	insight.Releases
	insight.ReleaseStore
	candour.AuditReader
	audit.Store
}

// openStore opens the store of an env: SQLite in dir, or, when pgURL is
// set, that migrated PostgreSQL database as the application role.
func openStore(t testing.TB, dir, pgURL string) (store, func()) {
	t.Helper()
	ctx := context.Background()
	if pgURL != "" {
		db, err := postgres.Open(ctx, pgURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
		return db, db.Close
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "candour.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, func() { db.Close() }
}

// newEnvWith is newEnv with the pages' configuration changed by configure,
// which is given the server's URL before it starts, and the handler wrapped
// by wrap (both optional).
func newEnvWith(t testing.TB, configure func(c *web.Config, url string), wrap func(http.Handler) http.Handler) *env {
	t.Helper()
	return newEnvOn(t, "", configure, wrap)
}

// newEnvOn is newEnvWith on the PostgreSQL database at pgURL (as the
// application role) when it is set.
func newEnvOn(t testing.TB, pgURL string, configure func(c *web.Config, url string), wrap func(http.Handler) http.Handler) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, closeDB := openStore(t, dir, pgURL)
	keys, err := keyring.LoadOrCreate(filepath.Join(dir, "keyring.json"))
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.Load(ctx, policy.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	c := &clock{}
	sweeper := retention.New(retention.Config{Store: db, Rules: pol, Holder: "web-test", Now: c.now})
	svc := vault.New(vault.Config{Store: db, DataKeys: db, Log: db, Keys: keys, Policy: pol, Logger: logger, Retention: sweeper, Now: c.now,
		LinkBase: base})
	noiseKey, err := keys.SubjectHash(ctx, insight.NoiseKeyLabel)
	if err != nil {
		t.Fatal(err)
	}
	noise, err := insight.NewNoise(noiseKey)
	if err != nil {
		t.Fatal(err)
	}
	red, err := redact.New()
	if err != nil {
		t.Fatal(err)
	}
	releaser := insight.NewReleaser(db, db, 0, pol.Agencies, nil)
	insights := insight.NewService(insight.Config{Store: db, Opener: svc, Redactor: red, Log: db, Policy: pol, Noise: noise, Releaser: releaser})
	skey, _, err := audit.GenerateKey("candour.test/pages")
	if err != nil {
		t.Fatal(err)
	}
	tree, err := audit.NewLog(db, skey)
	if err != nil {
		t.Fatal(err)
	}
	cfg := web.Config{Feedback: svc, Insight: insights, Audit: audit.NewService(db, db, tree, pol, nil), Lifecycle: svc, Sessions: db,
		Catalogue: pol, DevPeople: web.DefaultDevPeople(), Now: c.now, Logger: logger,
		Citizen: svc, Invitations: svc, PublicURL: base}
	if configure != nil {
		configure(&cfg, base)
	}
	pages, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = pages
	if wrap != nil {
		h = wrap(pages)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return &env{url: base, closeDB: closeDB, feedback: svc, logs: logs, clock: c, releaser: releaser, db: db}
}

// browser is an HTTP client with cookies that does not follow redirects,
// sending the Origin header a browser sends with a form.
type browser struct {
	t      testing.TB
	e      *env
	client *http.Client
}

func (e *env) browser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, e: e, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// signIn signs in as the dev person of the given index (0: a caseworker
// of victim-support-north, 1: a caseworker of police-north, 2: an
// analyst, 3: an auditor, 4: an administrator).
func (b *browser) signIn(person int) {
	b.t.Helper()
	resp, _ := b.post("/sign-in", url.Values{"person": {itoa(person)}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		b.t.Fatalf("sign in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func itoa(n int) string { return string(rune('0' + n)) }

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.client.Get(b.e.url + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.e.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.e.url)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// hidden returns what a browser would send of the page's form posted to
// /record (or the first form with fields): hidden and text inputs, checked
// radios and checkboxes, selected options and text areas, before the
// person changes anything.
func hidden(page string) url.Values {
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		panic(err)
	}
	attr := func(n *html.Node, name string) (string, bool) {
		for _, a := range n.Attr {
			if a.Key == name {
				return a.Val, true
			}
		}
		return "", false
	}
	var forms []*html.Node
	var find func(*html.Node)
	find = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "form" {
			forms = append(forms, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			find(c)
		}
	}
	find(doc)
	values := func(form *html.Node) url.Values {
		v := url.Values{}
		var walk func(*html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				name, named := attr(n, "name")
				switch {
				case !named:
				case n.Data == "input":
					typ, _ := attr(n, "type")
					val, _ := attr(n, "value")
					_, checked := attr(n, "checked")
					switch typ {
					case "radio", "checkbox":
						if checked {
							v.Add(name, val)
						}
					default:
						v.Add(name, val)
					}
				case n.Data == "textarea":
					text := ""
					if n.FirstChild != nil {
						text = n.FirstChild.Data
					}
					v.Add(name, strings.TrimPrefix(text, "\n"))
				case n.Data == "select":
					for o := n.FirstChild; o != nil; o = o.NextSibling {
						if _, sel := attr(o, "selected"); o.Type == html.ElementNode && sel {
							val, _ := attr(o, "value")
							v.Add(name, val)
						}
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(form)
		return v
	}
	for _, f := range forms {
		if action, _ := attr(f, "action"); action == "/record" {
			return values(f)
		}
	}
	for _, f := range forms {
		if v := values(f); len(v) > 0 {
			return v
		}
	}
	return url.Values{}
}

// merge returns a with b's values added (b wins).
func merge(a, b url.Values) url.Values {
	out := url.Values{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// caller is a caseworker of agency, for checking what the pages stored
// through the service itself.
func caller(agency string) candour.Caller {
	return candour.Caller{Principal: candour.Principal{Issuer: web.DevIssuer, Subject: "dev-caseworker-" + agency,
		Agency: agency, Roles: []candour.Role{candour.RoleCaseworker}}, Purpose: candour.PurposeCaseManagement}
}
