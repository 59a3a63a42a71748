package vault

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/candour-vault/candour"
)

// update regenerates testdata/envelope_vectors.json:
//
//	go test ./vault -run TestEnvelopeVectors -update
var update = flag.Bool("update", false, "regenerate the envelope test vectors")

const vectorsFile = "testdata/envelope_vectors.json"

// vector is one envelope test vector: the row it is opened for, the data
// key, the sealed bytes, and what opening must give.
type vector struct {
	Name    string          `json:"name"`
	DataKey []byte          `json:"data_key"`
	ID      string          `json:"id"`
	Agency  string          `json:"agency"`
	Consent candour.Consent `json:"consent"`
	Sealed  []byte          `json:"sealed"`
	Opens   bool            `json:"opens"`
	Content *content        `json:"content,omitempty"`
}

// generateVectors seals one payload and derives every case from it.
func generateVectors(t *testing.T) []vector {
	t.Helper()
	key := bytes.Repeat([]byte{0x42}, 32)
	consent := candour.Consent{Purposes: []candour.Purpose{candour.PurposeServiceImprovement}, Method: "verbal",
		NoticeVersion: "2026-01", CapturedAt: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), CapturedBy: "cw-1"}
	c := content{ID: "01a20db6-610d-704e-8661-01d15feb70cf", Agency: "victim-support-north",
		Comment: "Test vector comment: the officer called back.", SubjectRef: "VS-0000-000000"}
	sealed, err := seal(key, c, consent)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte { b := bytes.Clone(sealed); b[i] ^= 0x01; return b }
	v := func(name string, k, s []byte, id, agency string, opens bool) vector {
		out := vector{Name: name, DataKey: k, ID: id, Agency: agency, Consent: consent, Sealed: s, Opens: opens}
		if opens {
			out.Content = &c
		}
		return out
	}
	return []vector{
		v("valid", key, sealed, c.ID, c.Agency, true),
		v("wrong key", bytes.Repeat([]byte{0x43}, 32), sealed, c.ID, c.Agency, false),
		v("swapped row", key, sealed, "01a20db6-610d-704e-8661-01d15feb70d0", c.Agency, false),
		v("truncated", key, sealed[:len(sealed)-17], c.ID, c.Agency, false),
		v("bit-flipped header", key, flip(len(envelopeV2)+len("age-encryption.org/v1\n")+8), c.ID, c.Agency, false),
		v("bit-flipped payload", key, flip(len(sealed)-3), c.ID, c.Agency, false),
		v("unknown version", key, append([]byte("candour-envelope/v9\n"), sealed[len(envelopeV2):]...), c.ID, c.Agency, false),
	}
}

func readVectors(t testing.TB) []vector {
	t.Helper()
	b, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	return vs
}

// TestEnvelopeVectors opens every checked-in vector and holds it to its
// expected outcome, so that a change of the envelope format cannot go
// unnoticed.
func TestEnvelopeVectors(t *testing.T) {
	if *update {
		b, err := json.MarshalIndent(generateVectors(t), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(vectorsFile), 0o755)
		if err := os.WriteFile(vectorsFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	vs := readVectors(t)
	if len(vs) != 7 {
		t.Fatalf("%d vectors, want 7", len(vs))
	}
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			got, err := open(v.DataKey, v.Sealed, v.ID, v.Agency, v.Consent)
			if v.Opens {
				if err != nil || got != *v.Content {
					t.Errorf("open = %+v, %v; want %+v", got, err, *v.Content)
				}
				return
			}
			if !errors.Is(err, errEnvelope) {
				t.Errorf("open error %v, want errEnvelope", err)
			}
		})
	}
}

// FuzzEnvelope: parsing never panics, parse→marshal is the identity, and
// opening arbitrary bytes never panics and never succeeds under the wrong
// row.
func FuzzEnvelope(f *testing.F) {
	vs := readVectors(f)
	for _, v := range vs {
		f.Add(v.Sealed)
	}
	key, consent := vs[0].DataKey, vs[0].Consent
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := ParseEnvelope(b)
		if err == nil && !bytes.Equal(env.Marshal(), b) {
			t.Fatalf("Marshal(ParseEnvelope(b)) != b")
		}
		if _, err := open(key, b, "some-other-row", "victim-support-north", consent); err == nil {
			t.Fatalf("an envelope opened for a row it was not sealed for")
		}
	})
}
