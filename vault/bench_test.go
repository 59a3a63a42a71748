package vault

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/policy"
	"github.com/candour-vault/candour/sqlite/sqlitetest"
	"github.com/candour-vault/candour/vault/keyring"
	"github.com/candour-vault/candour/vault/transit"
	"github.com/candour-vault/candour/vault/transit/vaulttest"
)

// providers returns the keyring and a transit provider on a real Vault dev
// server, for benchmarks that compare them in one run.
func providers(b *testing.B) map[string]KEK {
	b.Helper()
	kr, err := keyring.LoadOrCreate(filepath.Join(b.TempDir(), "k.json"))
	if err != nil {
		b.Fatal(err)
	}
	v := vaulttest.Start(b)
	tp, err := transit.New(context.Background(), transit.Config{Address: v.Addr, Token: v.ServiceToken})
	if err != nil {
		b.Fatal(err)
	}
	return map[string]KEK{"keyring": kr, "transit": tp}
}

// BenchmarkSealOpen measures one record's envelope with the key provider in
// the path and no cache: sealing wraps a fresh data key and seals; opening
// unwraps the data key and opens.
//
//	go test -run '^$' -bench SealOpen ./vault
func BenchmarkSealOpen(b *testing.B) {
	ctx := context.Background()
	consent := candour.Consent{Purposes: []candour.Purpose{candour.PurposeResearch}, Method: "verbal", NoticeVersion: "1", CapturedAt: time.Now()}
	c := content{ID: "01a20db6-610d-704e-8661-01d15feb70cf", Agency: "police-north",
		Comment: "The officer who called me back was kind, but I waited 3 weeks.", SubjectRef: "VS-2026-000123"}
	for name, kek := range providers(b) {
		b.Run(name+"/seal", func(b *testing.B) {
			for b.Loop() {
				key := bytes.Repeat([]byte{1}, 32)
				if _, err := kek.WrapKeys(ctx, [][]byte{key}); err != nil {
					b.Fatal(err)
				}
				if _, err := seal(key, c, consent); err != nil {
					b.Fatal(err)
				}
			}
		})
		key := bytes.Repeat([]byte{1}, 32)
		w, _ := kek.WrapKeys(ctx, [][]byte{key})
		sealed, _ := seal(key, c, consent)
		b.Run(name+"/open", func(b *testing.B) {
			for b.Loop() {
				k, err := kek.UnwrapKeys(ctx, w)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := open(k[0], sealed, c.ID, c.Agency, consent); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOpenRecord opens one sealed record with its data key in hand (as
// a read does when the key is cached): the whole of open, and its age file
// by decryptAge against age.Decrypt and io.ReadAll, in one run.
//
//	go test -run '^$' -bench OpenRecord -benchmem ./vault
func BenchmarkOpenRecord(b *testing.B) {
	consent := candour.Consent{Purposes: []candour.Purpose{candour.PurposeServiceImprovement}, Method: "verbal", NoticeVersion: "2026-01", CapturedAt: time.Now()}
	c := content{ID: "01a20db6-610d-704e-8661-01d15feb70cf", Agency: "victim-support-north",
		Comment: "The officer who called me back was kind, but I waited 3 weeks to hear anything at all.", SubjectRef: "VS-2026-000123"}
	key := bytes.Repeat([]byte{1}, 32)
	sealed, err := seal(key, c, consent)
	if err != nil {
		b.Fatal(err)
	}
	env, err := ParseEnvelope(sealed)
	if err != nil {
		b.Fatal(err)
	}
	id := identity{key: key, ad: binding(c.ID, c.Agency, consent)}
	for _, bb := range []struct {
		name string
		run  func() error
	}{
		{"open", func() error { _, err := open(key, sealed, c.ID, c.Agency, consent); return err }},
		{"decryptAge", func() error { _, err := decryptAge(env.Age, id); return err }},
		{"age.Decrypt", func() error { _, err := ageReference(env.Age, id); return err }},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := bb.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchService(b *testing.B, kek KEK, caching *CacheLimits) (*Service, candour.Caller) {
	b.Helper()
	ctx := context.Background()
	db := sqlitetest.Open(b)
	pol, err := policy.Load(ctx, policy.Embedded())
	if err != nil {
		b.Fatal(err)
	}
	svc := New(Config{Store: db, DataKeys: db, Log: db, Keys: kek, Policy: pol, KeyCaching: caching})
	return svc, candour.Caller{Principal: candour.Principal{Issuer: "bench", Subject: "cw", Agency: "victim-support-north",
		Roles: []candour.Role{candour.RoleCaseworker}}}
}

func benchFeedback(i int64) candour.Feedback {
	three := 3
	return candour.Feedback{Service: "victim-support/initial-contact", Period: "2026-10",
		Ratings: candour.Ratings{Satisfaction: &three}, Comment: "They kept me informed throughout.",
		SubjectRef: fmt.Sprintf("VS-2026-%06d", i),
		Consent:    candour.Consent{Purposes: []candour.Purpose{candour.PurposeServiceImprovement}, Method: "verbal", NoticeVersion: "2026-01"}}
}

// BenchmarkProviderRoundTrips counts key-provider round trips for 1,000
// submissions of 1,000 different people through the feedback service on
// Vault transit, with the data-key cache and pool on, and off.
//
//	go test -run '^$' -bench ProviderRoundTrips -benchtime 1x ./vault
func BenchmarkProviderRoundTrips(b *testing.B) {
	kek := providers(b)["transit"]
	for name, caching := range map[string]*CacheLimits{"cache-on": nil, "cache-off": {}} {
		b.Run(name, func(b *testing.B) {
			svc, c := benchService(b, kek, caching)
			var n int64
			for b.Loop() {
				before := svc.ProviderCalls()
				for range 1000 {
					n++
					if _, err := svc.Submit(context.Background(), c, benchFeedback(n), candour.Idempotency{}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(svc.ProviderCalls()-before), "round-trips/1000-submissions")
			}
		})
	}
}

// BenchmarkSubmitProviders measures submissions per second through the
// feedback service (policy, sealing, SQLite, audit) with the local keyring
// and with Vault transit, in one run, cache on, each submission a new person.
//
//	go test -run '^$' -bench SubmitProviders -benchtime 2000x ./vault
func BenchmarkSubmitProviders(b *testing.B) {
	for name, kek := range providers(b) {
		b.Run(name, func(b *testing.B) {
			svc, c := benchService(b, kek, nil)
			var n atomic.Int64
			start := time.Now()
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := svc.Submit(context.Background(), c, benchFeedback(n.Add(1)), candour.Idempotency{}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "submissions/s")
		})
	}
}
