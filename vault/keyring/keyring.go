// Package keyring is Candour's local key provider, the embedded default of
// `candour dev`: the keys live in one JSON file that only its owner may read.
//
// Guarantees: the file is created with mode 0600 and is refused if its group or
// others may read it; key material never appears in an error.
package keyring

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"filippo.io/age"
)

// fileVersion is the version of the key file format.
const fileVersion = 1

type file struct {
	Version     int    `json:"version"`
	AgeIdentity string `json:"age_identity"`
	SubjectKey  []byte `json:"subject_hmac_key"`
}

// Keyring holds the keys of one key file. It is safe for concurrent use.
type Keyring struct {
	identity   *age.X25519Identity
	recipient  *age.X25519Recipient // derived once from identity
	subjectKey []byte
}

// LoadOrCreate loads the key file at path, or creates it with fresh keys when
// it does not exist.
func LoadOrCreate(path string) (*Keyring, error) {
	k, err := Load(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, fmt.Errorf("keyring: generate: %w", err)
	}
	f := file{Version: fileVersion, AgeIdentity: id.String(), SubjectKey: make([]byte, 32)}
	if _, err := rand.Read(f.SubjectKey); err != nil {
		return nil, fmt.Errorf("keyring: generate: %w", err)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("keyring: encode: %w", err)
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
	return Load(path)
}

// Load reads the key file at path.
func Load(path string) (*Keyring, error) {
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
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("keyring: %s is not a Candour key file", path)
	}
	if f.Version != fileVersion {
		return nil, fmt.Errorf("keyring: %s has unknown version %d", path, f.Version)
	}
	id, err := age.ParseX25519Identity(f.AgeIdentity)
	if err != nil || len(f.SubjectKey) != 32 {
		return nil, fmt.Errorf("keyring: %s holds malformed keys", path)
	}
	return &Keyring{identity: id, recipient: id.Recipient(), subjectKey: f.SubjectKey}, nil
}

// Recipient returns the age recipient new envelopes are sealed to.
func (k *Keyring) Recipient(context.Context) (age.Recipient, error) {
	return k.recipient, nil
}

// Identity returns the age identity that opens envelopes.
func (k *Keyring) Identity(context.Context) (age.Identity, error) { return k.identity, nil }

// SubjectHash returns HMAC-SHA-256 of ref under the keyring's subject key: the
// same reference always gives the same hash, and without the key the hash
// reveals nothing about the reference.
func (k *Keyring) SubjectHash(_ context.Context, ref string) ([]byte, error) {
	m := hmac.New(sha256.New, k.subjectKey)
	m.Write([]byte(ref))
	return m.Sum(nil), nil
}
