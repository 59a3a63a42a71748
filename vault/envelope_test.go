package vault

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/candour-vault/candour"
)

func TestEnvelope(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	otherKey := bytes.Repeat([]byte{8}, 32)
	consent := candour.Consent{Purposes: []candour.Purpose{candour.PurposeResearch}, Method: "verbal", NoticeVersion: "2026-01",
		CapturedAt: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), CapturedBy: "cw"}
	widened := consent
	widened.Purposes = []candour.Purpose{candour.PurposeResearch, candour.PurposeInterAgency}
	withdrawnAt := consent.CapturedAt.Add(time.Hour)
	withdrawn := consent
	withdrawn.WithdrawnAt = &withdrawnAt
	c := content{ID: "rec-a", Agency: "police-north", Comment: secretComment, SubjectRef: secretRef}
	sealed, err := seal(key, c, consent)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 1
		return b
	}
	tests := []struct {
		name    string
		key     []byte
		sealed  []byte
		id      string
		agency  string
		consent candour.Consent
		ok      bool
	}{
		{"valid", key, sealed, "rec-a", "police-north", consent, true},
		{"withdrawal does not change the binding", key, sealed, "rec-a", "police-north", withdrawn, true},
		{"wrong key", otherKey, sealed, "rec-a", "police-north", consent, false},
		{"moved to another row", key, sealed, "rec-b", "police-north", consent, false},
		{"moved to another agency", key, sealed, "rec-a", "victim-support-north", consent, false},
		{"consent widened in the database", key, sealed, "rec-a", "police-north", widened, false},
		{"old version", key, append([]byte("candour-envelope/v1\n"), sealed[len(envelopeV2):]...), "rec-a", "police-north", consent, false},
		{"truncated", key, sealed[:len(sealed)-10], "rec-a", "police-north", consent, false},
		{"trailing byte", key, append(bytes.Clone(sealed), 0), "rec-a", "police-north", consent, false},
		{"trailing chunk", key, append(bytes.Clone(sealed), make([]byte, 64*1024+16)...), "rec-a", "police-north", consent, false},
		{"header bit flipped", key, flip(len(envelopeV2) + 40), "rec-a", "police-north", consent, false},
		{"payload bit flipped", key, flip(len(sealed) - 5), "rec-a", "police-north", consent, false},
		{"destroyed", key, nil, "rec-a", "police-north", consent, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := open(tt.key, tt.sealed, tt.id, tt.agency, tt.consent)
			if tt.ok {
				if err != nil || got != c {
					t.Errorf("open = %+v, %v; want %+v", got, err, c)
				}
				return
			}
			if !errors.Is(err, errEnvelope) {
				t.Errorf("open error = %v, want errEnvelope", err)
			}
			if strings.Contains(err.Error(), secretComment) {
				t.Error("error holds plaintext")
			}
		})
	}
	if bytes.Contains(sealed, []byte(secretComment)) || bytes.Contains(sealed, []byte(secretRef)) {
		t.Error("sealed envelope holds plaintext")
	}
}

// TestEnvelopeChunks opens content that spans one, two and three of age's
// 64 KiB chunks, whole, and refuses each with its last chunk cut off.
func TestEnvelopeChunks(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	consent := candour.Consent{Purposes: []candour.Purpose{candour.PurposeResearch}, Method: "verbal", NoticeVersion: "2026-01",
		CapturedAt: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), CapturedBy: "cw"}
	for _, n := range []int{10, 64*1024 - 60, 64 * 1024, 100_000, 140_000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			c := content{ID: "rec-a", Agency: "police-north", Comment: strings.Repeat("x", n)}
			sealed, err := seal(key, c, consent)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := open(key, sealed, c.ID, c.Agency, consent); err != nil || got != c {
				t.Fatalf("open: %d bytes, %v; want the %d sealed", len(got.Comment), err, n)
			}
			plain, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			const chunk = 64 * 1024
			last := (len(plain)-1)%chunk + 1 + 16 // the final chunk, sealed
			cuts := map[string][]byte{"a byte short": sealed[:len(sealed)-1]}
			if len(plain) > chunk {
				cuts["without its final chunk"] = sealed[:len(sealed)-last]
			}
			for name, cut := range cuts {
				if _, err := open(key, cut, c.ID, c.Agency, consent); !errors.Is(err, errEnvelope) {
					t.Errorf("open %s: %v, want errEnvelope", name, err)
				}
			}
		})
	}
}
