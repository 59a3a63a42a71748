package vault

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"

	"github.com/candour-vault/candour"
)

// envelopeV1 prefixes every sealed payload of version 1; the age file follows.
const envelopeV1 = "candour-envelope/v1\n"

// Keys supplies the keys envelopes are sealed under and the secret that keys
// subject hashes. vault/keyring implements it.
type Keys interface {
	Recipient(ctx context.Context) (age.Recipient, error)
	Identity(ctx context.Context) (age.Identity, error)
	SubjectHash(ctx context.Context, ref string) ([]byte, error)
}

// content is what an envelope holds: everything about a record that could
// identify a person, plus the record's id and agency so that a payload copied
// onto another row is detected when it is opened.
type content struct {
	ID         string            `json:"id"`
	Agency     string            `json:"agency"`
	Comment    string            `json:"comment,omitempty"`
	SubjectRef string            `json:"subject_ref,omitempty"`
	Equality   *candour.Equality `json:"equality,omitempty"`
}

// seal encrypts c into a versioned envelope.
func seal(ctx context.Context, keys Keys, c content) ([]byte, error) {
	r, err := keys.Recipient(ctx)
	if err != nil {
		return nil, fmt.Errorf("seal: key provider: %w", err)
	}
	plain, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("seal: encode: %w", err)
	}
	var buf bytes.Buffer
	buf.WriteString(envelopeV1)
	w, err := age.Encrypt(&buf, r)
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

// open decrypts an envelope sealed for the record with the given id and
// agency. It fails when the envelope is damaged, of an unknown version, sealed
// under another key, or sealed for another record.
func open(ctx context.Context, keys Keys, sealed []byte, id, agency string) (content, error) {
	body, ok := bytes.CutPrefix(sealed, []byte(envelopeV1))
	if !ok {
		return content{}, fmt.Errorf("%w: unknown version", errEnvelope)
	}
	identity, err := keys.Identity(ctx)
	if err != nil {
		return content{}, fmt.Errorf("open: key provider: %w", err)
	}
	r, err := age.Decrypt(bytes.NewReader(body), identity)
	if err != nil {
		return content{}, fmt.Errorf("%w: %v", errEnvelope, err)
	}
	plain, err := io.ReadAll(r)
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
