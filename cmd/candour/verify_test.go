package main

import (
	"encoding/json"
	"testing"
)

// TestQuickLine: a line of an exported log is read by hand exactly as
// encoding/json reads it, and any line the hand reader does not know is
// left to encoding/json.
func TestQuickLine(t *testing.T) {
	tests := []struct {
		line  string
		quick bool
	}{
		{`{"seq":0,"leaf":"eyJ2IjoxfQ=="}`, true},
		{`{"seq":1234567,"leaf":"eyJ2IjoxfQ=="}`, true},
		{`{"seq":5,"leaf":""}`, true},
		{`{"seq":5,"leaf":"eyJ2IjoxfQ=="}  `, true},
		{`{"leaf":"eyJ2IjoxfQ==","seq":5}`, false},           // another order
		{`{"seq": 5,"leaf":"eyJ2IjoxfQ=="}`, false},          // a space
		{`{"seq":05,"leaf":"eyJ2IjoxfQ=="}`, false},          // a leading zero
		{`{"seq":-1,"leaf":"eyJ2IjoxfQ=="}`, false},          // negative
		{`{"seq":5,"leaf":"eyJ2Ijox\u0066Q=="}`, false},      // an escape
		{`{"seq":5,"leaf":"not base64!"}`, false},            // bad base64
		{`{"seq":5,"leaf":"eyJ2IjoxfQ==","extra":1}`, false}, // more fields
	}
	for _, tt := range tests {
		got, ok := quickLine([]byte(tt.line))
		if ok != tt.quick {
			t.Errorf("%s: read by hand %v, want %v", tt.line, ok, tt.quick)
			continue
		}
		if !ok {
			continue
		}
		var want exported
		if err := json.Unmarshal([]byte(tt.line), &want); err != nil {
			t.Fatalf("%s: %v", tt.line, err)
		}
		if got.Seq != want.Seq || string(got.Leaf) != string(want.Leaf) {
			t.Errorf("%s: by hand %d %q, encoding/json %d %q", tt.line, got.Seq, got.Leaf, want.Seq, want.Leaf)
		}
	}
}
