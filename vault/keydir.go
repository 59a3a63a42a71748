package vault

import (
	"context"
	"fmt"
	"hash/maphash"
	"strings"
	"sync"

	"github.com/candour-vault/candour"
)

// KeyLister pages through the stored data keys in id order (both stores
// implement it; key rotation uses it too).
type KeyLister interface {
	DataKeysAfter(ctx context.Context, after string, limit int) ([]candour.WrappedKey, error)
}

// MaxKnownSubjects bounds the key directory: past it, every submission with
// a subject reference asks the store for the subject's key, as before the
// directory was loaded. A fingerprint takes about 38 bytes of memory in its
// map (measured), so a full directory about 36 MiB.
const MaxKnownSubjects = 1_000_000

// keyDirectory remembers which subject keys are stored, as 64-bit
// fingerprints of their ids (under a seed of this process), so that a
// submission for a person the store has never seen seals under a fresh key
// without asking the store first.
//
// Guarantees: it only steers that guess and never decides what is stored.
// The store refuses a fresh key under an id that already holds one
// (candour.ErrDataKeyTaken), and the submission then looks the key up and
// seals again; so a key stored by another server since the load, or a
// fingerprint that collides, costs one refused attempt or one look-up, and
// nothing else. Until it is loaded, or once it is full, it knows nothing
// and every subject's key is looked up.
type keyDirectory struct {
	seed  maphash.Seed
	max   int
	mu    sync.RWMutex
	known map[uint64]struct{}
	ready bool // loaded from the store
	full  bool // it reached max, and dropped what it knew
}

func newKeyDirectory(max int) *keyDirectory {
	return &keyDirectory{seed: maphash.MakeSeed(), max: max, known: map[uint64]struct{}{}}
}

// mayBeStored reports whether a key may be stored under id: false only when
// the directory is loaded, not full, and has never seen id.
func (d *keyDirectory) mayBeStored(id string) bool {
	fp := maphash.String(d.seed, id)
	d.mu.RLock()
	defer d.mu.RUnlock()
	if !d.ready || d.full {
		return true
	}
	_, ok := d.known[fp]
	return ok
}

// add records that a key is stored under id, if it is a subject's key.
func (d *keyDirectory) add(id string) {
	if !strings.HasPrefix(id, candour.SubjectKeyPrefix) {
		return // a record's own key: never guessed
	}
	fp := maphash.String(d.seed, id)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.addLocked(fp)
}

func (d *keyDirectory) addLocked(fp uint64) {
	switch {
	case d.full:
	case len(d.known) >= d.max:
		d.full, d.known = true, nil
	default:
		d.known[fp] = struct{}{}
	}
}

// load reads every subject key's id from the store, a page at a time, then
// makes the directory ready. Keys added meanwhile are kept. Records' own keys
// ("r:…") sort before the subjects' and are skipped.
func (d *keyDirectory) load(ctx context.Context, from KeyLister, page int) error {
	for after := candour.SubjectKeyPrefix; ; {
		keys, err := from.DataKeysAfter(ctx, after, page)
		if err != nil {
			return fmt.Errorf("load the key directory: %w", err)
		}
		done := len(keys) < page
		d.mu.Lock()
		for _, k := range keys {
			if !strings.HasPrefix(k.ID, candour.SubjectKeyPrefix) {
				done = true
				break
			}
			d.addLocked(maphash.String(d.seed, k.ID))
		}
		done = done || d.full
		d.mu.Unlock()
		if done {
			break
		}
		after = keys[len(keys)-1].ID
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ready = true
	return nil
}
