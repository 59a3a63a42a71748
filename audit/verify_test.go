package audit

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/candour-vault/candour"
)

// hashList is a tlog.HashReader over every stored hash of a tree, the way
// the log's own store keeps them.
type hashList []tlog.Hash

func (h hashList) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		out[i] = h[x]
	}
	return out, nil
}

func leafOf(t *testing.T, i int) []byte {
	t.Helper()
	e := candour.AuditEntry{Time: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC), Action: candour.ActionFeedbackRead,
		Actor: candour.Principal{Issuer: "i", Subject: fmt.Sprint("s", i), Agency: "a"}, Outcome: candour.OutcomeOK}
	leaf, err := e.MarshalLeaf()
	if err != nil {
		t.Fatal(err)
	}
	return leaf
}

// TestReplayRoots: the streaming replay, which keeps only the tree's right
// edge, gives the RFC 6962 root of the whole tree at every size, and of
// every size asked for beforehand.
func TestReplayRoots(t *testing.T) {
	const n = 300
	var all hashList
	var r Replay
	wanted := []int64{0, 1, 2, 3, 7, 8, 9, 64, 100, 255, 256, 257}
	for _, w := range wanted {
		r.Want(w)
	}
	for i := range n {
		leaf := leafOf(t, i)
		hs, err := tlog.StoredHashes(int64(i), leaf, all)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, hs...)
		if err := r.Add(leaf); err != nil {
			t.Fatal(err)
		}
		want, _ := tlog.TreeHash(int64(i+1), all)
		if got, err := r.Root(r.Size()); err != nil || got != want {
			t.Fatalf("size %d: root %x, %v; want %x", i+1, got, err, want)
		}
	}
	for _, w := range wanted {
		want, _ := tlog.TreeHash(w, all)
		if w == 0 {
			want = emptyRoot()
		}
		if got, err := r.Root(w); err != nil || got != want {
			t.Errorf("wanted size %d: root %x, %v; want %x", w, got, err, want)
		}
	}
	if _, err := r.Root(50); err == nil {
		t.Error("a root that was not asked for is answered")
	}
}

// TestCheckLeavesNamesTheFirstBad: whichever worker finds it, the error
// names the earliest bad entry, and the hashes before it are given.
func TestCheckLeavesNamesTheFirstBad(t *testing.T) {
	for _, tt := range []struct{ n, bad1, bad2 int }{{1000, 700, 900}, {1000, 10, 990}, {5000, 2600, 2601}, {3, 1, 2}} {
		leaves := make([][]byte, tt.n)
		for i := range leaves {
			leaves[i] = leafOf(t, i)
		}
		leaves[tt.bad1] = []byte(`{"v":1}`)
		leaves[tt.bad2] = []byte(`not json`)
		hashes, err := CheckLeaves(100, leaves, nil)
		if err == nil || !strings.HasPrefix(err.Error(), fmt.Sprintf("entry %d ", 100+tt.bad1)) {
			t.Errorf("%+v: %v; want entry %d named", tt, err, 100+tt.bad1)
		}
		for i := range tt.bad1 {
			if hashes[i] != tlog.RecordHash(leaves[i]) {
				t.Fatalf("%+v: hash %d missing", tt, i)
			}
		}
	}
}
