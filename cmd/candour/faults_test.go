package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/postgres/pgtest"
	"github.com/jackc/pgx/v5"
)

// Faults under load: replicas killed and restarted, and the database
// restarted, while clients submit.

// TestReplicasExactlyOnce runs three replicas on one database; many clients
// submit and retry through all of them while one replica is killed with
// SIGKILL and restarted. Every acknowledged submission must be stored exactly
// once and open, and the audit log must be one gap-free sequence.
func TestReplicasExactlyOnce(t *testing.T) {
	db := pgtest.NewMigratedDatabase(t)
	f := newFleet(t, db)
	replicas := []*replica{f.start(t, "127.0.0.1:0"), f.start(t, "127.0.0.1:0"), f.start(t, "127.0.0.1:0")}
	var (
		mu   sync.Mutex
		urls = []string{replicas[0].url, replicas[1].url, replicas[2].url}
	)
	urlOf := func(i int) string { mu.Lock(); defer mu.Unlock(); return urls[i%3] }
	cw := f.token(t, candour.RoleCaseworker, "victim-support-north")

	const clients, each = 8, 30
	subs := make([]*submission, 0, clients*each)
	for c := range clients {
		for i := range each {
			n := c*each + i
			subs = append(subs, &submission{key: fmt.Sprintf("client-%d-visit-%d", c, i), comment: fmt.Sprintf("Waited too long, visit %06d", n)})
		}
	}
	var acked atomic.Int32
	killed := make(chan struct{})
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 5 * time.Second}
			// send retries through the replicas until one acknowledges.
			send := func(s *submission, start int) (candour.Receipt, bool) {
				for attempt := 0; attempt < 60; attempt++ {
					st, rc := post(client, urlOf(start+attempt), cw, s)
					switch st {
					case http.StatusCreated:
						return rc, true
					case 0, http.StatusServiceUnavailable: // no answer, or a replica failing closed
						s.retries++
						time.Sleep(50 * time.Millisecond)
					default:
						t.Errorf("%s: status %d", s.key, st)
						return rc, false
					}
				}
				t.Errorf("%s: not acknowledged after 60 attempts", s.key)
				return candour.Receipt{}, false
			}
			for i := range each {
				s := subs[c*each+i]
				rc, ok := send(s, c+i)
				if !ok {
					return
				}
				s.id, s.seq = rc.ID, rc.AuditSeq
				// Some clients never hear the answer and send again: the
				// same key must give the same record.
				if i%4 == 0 {
					if again, ok := send(s, c+i+1); ok && (again.ID != s.id || again.AuditSeq != s.seq) {
						t.Errorf("%s: resend gave %+v, want %s at %d", s.key, again, s.id, s.seq)
					}
				}
				if acked.Add(1) == clients*each/3 {
					close(killed)
				}
			}
		}()
	}
	// Kill replica 1 with SIGKILL a third of the way through, then bring it
	// back on the same address.
	<-killed
	replicas[1].cmd.Process.Signal(syscall.SIGKILL)
	replicas[1].cmd.Wait()
	time.Sleep(200 * time.Millisecond)
	restarted := f.start(t, replicas[1].addr)
	mu.Lock()
	urls[1] = restarted.url
	mu.Unlock()
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// Exactly once: every acknowledged id is stored, no other row is.
	ctx := context.Background()
	conn := pgtest.Connect(t, db.Super)
	var rows int
	conn.QueryRow(ctx, `SELECT count(*) FROM feedback`).Scan(&rows)
	ids := map[string]bool{}
	retries := 0
	for _, s := range subs {
		ids[s.id] = true
		retries += s.retries
	}
	if len(ids) != len(subs) || rows != len(subs) {
		t.Errorf("%d submissions, %d distinct acknowledged ids, %d rows: want all equal", len(subs), len(ids), rows)
	}
	// Every record opens, through any replica, with the comment sent.
	client := &http.Client{Timeout: 5 * time.Second}
	for i, s := range subs {
		req, _ := http.NewRequest("GET", urlOf(i)+"/v1/feedback/"+s.id, nil)
		req.Header.Set("Authorization", "Bearer "+cw)
		req.Header.Set("Candour-Purpose", "case_management")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got candour.Feedback
		json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if resp.StatusCode != 200 || got.Comment != s.comment {
			t.Errorf("%s: read %d, comment %q; want 200 and %q", s.key, resp.StatusCode, got.Comment, s.comment)
		}
	}
	// One consistent audit sequence: 0..n-1, each acknowledged receipt at
	// the entry that records its creation.
	var n, maxSeq int64
	conn.QueryRow(ctx, `SELECT count(*), coalesce(max(seq), -1) FROM audit_log`).Scan(&n, &maxSeq)
	if n != maxSeq+1 {
		t.Errorf("audit log has %d entries up to seq %d: the sequence has gaps", n, maxSeq)
	}
	for _, s := range subs {
		var leaf []byte
		if err := conn.QueryRow(ctx, `SELECT leaf FROM audit_log WHERE seq = $1`, s.seq).Scan(&leaf); err != nil {
			t.Fatalf("%s: audit seq %d: %v", s.key, s.seq, err)
		}
		e, err := candour.ParseAuditLeaf(leaf)
		if err != nil || e.Action != candour.ActionFeedbackCreate || len(e.Records) != 1 || e.Records[0] != s.id {
			t.Errorf("%s: audit seq %d is %+v, %v; want the creation of %s", s.key, s.seq, e, err, s.id)
		}
	}
	// No entry holds a comment or a subject reference.
	leafRows, err := conn.Query(ctx, `SELECT leaf FROM audit_log`)
	if err != nil {
		t.Fatal(err)
	}
	leaves, err := pgx.CollectRows(leafRows, pgx.RowTo[[]byte])
	if err != nil {
		t.Fatal(err)
	}
	for _, leaf := range leaves {
		for _, s := range subs {
			ref := "VS-2026-" + s.comment[len(s.comment)-6:]
			if bytes.Contains(leaf, []byte(s.comment)) || bytes.Contains(leaf, []byte(ref)) {
				t.Fatalf("an audit entry holds personal data of %s: %s", s.key, leaf)
			}
		}
	}
	t.Logf("%d submissions through 3 replicas (one killed and restarted), %d retries, %d audit entries", len(subs), retries, n)
}

// TestDatabaseRestartUnderLoad stops PostgreSQL under a running server while
// clients submit: requests in the outage get 503 (never a false success),
// /readyz turns false and recovers without a restart of Candour, and every
// acknowledged submission is still there afterwards.
func TestDatabaseRestartUnderLoad(t *testing.T) {
	cluster := pgtest.StartCluster(t)
	db := cluster.NewDatabase(t)
	if out, errOut, code := runCLI(t, "migrate", "up", "--database", db.OwnerURL); code != 0 {
		t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	f := newFleet(t, db)
	r := f.start(t, "127.0.0.1:0")
	cw := f.token(t, candour.RoleCaseworker, "victim-support-north")
	client := &http.Client{Timeout: 5 * time.Second}
	ready := func() int {
		resp, err := client.Get(r.url + "/readyz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	waitReady := func(want int) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if ready() == want {
				return
			}
		}
		t.Fatalf("/readyz did not answer %d within 30s", want)
	}

	var (
		mu       sync.Mutex
		acked    []*submission
		statuses = map[int]int{}
		n        atomic.Int64
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	for c := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				s := &submission{key: fmt.Sprintf("restart-%d-%d", c, i), comment: fmt.Sprintf("Kept informed, visit %06d", n.Add(1))}
				st, rc := post(client, r.url, cw, s)
				mu.Lock()
				statuses[st]++
				if st == http.StatusCreated {
					s.id = rc.ID
					acked = append(acked, s)
				}
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	countAcked := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	for deadline := time.Now().Add(20 * time.Second); countAcked() < 50 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	before := countAcked()
	cluster.Stop()
	waitReady(http.StatusServiceUnavailable)
	time.Sleep(500 * time.Millisecond) // load continues against the dead database
	if err := cluster.Start(); err != nil {
		t.Fatal(err)
	}
	waitReady(http.StatusOK)
	for deadline := time.Now().Add(20 * time.Second); countAcked() < before+50 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	for st, count := range statuses {
		if st != http.StatusCreated && st != http.StatusServiceUnavailable {
			t.Errorf("%d answers with status %d: want only 201 and 503", count, st)
		}
	}
	if statuses[http.StatusServiceUnavailable] == 0 {
		t.Error("no request got 503 while the database was down")
	}
	if len(acked) < before+50 {
		t.Errorf("%d acknowledged after the restart, want at least 50 more than %d: service did not resume", len(acked), before)
	}
	ctx := context.Background()
	conn := pgtest.Connect(t, db.Super)
	lost := 0
	for _, s := range acked {
		var one int
		if err := conn.QueryRow(ctx, `SELECT 1 FROM feedback WHERE id = $1`, s.id).Scan(&one); err != nil {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged submissions are missing after the restart", lost, len(acked))
	}
	t.Logf("statuses %v; %d acknowledged (%d before the outage), none lost", statuses, len(acked), before)
}
