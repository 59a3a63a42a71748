package vault

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/candour-vault/candour"
)

// Data keys: which key seals a record, finding it in the cache or the store,
// making a fresh one, and opening a record with it.

// keyID names the data key a record is sealed under: its subject's within its
// agency, or its own when it has no subject reference or was corrected.
func keyID(rec candour.Record) string {
	if rec.SubjectHash != nil && !rec.OwnKey {
		return candour.SubjectKeyID(rec.Agency, rec.SubjectHash)
	}
	return candour.RecordKeyID(rec.ID)
}

// keyFor returns the plain data key stored (wrapped) under id, from the
// cache when it is there, and its wrapped form as stored. When there is none
// and create is set, it returns a fresh key and its wrapped form as fresh,
// not yet stored: the caller stores it with the record that uses it, in one
// transaction, and caches it only then. Callers clear the key when done
// with it.
func (s *Service) keyFor(ctx context.Context, id string, create bool) (plain, wrapped []byte, fresh *candour.WrappedKey, err error) {
	if !s.up() {
		return nil, nil, nil, errKeysDown
	}
	if k, w, ok := s.cache.get(id); ok {
		s.hits.Add(1)
		return k, w, nil, nil
	}
	s.misses.Add(1)
	wrapped, err = s.dkeys.DataKey(ctx, id)
	switch {
	case candour.ErrorCode(err) == candour.ENOTFOUND && create:
		return s.newKey(ctx, id)
	case err != nil && candour.ErrorCode(err) != candour.ENOTFOUND:
		return nil, nil, nil, storeError{err}
	case err != nil:
		return nil, nil, nil, err
	}
	s.dir.add(id)
	keys, err := s.keys.UnwrapKeys(ctx, [][]byte{wrapped})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("unwrap data key: %w", err)
	}
	s.cache.put(id, keys[0], wrapped)
	return keys[0], wrapped, nil, nil
}

// newKey returns a fresh key to store under id without looking whether one
// is stored there: keyFor's answer when none is, and a submission's first
// try when none can be (a record's own key, named by the id just drawn) or
// the key directory has never seen id. Were a key already there, the store
// would refuse the record with ErrDataKeyTaken and the submission look again.
func (s *Service) newKey(ctx context.Context, id string) (plain, wrapped []byte, fresh *candour.WrappedKey, err error) {
	if !s.up() {
		return nil, nil, nil, errKeysDown
	}
	plain, wrapped, err = s.freshKey(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	return plain, wrapped, &candour.WrappedKey{ID: id, Wrapped: wrapped}, nil
}

// storeError marks a failure of the record store met while fetching or
// storing a data key, so that the answer names the store, not the key
// provider.
type storeError struct{ err error }

func (e storeError) Error() string { return "record store: " + e.err.Error() }
func (e storeError) Unwrap() error { return e.err }

// keyOrStore picks the message that names the part that failed: the record
// store when err is a storeError, else the key provider.
func keyOrStore(err error, keys, store string) string {
	var se storeError
	if errors.As(err, &se) {
		return store
	}
	return keys
}

// errKeysDown refuses key use while the key provider is down.
var errKeysDown = errors.New("the key provider is down")

// freshKey returns a new data key and its wrapped form: from the pool when
// key caching is on, else wrapped by its own provider call.
func (s *Service) freshKey(ctx context.Context) (plain, wrapped []byte, err error) {
	if s.pool != nil {
		return s.pool.take(ctx, s.keys)
	}
	plain = make([]byte, 32)
	if _, err := rand.Read(plain); err != nil {
		return nil, nil, err
	}
	w, err := s.keys.WrapKeys(ctx, [][]byte{plain})
	if err != nil {
		clear(plain)
		return nil, nil, fmt.Errorf("wrap data key: %w", err)
	}
	return plain, w[0], nil
}

// LoadKeyDirectory reads which subject keys the store holds, so that from
// then on a submission for a person the store has never seen seals under a
// fresh key without looking one up first (the store still refuses a key
// stored meanwhile, and the submission then looks; see keyDirectory). Until
// it returns, every subject's key is looked up. cmd/candour runs it once at
// start, beside serving.
func (s *Service) LoadKeyDirectory(ctx context.Context, from KeyLister) error {
	return s.dir.load(ctx, from, 10_000)
}

// CacheStats returns how many data-key look-ups the cache answered and how
// many it did not, since the service started.
func (s *Service) CacheStats() (hits, misses int64) { return s.hits.Load(), s.misses.Load() }

// ProviderCalls returns how many wrap and unwrap round trips the service has
// made to the key provider.
func (s *Service) ProviderCalls() int64 { return s.keys.wraps.Load() + s.keys.unwraps.Load() }

// open opens a record's envelope. A missing data key on a live record is an
// envelope that cannot be opened.
// A key from the cache that does not open the envelope is dropped and the
// stored one tried: another replica may have re-keyed the subject since.
func (s *Service) open(ctx context.Context, rec candour.Record) (content, error) {
	for attempt := 0; ; attempt++ {
		hits := s.hits.Load()
		dataKey, _, _, err := s.keyFor(ctx, keyID(rec), false)
		if candour.ErrorCode(err) == candour.ENOTFOUND {
			return content{}, fmt.Errorf("%w: its data key is gone", errEnvelope)
		}
		if err != nil {
			return content{}, err
		}
		c, err := open(dataKey, rec.Sealed, rec.ID, rec.Agency, rec.Consent)
		clear(dataKey)
		if errors.Is(err, errEnvelope) && attempt == 0 && s.hits.Load() > hits {
			s.cache.drop(keyID(rec))
			continue
		}
		return c, err
	}
}
