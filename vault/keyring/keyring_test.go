package keyring_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/candour-vault/candour/vault/keyring"
)

func TestLoadOrCreate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keyring.json")
	k1, err := keyring.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o600 {
		t.Errorf("key file mode %v, want 0600", got)
	}
	k2, err := keyring.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	h1, _ := k1.SubjectHash(ctx, "VS-2026-000123")
	h2, _ := k2.SubjectHash(ctx, "VS-2026-000123")
	if !bytes.Equal(h1, h2) {
		t.Error("reloading the key file changed the subject hash")
	}
	if h3, _ := k1.SubjectHash(ctx, "VS-2026-000124"); bytes.Equal(h1, h3) {
		t.Error("two references gave the same hash")
	}
	other, err := keyring.LoadOrCreate(filepath.Join(t.TempDir(), "keyring.json"))
	if err != nil {
		t.Fatal(err)
	}
	if h4, _ := other.SubjectHash(ctx, "VS-2026-000123"); bytes.Equal(h1, h4) {
		t.Error("two keyrings gave the same hash: the hash is not keyed")
	}
}

func TestLoadRefuses(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	if _, err := keyring.LoadOrCreate(good); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(good)
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		want    string
	}{
		{"readable by others", string(b), 0o644, "must be 0600"},
		{"not json", "hello", 0o600, "not a Candour key file"},
		{"unknown version", strings.Replace(string(b), `"version": 2`, `"version": 9`, 1), 0o600, "has version 9"},
		{"version 1", `{"version":1,"age_identity":"AGE-SECRET-KEY-1XYZ","subject_hmac_key":"AAAA"}`, 0o600, "before per-subject keys"},
		{"short kek", `{"version":2,"keks":{"1":"AAAA"},"current_kek":1,"subject_hmac_key":"AAAA"}`, 0o600, "malformed keys"},
		{"current kek missing", `{"version":2,"keks":{},"current_kek":1,"subject_hmac_key":"AAAA"}`, 0o600, "malformed keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, tt.name)
			if err := os.WriteFile(p, []byte(tt.content), tt.mode); err != nil {
				t.Fatal(err)
			}
			os.Chmod(p, tt.mode)
			_, err := keyring.Load(p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load error = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "AGE-SECRET-KEY") {
				t.Error("error holds key material")
			}
		})
	}
}

func TestWrapKeys(t *testing.T) {
	ctx := context.Background()
	k, _ := keyring.LoadOrCreate(filepath.Join(t.TempDir(), "k.json"))
	other, _ := keyring.LoadOrCreate(filepath.Join(t.TempDir(), "k.json"))
	keys := [][]byte{bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)}
	wrapped, err := k.WrapKeys(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(wrapped[0], keys[0]) {
		t.Fatal("a wrapped key holds the key in clear")
	}
	again, _ := k.WrapKeys(ctx, keys[:1])
	if bytes.Equal(again[0], wrapped[0]) {
		t.Error("wrapping twice gave the same bytes: the nonce is not random")
	}
	got, err := k.UnwrapKeys(ctx, wrapped)
	if err != nil || !bytes.Equal(got[0], keys[0]) || !bytes.Equal(got[1], keys[1]) {
		t.Fatalf("UnwrapKeys = %x, %v", got, err)
	}
	flipped := bytes.Clone(wrapped[0])
	flipped[len(flipped)-1] ^= 1
	for name, w := range map[string][]byte{"flipped": flipped, "empty": nil, "truncated": wrapped[0][:20]} {
		if _, err := k.UnwrapKeys(ctx, [][]byte{w}); err == nil {
			t.Errorf("%s wrapped key unwrapped", name)
		}
	}
	if _, err := other.UnwrapKeys(ctx, wrapped[:1]); err == nil {
		t.Error("another key file unwrapped the key")
	}
}

func TestPassphrase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keyring.json")
	k, err := keyring.LoadOrCreate(path, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(b), "-----BEGIN AGE ENCRYPTED FILE-----") || strings.Contains(string(b), `"keks"`) {
		t.Fatalf("a protected key file is not an age file:\n%s", b)
	}
	w, _ := k.WrapKeys(ctx, [][]byte{bytes.Repeat([]byte{5}, 32)})
	for _, tt := range []struct {
		name, pass, want string
	}{
		{"no passphrase", "", "protected by a passphrase"},
		{"wrong passphrase", "Tr0ub4dor&3", "does not open"},
	} {
		_, err := keyring.Load(path, tt.pass)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "Tr0ub4dor") {
			t.Errorf("%s: %v, want %q without the passphrase in it", tt.name, err, tt.want)
		}
	}
	again, err := keyring.Load(path, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := again.UnwrapKeys(ctx, w); err != nil || got[0][0] != 5 {
		t.Errorf("reopened with the passphrase: %v", err)
	}
}

func TestRotate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "k.json")
	k, _ := keyring.LoadOrCreate(path)
	running, _ := keyring.Load(path) // a server that loaded the file before the rotation
	old, _ := k.WrapKeys(ctx, [][]byte{bytes.Repeat([]byte{6}, 32)})
	if v, _ := k.KeyVersion(old[0]); v != 1 {
		t.Fatalf("version %d, want 1", v)
	}
	v, err := k.RotateKEK(ctx)
	if err != nil || v != 2 {
		t.Fatalf("RotateKEK = %d, %v", v, err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("rotated file mode %v", st.Mode().Perm())
	}
	fresh, _ := running.WrapKeys(ctx, [][]byte{bytes.Repeat([]byte{7}, 32)})
	if v, _ := running.KeyVersion(fresh[0]); v != 2 {
		t.Errorf("the running keyring wraps under version %d after the rotation, want 2", v)
	}
	re, err := k.RewrapKeys(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := k.KeyVersion(re[0]); v != 2 {
		t.Errorf("rewrapped under %d, want 2", v)
	}
	if err := k.RetireBelow(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := running.UnwrapKeys(ctx, old); err == nil {
		t.Error("a key wrapped under a retired KEK still unwraps")
	}
	if got, err := running.UnwrapKeys(ctx, re); err != nil || got[0][0] != 6 {
		t.Errorf("the rewrapped key: %v", err)
	}
	if err := k.RetireBelow(ctx, 3); err == nil {
		t.Error("the current KEK was retired")
	}
}
