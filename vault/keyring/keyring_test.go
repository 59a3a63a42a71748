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
		{"unknown version", strings.Replace(string(b), `"version": 1`, `"version": 9`, 1), 0o600, "unknown version"},
		{"bad identity", `{"version":1,"age_identity":"AGE-SECRET-KEY-1XYZ","subject_hmac_key":"AAAA"}`, 0o600, "malformed keys"},
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
