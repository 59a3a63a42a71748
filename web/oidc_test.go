package web_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/postgres/pgtest"
	"github.com/candour-vault/candour/web"
	"github.com/candour-vault/candour/web/hydratest"
)

// signInAt walks the browser through the sign-in at h, answering as user,
// and returns Candour's answer to the callback.
func (b *browser) signInAt(h *hydratest.Server, user, answer string) *http.Response {
	b.t.Helper()
	callback := h.Browse(b.client, b.e.url+"/sign-in", b.e.url+"/sign-in/callback", user, answer)
	resp, err := b.client.Get(callback)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp
}

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// oidcEnv is Candour's pages signing people in at a real Ory Hydra whose
// ID tokens carry the given claims, read with the given mapping.
func oidcEnv(t *testing.T, claims map[string]any, mapping candour.ClaimMapping) (*env, *hydratest.Server) {
	t.Helper()
	var h *hydratest.Server
	e := newEnvWith(t, func(c *web.Config, base string) {
		h = hydratest.Start(t, func(string) map[string]any { return claims })
		id, secret := h.Client([]string{base + "/sign-in/callback"}, nil)
		o, err := web.NewOIDC(context.Background(), web.OIDCConfig{Issuer: h.Issuer, ClientID: id,
			ClientSecret: secret, RedirectURL: base + "/sign-in/callback", Scopes: []string{"profile"}, Claims: mapping})
		if err != nil {
			t.Fatal(err)
		}
		c.OIDC, c.DevPeople = o, nil
	}, nil)
	return e, h
}

// TestSignInAtHydra: sign-in through a real OpenID provider, with the
// provider's own role names in its own claim (as Entra ID, Keycloak or a
// groups claim would), roles Candour does not know ignored; then the pages
// work, and signing out ends the session. Refusals at the provider and a
// forged callback sign nobody in.
func TestSignInAtHydra(t *testing.T) {
	claims := map[string]any{"org": map[string]any{"agency": "victim-support-north"},
		"groups": []string{"staff-all", "candour-casework", "payroll-admin"}}
	mapping := candour.ClaimMapping{RolesClaim: "groups", AgencyClaim: "org.agency",
		RoleValues: map[string]candour.Role{"candour-casework": candour.RoleCaseworker, "candour-dpo": candour.RoleAdmin}}
	e, h := oidcEnv(t, claims, mapping)

	t.Run("SignsInAndRecords", func(t *testing.T) {
		b := e.browser(t)
		resp := b.signInAt(h, "jo.evans", "accept")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
			body, _ := io.ReadAll(resp.Body)
			t.Fatalf("the callback answered %d, to %q, at %s: %.600s", resp.StatusCode, resp.Header.Get("Location"), resp.Request.URL, body)
		}
		_, page := b.get("/")
		if !strings.Contains(page, "a caseworker at Victim Support North") {
			t.Fatalf("the start page does not name the role and agency: %s", page)
		}
		id := b.record(consentAnswers(), detailAnswers())
		f, err := e.feedback.Read(context.Background(), candour.Caller{Principal: candour.Principal{Issuer: h.Issuer,
			Subject: "jo.evans", Agency: "victim-support-north", Roles: []candour.Role{candour.RoleCaseworker}},
			Purpose: candour.PurposeCaseManagement}, id)
		if err != nil || f.SubmittedBy != "jo.evans" {
			t.Fatalf("the record of a person signed in at the provider: %+v %v", f, err)
		}
		b.post("/sign-out", nil)
		if resp, _ := b.get("/records"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("after sign-out: %d", resp.StatusCode)
		}
	})
	t.Run("RefusedAtTheProvider", func(t *testing.T) {
		b := e.browser(t)
		resp := b.signInAt(h, "jo.evans", "deny")
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a refused login: %d", resp.StatusCode)
		}
		if resp, _ := b.get("/records"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("a refused login left a session: %d", resp.StatusCode)
		}
	})
	t.Run("ForgedCallback", func(t *testing.T) {
		for _, path := range []string{"/sign-in/callback?code=x&state=y", "/sign-in/callback"} {
			b := e.browser(t)
			b.get("/sign-in") // a sign-in in progress: its cookie is set
			if resp, _ := b.get(path); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s: %d, want 401", path, resp.StatusCode)
			}
			fresh := e.browser(t) // no sign-in in progress at all
			if resp, _ := fresh.get(path); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s without a sign-in: %d, want 401", path, resp.StatusCode)
			}
		}
	})
	t.Run("PKCEAndNonceSent", func(t *testing.T) {
		b := e.browser(t)
		resp, _ := b.get("/sign-in")
		loc := resp.Header.Get("Location")
		for _, want := range []string{"code_challenge_method=S256", "code_challenge=", "nonce=", "state=", "scope=openid+profile"} {
			if !strings.Contains(loc, want) {
				t.Errorf("the redirect to the provider lacks %s: %s", want, loc)
			}
		}
	})
}

// TestSignInWithoutCandourRoles: a person the provider knows but who holds
// no Candour role is signed in, and every caseworker page refuses them.
func TestSignInWithoutCandourRoles(t *testing.T) {
	e, h := oidcEnv(t, map[string]any{"agency": "police-north", "roles": []string{"viewer"}}, candour.ClaimMapping{})
	b := e.browser(t)
	if resp := b.signInAt(h, "someone", "accept"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	if resp, page := b.get("/record"); resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "You cannot use this page") {
		t.Errorf("a person without a Candour role opening /record: %d", resp.StatusCode)
	}
}
