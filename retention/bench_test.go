package retention_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/postgres"
	"github.com/candour-vault/candour/postgres/pgtest"
	"github.com/candour-vault/candour/storetest"
)

// BenchmarkSweepMillion: a sweep that destroys 100,000 of 1,000,000
// records on PostgreSQL (each with a data key of its own), with four
// writers submitting records beside it. It reports the sweep's records
// destroyed per second, and the submissions per second before and during
// the sweep, and the time the data protection officer's overview then takes
// over the 900,000 records left. Run it once:
//
//	go test -run XXX -bench SweepMillion -benchtime 1x ./retention
func BenchmarkSweepMillion(b *testing.B) {
	ctx := context.Background()
	d := pgtest.NewMigratedDatabase(b)
	conn := pgtest.Connect(b, d.Super)
	// One record in ten is of 2020 (past vs-24m), the rest of 2026.
	if _, err := conn.Exec(ctx, `INSERT INTO feedback (id, agency, submitted_by, submitted_at, service, touchpoint, channel, period,
		satisfaction, sensitivity, consent_purposes, consent_share_with, consent_method, consent_notice_version,
		consent_captured_at, consent_captured_by, sealed, record_key)
	SELECT 'bench-' || lpad(i::text, 7, '0'), 'victim-support-north', 'cw-' || (i % 40), now(), 'victim-support/initial-contact',
		'first-contact', 'phone', CASE WHEN i % 10 = 0 THEN '2020-' ELSE '2026-' END || lpad((1 + i % 9)::text, 2, '0'),
		1 + i % 5, 'standard', ARRAY['service_improvement'], ARRAY[]::text[], 'verbal', '2026-01', now(), 'cw',
		'\x00'::bytea, (i * 2654435761) % 4294967296
	FROM generate_series(1, 1000000) AS i`); err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO data_keys (id, wrapped) SELECT 'r:' || id, '\x01'::bytea FROM feedback`); err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `VACUUM ANALYZE feedback, data_keys`); err != nil {
		b.Fatal(err)
	}
	db, err := postgres.Open(ctx, d.AppURL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(db.Close)
	sw := newSweeper(b, db, "bench")

	var next atomic.Int64
	submit := func(stop <-chan struct{}, n *atomic.Int64) *sync.WaitGroup {
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					id := fmt.Sprintf("new-%09d", next.Add(1))
					rec := storetest.Record(id)
					rec.SubjectHash, rec.Period = nil, "2026-10"
					if _, err := db.CreateFeedback(storetest.Context(), rec, storetest.Entry("cw", candour.ActionFeedbackCreate, id), candour.Idempotency{}); err != nil {
						b.Error(err)
						return
					}
					n.Add(1)
				}
			})
		}
		return &wg
	}
	var before atomic.Int64
	stop := make(chan struct{})
	wg := submit(stop, &before)
	time.Sleep(5 * time.Second)
	close(stop)
	wg.Wait()
	baseline := float64(before.Load()) / 5

	var during atomic.Int64
	stop = make(chan struct{})
	b.ResetTimer()
	start := time.Now()
	wg = submit(stop, &during)
	var sweep candour.Sweep
	for b.Loop() {
		if sweep, err = sw.Run(ctx, nil); err != nil {
			b.Fatal(err)
		}
	}
	took := time.Since(start)
	close(stop)
	wg.Wait()
	b.StopTimer()
	if sweep.Destroyed != 100000 {
		b.Fatalf("the sweep destroyed %d of %d read", sweep.Destroyed, sweep.Examined)
	}
	start = time.Now()
	if _, err := sw.Overview(ctx, "victim-support-north", now); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(time.Since(start).Seconds(), "overview-s")
	b.ReportMetric(float64(sweep.Destroyed)/took.Seconds(), "destroyed/s")
	b.ReportMetric(took.Seconds(), "sweep-s")
	b.ReportMetric(baseline, "submits/s-before")
	b.ReportMetric(float64(during.Load())/took.Seconds(), "submits/s-during")
}
