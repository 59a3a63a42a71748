package vault

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"filippo.io/age"
)

// ageReference is what decryptAge must agree with: age.Decrypt and
// io.ReadAll.
func ageReference(f []byte, id age.Identity) ([]byte, error) {
	r, err := age.Decrypt(bytes.NewReader(f), id)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// ageFile encrypts plain to the row-bound recipient of key and ad.
func ageFile(t *testing.T, key, ad, plain []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, recipient{key: key, ad: ad})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// agree fails t unless decryptAge and age give the same plaintext for f, or
// both fail.
func agree(t *testing.T, what string, f []byte, id age.Identity) (opened bool) {
	t.Helper()
	got, gotErr := decryptAge(f, id)
	want, wantErr := ageReference(f, id)
	switch {
	case (gotErr == nil) != (wantErr == nil):
		t.Fatalf("%s: decryptAge error %v, age error %v", what, gotErr, wantErr)
	case gotErr == nil && !bytes.Equal(got, want):
		t.Fatalf("%s: decryptAge gave %d bytes that differ from age's %d", what, len(got), len(want))
	}
	return gotErr == nil
}

func TestDecryptAgeAgreesWithAge(t *testing.T) {
	key, ad := bytes.Repeat([]byte{0x42}, 32), []byte("row 1")
	right := identity{key: key, ad: ad}
	wrongs := map[string]age.Identity{
		"another key":           identity{key: bytes.Repeat([]byte{0x43}, 32), ad: ad},
		"another row":           identity{key: key, ad: []byte("row 2")},
		"an X25519 identity":    mustX25519(t),
		"the file key injected": age.NewInjectedFileKeyIdentity(bytes.Repeat([]byte{1}, 16)),
	}
	tests := []struct {
		name string
		size int
		// every is the stride of the bytes flipped and the lengths
		// truncated to: 1 checks each one.
		every int
		// own: decryptAge opens the file itself rather than through age
		// (a payload of one chunk short of a full one).
		own bool
	}{
		{"empty", 0, 1, true},
		{"one byte", 1, 1, true},
		{"a record's content", 300, 1, true},
		{"one byte short of a chunk", payloadChunk - 1, 509, true},
		{"exactly one chunk", payloadChunk, 509, false},
		{"one byte over a chunk", payloadChunk + 1, 509, false},
		{"three chunks", 2*payloadChunk + 100, 2039, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain := make([]byte, tt.size)
			for i := range plain {
				plain[i] = byte(i * 7)
			}
			f := ageFile(t, key, ad, plain)
			if _, _, own := singleChunk(f); own != tt.own {
				t.Fatalf("decryptAge opens it itself: %v, want %v", own, tt.own)
			}
			if !agree(t, "the file", f, right) {
				t.Fatal("the file does not open with its own identity")
			}
			for name, id := range wrongs {
				if agree(t, name, f, id) {
					t.Fatalf("the file opens with %s", name)
				}
			}
			// Each byte of the header, then every tt.every-th byte.
			header := ageHeaderEnd(f)
			for i := 0; i < len(f); i++ {
				if i >= header+payloadNonceSize && (i-header)%tt.every != 0 && i != len(f)-1 {
					continue
				}
				b := bytes.Clone(f)
				b[i] ^= 0x01
				if agree(t, fmt.Sprintf("byte %d flipped", i), b, right) {
					t.Fatalf("byte %d flipped still opens", i)
				}
			}
			for n := 0; n < len(f); n++ {
				if n > header+payloadNonceSize+1 && (n-header)%tt.every != 0 && n < len(f)-2*17 {
					continue
				}
				if agree(t, fmt.Sprintf("truncated to %d bytes", n), f[:n], right) {
					t.Fatalf("the file truncated to %d bytes still opens", n)
				}
			}
			for _, tail := range [][]byte{{0}, []byte("\n"), bytes.Repeat([]byte{9}, 17)} {
				if agree(t, fmt.Sprintf("%d bytes appended", len(tail)), append(bytes.Clone(f), tail...), right) {
					t.Fatalf("the file with %d bytes appended still opens", len(tail))
				}
			}
		})
	}
}

func mustX25519(t *testing.T) age.Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestAgeHeaderEnd: the header ends after its first line starting "---",
// wherever that line is; without one there is no header.
func TestAgeHeaderEnd(t *testing.T) {
	const intro = "age-encryption.org/v1\n"
	tests := []struct {
		header, rest string // want len(header), or -1 when header is ""
	}{
		{intro + "-> x\nAAAA\n--- mac\n", "payload"},
		{intro + "-> x\nAAAA\n--- mac\n", ""},
		{intro + "-> x ---\nAAAA\n---\n", "\n--- again\n"},
		{"", intro + "-> x\nAAAA\n--- mac"},
		{"", intro + "-> x\nAAAA\n"},
		{"", ""},
	}
	for _, tt := range tests {
		want := len(tt.header)
		if tt.header == "" {
			want = -1
		}
		if got := ageHeaderEnd([]byte(tt.header + tt.rest)); got != want {
			t.Errorf("ageHeaderEnd(%q) = %d, want %d", tt.header+tt.rest, got, want)
		}
	}
}
