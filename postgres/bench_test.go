package postgres_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/postgres"
	"github.com/candour-vault/candour/postgres/pgtest"
)

// BenchmarkAppendAudit measures audit appends per second on PostgreSQL under
// 32 concurrent writers (16 per core on 2 cores), through the group-commit
// sequencer, connected as candour_app.
//
//	go test -run '^$' -bench AppendAudit -benchtime 20000x ./postgres
func BenchmarkAppendAudit(b *testing.B) {
	ctx := context.Background()
	d := pgtest.NewMigratedDatabase(b)
	db, err := postgres.Open(ctx, d.AppURL)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
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
