package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/candour-vault/candour"
)

// OIDCConfig names an agency's identity provider and Candour's client
// there.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; its discovery document is read
	// from Issuer + "/.well-known/openid-configuration".
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this server's /sign-in/callback as the provider knows it.
	RedirectURL string
	// Scopes are asked for beside openid (for example "profile" or a
	// provider's "roles" scope).
	Scopes []string
	// Claims says where the ID token keeps roles and agency.
	Claims candour.ClaimMapping
}

// OIDC signs people in with the authorization code flow and PKCE.
type OIDC struct {
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	claims   candour.ClaimMapping
}

// NewOIDC reads the provider's discovery document and keys.
func NewOIDC(ctx context.Context, c OIDCConfig) (*OIDC, error) {
	provider, err := oidc.NewProvider(ctx, c.Issuer)
	if err != nil {
		return nil, fmt.Errorf("identity provider %s: %w", c.Issuer, err)
	}
	return &OIDC{
		oauth: oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: c.RedirectURL,
			Endpoint: provider.Endpoint(), Scopes: append([]string{oidc.ScopeOpenID}, c.Scopes...)},
		verifier: provider.Verifier(&oidc.Config{ClientID: c.ClientID}),
		claims:   c.Claims,
	}, nil
}

// signInCookie carries state, nonce and the PKCE verifier from the redirect
// to the callback, for ten minutes, in this browser only.
func signInCookie(secure bool) string {
	if secure {
		return "__Host-candour-sign-in"
	}
	return "candour-sign-in"
}

func random() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// start sends the browser to the provider.
func (o *OIDC) start(w http.ResponseWriter, r *http.Request, secure bool) {
	state, nonce, verifier := random(), random(), oauth2.GenerateVerifier()
	http.SetCookie(w, &http.Cookie{Name: signInCookie(secure), Value: state + "." + nonce + "." + verifier,
		Path: "/", MaxAge: 600, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, o.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusSeeOther)
}

// finish checks the provider's answer (state, code with the PKCE verifier,
// ID token signature, audience, expiry and nonce) and returns the person
// it names. The reason of a failure is for the log only.
func (o *OIDC) finish(w http.ResponseWriter, r *http.Request, secure bool) (candour.Principal, error) {
	c, err := r.Cookie(signInCookie(secure))
	http.SetCookie(w, &http.Cookie{Name: signInCookie(secure), Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: secure, SameSite: http.SameSiteLaxMode})
	if err != nil {
		return candour.Principal{}, errors.New("no sign-in in progress in this browser")
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 3 {
		return candour.Principal{}, errors.New("malformed sign-in cookie")
	}
	state, nonce, verifier := parts[0], parts[1], parts[2]
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return candour.Principal{}, fmt.Errorf("the provider answered %.40q", e)
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
		return candour.Principal{}, errors.New("state does not match")
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	tok, err := o.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		return candour.Principal{}, fmt.Errorf("code exchange: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return candour.Principal{}, errors.New("no id_token in the token response")
	}
	id, err := o.verifier.Verify(ctx, raw)
	if err != nil {
		return candour.Principal{}, fmt.Errorf("id_token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(id.Nonce), []byte(nonce)) != 1 {
		return candour.Principal{}, errors.New("nonce does not match")
	}
	var claims map[string]any
	if err := id.Claims(&claims); err != nil {
		return candour.Principal{}, fmt.Errorf("id_token claims: %w", err)
	}
	return o.claims.Principal(id.Issuer, id.Subject, claims)
}
