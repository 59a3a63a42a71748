package audit

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// LoadKey reads a log signing key written by CreateKey. The file must not be
// readable by group or others.
func LoadKey(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("audit key: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("audit key: %s may be read by others (mode %v); it must be 0600", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("audit key: %w", err)
	}
	skey := strings.TrimSpace(string(b))
	if _, err := verifierKeyOf(skey); err != nil {
		return "", fmt.Errorf("audit key: %s does not hold a log signing key", path)
	}
	return skey, nil
}

// CreateKey writes a new signing key for a log named origin to path (mode
// 0600), refusing to overwrite a file, and returns its verifier key.
func CreateKey(path, origin string) (string, error) {
	skey, vkey, err := GenerateKey(origin)
	if err != nil {
		return "", fmt.Errorf("audit key: the origin %q cannot name a key (no spaces or '+'): %w", origin, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("audit key: %w", err)
	}
	if _, err := f.WriteString(skey + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("audit key: %w", err)
	}
	return vkey, f.Close()
}

// LoadOrCreateKey loads the key at path, creating one for origin when the
// file does not exist.
func LoadOrCreateKey(path, origin string) (string, error) {
	skey, err := LoadKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return skey, err
	}
	if _, err := CreateKey(path, origin); err != nil {
		return "", err
	}
	return LoadKey(path)
}
