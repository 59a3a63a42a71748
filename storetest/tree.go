package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/audit"
	"golang.org/x/mod/sumdb/tlog"
)

// The audit log's tree and checkpoints, as the store keeps them.

func newLog(t *testing.T, s Store) *audit.Log {
	t.Helper()
	skey, _, err := audit.GenerateKey("candour.test/audit")
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.NewLog(s, skey)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func appendN(t *testing.T, s Store, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if _, err := s.AppendAudit(Context(), Entry(fmt.Sprintf("actor-%d", i), candour.ActionAuditRead)); err != nil {
			t.Fatal(err)
		}
	}
}

// replayed recomputes the tree from the store's leaves in memory.
// replayed replays the stored log, keeping the roots at the sizes given.
func replayed(t *testing.T, s Store, sizes ...int64) *audit.Replay {
	t.Helper()
	var r audit.Replay
	for _, size := range sizes {
		r.Want(size)
	}
	for _, l := range all(t, s) {
		if err := r.Add(l.Leaf); err != nil {
			t.Fatal(err)
		}
	}
	return &r
}

func testAuditTree(t *testing.T, s Store) {
	ctx := Context()
	l := newLog(t, s)
	total := 0
	for _, n := range []int{1, 2, 5, 57, 200} {
		appendN(t, s, total, n)
		total += n
		size, err := l.Integrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if size != int64(total) {
			t.Fatalf("Integrate = %d, want %d", size, total)
		}
	}
	sizes := []int64{1, 2, 3, 8, 9, 64, 65, int64(total)}
	r := replayed(t, s, sizes...)
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		hs, err := s.ReadTreeHashes(ctx, idx)
		out := make([]tlog.Hash, len(hs))
		for i, h := range hs {
			out[i] = h
		}
		return out, err
	})
	for _, size := range sizes {
		want, err := r.Root(size)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tlog.TreeHash(size, reader)
		if err != nil || got != want {
			t.Errorf("tree hash at %d from stored hashes = %x, %v; replay gives %x", size, got, err, want)
		}
	}
	// A stale integrator loses, and stores nothing.
	before, _ := s.TreeSize(ctx)
	if err := s.AddTreeHashes(ctx, before-1, before+1, [][32]byte{{1}, {2}}); candour.ErrorCode(err) != candour.ECONFLICT {
		t.Errorf("AddTreeHashes from a stale size: %v, want ECONFLICT", err)
	}
	if after, _ := s.TreeSize(ctx); after != before {
		t.Errorf("tree size %d after a refused add, want %d", after, before)
	}
}

func testAuditTreeConcurrent(t *testing.T, s Store) {
	ctx := Context()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := newLog(t, s)
			for i := range 30 {
				if _, err := s.AppendAudit(ctx, Entry(fmt.Sprintf("w%d-%d", w, i), candour.ActionAuditRead)); err != nil {
					t.Error(err)
					return
				}
				if i%7 == 0 {
					if _, err := l.Integrate(ctx); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	l := newLog(t, s)
	size, err := l.Integrate(ctx)
	if err != nil || size != 120 {
		t.Fatalf("Integrate = %d, %v; want 120", size, err)
	}
	want, err := replayed(t, s).Root(size)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := audit.ParseCheckpoint(signed, l.VerifierKey())
	if err != nil || c.Size != size || c.Hash != want {
		t.Errorf("checkpoint %+v, %v; want size %d root %x from replay", c, err, size, want)
	}
}

func testCheckpoints(t *testing.T, s Store) {
	ctx := Context()
	l := newLog(t, s)
	if _, err := l.Latest(ctx); candour.ErrorCode(err) != candour.ENOTFOUND {
		t.Errorf("Latest before any: %v, want ENOTFOUND", err)
	}
	appendN(t, s, 0, 10)
	first, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again, err := l.Checkpoint(ctx)
	if err != nil || string(again) != string(first) {
		t.Errorf("a second checkpoint with nothing new: %v; want the first again", err)
	}
	appendN(t, s, 10, 7)
	second, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c1, err1 := audit.ParseCheckpoint(first, l.VerifierKey())
	c2, err2 := audit.ParseCheckpoint(second, l.VerifierKey())
	if err1 != nil || err2 != nil || c1.Size != 10 || c2.Size != 17 {
		t.Fatalf("checkpoints %+v %v, %+v %v", c1, err1, c2, err2)
	}
	if latest, _ := l.Latest(ctx); string(latest) != string(second) {
		t.Error("Latest is not the newest checkpoint")
	}
	if all, err := s.AllCheckpoints(ctx); err != nil || len(all) != 2 || string(all[0]) != string(first) || string(all[1]) != string(second) {
		t.Errorf("AllCheckpoints = %d checkpoints, %v; want the two, smallest first", len(all), err)
	}
	// Proofs check out against the checkpoints with tlog's own checkers.
	for seq := int64(0); seq < 17; seq++ {
		p, err := l.InclusionProof(ctx, seq, 17)
		if err != nil {
			t.Fatal(err)
		}
		leaves, _ := s.AuditLeaves(ctx, seq, seq+1)
		if err := tlog.CheckRecord(toTlog(p), 17, c2.Hash, seq, tlog.RecordHash(leaves[0])); err != nil {
			t.Errorf("inclusion of %d in 17: %v", seq, err)
		}
	}
	p, err := l.ConsistencyProof(ctx, 10, 17)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckTree(toTlog(p), 17, c2.Hash, 10, c1.Hash); err != nil {
		t.Errorf("consistency 10 → 17: %v", err)
	}
	for _, bad := range [][2]int64{{-1, 17}, {17, 17}, {3, 40}} {
		if _, err := l.InclusionProof(ctx, bad[0], bad[1]); candour.ErrorCode(err) != candour.EINVALID {
			t.Errorf("InclusionProof(%d, %d): %v, want EINVALID", bad[0], bad[1], err)
		}
	}
	// Another key cannot pass for the log's.
	other := newLog(t, s)
	if _, err := audit.ParseCheckpoint(second, other.VerifierKey()); err == nil {
		t.Error("a checkpoint verified with another log's key")
	}
}

func toTlog(hs [][32]byte) []tlog.Hash {
	out := make([]tlog.Hash, len(hs))
	for i, h := range hs {
		out[i] = h
	}
	return out
}
