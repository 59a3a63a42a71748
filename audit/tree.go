package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/candour-vault/candour"
)

// Leaves reads the sequenced leaves of the log.
type Leaves interface {
	// AuditSize returns how many leaves are sequenced.
	AuditSize(ctx context.Context) (int64, error)
	// AuditLeaves returns the leaves with seq in [from, to), in order.
	AuditLeaves(ctx context.Context, from, to int64) ([][]byte, error)
}

// TreeHashes stores the hashes of the log's Merkle tree, in the layout of
// golang.org/x/mod/sumdb/tlog (tlog.StoredHashIndex).
type TreeHashes interface {
	// TreeSize returns how many leaves have their hashes stored.
	TreeSize(ctx context.Context) (int64, error)
	// ReadTreeHashes returns the stored hashes at the given indexes.
	ReadTreeHashes(ctx context.Context, indexes []int64) ([][32]byte, error)
	// AddTreeHashes stores hashes at consecutive indexes from
	// tlog.StoredHashCount(oldSize) and moves the tree size from oldSize to
	// newSize, atomically. It fails with ECONFLICT, storing nothing, when the
	// tree size is no longer oldSize (another integrator was first).
	AddTreeHashes(ctx context.Context, oldSize, newSize int64, hashes [][32]byte) error
}

// Checkpoints keeps the signed checkpoints the log has issued.
type Checkpoints interface {
	// AddCheckpoint stores a signed checkpoint of the tree at size.
	AddCheckpoint(ctx context.Context, size int64, signed []byte) error
	// LatestCheckpoint returns the checkpoint of the largest size, or
	// ENOTFOUND when none was issued.
	LatestCheckpoint(ctx context.Context) (size int64, signed []byte, err error)
	// AllCheckpoints returns every stored checkpoint, smallest size first.
	AllCheckpoints(ctx context.Context) ([][]byte, error)
}

// Store is all the storage the log needs.
type Store interface {
	Leaves
	TreeHashes
	Checkpoints
}

// Log is the Merkle tree over the audit log: it integrates sequenced leaves
// into the tree, issues signed checkpoints (C2SP tlog-checkpoint in a signed
// note) and answers inclusion and consistency proofs (RFC 6962 hashing).
//
// Guarantees: the tree is computed from the stored leaf bytes only; the log
// never signs a checkpoint that is inconsistent with the latest one it
// signed; several Logs on one store (several replicas) may integrate at once.
type Log struct {
	store  Store
	signer note.Signer
	vkey   string
	origin string
}

// NewLog returns a Log over store that signs with the note signer key skey
// (from GenerateKey); the key's name is the log's origin.
func NewLog(store Store, skey string) (*Log, error) {
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, errors.New("audit: the signing key is malformed")
	}
	vkey, err := verifierKeyOf(skey)
	if err != nil {
		return nil, err
	}
	return NewSignedLog(store, signer, vkey)
}

// NewSignedLog returns a Log over store that signs with signer (a key held
// elsewhere, such as a Vault transit key) whose verifier key is vkey; the
// signer's name is the log's origin. It refuses a signer that vkey does not
// name.
func NewSignedLog(store Store, signer note.Signer, vkey string) (*Log, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, errors.New("audit: the verifier key is malformed")
	}
	if v.Name() != signer.Name() || v.KeyHash() != signer.KeyHash() {
		return nil, errors.New("audit: the verifier key is not the signer's")
	}
	return &Log{store: store, signer: signer, vkey: vkey, origin: signer.Name()}, nil
}

// GenerateKey returns a new Ed25519 signing key for a log named origin and its
// verifier key, in the note formats.
func GenerateKey(origin string) (skey, vkey string, err error) {
	return note.GenerateKey(rand.Reader, origin)
}

// verifierKeyOf derives the verifier key from a note signer key
// ("PRIVATE+KEY+name+hash+key").
func verifierKeyOf(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("audit: the signing key is malformed")
	}
	key, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(key) != 33 || key[0] != 1 {
		return "", errors.New("audit: the signing key is not an Ed25519 note key")
	}
	pub := ed25519.NewKeyFromSeed(key[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}

// Origin returns the log's origin line.
func (l *Log) Origin() string { return l.origin }

// VerifierKey returns the note verifier key of the log's signing key.
func (l *Log) VerifierKey() string { return l.vkey }

// hashReader reads stored tree hashes, with the hashes of a batch being
// integrated kept in memory.
func (l *Log) hashReader(ctx context.Context, pending map[int64]tlog.Hash) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		var missing []int64
		var at []int
		for i, idx := range indexes {
			if h, ok := pending[idx]; ok {
				out[i] = h
				continue
			}
			missing = append(missing, idx)
			at = append(at, i)
		}
		if len(missing) > 0 {
			hs, err := l.store.ReadTreeHashes(ctx, missing)
			if err != nil {
				return nil, err
			}
			if len(hs) != len(missing) {
				return nil, fmt.Errorf("audit: %d tree hashes read, %d asked for", len(hs), len(missing))
			}
			for j, h := range hs {
				out[at[j]] = h
			}
		}
		return out, nil
	})
}

// integrateBatch is how many leaves are hashed and stored in one go.
const integrateBatch = 4096

// Integrate stores the tree hashes of every sequenced leaf not yet in the
// tree and returns the new tree size.
func (l *Log) Integrate(ctx context.Context) (int64, error) {
	for {
		size, err := l.store.TreeSize(ctx)
		if err != nil {
			return 0, fmt.Errorf("audit: tree size: %w", err)
		}
		n, err := l.store.AuditSize(ctx)
		if err != nil {
			return 0, fmt.Errorf("audit: log size: %w", err)
		}
		if size >= n {
			return size, nil
		}
		end := min(n, size+integrateBatch)
		leaves, err := l.store.AuditLeaves(ctx, size, end)
		if err != nil {
			return 0, fmt.Errorf("audit: leaves: %w", err)
		}
		if int64(len(leaves)) != end-size {
			return 0, fmt.Errorf("audit: %d leaves read for [%d, %d)", len(leaves), size, end)
		}
		pending := map[int64]tlog.Hash{}
		r := l.hashReader(ctx, pending)
		var batch [][32]byte
		for i, leaf := range leaves {
			seq := size + int64(i)
			hs, err := tlog.StoredHashes(seq, leaf, r)
			if err != nil {
				return 0, fmt.Errorf("audit: hash leaf %d: %w", seq, err)
			}
			base := tlog.StoredHashIndex(0, seq)
			for j, h := range hs {
				pending[base+int64(j)] = h
				batch = append(batch, h)
			}
		}
		err = l.store.AddTreeHashes(ctx, size, end, batch)
		if err != nil && candour.ErrorCode(err) != candour.ECONFLICT {
			return 0, fmt.Errorf("audit: store tree hashes: %w", err)
		}
		// On ECONFLICT another integrator stored this range first: go on
		// from wherever the tree is now.
	}
}

// Checkpoint is a parsed checkpoint body.
type Checkpoint struct {
	Origin string
	Size   int64
	Hash   [32]byte
}

// Marshal returns the checkpoint body in the C2SP tlog-checkpoint format.
func (c Checkpoint) Marshal() []byte {
	return fmt.Appendf(nil, "%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Hash[:]))
}

// ParseCheckpoint verifies a signed checkpoint with the verifier key vkey and
// returns its body. It accepts only the log named by the key.
func ParseCheckpoint(signed []byte, vkey string) (Checkpoint, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return Checkpoint{}, errors.New("the verifier key is malformed")
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("the checkpoint signature does not verify with the key of %s", v.Name())
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" || lines[0] != v.Name() {
		return Checkpoint{}, errors.New("the checkpoint is not a checkpoint of this log")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return Checkpoint{}, errors.New("the checkpoint's size is malformed")
	}
	h, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(h) != 32 {
		return Checkpoint{}, errors.New("the checkpoint's root hash is malformed")
	}
	c := Checkpoint{Origin: lines[0], Size: size}
	copy(c.Hash[:], h)
	return c, nil
}

// ErrInconsistent means the tree the log holds now does not extend the tree
// of its latest signed checkpoint: the log has been rewritten, and the log
// refuses to sign.
var ErrInconsistent = errors.New("audit: the log does not extend its latest checkpoint")

// Checkpoint integrates every sequenced leaf and signs a checkpoint of the
// whole tree, unless the latest checkpoint already covers it; it returns the
// latest signed checkpoint either way.
func (l *Log) Checkpoint(ctx context.Context) ([]byte, error) {
	size, err := l.Integrate(ctx)
	if err != nil {
		return nil, err
	}
	r := l.hashReader(ctx, nil)
	latestSize, latest, err := l.store.LatestCheckpoint(ctx)
	switch {
	case candour.ErrorCode(err) == candour.ENOTFOUND:
		latestSize = -1
	case err != nil:
		return nil, fmt.Errorf("audit: latest checkpoint: %w", err)
	default:
		prev, err := ParseCheckpoint(latest, l.vkey)
		if err != nil {
			return nil, fmt.Errorf("%w: the stored checkpoint of size %d does not verify: %v", ErrInconsistent, latestSize, err)
		}
		if prev.Size > size {
			return nil, fmt.Errorf("%w: the latest checkpoint has %d entries, the tree %d", ErrInconsistent, prev.Size, size)
		}
		if prev.Size > 0 {
			h, err := tlog.TreeHash(prev.Size, r)
			if err != nil {
				return nil, fmt.Errorf("audit: tree hash: %w", err)
			}
			if h != prev.Hash {
				return nil, fmt.Errorf("%w at size %d", ErrInconsistent, prev.Size)
			}
		}
		if prev.Size == size {
			return latest, nil
		}
	}
	var root [32]byte
	if size > 0 {
		h, err := tlog.TreeHash(size, r)
		if err != nil {
			return nil, fmt.Errorf("audit: tree hash: %w", err)
		}
		root = h
	} else {
		root = emptyRoot()
	}
	signed, err := note.Sign(&note.Note{Text: string(Checkpoint{Origin: l.origin, Size: size, Hash: root}.Marshal())}, l.signer)
	if err != nil {
		return nil, fmt.Errorf("audit: sign checkpoint: %w", err)
	}
	if err := l.store.AddCheckpoint(ctx, size, signed); err != nil {
		if candour.ErrorCode(err) == candour.ECONFLICT { // another replica signed this size first
			_, latest, err := l.store.LatestCheckpoint(ctx)
			return latest, err
		}
		return nil, fmt.Errorf("audit: store checkpoint: %w", err)
	}
	return signed, nil
}

// Latest returns the latest signed checkpoint, or ENOTFOUND.
func (l *Log) Latest(ctx context.Context) ([]byte, error) {
	_, signed, err := l.store.LatestCheckpoint(ctx)
	return signed, err
}

// InclusionProof proves that leaf seq is in the tree of size size.
func (l *Log) InclusionProof(ctx context.Context, seq, size int64) ([][32]byte, error) {
	if err := l.checkSize(ctx, size); err != nil {
		return nil, err
	}
	if seq < 0 || seq >= size {
		return nil, candour.Errorf(candour.EINVALID, "seq must be from 0 to size-1.")
	}
	p, err := tlog.ProveRecord(size, seq, l.hashReader(ctx, nil))
	if err != nil {
		return nil, fmt.Errorf("audit: inclusion proof: %w", err)
	}
	return hashes(p), nil
}

// ConsistencyProof proves that the tree of size old is a prefix of the tree
// of size new.
func (l *Log) ConsistencyProof(ctx context.Context, old, new int64) ([][32]byte, error) {
	if err := l.checkSize(ctx, new); err != nil {
		return nil, err
	}
	if old < 1 || old > new {
		return nil, candour.Errorf(candour.EINVALID, "old must be from 1 to new.")
	}
	p, err := tlog.ProveTree(new, old, l.hashReader(ctx, nil))
	if err != nil {
		return nil, fmt.Errorf("audit: consistency proof: %w", err)
	}
	return hashes(p), nil
}

func (l *Log) checkSize(ctx context.Context, size int64) error {
	n, err := l.store.TreeSize(ctx)
	if err != nil {
		return fmt.Errorf("audit: tree size: %w", err)
	}
	if size < 1 || size > n {
		return candour.Errorf(candour.EINVALID, "size must be from 1 to the size of the latest checkpoint (%d).", n)
	}
	return nil
}

func hashes(hs []tlog.Hash) [][32]byte {
	out := make([][32]byte, len(hs))
	for i, h := range hs {
		out[i] = h
	}
	return out
}

// emptyRoot is the RFC 6962 hash of the empty tree: SHA-256 of nothing.
func emptyRoot() [32]byte { return sha256.Sum256(nil) }

// LeafHash is the RFC 6962 hash of a leaf: SHA-256(0x00 || leaf).
func LeafHash(leaf []byte) [32]byte { return tlog.RecordHash(leaf) }
