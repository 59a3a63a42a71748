package vault

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"io"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"
)

// The age format's payload (age-encryption.org/v1): a 16-byte nonce, then
// the plaintext in chunks of 64 KiB, each sealed with ChaCha20-Poly1305 under
// the payload key; a chunk's nonce is its 11-byte big-endian index and a
// flag byte that is 1 on the last chunk.
const (
	payloadNonceSize = 16
	payloadChunk     = 64 << 10
	sealedChunk      = payloadChunk + chacha20poly1305.Overhead
	lastChunkFlag    = 0x01
)

// decryptAge returns the plaintext of the age file f, decrypted with id.
//
// Guarantees: it returns what age.Decrypt and io.ReadAll of the result give
// for the same bytes and identity, and fails where they fail
// (TestDecryptAgeAgreesWithAge: every byte of a file flipped, every
// truncation, trailing bytes, the wrong identity). A file whose payload is a
// single chunk, as every sealed record's is (a record's content is a few
// hundred bytes), is opened here: age.DecryptHeader unwraps the file key and
// checks the header's MAC, and the one chunk is opened as the format
// specifies. Any other file is handed to age.Decrypt. The reason is memory:
// age.Decrypt sets aside two 64 KiB buffers for every file, which were three
// quarters of all the bytes a server reading records allocated
// (docs/benchmarks.md, "Opening a record without age's 64 KiB buffers").
func decryptAge(f []byte, id age.Identity) ([]byte, error) {
	header, payload, ok := singleChunk(f)
	if !ok {
		return decryptAgeStream(f, id)
	}
	fileKey, err := age.DecryptHeader(header, id)
	if err != nil {
		return nil, err
	}
	nonce, chunk := payload[:payloadNonceSize], payload[payloadNonceSize:]
	key, err := hkdf.Key(sha256.New, fileKey, nonce, "payload", chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.New(key)
	if err != nil {
		return nil, err
	}
	var chunkNonce [chacha20poly1305.NonceSize]byte // chunk 0
	chunkNonce[len(chunkNonce)-1] = lastChunkFlag
	plain, err := aead.Open(nil, chunkNonce[:], chunk, nil)
	if err != nil {
		return nil, errors.New("failed to decrypt and authenticate payload chunk")
	}
	return plain, nil
}

// singleChunk splits f into its header and its payload when the payload is
// one chunk short of a full one, the files decryptAge opens itself; ok is
// false for any other file.
func singleChunk(f []byte) (header, payload []byte, ok bool) {
	end := ageHeaderEnd(f)
	if end < 0 {
		return nil, nil, false
	}
	if n := len(f) - end - payloadNonceSize; n < chacha20poly1305.Overhead || n >= sealedChunk {
		return nil, nil, false
	}
	return f[:end], f[end:], true
}

// ageHeaderEnd returns the length of f's header: up to and including the
// first line that starts with "---", which in a well-formed header is its
// closing line (stanza lines start with "->", body lines are base64). It
// returns -1 if there is no such line. age.DecryptHeader parses what it
// returns, so a header that is not well-formed fails there.
func ageHeaderEnd(f []byte) int {
	i := bytes.Index(f, []byte("\n---"))
	if i < 0 {
		return -1
	}
	j := bytes.IndexByte(f[i+1:], '\n')
	if j < 0 {
		return -1
	}
	return i + 1 + j + 1
}

// decryptAgeStream is age.Decrypt and io.ReadAll, for the files decryptAge
// does not open itself.
func decryptAgeStream(f []byte, id age.Identity) ([]byte, error) {
	r, err := age.Decrypt(bytes.NewReader(f), id)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}
