// Package vaulttest runs a real HashiCorp Vault dev server on loopback for
// tests, with transit enabled, Candour's keys created and a service token
// that has exactly the policy of deploy/vault/candour.hcl.
//
// The vault binary comes from CANDOUR_VAULT_BIN, else from
// scripts/vault-binary.sh, which builds it once from the Go module proxy and
// caches it outside the repository (the first build takes 15-25 minutes).
package vaulttest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
)

// Server is a running Vault dev server.
type Server struct {
	Addr         string // http://127.0.0.1:PORT
	RootToken    string
	ServiceToken string // has only the policy in deploy/vault/candour.hcl
	unsealKey    string
	cmd          *exec.Cmd
	root         *api.Client
}

// repoRoot is the repository's top directory.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Binary returns the path of a vault binary, building it if need be.
func Binary(t testing.TB) string {
	t.Helper()
	if b := os.Getenv("CANDOUR_VAULT_BIN"); b != "" {
		return b
	}
	out, err := exec.Command(filepath.Join(repoRoot(), "scripts", "vault-binary.sh")).Output()
	if err != nil {
		t.Fatalf("no vault binary (scripts/vault-binary.sh): %v", err)
	}
	return strings.TrimSpace(string(out))
}

// Start starts a dev server and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := StartBare(t)
	s.setUp(t)
	return s
}

// StartBare starts a Vault dev server with nothing set up for Candour: for
// testing the setup steps themselves (scripts/vault-setup.sh).
func StartBare(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &Server{Addr: "http://" + addr, RootToken: "root"}
	s.cmd = exec.Command(Binary(t), "server", "-dev", "-dev-root-token-id=root", "-dev-listen-address="+addr)
	s.cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "VAULT_ADDR="+s.Addr)
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stderr = s.cmd.Stdout
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.cmd.Process.Signal(syscall.SIGCONT)
		s.cmd.Process.Kill()
		s.cmd.Wait()
	})
	unseal := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if k, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "Unseal Key: "); ok {
				unseal <- k
			}
		}
	}()
	select {
	case s.unsealKey = <-unseal:
	case <-time.After(60 * time.Second):
		t.Fatal("vault dev server did not start within 60s")
	}
	cfg := api.DefaultConfig()
	cfg.Address = s.Addr
	s.root, err = api.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.root.SetToken("root")
	ctx := context.Background()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if h, err := s.root.Sys().HealthWithContext(ctx); err == nil && !h.Sealed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("vault dev server not healthy within 30s")
		}
	}
	return s
}

// setUp does what docs/operations.md has an operator do: transit with the
// key-encryption and checkpoint keys, the subject-hash secret, the policy,
// and a service token with only that policy.
func (s *Server) setUp(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	if err := s.root.Sys().MountWithContext(ctx, "transit", &api.MountInput{Type: "transit"}); err != nil {
		t.Fatalf("enable transit: %v", err)
	}
	if _, err := s.root.Logical().WriteWithContext(ctx, "transit/keys/candour-kek", map[string]any{}); err != nil {
		t.Fatalf("create the key-encryption key: %v", err)
	}
	if _, err := s.root.Logical().WriteWithContext(ctx, "transit/keys/candour-audit", map[string]any{"type": "ed25519"}); err != nil {
		t.Fatalf("create the checkpoint signing key: %v", err)
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	if _, err := s.root.Logical().WriteWithContext(ctx, "secret/data/candour/subject-hmac", map[string]any{
		"data": map[string]any{"key": base64.StdEncoding.EncodeToString(secret)}}); err != nil {
		t.Fatalf("write the subject-hash secret: %v", err)
	}
	policy, err := os.ReadFile(filepath.Join(repoRoot(), "deploy", "vault", "candour.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.root.Sys().PutPolicyWithContext(ctx, "candour", string(policy)); err != nil {
		t.Fatalf("write policy: %v", err)
	}
	tok, err := s.root.Auth().Token().CreateWithContext(ctx, &api.TokenCreateRequest{Policies: []string{"candour"}, NoDefaultPolicy: true})
	if err != nil {
		t.Fatalf("create service token: %v", err)
	}
	s.ServiceToken = tok.Auth.ClientToken
}

// AppRole enables AppRole login and returns the role id and a secret id of a
// role with Candour's policy, whose tokens live an hour.
func (s *Server) AppRole(t testing.TB) (roleID, secretID string) {
	t.Helper()
	return s.AppRoleTTL(t, "1h", "24h")
}

// AppRoleTTL is AppRole with tokens that live ttl and can be renewed up to
// maxTTL (Vault durations, such as "3s").
func (s *Server) AppRoleTTL(t testing.TB, ttl, maxTTL string) (roleID, secretID string) {
	t.Helper()
	ctx := context.Background()
	if err := s.root.Sys().EnableAuthWithOptionsWithContext(ctx, "approle", &api.EnableAuthOptions{Type: "approle"}); err != nil {
		t.Fatalf("enable approle: %v", err)
	}
	if _, err := s.root.Logical().WriteWithContext(ctx, "auth/approle/role/candour", map[string]any{
		"token_policies": "candour", "token_ttl": ttl, "token_max_ttl": maxTTL}); err != nil {
		t.Fatalf("create role: %v", err)
	}
	r, err := s.root.Logical().ReadWithContext(ctx, "auth/approle/role/candour/role-id")
	if err != nil {
		t.Fatal(err)
	}
	sec, err := s.root.Logical().WriteWithContext(ctx, "auth/approle/role/candour/secret-id", nil)
	if err != nil {
		t.Fatal(err)
	}
	return r.Data["role_id"].(string), sec.Data["secret_id"].(string)
}

// Root returns a client with the root token.
func (s *Server) Root() *api.Client { return s.root }

// Seal seals Vault; Unseal unseals it with the dev server's key.
func (s *Server) Seal(t testing.TB) {
	t.Helper()
	if err := s.root.Sys().SealWithContext(context.Background()); err != nil {
		t.Fatalf("seal: %v", err)
	}
}

// Unseal unseals Vault with the dev server's unseal key.
func (s *Server) Unseal(t testing.TB) {
	t.Helper()
	st, err := s.root.Sys().UnsealWithContext(context.Background(), s.unsealKey)
	if err != nil || st.Sealed {
		t.Fatalf("unseal: %v", err)
	}
}

// Freeze stops the Vault process (SIGSTOP): it accepts connections and never
// answers, like a hung or overloaded server. Thaw lets it go on.
func (s *Server) Freeze(t testing.TB) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// The signal is delivered asynchronously: wait until the kernel reports
	// the process stopped, so that no request is answered after Freeze.
	stat := fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		b, err := os.ReadFile(stat)
		if err != nil {
			t.Fatal(err)
		}
		// The state is the field after the parenthesised command name.
		if i := strings.LastIndexByte(string(b), ')'); i > 0 && len(b) > i+2 && (b[i+2] == 'T' || b[i+2] == 't') {
			return
		}
	}
	t.Fatal("vault did not stop within 5s of SIGSTOP")
}

// Thaw resumes a frozen Vault (SIGCONT).
func (s *Server) Thaw(t testing.TB) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
}

// String is for logs.
func (s *Server) String() string { return fmt.Sprintf("vault dev server at %s", s.Addr) }
