package transit_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/candour-vault/candour/vault/transit"
	"github.com/candour-vault/candour/vault/transit/vaulttest"
)

func provider(t *testing.T, v *vaulttest.Server, token string) *transit.Provider {
	t.Helper()
	p, err := transit.New(context.Background(), transit.Config{Address: v.Addr, Token: token, Timeout: time.Second, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWrapUnwrapWithServicePolicy(t *testing.T) {
	ctx := context.Background()
	v := vaulttest.Start(t)
	p := provider(t, v, v.ServiceToken)
	keys := [][]byte{bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{3}, 32)}
	wrapped, err := p.WrapKeys(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range wrapped {
		if !strings.HasPrefix(string(w), "vault:v1:") || bytes.Contains(w, keys[i]) {
			t.Errorf("wrapped key %d = %q", i, w)
		}
	}
	got, err := p.UnwrapKeys(ctx, wrapped)
	if err != nil {
		t.Fatal(err)
	}
	for i := range keys {
		if !bytes.Equal(got[i], keys[i]) {
			t.Errorf("key %d did not round-trip", i)
		}
	}
	bad := []byte(strings.Replace(string(wrapped[0]), "vault:v1:", "vault:v1:AAAA", 1))
	if _, err := p.UnwrapKeys(ctx, [][]byte{bad}); err == nil {
		t.Error("a damaged wrapped key unwrapped")
	}
	h1, err := p.SubjectHash(ctx, "VS-2026-000123")
	h2, _ := p.SubjectHash(ctx, "VS-2026-000123")
	h3, _ := p.SubjectHash(ctx, "VS-2026-000124")
	if err != nil || len(h1) != 32 || !bytes.Equal(h1, h2) || bytes.Equal(h1, h3) {
		t.Errorf("subject hashes %x %x %x, %v: want 32 stable bytes per reference", h1, h2, h3, err)
	}
	// Another replica, reading the same secret, gives the same hash.
	if h4, err := provider(t, v, v.ServiceToken).SubjectHash(ctx, "VS-2026-000123"); err != nil || !bytes.Equal(h4, h1) {
		t.Errorf("another provider's subject hash = %x, %v; want %x", h4, err, h1)
	}
	// The service's policy cannot export, delete or reconfigure the key.
	svc := v.Root()
	svc.SetToken(v.ServiceToken)
	defer svc.SetToken(v.RootToken)
	for _, try := range []func() error{
		func() error { _, err := svc.Logical().Read("transit/export/encryption-key/candour-kek"); return err },
		func() error { _, err := svc.Logical().Delete("transit/keys/candour-kek"); return err },
		func() error {
			_, err := svc.Logical().Write("transit/keys/candour-kek/config", map[string]any{"deletion_allowed": true})
			return err
		},
	} {
		if err := try(); err == nil {
			t.Error("the service token could touch the key itself")
		}
	}
}

func TestFailsFastWhenVaultIsDown(t *testing.T) {
	ctx := context.Background()
	v := vaulttest.Start(t)
	p := provider(t, v, v.ServiceToken)
	key := [][]byte{bytes.Repeat([]byte{9}, 32)}
	wrapped, err := p.WrapKeys(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	check := func(state string, wantErr bool) {
		t.Helper()
		start := time.Now()
		_, err := p.UnwrapKeys(ctx, wrapped)
		if (err != nil) != wantErr {
			t.Errorf("%s: UnwrapKeys error %v, want error %v", state, err, wantErr)
		}
		if perr := p.Ping(ctx); (perr != nil) != wantErr {
			t.Errorf("%s: Ping %v, want error %v", state, perr, wantErr)
		}
		if took := time.Since(start); took > 8*time.Second {
			t.Errorf("%s: took %v; a down Vault must fail fast", state, took)
		}
		if err != nil && (strings.Contains(err.Error(), string(wrapped[0])) || strings.Contains(err.Error(), v.ServiceToken)) {
			t.Errorf("%s: the error holds key material or the token: %v", state, err)
		}
	}
	check("healthy", false)
	v.Seal(t)
	check("sealed", true)
	v.Unseal(t)
	check("unsealed again", false)
	v.Freeze(t)
	check("frozen", true)
	v.Thaw(t)
	check("thawed", false)
}

func TestAppRoleLogin(t *testing.T) {
	ctx := context.Background()
	v := vaulttest.Start(t)
	role, secret := v.AppRole(t)
	p, err := transit.New(ctx, transit.Config{Address: v.Addr, RoleID: role, SecretID: secret})
	if err != nil {
		t.Fatal(err)
	}
	w, err := p.WrapKeys(ctx, [][]byte{bytes.Repeat([]byte{4}, 32)})
	if err != nil || len(w) != 1 {
		t.Fatalf("WrapKeys after AppRole login: %v", err)
	}
	if _, err := transit.New(ctx, transit.Config{Address: v.Addr, RoleID: role, SecretID: "wrong"}); err == nil || strings.Contains(err.Error(), "wrong") {
		t.Errorf("login with a wrong secret id: %v; want a failure that does not repeat it", err)
	}
}

// TestTokenKeptAlive: with AppRole tokens that live 3 s and can be renewed
// for 7 s, the provider keeps serving for several lifetimes (renewing, then
// logging in again), and says it is ready at the end.
func TestTokenKeptAlive(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v := vaulttest.Start(t)
	role, secret := v.AppRoleTTL(t, "3s", "7s")
	p, err := transit.New(ctx, transit.Config{Address: v.Addr, RoleID: role, SecretID: secret})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	go p.KeepToken(ctx, 200*time.Millisecond, func(msg string, args ...any) { t.Logf("%s: %s %v", time.Since(start), msg, args) })
	deadline := time.Now().Add(16 * time.Second)
	calls := 0
	for time.Now().Before(deadline) {
		if _, err := p.WrapKeys(ctx, [][]byte{bytes.Repeat([]byte{7}, 32)}); err != nil {
			t.Fatalf("after %d calls, %s into the test: %v", calls, 16*time.Second-time.Until(deadline), err)
		}
		calls++
		time.Sleep(250 * time.Millisecond)
	}
	if err := p.Ping(ctx); err != nil {
		t.Errorf("not ready after several token lifetimes: %v", err)
	}
}

// TestNotReadyWithRevokedToken: a revoked token makes the provider not
// ready, and says why without repeating the token.
func TestNotReadyWithRevokedToken(t *testing.T) {
	ctx := context.Background()
	v := vaulttest.Start(t)
	p, err := transit.New(ctx, transit.Config{Address: v.Addr, Token: v.ServiceToken})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Ping(ctx); err != nil {
		t.Fatalf("a fresh provider is not ready: %v", err)
	}
	if err := v.Root().Auth().Token().RevokeTreeWithContext(ctx, v.ServiceToken); err != nil {
		t.Fatal(err)
	}
	err = p.Ping(ctx)
	if err == nil || !strings.Contains(err.Error(), "not valid") || strings.Contains(err.Error(), v.ServiceToken) {
		t.Errorf("Ping with a revoked token: %v; want not ready, without the token", err)
	}
}

// TestVaultSetupScript runs scripts/vault-setup.sh twice against a bare Vault
// dev server, as an administrator: the service then logs in with the AppRole
// it printed, wraps and unwraps a key, and signs a checkpoint; the second
// run keeps the subject-hash secret.
func TestVaultSetupScript(t *testing.T) {
	ctx := context.Background()
	v := vaulttest.StartBare(t)
	run := func() (roleID, secretID string) {
		t.Helper()
		cmd := exec.Command("../../scripts/vault-setup.sh")
		cmd.Env = append(os.Environ(), "VAULT_ADDR="+v.Addr, "VAULT_TOKEN="+v.RootToken, "VAULT_BIN="+vaulttest.Binary(t),
			"HOME="+t.TempDir())
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("vault-setup.sh: %v\n%s", err, stderr.String())
		}
		for _, line := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(line, "CANDOUR_VAULT_ROLE_ID="); ok {
				roleID = v
			}
			if v, ok := strings.CutPrefix(line, "CANDOUR_VAULT_SECRET_ID="); ok {
				secretID = v
			}
		}
		if roleID == "" || secretID == "" {
			t.Fatalf("vault-setup.sh printed no credentials: %q", out)
		}
		return roleID, secretID
	}
	secretOf := func() string {
		t.Helper()
		s, err := v.Root().Logical().ReadWithContext(ctx, "secret/data/candour/subject-hmac")
		if err != nil || s == nil {
			t.Fatalf("the subject-hash secret: %v", err)
		}
		return s.Data["data"].(map[string]any)["key"].(string)
	}
	run()
	first := secretOf()
	role, secret := run()
	if secretOf() != first {
		t.Fatal("a second run replaced the subject-hash secret")
	}
	p, err := transit.New(ctx, transit.Config{Address: v.Addr, RoleID: role, SecretID: secret})
	if err != nil {
		t.Fatal(err)
	}
	key := bytes.Repeat([]byte{9}, 32)
	w, err := p.WrapKeys(ctx, [][]byte{key})
	if err != nil {
		t.Fatal(err)
	}
	if k, err := p.UnwrapKeys(ctx, w); err != nil || !bytes.Equal(k[0], key) {
		t.Fatalf("unwrap: %v", err)
	}
	signer, _, err := p.CheckpointSigner(ctx, "candour-audit", "candour.test/setup")
	if err != nil {
		t.Fatal(err)
	}
	if sig, err := signer.Sign([]byte("candour.test/setup\n1\n")); err != nil || len(sig) == 0 {
		t.Errorf("signing with the audit key: %v", err)
	}
	if err := p.Ping(ctx); err != nil {
		t.Errorf("not ready after the setup: %v", err)
	}
}

// TestKubernetesLogin: with a Kubernetes role, the provider logs in at the
// real Vault's Kubernetes auth method with the service account token file.
// No Kubernetes API server runs here, so Vault cannot review the token and
// refuses it; the test checks that the login goes there, that a missing
// token file is named, and that no error repeats the token.
func TestKubernetesLogin(t *testing.T) {
	ctx := context.Background()
	v := vaulttest.Start(t)
	root := v.Root()
	if err := root.Sys().EnableAuthWithOptions("kubernetes", &api.EnableAuthOptions{Type: "kubernetes"}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.Logical().Write("auth/kubernetes/config", map[string]any{"kubernetes_host": "https://127.0.0.1:1", "disable_local_ca_jwt": true, "kubernetes_ca_cert": ""}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.Logical().Write("auth/kubernetes/role/candour", map[string]any{"bound_service_account_names": "candour",
		"bound_service_account_namespaces": "candour", "token_policies": "candour"}); err != nil {
		t.Fatal(err)
	}
	token := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6Y2FuZG91cjpjYW5kb3VyIn0.c2lnbmF0dXJlLXNlY3JldA"
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := transit.New(ctx, transit.Config{Address: v.Addr, KubernetesRole: "candour", KubernetesTokenFile: file})
	if err == nil || !strings.Contains(err.Error(), "Kubernetes login failed") || strings.Contains(err.Error(), "c2lnbmF0dXJl") {
		t.Errorf("a token Vault cannot review: %v; want a Kubernetes login failure that does not repeat the token", err)
	}
	_, err = transit.New(ctx, transit.Config{Address: v.Addr, KubernetesRole: "candour", KubernetesTokenFile: file + ".missing"})
	if err == nil || !strings.Contains(err.Error(), file+".missing") {
		t.Errorf("a missing token file: %v; want its path named", err)
	}
}
