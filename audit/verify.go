package audit

import (
	"fmt"
	"runtime"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/candour-vault/candour"
)

// Replay recomputes the Merkle tree of a log from its leaf bytes alone,
// trusting nothing the log's store says about hashes. It is what an auditor
// runs. It streams: it keeps only the tree's right edge (one hash per level)
// and the roots at the sizes asked for with Want, so its memory does not grow
// with the log.
type Replay struct {
	edge  []tlog.Hash // roots of the perfect subtrees of the leaves so far, largest first
	n     int64
	want  map[int64]bool
	roots map[int64][32]byte
}

// Want asks Replay to keep the root at size, so that Root(size) answers
// after more leaves have been added. Ask before adding the size-th leaf.
func (r *Replay) Want(size int64) {
	if r.want == nil {
		r.want, r.roots = map[int64]bool{}, map[int64][32]byte{}
	}
	r.want[size] = true
	if size == r.n {
		r.roots[size] = r.root()
	}
}

// Add appends the next leaf. It refuses a leaf that is not a canonical audit
// entry, naming its sequence number.
func (r *Replay) Add(leaf []byte) error {
	if err := checkLeaf(r.n, leaf); err != nil {
		return err
	}
	r.AddHash(tlog.RecordHash(leaf))
	return nil
}

// AddHash appends the next leaf by its record hash, already checked (see
// CheckLeaves).
func (r *Replay) AddHash(h tlog.Hash) {
	for k := r.n; k&1 == 1; k >>= 1 { // merge the subtrees this leaf completes
		h = tlog.NodeHash(r.edge[len(r.edge)-1], h)
		r.edge = r.edge[:len(r.edge)-1]
	}
	r.edge = append(r.edge, h)
	r.n++
	if r.want[r.n] {
		r.roots[r.n] = r.root()
	}
}

// root folds the right edge into the RFC 6962 root of the leaves so far.
func (r *Replay) root() [32]byte {
	if len(r.edge) == 0 {
		return emptyRoot()
	}
	h := r.edge[len(r.edge)-1]
	for i := len(r.edge) - 2; i >= 0; i-- {
		h = tlog.NodeHash(r.edge[i], h)
	}
	return h
}

// Size returns how many leaves were added.
func (r *Replay) Size() int64 { return r.n }

// Root returns the RFC 6962 root hash of the first size leaves: of all of
// them, or of a size asked for with Want before it was passed.
func (r *Replay) Root(size int64) ([32]byte, error) {
	switch root, ok := r.roots[size]; {
	case size == r.n:
		return r.root(), nil
	case size == 0:
		return emptyRoot(), nil
	case ok:
		return root, nil
	case size < 0 || size > r.n:
		return [32]byte{}, fmt.Errorf("the log has %d entries, not %d", r.n, size)
	}
	return [32]byte{}, fmt.Errorf("the root at %d entries was not kept (Want it before adding its leaves)", size)
}

// checkLeaf refuses a leaf that is not a canonical audit entry.
func checkLeaf(seq int64, leaf []byte) error {
	if _, err := candour.ParseAuditLeaf(leaf); err != nil {
		return fmt.Errorf("entry %d is not a well-formed audit entry: %v", seq, err)
	}
	return nil
}

// CheckLeaves checks the leaves of entries first, first+1, … and returns
// their record hashes, spreading the work over the machine's cores. Its
// error names the first bad entry.
func CheckLeaves(first int64, leaves [][]byte, hashes []tlog.Hash) ([]tlog.Hash, error) {
	hashes = append(hashes[:0], make([]tlog.Hash, len(leaves))...)
	workers := min(runtime.GOMAXPROCS(0), max(1, len(leaves)/256))
	chunk := (len(leaves) + workers - 1) / workers
	errs := make([]error, workers) // each worker's first bad entry, in its own chunk
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w * chunk; i < min(len(leaves), (w+1)*chunk); i++ {
				if err := checkLeaf(first+int64(i), leaves[i]); err != nil {
					errs[w] = err
					return
				}
				hashes[i] = tlog.RecordHash(leaves[i])
			}
		})
	}
	wg.Wait()
	for _, err := range errs { // chunks are in order: the first error is the first bad entry
		if err != nil {
			return hashes, err
		}
	}
	return hashes, nil
}
