package policy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/candour-vault/candour"
)

// Dynamic is a policy that can be replaced while the server runs. Decisions
// always use one whole, compiled policy: a new one is swapped in only after it
// has compiled, so a broken change leaves the last good policy in force.
type Dynamic struct {
	fsys   fs.FS
	cur    atomic.Pointer[Engine]
	mu     sync.Mutex // serialises reloads
	logger *slog.Logger
}

var _ candour.Authorizer = (*Dynamic)(nil)

// NewDynamic loads the policy in fsys. The first load must succeed.
func NewDynamic(ctx context.Context, fsys fs.FS, logger *slog.Logger) (*Dynamic, error) {
	e, err := Load(ctx, fsys)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	d := &Dynamic{fsys: fsys, logger: logger}
	d.cur.Store(e)
	return d, nil
}

// Decide implements candour.Authorizer with the policy in force.
func (d *Dynamic) Decide(ctx context.Context, in candour.DecisionInput) (candour.Decision, error) {
	return d.cur.Load().Decide(ctx, in)
}

// Ping reports whether the policy in force can decide: it evaluates one
// question (a principal with no role asking to read), whose answer must be
// a clean denial. /readyz shows it as "policy".
func (d *Dynamic) Ping(ctx context.Context) error {
	dec, err := d.Decide(ctx, candour.DecisionInput{Principal: candour.Principal{Issuer: "readyz", Subject: "readyz"},
		Action: candour.ActionFeedbackRead, Purpose: candour.PurposeCaseManagement, Resource: &candour.Resource{ID: "readyz"}, Now: time.Now()})
	switch {
	case err != nil:
		return fmt.Errorf("policy: %w", err)
	case dec.Allow:
		return errors.New("policy: it allowed a principal with no role to read a record")
	}
	return nil
}

// Agencies returns the agencies of the policy in force.
func (d *Dynamic) Agencies() []string { return d.cur.Load().Agencies() }

// Catalogue returns the catalogue of the policy in force.
func (d *Dynamic) Catalogue() candour.Catalogue { return d.cur.Load().Catalogue() }

// Revision returns the revision of the policy in force.
func (d *Dynamic) Revision() string { return d.cur.Load().Revision() }

// Reload reads the files again and, if they changed and compile, puts them in
// force. It reports whether the policy in force changed. On error the last
// good policy stays in force.
func (d *Dynamic) Reload(ctx context.Context) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f, err := ReadFiles(d.fsys)
	if err != nil {
		d.logger.Error("policy reload failed; keeping the policy in force", "revision", d.Revision(), "err", err)
		return false, err
	}
	if f.Revision == d.Revision() {
		return false, nil
	}
	e, err := Compile(ctx, f)
	if err != nil {
		d.logger.Error("policy reload failed; keeping the policy in force", "revision", d.Revision(), "rejected", f.Revision, "err", err)
		return false, err
	}
	old := d.Revision()
	d.cur.Store(e)
	d.logger.Info("policy reloaded", "from", old, "to", e.Revision())
	return true, nil
}

// Watch reloads whenever the files change, checking every interval, and
// whenever a value arrives on signals (SIGHUP in cmd/candour), until ctx ends.
func (d *Dynamic) Watch(ctx context.Context, interval time.Duration, signals <-chan struct{}) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-signals:
		}
		d.Reload(ctx) // errors are logged; the last good policy stays
	}
}
