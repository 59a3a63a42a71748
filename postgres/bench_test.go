package postgres_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/postgres"
	"github.com/candour-vault/candour/postgres/pgtest"
	"github.com/candour-vault/candour/storetest"
)

// BenchmarkAppendAudit measures audit appends per second on PostgreSQL under
// 32 concurrent writers (16 per core on 2 cores), through the group-commit
// sequencer, connected as candour_app.
//
//	go test -run '^$' -bench AppendAudit -benchtime 20000x ./postgres
func BenchmarkAppendAudit(b *testing.B) {
	ctx := context.Background()
	db, _ := pgtest.OpenMigrated(b)
	var n atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			e := candour.AuditEntry{Time: time.Now(), Actor: candour.Principal{Issuer: "bench", Subject: fmt.Sprint("cw-", i%50),
				Agency: "police-north", Roles: []candour.Role{candour.RoleCaseworker}},
				Action: candour.ActionFeedbackRead, Purpose: candour.PurposeCaseManagement,
				Records: []string{fmt.Sprintf("rec-%08d", i)}, Outcome: candour.OutcomeOK,
				Decision: candour.AuditDecision{ID: "d", Revision: "sha256:00", Allow: true}}
			if _, err := db.AppendAudit(ctx, e); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "appends/s")
}

// BenchmarkAppendAuditOne measures one writer's audit append, alone, of an
// entry naming a record (so the statement looks up the record's agency), as
// a read's entry is: the latency a request at one connection waits for. A
// plain INSERT of a feedback-shaped row in autocommit, on the same database
// in the same run, gives the scale (both commit durably).
//
//	go test -run '^$' -bench AppendAuditOne -benchtime 5000x -count 3 ./postgres
func BenchmarkAppendAuditOne(b *testing.B) {
	ctx := context.Background()
	db, d := pgtest.OpenMigrated(b)
	owner, err := pgxpool.New(ctx, d.OwnerURL)
	if err != nil {
		b.Fatal(err)
	}
	defer owner.Close()
	if _, err := owner.Exec(ctx, `CREATE TABLE plain_feedback (LIKE feedback INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)`); err != nil {
		b.Fatal(err)
	}
	sctx := storetest.Context()
	rec := storetest.Record("0193f0c2-7d1e-7a3b-9c4d-5e6f70819202")
	if _, err := db.CreateFeedback(sctx, rec, storetest.Entry("cw", candour.ActionFeedbackCreate, rec.ID), candour.Idempotency{}); err != nil {
		b.Fatal(err)
	}
	sealed := make([]byte, 520)
	var n int
	for _, bm := range []struct {
		name string
		do   func() error
	}{
		{"entry-naming-a-record", func() error {
			_, err := db.AppendAudit(sctx, storetest.Entry("cw", candour.ActionFeedbackRead, rec.ID))
			return err
		}},
		{"plain-insert", func() error {
			n++
			_, err := owner.Exec(ctx, `INSERT INTO plain_feedback (id, agency, submitted_by, submitted_at, service, period,
				satisfaction, sensitivity, consent_purposes, consent_share_with, consent_method, consent_notice_version,
				consent_captured_at, consent_captured_by, sealed)
				VALUES ($1,'victim-support-north','bench',now(),'victim-support/initial-contact','2026-10',3,'standard',
				'{service_improvement}','{}','verbal','2026-01',now(),'bench',$2)`, fmt.Sprint("plain-", n), sealed)
			return err
		}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			for b.Loop() {
				if err := bm.do(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSummaryMillion measures one summary over a million released
// records on PostgreSQL: a partner analyst's scope (own agency, and a
// partner's records shared with them for the purpose), grouped by service
// and month, read as candour_app under row-level security and put through
// disclosure control (insight.Protect).
//
//	go test -run '^$' -bench SummaryMillion -benchtime 10x ./postgres
func BenchmarkSummaryMillion(b *testing.B) {
	ctx := context.Background()
	d := pgtest.NewMigratedDatabase(b)
	conn := pgtest.Connect(b, d.Super)
	_, err := conn.Exec(ctx, `INSERT INTO feedback (id, agency, submitted_by, submitted_at, service, touchpoint, channel, period,
		satisfaction, effort, felt_safe, felt_believed, would_recommend, sensitivity, consent_purposes, consent_share_with,
		consent_method, consent_notice_version, consent_captured_at, consent_captured_by, sealed, record_key, consent_expires_at)
	SELECT 'bench-' || i,
		(ARRAY['victim-support-north','police-north','council-north-social-care'])[1 + i % 3],
		'cw-' || (i % 40), now() - interval '1 day', (ARRAY['victim-support/initial-contact','victim-support/ongoing-support','police/report-a-crime','social-care/assessment'])[1 + i % 4],
		'first-contact', (ARRAY['phone','web','in_person'])[1 + i % 3], '2025-' || lpad((1 + i % 12)::text, 2, '0'),
		1 + i % 5, 1 + (i / 7) % 5, (ARRAY['yes','no','partly',''])[1 + i % 4], (ARRAY['yes','no',''])[1 + i % 3], i % 11,
		(ARRAY['standard','standard','standard','special_category','safeguarding'])[1 + i % 5],
		CASE WHEN i % 2 = 0 THEN ARRAY['service_improvement','inter_agency_insight'] ELSE ARRAY['service_improvement'] END,
		CASE WHEN i % 3 = 0 THEN ARRAY['police-north'] ELSE ARRAY[]::text[] END,
		'verbal', '2026-01', now(), 'cw', '\x00'::bytea, (i * 2654435761) % 4294967296,
		now() + (i % 730) * interval '1 day'
	FROM generate_series(1, 1000000) AS i`)
	if err != nil {
		b.Fatal(err)
	}
	db, err := postgres.Open(ctx, d.AppURL)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	all := candour.WithAgencies(ctx, "police-north", "victim-support-north", "council-north-social-care")
	for m := 1; m <= 12; m++ {
		if _, err := db.ReleasePeriod(all, fmt.Sprintf("2025-%02d", m), time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := conn.Exec(ctx, `VACUUM ANALYZE feedback, insight_release_rows, insight_release_strata`); err != nil {
		b.Fatal(err)
	}
	storetest.BenchmarkSummary(b, db)
}
