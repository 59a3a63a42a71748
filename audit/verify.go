package audit

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/candour-vault/candour"
)

// Replay recomputes the Merkle tree of a log from its leaf bytes alone, in
// memory, trusting nothing the log's store says about hashes. It is what an
// auditor runs, and the reference the stores are tested against.
type Replay struct {
	hashes []tlog.Hash
	n      int64
	roots  map[int64][32]byte // root hashes wanted at given sizes
}

// ReadHashes implements tlog.HashReader over the recomputed hashes.
func (r *Replay) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		if idx < 0 || idx >= int64(len(r.hashes)) {
			return nil, fmt.Errorf("hash %d is not computed yet", idx)
		}
		out[i] = r.hashes[idx]
	}
	return out, nil
}

// Add appends the next leaf. It refuses a leaf that is not a canonical audit
// entry, naming its sequence number.
func (r *Replay) Add(leaf []byte) error {
	if _, err := candour.ParseAuditLeaf(leaf); err != nil {
		return fmt.Errorf("entry %d is not a well-formed audit entry: %v", r.n, err)
	}
	hs, err := tlog.StoredHashes(r.n, leaf, r)
	if err != nil {
		return fmt.Errorf("entry %d: %w", r.n, err)
	}
	r.hashes = append(r.hashes, hs...)
	r.n++
	return nil
}

// Size returns how many leaves were added.
func (r *Replay) Size() int64 { return r.n }

// Root returns the RFC 6962 root hash of the first size leaves.
func (r *Replay) Root(size int64) ([32]byte, error) {
	if size == 0 {
		return emptyRoot(), nil
	}
	if size < 0 || size > r.n {
		return [32]byte{}, fmt.Errorf("the log has %d entries, not %d", r.n, size)
	}
	return tlog.TreeHash(size, r)
}
