package candour

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

// TestMarshalLeafByHand: the hand-written encoding of a leaf is byte for
// byte what json.Marshal writes, for entries of every shape, and steps
// aside for strings it does not write itself.
func TestMarshalLeafByHand(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 19))
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	plain := []string{"", "a", "caseworker-7", "https://idp.example/", "police-north", "01a20db6-610d-704e-8661-000000000001", "sha256:f1e8"}
	odd := []string{"<script>", "a&b", "quote\"d", "back\\slash", "new\nline", "tab\t", "café", "\u2028", "\x7f", string([]byte{0xff})}
	byHand := 0
	for n := range 5000 {
		oddOnes := 0
		str := func() string {
			if r.IntN(20) == 0 {
				oddOnes++
				return pick(odd...)
			}
			return pick(plain...)
		}
		e := AuditEntry{
			Version:     AuditVersion,
			Time:        time.Date(1990+r.IntN(60), time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), []int{0, 1, 500_000_000, 123_456_789, 120_000}[r.IntN(5)], time.UTC),
			RequestID:   str(),
			Actor:       Principal{Issuer: str(), Subject: str(), Agency: str()},
			Action:      Action(str()),
			Purpose:     Purpose(str()),
			Query:       str(),
			QueryParams: str(),
			Decision:    AuditDecision{ID: str(), Revision: str(), Allow: r.IntN(2) == 0},
			Outcome:     str(),
			Flag:        str(),
		}
		switch r.IntN(3) {
		case 1:
			e.Actor.Roles = []Role{}
		case 2:
			e.Actor.Roles = []Role{Role(str()), Role(str())}
		}
		for range r.IntN(3) {
			e.Records = append(e.Records, str())
		}
		if r.IntN(3) == 0 {
			e.Records = []string{}
		}
		want, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := e.appendPlain(nil)
		if oddOnes == 0 && !ok {
			t.Fatalf("entry %d holds only plain strings but is not written by hand", n)
		}
		if ok {
			byHand++
		}
		if ok && string(got) != string(want) {
			t.Fatalf("entry %d by hand:\n%s\njson.Marshal:\n%s", n, got, want)
		}
		leaf, err := e.MarshalLeaf()
		if err != nil || string(leaf) != string(want) {
			t.Fatalf("entry %d: MarshalLeaf = %s, %v; want %s", n, leaf, err, want)
		}
		back, err := ParseAuditLeaf(leaf)
		if err != nil {
			t.Fatalf("entry %d: %v", n, err)
		}
		if again, _ := back.MarshalLeaf(); string(again) != string(leaf) {
			t.Fatalf("entry %d does not survive a round trip: %s", n, again)
		}
		if ok {
			if _, plain := parsePlainLeaf(leaf); !plain {
				t.Fatalf("entry %d written by hand is not read by hand: %s", n, leaf)
			}
		}
	}
	if byHand == 0 || byHand == 5000 {
		t.Errorf("%d of 5000 entries written by hand: both paths must be tried", byHand)
	}
}

// TestParseAuditLeafRefuses: bytes that MarshalLeaf would not have written
// are refused, by the hand-written reader and encoding/json alike.
func TestParseAuditLeafRefuses(t *testing.T) {
	good := `{"v":1,"time":"2026-01-01T00:00:00Z","actor":{"iss":"i","sub":"s","agency":"a","roles":["caseworker"]},"action":"feedback.read","decision":{"allow":true},"outcome":"ok"}`
	if _, err := ParseAuditLeaf([]byte(good)); err != nil {
		t.Fatalf("the canonical leaf is refused: %v", err)
	}
	for _, tt := range []struct{ name, leaf string }{
		{"a space", `{"v":1, "time":"2026-01-01T00:00:00Z","actor":{"iss":"i","sub":"s","agency":"a","roles":["caseworker"]},"action":"feedback.read","decision":{"allow":true},"outcome":"ok"}`},
		{"keys reordered", `{"time":"2026-01-01T00:00:00Z","v":1,"actor":{"iss":"i","sub":"s","agency":"a","roles":["caseworker"]},"action":"feedback.read","decision":{"allow":true},"outcome":"ok"}`},
		{"an escape", `{"v":1,"time":"2026-01-01T00:00:00Z","actor":{"iss":"\u0069","sub":"s","agency":"a","roles":["caseworker"]},"action":"feedback.read","decision":{"allow":true},"outcome":"ok"}`},
		{"an unknown field", `{"v":1,"time":"2026-01-01T00:00:00Z","actor":{"iss":"i","sub":"s","agency":"a","roles":["caseworker"]},"action":"feedback.read","decision":{"allow":true},"outcome":"ok","x":1}`},
		{"an empty field written", `{"v":1,"time":"2026-01-01T00:00:00Z","request_id":"","actor":{"iss":"i","sub":"s","agency":"a","roles":["caseworker"]},"action":"feedback.read","decision":{"allow":true},"outcome":"ok"}`},
		{"another version", `{"v":2,"time":"2026-01-01T00:00:00Z","actor":{"iss":"i","sub":"s","agency":"a","roles":["caseworker"]},"action":"feedback.read","decision":{"allow":true},"outcome":"ok"}`},
		{"a time not in UTC", `{"v":1,"time":"2026-01-01T01:00:00+01:00","actor":{"iss":"i","sub":"s","agency":"a","roles":["caseworker"]},"action":"feedback.read","decision":{"allow":true},"outcome":"ok"}`},
		{"trailing zeros in the time", `{"v":1,"time":"2026-01-01T00:00:00.500Z","actor":{"iss":"i","sub":"s","agency":"a","roles":["caseworker"]},"action":"feedback.read","decision":{"allow":true},"outcome":"ok"}`},
		{"a leading zero", `{"v":01,"time":"2026-01-01T00:00:00Z","actor":{"iss":"i","sub":"s","agency":"a","roles":["caseworker"]},"action":"feedback.read","decision":{"allow":true},"outcome":"ok"}`},
		{"cut short", good[:len(good)-1]},
		{"something after", good + " "},
	} {
		if _, err := ParseAuditLeaf([]byte(tt.leaf)); err == nil {
			t.Errorf("%s: accepted %s", tt.name, tt.leaf)
		}
	}
}
