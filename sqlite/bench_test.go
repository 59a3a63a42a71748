package sqlite_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/sqlite/sqlitetest"
	"github.com/candour-vault/candour/storetest"
)

// BenchmarkSummaryTenThousand measures an insight summary on the embedded
// SQLite store over 10,000 released records, each with its own consent
// expiry, as PostgreSQL's BenchmarkSummaryMillion does over a million (the
// target is at most 10 ms):
//
//	go test -run '^$' -bench SummaryTenThousand -count 5 ./sqlite
func BenchmarkSummaryTenThousand(b *testing.B) {
	ctx := storetest.Context()
	db := sqlitetest.Open(b)
	r := rand.New(rand.NewPCG(10, 0))
	services := []string{"victim-support/initial-contact", "victim-support/ongoing-support", "police/report-a-crime", "social-care/assessment"}
	answers := []string{"", "yes", "no", "partly"}
	at := time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC)
	for i := range 10_000 {
		rec := storetest.Record(fmt.Sprintf("bench-%05d", i))
		rec.Agency = []string{"victim-support-north", "police-north", "council-north-social-care"}[i%3]
		rec.Service = services[i%4]
		rec.Channel = []string{"phone", "web", "in_person"}[i%3]
		rec.Period = fmt.Sprintf("2025-%02d", 1+i%12)
		rec.SubmittedAt = at.Add(-time.Duration(1+r.IntN(300)) * 24 * time.Hour)
		rec.SubmittedBy = fmt.Sprintf("cw-%d", i%40)
		rec.RecordKey = r.Uint32()
		rec.SubjectHash = []byte(fmt.Sprint(i))
		rec.Sensitivity = []candour.Sensitivity{candour.SensitivityStandard, candour.SensitivityStandard, candour.SensitivitySpecialCategory}[i%3]
		exp := at.Add(time.Duration(1+i%730) * 24 * time.Hour) // expiries on every day of two years
		rec.Consent.ExpiresAt = &exp
		rec.Consent.Purposes = []candour.Purpose{candour.PurposeServiceImprovement}
		rec.Consent.ShareWith = nil
		if i%3 == 0 {
			rec.Consent.ShareWith = []string{"police-north"}
		}
		rec.Ratings = candour.Ratings{Satisfaction: intp(1 + i%5), Effort: intp(1 + (i/7)%5), FeltSafe: answers[i%4], FeltBelieved: answers[i%3], WouldRecommend: intp(i % 11)}
		if _, err := db.CreateFeedback(ctx, rec, storetest.Entry("cw", candour.ActionFeedbackCreate, rec.ID), candour.Idempotency{}); err != nil {
			b.Fatal(err)
		}
	}
	for m := 1; m <= 12; m++ {
		if _, err := db.ReleasePeriod(ctx, fmt.Sprintf("2025-%02d", m), at); err != nil {
			b.Fatal(err)
		}
	}
	storetest.BenchmarkSummary(b, db)
}

func intp(v int) *int { return &v }
