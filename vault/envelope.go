package vault

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/candour-vault/candour"
)

// envelopeV2 prefixes every sealed payload; the age file follows.
const envelopeV2 = "candour-envelope/v2\n"

// stanzaType names the age stanza that carries a record's file key wrapped
// under its subject's data key.
const stanzaType = "candour-subject"

// KEK is the key provider: it wraps and unwraps data keys under a
// key-encryption key that never leaves it, and keys subject hashes with a
// secret it holds. vault/keyring implements it.
type KEK interface {
	WrapKeys(ctx context.Context, keys [][]byte) ([][]byte, error)
	UnwrapKeys(ctx context.Context, wrapped [][]byte) ([][]byte, error)
	SubjectHash(ctx context.Context, ref string) ([]byte, error)
}

// content is what an envelope holds: everything about a record that could
// identify a person, plus the record's id and agency.
type content struct {
	ID         string            `json:"id"`
	Agency     string            `json:"agency"`
	Comment    string            `json:"comment,omitempty"`
	SubjectRef string            `json:"subject_ref,omitempty"`
	Equality   *candour.Equality `json:"equality,omitempty"`
}

// binding is the associated data that ties an envelope to one row: its id,
// its agency and a digest of the consent it was given under (withdrawal
// excepted, which destroys the content anyway).
func binding(id, agency string, c candour.Consent) []byte {
	h := sha256.New()
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	purposes := make([]string, len(c.Purposes))
	for i, p := range c.Purposes {
		purposes[i] = string(p)
	}
	for _, f := range []string{strings.Join(purposes, ","), strings.Join(c.ShareWith, ","), c.Method,
		c.NoticeVersion, ts(c.ExpiresAt), ts(&c.CapturedAt), c.CapturedBy} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return []byte(envelopeV2 + id + "\x00" + agency + "\x00" + hex.EncodeToString(h.Sum(nil)))
}

// recipient wraps an age file key under a data key, bound to a row.
type recipient struct{ key, ad []byte }

func (r recipient) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	aead, err := chacha20poly1305.New(r.key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return []*age.Stanza{{Type: stanzaType, Body: aead.Seal(nonce, nonce, fileKey, r.ad)}}, nil
}

// identity unwraps the file key wrapped by recipient, for the same row only.
type identity struct{ key, ad []byte }

func (id identity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	aead, err := chacha20poly1305.New(id.key)
	if err != nil {
		return nil, err
	}
	for _, s := range stanzas {
		if s.Type != stanzaType || len(s.Args) != 0 || len(s.Body) != aead.NonceSize()+16+aead.Overhead() {
			continue
		}
		if key, err := aead.Open(nil, s.Body[:aead.NonceSize()], s.Body[aead.NonceSize():], id.ad); err == nil {
			return key, nil
		}
	}
	return nil, age.ErrIncorrectIdentity
}

// Envelope is a parsed sealed payload: its version and the age file that
// follows the version line.
type Envelope struct {
	Version int
	Age     []byte
}

// ParseEnvelope parses a sealed payload. It accepts only the canonical form:
// the exact version line, then an age file (binary, "age-encryption.org/v1"
// header line first).
func ParseEnvelope(b []byte) (Envelope, error) {
	body, ok := bytes.CutPrefix(b, []byte(envelopeV2))
	if !ok {
		return Envelope{}, fmt.Errorf("%w: unknown version", errEnvelope)
	}
	if !bytes.HasPrefix(body, []byte("age-encryption.org/v1\n")) {
		return Envelope{}, fmt.Errorf("%w: not an age file", errEnvelope)
	}
	return Envelope{Version: 2, Age: body}, nil
}

// Marshal returns the sealed payload; Marshal(ParseEnvelope(b)) == b.
func (e Envelope) Marshal() []byte { return append([]byte(envelopeV2), e.Age...) }

// seal encrypts c under the data key, bound to its row.
func seal(dataKey []byte, c content, consent candour.Consent) ([]byte, error) {
	plain, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("seal: encode: %w", err)
	}
	var buf bytes.Buffer
	buf.WriteString(envelopeV2)
	w, err := age.Encrypt(&buf, recipient{key: dataKey, ad: binding(c.ID, c.Agency, consent)})
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	if _, err := w.Write(plain); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return buf.Bytes(), nil
}

// errEnvelope reports an envelope that cannot be opened: wrong key, damaged,
// unknown version, or moved from another row.
var errEnvelope = errors.New("envelope cannot be opened")

// open decrypts an envelope sealed for the row with the given id, agency and
// consent. It fails when the envelope is damaged, of an unknown version,
// sealed under another key, or sealed for another row.
func open(dataKey, sealed []byte, id, agency string, consent candour.Consent) (content, error) {
	env, err := ParseEnvelope(sealed)
	if err != nil {
		return content{}, err
	}
	plain, err := decryptAge(env.Age, identity{key: dataKey, ad: binding(id, agency, consent)})
	if err != nil {
		return content{}, fmt.Errorf("%w: %v", errEnvelope, err)
	}
	var c content
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return content{}, fmt.Errorf("%w: malformed content", errEnvelope)
	}
	if c.ID != id || c.Agency != agency {
		return content{}, fmt.Errorf("%w: sealed for another record", errEnvelope)
	}
	return c, nil
}
