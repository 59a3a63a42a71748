// Package keyring is Candour's local key provider, the embedded default of
// `candour dev`: a key-encryption key (KEK) and the secret that keys subject
// hashes, in one JSON file that only its owner may read, optionally protected
// by a passphrase (an age file encrypted with scrypt).
//
// Guarantees: the file is created with mode 0600 and refused if its group or
// others may read it; key material never appears in an error; data keys are
// wrapped with XChaCha20-Poly1305 under the KEK, so a wrapped key that was
// changed, or wrapped under another KEK, does not unwrap.
package keyring

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"filippo.io/age"
	"filippo.io/age/armor"
	"golang.org/x/crypto/chacha20poly1305"
)

// fileVersion is the version of the key file format.
const fileVersion = 2

type file struct {
	Version    int    `json:"version"`
	KEK        []byte `json:"kek"`
	SubjectKey []byte `json:"subject_hmac_key"`
}

// wrapVersion prefixes every wrapped data key.
const wrapVersion = 1

// wrapAD is the associated data of every wrapped data key.
var wrapAD = []byte("candour data key")

// Keyring holds the keys of one key file. It is safe for concurrent use.
type Keyring struct {
	kek        []byte
	subjectKey []byte
}

// armorHeader starts a key file protected by a passphrase (an armored age
// file encrypted with scrypt).
const armorHeader = "-----BEGIN AGE ENCRYPTED FILE-----"

// LoadOrCreate loads the key file at path, or creates it with fresh keys when
// it does not exist. A non-empty passphrase protects a new file (age scrypt)
// and opens a protected one.
func LoadOrCreate(path string, passphrase ...string) (*Keyring, error) {
	pass := strings.Join(passphrase, "")
	k, err := Load(path, pass)
	if !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	f := file{Version: fileVersion, KEK: make([]byte, chacha20poly1305.KeySize), SubjectKey: make([]byte, 32)}
	if _, err := rand.Read(f.KEK); err != nil {
		return nil, fmt.Errorf("keyring: generate: %w", err)
	}
	if _, err := rand.Read(f.SubjectKey); err != nil {
		return nil, fmt.Errorf("keyring: generate: %w", err)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("keyring: encode: %w", err)
	}
	if pass != "" {
		if b, err = protect(b, pass); err != nil {
			return nil, err
		}
	}
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("keyring: create %s: %w", path, err)
	}
	if _, err := out.Write(append(b, '\n')); err != nil {
		out.Close()
		return nil, fmt.Errorf("keyring: write %s: %w", path, err)
	}
	if err := out.Close(); err != nil {
		return nil, fmt.Errorf("keyring: write %s: %w", path, err)
	}
	return Load(path, pass)
}

// protect encrypts b to the passphrase with age's scrypt recipient, armored.
func protect(b []byte, pass string) ([]byte, error) {
	r, err := age.NewScryptRecipient(pass)
	if err != nil {
		return nil, fmt.Errorf("keyring: passphrase: %w", err)
	}
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	w, err := age.Encrypt(aw, r)
	if err != nil {
		return nil, fmt.Errorf("keyring: protect: %w", err)
	}
	if _, err := w.Write(b); err != nil {
		return nil, fmt.Errorf("keyring: protect: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("keyring: protect: %w", err)
	}
	if err := aw.Close(); err != nil {
		return nil, fmt.Errorf("keyring: protect: %w", err)
	}
	return buf.Bytes(), nil
}

// Load reads the key file at path; a protected file needs its passphrase.
func Load(path string, passphrase ...string) (*Keyring, error) {
	pass := strings.Join(passphrase, "")
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("keyring: %s may be read by others (mode %v); it must be 0600", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte(armorHeader)) {
		if pass == "" {
			return nil, fmt.Errorf("keyring: %s is protected by a passphrase; set CANDOUR_KEY_PASSPHRASE", path)
		}
		id, err := age.NewScryptIdentity(pass)
		if err != nil {
			return nil, fmt.Errorf("keyring: passphrase: %w", err)
		}
		r, err := age.Decrypt(armor.NewReader(bytes.NewReader(b)), id)
		if err != nil {
			return nil, fmt.Errorf("keyring: the passphrase does not open %s", path)
		}
		if b, err = io.ReadAll(r); err != nil {
			return nil, fmt.Errorf("keyring: the passphrase does not open %s", path)
		}
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("keyring: %s is not a Candour key file", path)
	}
	if f.Version != fileVersion {
		return nil, fmt.Errorf("keyring: %s has version %d; this Candour reads version %d (a version 1 file is from before per-subject keys: start a new data directory)", path, f.Version, fileVersion)
	}
	if len(f.KEK) != chacha20poly1305.KeySize || len(f.SubjectKey) != 32 {
		return nil, fmt.Errorf("keyring: %s holds malformed keys", path)
	}
	return &Keyring{kek: f.KEK, subjectKey: f.SubjectKey}, nil
}

// WrapKeys encrypts data keys under the KEK.
func (k *Keyring) WrapKeys(_ context.Context, keys [][]byte) ([][]byte, error) {
	aead, err := chacha20poly1305.NewX(k.kek)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(keys))
	for i, key := range keys {
		nonce := make([]byte, aead.NonceSize(), 1+aead.NonceSize()+len(key)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, err
		}
		out[i] = append([]byte{wrapVersion}, aead.Seal(nonce, nonce, key, wrapAD)...)
	}
	return out, nil
}

// errUnwrap is the one error a bad wrapped key gives.
var errUnwrap = errors.New("keyring: a data key does not unwrap under this key file")

// UnwrapKeys decrypts data keys wrapped by WrapKeys.
func (k *Keyring) UnwrapKeys(_ context.Context, wrapped [][]byte) ([][]byte, error) {
	aead, err := chacha20poly1305.NewX(k.kek)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(wrapped))
	for i, w := range wrapped {
		if len(w) < 1+aead.NonceSize()+aead.Overhead() || w[0] != wrapVersion {
			return nil, errUnwrap
		}
		nonce, ct := w[1:1+aead.NonceSize()], w[1+aead.NonceSize():]
		key, err := aead.Open(nil, nonce, ct, wrapAD)
		if err != nil {
			return nil, errUnwrap
		}
		out[i] = key
	}
	return out, nil
}

// SubjectHash returns HMAC-SHA-256 of ref under the keyring's subject key: the
// same reference always gives the same hash, and without the key the hash
// reveals nothing about the reference.
func (k *Keyring) SubjectHash(_ context.Context, ref string) ([]byte, error) {
	m := hmac.New(sha256.New, k.subjectKey)
	m.Write([]byte(ref))
	return m.Sum(nil), nil
}
