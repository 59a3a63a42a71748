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
	"sync"

	"filippo.io/age"
	"filippo.io/age/armor"
	"golang.org/x/crypto/chacha20poly1305"
)

// fileVersion is the version of the key file format.
const fileVersion = 2

type file struct {
	Version    int            `json:"version"`
	KEKs       map[int][]byte `json:"keks"` // by KEK version, 1 to 255
	Current    int            `json:"current_kek"`
	SubjectKey []byte         `json:"subject_hmac_key"`
}

// wrapAD is the associated data of every wrapped data key.
var wrapAD = []byte("candour data key")

// Keyring holds the keys of one key file, and reads the file again when it
// changes (a rotation by `candour keys rotate`). It is safe for concurrent use.
type Keyring struct {
	path string
	pass string
	mu   sync.Mutex
	f    file
	stat os.FileInfo
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
	kek, subject := make([]byte, chacha20poly1305.KeySize), make([]byte, 32)
	if _, err := rand.Read(kek); err != nil {
		return nil, fmt.Errorf("keyring: generate: %w", err)
	}
	if _, err := rand.Read(subject); err != nil {
		return nil, fmt.Errorf("keyring: generate: %w", err)
	}
	f := file{Version: fileVersion, KEKs: map[int][]byte{1: kek}, Current: 1, SubjectKey: subject}
	if err := write(path, pass, f, true); err != nil {
		return nil, err
	}
	return Load(path, pass)
}

// write stores f at path (mode 0600): a new file when fresh, else by
// replacing the old one atomically (a temporary file renamed over it).
func write(path, pass string, f file, fresh bool) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("keyring: encode: %w", err)
	}
	if pass != "" {
		if b, err = protect(b, pass); err != nil {
			return err
		}
	}
	target := path
	if !fresh {
		target = path + ".new"
		os.Remove(target)
	}
	out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("keyring: create %s: %w", target, err)
	}
	if _, err := out.Write(append(b, '\n')); err != nil {
		out.Close()
		return fmt.Errorf("keyring: write %s: %w", target, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return fmt.Errorf("keyring: write %s: %w", target, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("keyring: write %s: %w", target, err)
	}
	if !fresh {
		if err := os.Rename(target, path); err != nil {
			return fmt.Errorf("keyring: replace %s: %w", path, err)
		}
	}
	return nil
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
	k := &Keyring{path: path, pass: strings.Join(passphrase, "")}
	f, st, err := read(path, k.pass)
	if err != nil {
		return nil, err
	}
	k.f, k.stat = f, st
	return k, nil
}

// read reads and checks the key file.
func read(path, pass string) (file, os.FileInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return file{}, nil, fmt.Errorf("keyring: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return file{}, nil, fmt.Errorf("keyring: %s may be read by others (mode %v); it must be 0600", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return file{}, nil, fmt.Errorf("keyring: %w", err)
	}
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte(armorHeader)) {
		if pass == "" {
			return file{}, nil, fmt.Errorf("keyring: %s is protected by a passphrase; set CANDOUR_KEY_PASSPHRASE", path)
		}
		id, err := age.NewScryptIdentity(pass)
		if err != nil {
			return file{}, nil, fmt.Errorf("keyring: passphrase: %w", err)
		}
		r, err := age.Decrypt(armor.NewReader(bytes.NewReader(b)), id)
		if err != nil {
			return file{}, nil, fmt.Errorf("keyring: the passphrase does not open %s", path)
		}
		if b, err = io.ReadAll(r); err != nil {
			return file{}, nil, fmt.Errorf("keyring: the passphrase does not open %s", path)
		}
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return file{}, nil, fmt.Errorf("keyring: %s is not a Candour key file", path)
	}
	if f.Version != fileVersion {
		return file{}, nil, fmt.Errorf("keyring: %s has version %d; this Candour reads version %d (a version 1 file is from before per-subject keys: start a new data directory)", path, f.Version, fileVersion)
	}
	cur, ok := f.KEKs[f.Current]
	if !ok || len(cur) != chacha20poly1305.KeySize || len(f.SubjectKey) != 32 || f.Current < 1 || f.Current > 255 {
		return file{}, nil, fmt.Errorf("keyring: %s holds malformed keys", path)
	}
	for v, k := range f.KEKs {
		if v < 1 || v > 255 || len(k) != chacha20poly1305.KeySize {
			return file{}, nil, fmt.Errorf("keyring: %s holds malformed keys", path)
		}
	}
	return f, st, nil
}

// keys returns the file's keys, reading the file again first if it changed.
func (k *Keyring) keys() (file, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	st, err := os.Stat(k.path)
	if err == nil && (st.ModTime() != k.stat.ModTime() || st.Size() != k.stat.Size()) {
		f, st, err := read(k.path, k.pass)
		if err != nil {
			return file{}, err
		}
		k.f, k.stat = f, st
	}
	return k.f, nil
}

// WrapKeys encrypts data keys under the current KEK. A wrapped key is the
// KEK's version (one byte), a nonce and the ciphertext.
func (k *Keyring) WrapKeys(_ context.Context, keys [][]byte) ([][]byte, error) {
	f, err := k.keys()
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.NewX(f.KEKs[f.Current])
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(keys))
	for i, key := range keys {
		nonce := make([]byte, aead.NonceSize(), 1+aead.NonceSize()+len(key)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, err
		}
		out[i] = append([]byte{byte(f.Current)}, aead.Seal(nonce, nonce, key, wrapAD)...)
	}
	return out, nil
}

// errUnwrap is the one error a bad wrapped key gives.
var errUnwrap = errors.New("keyring: a data key does not unwrap under this key file")

// UnwrapKeys decrypts data keys wrapped by WrapKeys under any KEK version the
// file still holds.
func (k *Keyring) UnwrapKeys(_ context.Context, wrapped [][]byte) ([][]byte, error) {
	f, err := k.keys()
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(wrapped))
	for i, w := range wrapped {
		if len(w) < 1+chacha20poly1305.NonceSizeX+16 {
			return nil, errUnwrap
		}
		kek, ok := f.KEKs[int(w[0])]
		if !ok {
			return nil, errUnwrap
		}
		aead, err := chacha20poly1305.NewX(kek)
		if err != nil {
			return nil, err
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
	f, err := k.keys()
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, f.SubjectKey)
	m.Write([]byte(ref))
	return m.Sum(nil), nil
}

// CurrentVersion returns the KEK version new keys are wrapped under.
func (k *Keyring) CurrentVersion(context.Context) (int, error) {
	f, err := k.keys()
	return f.Current, err
}

// KeyVersion returns the KEK version that wrapped a data key.
func (k *Keyring) KeyVersion(wrapped []byte) (int, error) {
	if len(wrapped) == 0 {
		return 0, errUnwrap
	}
	return int(wrapped[0]), nil
}

// RotateKEK adds a new KEK version to the file and makes it current; running
// servers pick it up when they next use the file.
func (k *Keyring) RotateKEK(context.Context) (int, error) {
	f, err := k.keys()
	if err != nil {
		return 0, err
	}
	if f.Current >= 255 {
		return 0, errors.New("keyring: 255 KEK versions is the most a key file holds")
	}
	kek := make([]byte, chacha20poly1305.KeySize)
	if _, err := rand.Read(kek); err != nil {
		return 0, err
	}
	next := file{Version: f.Version, KEKs: map[int][]byte{}, Current: f.Current + 1, SubjectKey: f.SubjectKey}
	for v, key := range f.KEKs {
		next.KEKs[v] = key
	}
	next.KEKs[next.Current] = kek
	if err := write(k.path, k.pass, next, false); err != nil {
		return 0, err
	}
	_, err = k.keys()
	return next.Current, err
}

// RewrapKeys wraps data keys again under the current KEK.
func (k *Keyring) RewrapKeys(ctx context.Context, wrapped [][]byte) ([][]byte, error) {
	plain, err := k.UnwrapKeys(ctx, wrapped)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, p := range plain {
			clear(p)
		}
	}()
	return k.WrapKeys(ctx, plain)
}

// RetireBelow deletes every KEK version below v from the file: keys wrapped
// under them no longer unwrap.
func (k *Keyring) RetireBelow(_ context.Context, v int) error {
	f, err := k.keys()
	if err != nil {
		return err
	}
	if v > f.Current {
		return errors.New("keyring: cannot retire the current KEK")
	}
	next := file{Version: f.Version, KEKs: map[int][]byte{}, Current: f.Current, SubjectKey: f.SubjectKey}
	for ver, key := range f.KEKs {
		if ver >= v {
			next.KEKs[ver] = key
		}
	}
	if err := write(k.path, k.pass, next, false); err != nil {
		return err
	}
	_, err = k.keys()
	return err
}

// OldestVersion returns the oldest KEK version the file still holds.
func (k *Keyring) OldestVersion(context.Context) (int, error) {
	f, err := k.keys()
	if err != nil {
		return 0, err
	}
	oldest := f.Current
	for v := range f.KEKs {
		oldest = min(oldest, v)
	}
	return oldest, nil
}
