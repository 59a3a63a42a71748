package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	neturl "net/url"
	"os"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/api"
	"github.com/candour-vault/candour/audit"
	"github.com/candour-vault/candour/vault"
	"github.com/candour-vault/candour/vault/keyring"
	"github.com/candour-vault/candour/vault/transit"
	"github.com/candour-vault/candour/web"
)

func runServer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	config := fs.String("config", "", "optional JSON file of flag values (flags and CANDOUR_* variables win over it)")
	addr := fs.String("addr", "127.0.0.1:8420", "address to listen on (use 0.0.0.0:8420 behind a load balancer)")
	database := fs.String("database", "", "PostgreSQL URL, connecting as the application role (candour_app)")
	keys := fs.String("keys", "keyring", "key provider: transit (HashiCorp Vault) or keyring (a local key file)")
	keyFile := fs.String("key-file", "", "the key file of the keyring provider (create one with 'candour keys init')")
	vaultAddr := fs.String("vault-addr", "", "Vault's address, for --keys transit")
	vaultToken := fs.String("vault-token", "", "a Vault token with the policy of deploy/vault/candour.hcl (better: CANDOUR_VAULT_TOKEN)")
	vaultRole := fs.String("vault-role-id", "", "AppRole role id, instead of a token")
	vaultSecret := fs.String("vault-secret-id", "", "AppRole secret id (better: CANDOUR_VAULT_SECRET_ID)")
	k8sRole := fs.String("vault-k8s-role", "", "log in to Vault with its Kubernetes auth method, as this Vault role (bound to the pod's service account)")
	k8sMount := fs.String("vault-k8s-mount", "kubernetes", "the mount of Vault's Kubernetes auth method")
	k8sToken := fs.String("vault-k8s-token-file", "/var/run/secrets/kubernetes.io/serviceaccount/token", "the service account token file for the Kubernetes login")
	poolAge := fs.Duration("key-pool-max-age", time.Minute, "how long pre-wrapped fresh data keys wait before use; a key rotation's --grace must be longer")
	policyDir := fs.String("policy-dir", "", "policy directory (Rego and data.json), reloaded on change and on SIGHUP")
	auditKey := fs.String("audit-key", "", "the audit log's signing key file (create one with 'candour audit init-key')")
	auditTransitKey := fs.String("audit-transit-key", "", "instead of --audit-key: an Ed25519 Vault transit key that signs checkpoints, with --keys transit")
	auditOrigin := fs.String("audit-origin", "", "the log's origin (its name in checkpoints), with --audit-transit-key")
	checkpoints := fs.Duration("checkpoint-interval", time.Minute, "how often to sign a checkpoint of the audit log when it has grown")
	jwksURL := fs.String("jwks-url", "", "the OIDC issuer's JWKS URL, whose keys sign bearer tokens")
	issuer := fs.String("issuer", "", "the iss claim tokens must carry")
	audience := fs.String("audience", "candour", "the aud claim tokens must carry")
	maxLifetime := fs.Duration("max-token-lifetime", api.DefaultMaxLifetime, "the longest validity (exp less iat) a bearer token may carry")
	rolesClaim := fs.String("roles-claim", "roles", "dotted path of the claim that holds a person's roles, in bearer tokens and ID tokens (Keycloak: realm_access.roles)")
	agencyClaim := fs.String("agency-claim", "agency", "dotted path of the claim that holds a person's agency id")
	roleMap := fs.String("role-map", "", "how the provider's role values map onto Candour's, as value=role,value=role (empty: values that are Candour role names, as they are); unknown values are ignored")
	oidcIssuer := fs.String("oidc-issuer", "", "the identity provider's issuer URL, for the pages' sign-in (empty: no pages, the API only)")
	oidcClientID := fs.String("oidc-client-id", "", "Candour's client id at the identity provider")
	oidcSecret := fs.String("oidc-client-secret", "", "Candour's client secret there (better: CANDOUR_OIDC_CLIENT_SECRET)")
	oidcRedirect := fs.String("oidc-redirect-url", "", "this server's https://…/sign-in/callback, as registered at the identity provider")
	oidcScopes := fs.String("oidc-scopes", "profile", "scopes asked for beside openid, comma-separated")
	sessionIdle := fs.Duration("session-idle-timeout", web.DefaultIdleTimeout, "a page session ends after this long without a request")
	sessionMax := fs.Duration("session-max-age", web.DefaultAbsoluteTimeout, "a page session ends this long after sign-in, whatever happens")
	release := addReleaseFlags(fs)
	sweeps := fs.Duration("retention-interval", time.Hour, "how often the retention sweeper runs (one replica at a time); 0 turns it off here")
	citizen := addCitizenFlags(fs, true)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if err := release.check("server"); err != nil {
		return err
	}
	if err := applyConfig(fs, *config); err != nil {
		return err
	}
	switch {
	case !isPostgres(*database):
		return usageError{"server: --database must be a postgres:// URL"}
	case *keys != "keyring" && *keys != "transit":
		return usageError{fmt.Sprintf("server: --keys must be transit or keyring, not %q", *keys)}
	case *keys == "keyring" && *keyFile == "":
		return usageError{"server: --key-file is required with --keys keyring"}
	case *keys == "transit" && *vaultAddr == "":
		return usageError{"server: --vault-addr is required with --keys transit"}
	case (*auditKey == "") == (*auditTransitKey == ""):
		return usageError{"server: give one of --audit-key and --audit-transit-key"}
	case *auditTransitKey != "" && (*keys != "transit" || *auditOrigin == ""):
		return usageError{"server: --audit-transit-key needs --keys transit and --audit-origin"}
	case *jwksURL == "" || *issuer == "":
		return usageError{"server: --jwks-url and --issuer are required"}
	case *policyDir == "":
		return usageError{"server: --policy-dir is required (the embedded demo policy is for candour dev only)"}
	case *maxLifetime <= 0:
		return usageError{"server: --max-token-lifetime must be positive"}
	case *oidcIssuer != "" && (*oidcClientID == "" || *oidcRedirect == ""):
		return usageError{"server: --oidc-issuer needs --oidc-client-id and --oidc-redirect-url"}
	case *sessionIdle <= 0 || *sessionMax < *sessionIdle:
		return usageError{"server: --session-idle-timeout must be positive and --session-max-age at least as long"}
	}
	channel, err := citizen.channel("server", "")
	if err != nil {
		return err
	}
	if channel.publicURL != "" && *oidcIssuer == "" {
		return usageError{"server: --public-url needs the pages (--oidc-issuer): caseworkers make feedback links there"}
	}
	roles, err := candour.ParseRoleValues(*roleMap)
	if err != nil {
		return usageError{"server: --role-map: " + candour.ErrorMessage(err)}
	}
	claims := candour.ClaimMapping{RolesClaim: *rolesClaim, AgencyClaim: *agencyClaim, RoleValues: roles}
	var pages *web.Config
	if *oidcIssuer != "" {
		secure, err := checkRedirectURL(*oidcRedirect)
		if err != nil {
			return err
		}
		o, err := web.NewOIDC(ctx, web.OIDCConfig{Issuer: *oidcIssuer, ClientID: *oidcClientID, ClientSecret: *oidcSecret,
			RedirectURL: *oidcRedirect, Scopes: splitList(*oidcScopes), Claims: claims})
		if err != nil {
			return err
		}
		pages = &web.Config{OIDC: o, SecureCookies: secure, IdleTimeout: *sessionIdle, AbsoluteTimeout: *sessionMax}
	}
	if err := checkJWKSURL(*jwksURL); err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))

	db, closeDB, err := openStore(ctx, *database, false)
	if err != nil {
		return err
	}
	defer closeDB()
	var (
		kek vault.KEK
		tp  *transit.Provider
	)
	if *keys == "transit" {
		tp, err = transit.New(ctx, transit.Config{Address: *vaultAddr, Token: *vaultToken, RoleID: *vaultRole, SecretID: *vaultSecret,
			KubernetesRole: *k8sRole, KubernetesMount: *k8sMount, KubernetesTokenFile: *k8sToken})
		if err == nil {
			go tp.Watch(ctx, time.Second)
			go tp.KeepToken(ctx, 5*time.Second, func(msg string, args ...any) { logger.Warn(msg, args...) })
			kek = tp
		}
	} else {
		kek, err = keyring.Load(*keyFile, keyPassphrase())
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("there is no key file at %s; create one with 'candour keys init --key-file %s'", *keyFile, *keyFile)
		}
	}
	if err != nil {
		return err
	}
	tree, err := auditLog(ctx, db, *auditKey, tp, *auditTransitKey, *auditOrigin)
	if err != nil {
		return err
	}
	pol, err := loadPolicy(ctx, *policyDir, logger)
	if err != nil {
		return err
	}
	jwks, err := keyfunc.NewDefaultCtx(ctx, []string{*jwksURL})
	if err != nil {
		return fmt.Errorf("the JWKS at %s cannot be used: %w", *jwksURL, err)
	}
	noise, red, err := insightDeps(ctx, kek)
	if err != nil {
		return err
	}
	c := components{poolAge: *poolAge, store: db, tree: tree, keys: kek, policy: pol, noise: noise, redact: red, embargo: *release.embargo,
		auth: api.NewVerifier(jwks, *issuer, *audience, nil).WithMaxLifetime(*maxLifetime).WithClaimMapping(claims), logger: logger,
		pages: pages, citizen: channel}
	handler, err := c.handler(ctx)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", *addr, err)
	}
	logger.Info("candour server listening", "addr", ln.Addr().String(), "policy_revision", pol.Revision())
	fmt.Fprintf(stdout, "Listening on http://%s\n", ln.Addr())
	go checkpointEvery(ctx, tree, *checkpoints, logger)
	go c.releaser().Every(ctx, *release.interval, time.Now)
	if *sweeps > 0 {
		go c.sweeper().Every(ctx, *sweeps)
	}
	return serve(ctx, ln, handler, logger)
}

// auditLog returns the audit log, signing checkpoints with the key file at
// keyFile, or else with the Vault transit key transitKey.
func auditLog(ctx context.Context, db audit.Store, keyFile string, tp *transit.Provider, transitKey, origin string) (*audit.Log, error) {
	if keyFile != "" {
		skey, err := audit.LoadKey(keyFile)
		if err != nil {
			return nil, err
		}
		return audit.NewLog(db, skey)
	}
	signer, vkey, err := tp.CheckpointSigner(ctx, transitKey, origin)
	if err != nil {
		return nil, fmt.Errorf("the checkpoint key in Vault cannot be used: %w", err)
	}
	return audit.NewSignedLog(db, signer, vkey)
}

// checkRedirectURL accepts an https sign-in callback, or a plain http one
// on a loopback host (then, and only then, the session cookie is not marked
// Secure, since a browser would not send it back over plain HTTP); it says
// whether cookies are Secure.
func checkRedirectURL(raw string) (bool, error) {
	u, err := neturl.Parse(raw)
	if err != nil || u.Host == "" || u.Path != "/sign-in/callback" {
		return false, usageError{"server: --oidc-redirect-url must be an absolute URL ending in /sign-in/callback"}
	}
	switch u.Scheme {
	case "https":
		return true, nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			return false, nil
		}
	}
	return false, usageError{"server: --oidc-redirect-url must use https (plain http only on a loopback address)"}
}

// splitList reads a comma-separated list, leaving out empty items.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// checkJWKSURL refuses a JWKS URL that is not https, except on a loopback
// host: keys fetched over plain HTTP could be swapped on the way.
func checkJWKSURL(raw string) error {
	u, err := neturl.Parse(raw)
	if err != nil || u.Host == "" {
		return usageError{"server: --jwks-url must be an absolute URL"}
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
	}
	return usageError{"server: --jwks-url must use https (plain http only on a loopback address)"}
}
