package insight

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/candour-vault/candour"
)

// ReleaseStore keeps releases (the stores).
type ReleaseStore interface {
	// PendingPeriods returns the periods up to through (inclusive) that hold
	// unreleased live records and are not released yet, oldest first.
	PendingPeriods(ctx context.Context, through string) ([]string, error)
	// ReleasePeriod releases period as it stands at at; ECONFLICT when it is
	// already released.
	ReleasePeriod(ctx context.Context, period string, at time.Time) (candour.Release, error)
}

// DefaultEmbargo is how long after a month ends it is released: long enough
// for most late records to arrive, and so that a month's records are mixed
// with one another before anyone sees them.
const DefaultEmbargo = 7 * 24 * time.Hour

// Releaser releases every month that has been closed for the embargo, once.
// Several replicas may run it at once: a period is released by exactly one.
type Releaser struct {
	store    ReleaseStore
	log      candour.AuditLog
	embargo  time.Duration
	agencies func() []string
	logger   *slog.Logger

	mu      sync.Mutex
	lastRun time.Time
}

// MinGap is how often MaybeRun looks for months to release, at most.
const MinGap = 10 * time.Second

// NewReleaser returns a Releaser. agencies names every agency whose records
// a release takes (the policy's agencies); embargo below zero is refused.
func NewReleaser(store ReleaseStore, log candour.AuditLog, embargo time.Duration, agencies func() []string, logger *slog.Logger) *Releaser {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Releaser{store: store, log: log, embargo: max(embargo, 0), agencies: agencies, logger: logger}
}

// LastClosed returns the last month that a release at now may take: the
// latest month that ended at least the embargo before now.
func LastClosed(now time.Time, embargo time.Duration) string {
	t := now.UTC().Add(-embargo)
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0).Format("2006-01")
}

// Run releases every pending month closed for the embargo at now, each in
// its own transaction with its own audit entry (the period and how many
// records; nothing about any record). It returns what it released.
func (r *Releaser) Run(ctx context.Context, now time.Time) ([]candour.Release, error) {
	now = now.UTC().Truncate(time.Microsecond)
	ctx = candour.WithAgencies(ctx, r.agencies()...)
	periods, err := r.store.PendingPeriods(ctx, LastClosed(now, r.embargo))
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	var done []candour.Release
	for _, p := range periods {
		rel, err := r.store.ReleasePeriod(ctx, p, now)
		if candour.ErrorCode(err) == candour.ECONFLICT {
			continue // another replica was first
		}
		if err != nil {
			return done, fmt.Errorf("release %s: %w", p, err)
		}
		sum := sha256.Sum256([]byte(string(candour.ActionInsightRelease) + "\x00period=" + p))
		if _, err := r.log.AppendAudit(ctx, candour.AuditEntry{Time: now, Actor: candour.Principal{Issuer: "candour", Subject: "releaser"},
			Action: candour.ActionInsightRelease, Query: hex.EncodeToString(sum[:]), Outcome: candour.OutcomeOK,
			Decision: candour.AuditDecision{Allow: true}}); err != nil {
			return done, fmt.Errorf("release %s: audit: %w", p, err)
		}
		r.logger.Info("released a month for insight", "period", p, "records", rel.Records)
		done = append(done, rel)
	}
	return done, nil
}

// MaybeRun runs the releaser unless it ran less than MinGap ago: insight
// requests call it, so that a month is released as soon as it may be,
// without waiting for the schedule. Its failures are logged only: a request
// is answered from what is released.
func (r *Releaser) MaybeRun(ctx context.Context, now time.Time) {
	r.mu.Lock()
	if now.Sub(r.lastRun) < MinGap {
		r.mu.Unlock()
		return
	}
	r.lastRun = now
	r.mu.Unlock()
	if _, err := r.Run(ctx, now); err != nil && ctx.Err() == nil {
		r.logger.Error("insight release failed", "err", err)
	}
}

// Every runs the releaser at start and then every interval until ctx ends; a
// failure is logged and tried again next time.
func (r *Releaser) Every(ctx context.Context, interval time.Duration, now func() time.Time) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := r.Run(ctx, now()); err != nil && ctx.Err() == nil {
			r.logger.Error("insight release failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
