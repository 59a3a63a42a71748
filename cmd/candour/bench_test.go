package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/mod/sumdb/note"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/api"
	"github.com/candour-vault/candour/audit"
	"github.com/candour-vault/candour/policy"
	"github.com/candour-vault/candour/postgres/pgtest"
	"github.com/candour-vault/candour/vault/keyring"
)

// BenchmarkSubmitPostgres measures submissions per second on PostgreSQL in
// one run: through the full path (HTTP, token check, validation, policy,
// sealing, keyed hash, record and audit entry in one transaction), and as a
// plain INSERT of the same row with no encryption, policy or audit (but with
// the summary rollup's trigger, which every INSERT into feedback fires). The
// ratio is the cost of Candour's protection beyond that.
//
//	go test -run '^$' -bench SubmitPostgres -benchtime 3000x ./cmd/candour
func BenchmarkSubmitPostgres(b *testing.B) {
	ctx := context.Background()
	db, d := pgtest.OpenMigrated(b)
	dir := b.TempDir()
	keys, err := keyring.LoadOrCreate(filepath.Join(dir, "keyring.json"))
	if err != nil {
		b.Fatal(err)
	}
	iss, err := api.LoadOrCreateIssuer(filepath.Join(dir, "issuer.key"), nil)
	if err != nil {
		b.Fatal(err)
	}
	pol, err := policy.NewDynamic(ctx, policy.Embedded(), nil)
	if err != nil {
		b.Fatal(err)
	}
	c := components{store: db, keys: keys, policy: pol, logger: slog.New(slog.DiscardHandler),
		auth: api.NewVerifier(iss, api.DevIssuer, api.DevAudience, nil)}
	h, err := c.handler(ctx)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	token, err := iss.Mint("bench", "victim-support-north", []candour.Role{candour.RoleCaseworker}, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	body := submitBody("The officer was kind but I waited 000001")

	b.Run("full-path-http", func(b *testing.B) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		b.SetParallelism(8)
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, _ := http.NewRequest("POST", srv.URL+"/v1/feedback", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "submissions/s")
	})

	var n atomic.Int64 // row ids, unique across every run of the sub-benchmark
	b.Run("plain-insert", func(b *testing.B) {
		pool, err := pgxpool.New(ctx, d.OwnerURL) // the owner: no row-level security either
		if err != nil {
			b.Fatal(err)
		}
		defer pool.Close()
		sealed := make([]byte, 520) // about the size of a sealed envelope of this body
		rand.Read(sealed)
		now := time.Now()
		b.SetParallelism(8)
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_, err := pool.Exec(ctx, `INSERT INTO feedback (id, agency, submitted_by, submitted_at, service, period,
					satisfaction, sensitivity, consent_purposes, consent_share_with, consent_method, consent_notice_version,
					consent_captured_at, consent_captured_by, sealed)
					VALUES ($1,'victim-support-north','bench',$2,'victim-support/initial-contact','2026-10',3,'standard',
					'{service_improvement}','{}','verbal','2026-01',$2,'bench',$3)`,
					fmt.Sprintf("plain-%d", n.Add(1)), now, sealed)
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "submissions/s")
	})
}

// BenchmarkVerifyMillion measures `candour audit verify --log` on an exported
// log of one million entries with a signed checkpoint of all of them: every
// entry parsed and checked canonical, the whole tree recomputed, the
// checkpoint's signature and root checked.
//
//	go test -run '^$' -bench VerifyMillion -benchtime 1x ./cmd/candour
//
// With CANDOUR_BENCH_KEEP set to a directory, the log, the checkpoint and the
// verifier key (verifier-key.txt) are written there and kept, so that the
// command itself can be measured on them as an auditor runs it
// (docs/benchmarks.md: its time and memory under /usr/bin/time -v).
func BenchmarkVerifyMillion(b *testing.B) {
	const n = 1_000_000
	dir := b.TempDir()
	if keep := os.Getenv("CANDOUR_BENCH_KEEP"); keep != "" {
		dir = keep
	}
	logFile := filepath.Join(dir, "log.jsonl")
	f, err := os.Create(logFile)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	var replay audit.Replay
	for i := range n {
		e := candour.AuditEntry{Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second),
			Actor:  candour.Principal{Issuer: "https://idp.example/", Subject: fmt.Sprint("caseworker-", i%500), Agency: "police-north", Roles: []candour.Role{candour.RoleCaseworker}},
			Action: candour.ActionFeedbackRead, Purpose: candour.PurposeCaseManagement, Records: []string{fmt.Sprintf("01a20db6-610d-704e-8661-%012d", i)},
			Decision: candour.AuditDecision{ID: fmt.Sprintf("%032d", i), Revision: "sha256:f1e8ca78caf31c4735ac23b29d854b2a121fc905dc31fa2696e73472fc5fd162", Allow: true},
			Outcome:  candour.OutcomeOK}
		leaf, err := e.MarshalLeaf()
		if err != nil {
			b.Fatal(err)
		}
		if err := replay.Add(leaf); err != nil {
			b.Fatal(err)
		}
		enc.Encode(exported{Seq: int64(i), Leaf: leaf})
	}
	w.Flush()
	f.Close()
	skey, vkey, err := audit.GenerateKey("candour.bench/audit")
	if err != nil {
		b.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	root, _ := replay.Root(n)
	signed, err := note.Sign(&note.Note{Text: string(audit.Checkpoint{Origin: "candour.bench/audit", Size: n, Hash: root}.Marshal())}, signer)
	if err != nil {
		b.Fatal(err)
	}
	checkpoint := filepath.Join(dir, "checkpoint.txt")
	if err := os.WriteFile(checkpoint, signed, 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "verifier-key.txt"), []byte(vkey+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	st, _ := os.Stat(logFile)
	b.ResetTimer()
	for b.Loop() {
		var out, errOut strings.Builder
		err := runAuditVerify(context.Background(), []string{"--log", logFile, "--verifier-key", vkey, "--checkpoint", checkpoint}, &out, &errOut)
		if err != nil || !strings.Contains(out.String(), "Verified 1000000 entries") {
			b.Fatalf("verify: %v %s %s", err, out.String(), errOut.String())
		}
	}
	b.ReportMetric(float64(st.Size())/(1<<20), "MiB-log")
}
