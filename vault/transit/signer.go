package transit

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Signer signs audit checkpoints (signed notes) with an Ed25519 transit key,
// so that the checkpoint key never leaves Vault. It signs with the one key
// version whose public key it was built from, so every signature verifies
// with the verifier key it reports; rotating the transit key does not change
// it until a new Signer is made. It implements note.Signer.
type Signer struct {
	p       *Provider
	path    string
	version int
	name    string
	hash    uint32
}

// CheckpointSigner returns a note signer for the log named origin that signs
// with the latest version of the transit key key (type ed25519), and its
// verifier key in the note format. It checks that a signature made by Vault
// verifies with that key before it returns.
func (p *Provider) CheckpointSigner(ctx context.Context, key, origin string) (*Signer, string, error) {
	rctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	s, err := p.client.Logical().ReadWithContext(rctx, p.cfg.Mount+"/keys/"+key)
	if err != nil || s == nil {
		return nil, "", fmt.Errorf("transit: read the checkpoint key %s: %s", key, statusOf(err))
	}
	if t, _ := s.Data["type"].(string); t != "ed25519" {
		return nil, "", fmt.Errorf("transit: the checkpoint key %s is of type %q; it must be ed25519", key, t)
	}
	version, err := toInt(s.Data["latest_version"])
	if err != nil {
		return nil, "", fmt.Errorf("transit: the checkpoint key %s: latest_version: %w", key, err)
	}
	versions, _ := s.Data["keys"].(map[string]any)
	entry, _ := versions[strconv.Itoa(version)].(map[string]any)
	encoded, _ := entry["public_key"].(string)
	pub, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, "", fmt.Errorf("transit: the checkpoint key %s has no Ed25519 public key for version %d", key, version)
	}
	vkey, err := note.NewEd25519VerifierKey(origin, ed25519.PublicKey(pub))
	if err != nil {
		return nil, "", fmt.Errorf("transit: checkpoint origin %q: %w", origin, err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, "", err
	}
	signer := &Signer{p: p, path: p.cfg.Mount + "/sign/" + key, version: version, name: origin, hash: verifier.KeyHash()}
	probe := []byte("candour checkpoint signer check\n")
	sig, err := signer.sign(ctx, probe)
	if err != nil {
		return nil, "", err
	}
	if !verifier.Verify(probe, sig) {
		return nil, "", fmt.Errorf("transit: a signature by the checkpoint key %s does not verify with its public key", key)
	}
	return signer, vkey, nil
}

// Name returns the log's origin.
func (s *Signer) Name() string { return s.name }

// KeyHash returns the note key hash of the verifier key.
func (s *Signer) KeyHash() uint32 { return s.hash }

// Sign signs msg with the pinned key version, within the provider's timeout
// and retries.
func (s *Signer) Sign(msg []byte) ([]byte, error) { return s.sign(context.Background(), msg) }

func (s *Signer) sign(ctx context.Context, msg []byte) ([]byte, error) {
	out, err := s.p.write(ctx, "sign", s.path, map[string]any{
		"input": base64.StdEncoding.EncodeToString(msg), "key_version": s.version,
	})
	if err != nil {
		return nil, err
	}
	field, _ := out.Data["signature"].(string)
	prefix := "vault:v" + strconv.Itoa(s.version) + ":"
	if !strings.HasPrefix(field, prefix) {
		return nil, fmt.Errorf("transit: sign: Vault's answer is not a signature by key version %d", s.version)
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(field, prefix))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("transit: sign: Vault's signature is malformed")
	}
	return sig, nil
}
