package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	neturl "net/url"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/api"
	"github.com/candour-vault/candour/audit"
	"github.com/candour-vault/candour/insight"
	"github.com/candour-vault/candour/metrics"
	"github.com/candour-vault/candour/policy"
	"github.com/candour-vault/candour/postgres"
	"github.com/candour-vault/candour/redact"
	"github.com/candour-vault/candour/retention"
	"github.com/candour-vault/candour/sqlite"
	"github.com/candour-vault/candour/vault"
	"github.com/candour-vault/candour/web"
)

// store is what the server needs of a database.
type store interface {
	vault.Store
	candour.SessionStore
	candour.AuditLog
	candour.RetentionStore
	candour.Pinger
	candour.DataKeyStore
	audit.Store
	keyRows
	insight.Releases
	insight.ReleaseStore
}

var (
	_ store = (*sqlite.DB)(nil)
	_ store = (*postgres.DB)(nil)
)

// components are the parts a server is wired from.
type components struct {
	poolAge time.Duration // how long pre-wrapped fresh keys wait; 0 for the default
	store   store
	tree    *audit.Log
	keys    vault.KEK
	policy  *policy.Dynamic
	noise   *insight.Noise
	redact  *redact.Redactor
	embargo time.Duration // how long after a month ends it is released
	auth    api.Authenticator
	jwks    []byte // served at /.well-known/jwks.json when set (dev issuer)
	logger  *slog.Logger
	// pages, when set, serves the pages beside the API (its Feedback,
	// Sessions and Catalogue are filled in by handler).
	pages *web.Config
	// citizen, when its public URL is set, turns the citizen channel on.
	citizen citizenChannel
}

// citizenChannel configures the citizen channel: feedback links and the
// public pages they open.
type citizenChannel struct {
	publicURL      string // the public pages' address; empty: the channel is off
	ttl            time.Duration
	clientIPHeader string
	rate           float64 // public page requests a second, all clients together; 0 for the default
}

// citizenFlags are the citizen channel's flags.
type citizenFlags struct {
	publicURL, ipHeader *string
	ttl                 *time.Duration
	rate                *float64
}

// addCitizenFlags declares the citizen channel's flags; a dev server's
// links point at itself, so it has no --public-url.
func addCitizenFlags(fs *flag.FlagSet, server bool) citizenFlags {
	f := citizenFlags{
		ttl: fs.Duration("invitation-ttl", vault.DefaultInvitationTTL, "how long a feedback link works (1h to 2160h)"),
		ipHeader: fs.String("client-ip-header", "", "the header a trusted reverse proxy puts the client's address in, for the public pages' "+
			"rate limits (only hashed in memory, never stored); empty: the connection's address"),
		rate: fs.Float64("public-rate", float64(web.DefaultPublicLimits.Total), "public page requests a second, all clients together (bursts of twice that)"),
	}
	if server {
		f.publicURL = fs.String("public-url", "", "the https:// address people open feedback links at (this server's public pages); empty: no feedback links")
	}
	return f
}

// channel checks the flags and returns the channel they configure, with
// publicURL for a dev server.
func (f citizenFlags) channel(cmd, publicURL string) (citizenChannel, error) {
	if f.publicURL != nil {
		publicURL = strings.TrimRight(*f.publicURL, "/")
		if u, err := neturl.Parse(publicURL); publicURL != "" && (err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "") {
			return citizenChannel{}, usageError{cmd + ": --public-url must be an https:// address with no path, such as https://feedback.example.org"}
		}
	}
	switch {
	case *f.ttl < time.Hour || *f.ttl > 90*24*time.Hour:
		return citizenChannel{}, usageError{cmd + ": --invitation-ttl must be from 1h to 2160h (90 days)"}
	case *f.rate < 1 || *f.rate > 100_000:
		return citizenChannel{}, usageError{cmd + ": --public-rate must be from 1 to 100000"}
	}
	return citizenChannel{publicURL: publicURL, ttl: *f.ttl, clientIPHeader: *f.ipHeader, rate: *f.rate}, nil
}

// handler wires the HTTP handler: the API, and the pages when c.pages is set.
// It starts loading the service's key directory, which stops with ctx.
func (c components) handler(ctx context.Context) (http.Handler, error) {
	limits := vault.DefaultCacheLimits
	if c.poolAge > 0 {
		limits.PoolMaxAge = c.poolAge
	}
	m := metrics.New()
	pol := m.Authorizer(c.policy)
	cfg := vault.Config{Store: c.store, DataKeys: c.store, Log: c.store, Keys: m.Keys(c.keys), Policy: pol,
		Logger: c.logger, KeyCaching: &limits, Retention: c.sweeper(), LinkBase: c.citizen.publicURL, InvitationTTL: c.citizen.ttl}
	if h, ok := c.keys.(interface{ Healthy() bool }); ok {
		cfg.KeysUp = h.Healthy
	}
	svc := vault.New(cfg)
	go func() {
		start := time.Now()
		if err := svc.LoadKeyDirectory(ctx, c.store); err != nil {
			c.logger.Warn("the key directory did not load; every subject's key is looked up", "err", err)
			return
		}
		c.logger.Info("key directory loaded", "took", time.Since(start).Round(time.Millisecond))
	}()
	observeStore(m, c.store, svc)
	insights := insight.NewService(insight.Config{Store: c.store, Opener: svc, Redactor: c.redact, Log: c.store, Policy: pol,
		Noise: c.noise, Releaser: c.releaser()})
	audits := audit.NewService(c.store, c.store, c.tree, pol, nil)
	var invitations api.InvitationService
	if c.citizen.publicURL != "" {
		invitations = svc
	}
	apiHandler := api.New(api.Config{
		Invitations: invitations,
		Feedback:    svc,
		Insight:     insights,
		Metrics:     m.Handler(),
		Observe:     func(route string, status int, took time.Duration) { m.Request("api", route, status, took) },
		Audit:       audit.NewService(c.store, c.store, c.tree, pol, nil),
		Auth:        c.auth,
		JWKS:        c.jwks,
		Ready:       c.ready(),
		Logger:      c.logger,
	})
	if c.pages == nil {
		return apiHandler, nil
	}
	pc := *c.pages
	pc.Feedback, pc.Insight, pc.Audit, pc.Lifecycle, pc.Sessions, pc.Catalogue, pc.Logger = svc, insights, audits, svc, c.store, c.policy, c.logger
	pc.Observe = func(route string, status int, took time.Duration) { m.Request("pages", route, status, took) }
	if c.citizen.publicURL != "" {
		pc.Citizen, pc.Invitations, pc.PublicURL = svc, svc, c.citizen.publicURL
		pc.PublicLimits.ClientIPHeader = c.citizen.clientIPHeader
		if r := c.citizen.rate; r > 0 {
			pc.PublicLimits.Total, pc.PublicLimits.TotalBurst = rate.Limit(r), int(2*r)
		}
	}
	pages, err := web.New(pc)
	if err != nil {
		return nil, fmt.Errorf("the pages could not be set up: %w", err)
	}
	return splitPages(apiHandler, pages), nil
}

// sweeper returns the retention sweeper over the store, under the rules of
// the policy in force.
func (c components) sweeper() *retention.Sweeper {
	return retention.New(retention.Config{Store: c.store, Rules: c.policy, Holder: holderName("server"), Logger: c.logger})
}

// observeStore registers what the store and the service can tell of
// themselves: the data-key cache, and on PostgreSQL the audit log's group
// commits and the connection pool.
func observeStore(m *metrics.Metrics, st store, svc *vault.Service) {
	for _, result := range []string{"hit", "miss"} {
		m.Count("candour_data_key_cache_total", "Data key look-ups, by whether the cache held the key.",
			prometheus.Labels{"result": result}, func() float64 {
				hits, misses := svc.CacheStats()
				if result == "hit" {
					return float64(hits)
				}
				return float64(misses)
			})
	}
	pg, ok := st.(*postgres.DB)
	if !ok {
		return
	}
	pg.ObserveAuditBatches(m.AuditBatch)
	for _, state := range []string{"acquired", "idle", "total", "max"} {
		m.Gauge("candour_db_pool_connections", "PostgreSQL connections of the pool, by state (max: the most it may open).",
			prometheus.Labels{"state": state}, func() float64 {
				acquired, idle, total, max := pg.PoolStats()
				switch state {
				case "acquired":
					return float64(acquired)
				case "idle":
					return float64(idle)
				case "total":
					return float64(total)
				}
				return float64(max)
			})
	}
}

// splitPages sends the API's paths to the API and every other path to the
// pages.
func splitPages(apiHandler, pages http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if strings.HasPrefix(p, "/v1/") || strings.HasPrefix(p, "/.well-known/") ||
			p == "/livez" || p == "/readyz" || p == "/metrics" || p == "/openapi.json" {
			apiHandler.ServeHTTP(w, r)
			return
		}
		pages.ServeHTTP(w, r)
	})
}

// insightDeps derives the key of insight's noise from the key provider's
// keyed hash, so that only the server can compute it, and builds the
// redactor that every comment passes through.
func insightDeps(ctx context.Context, keys vault.KEK) (*insight.Noise, *redact.Redactor, error) {
	key, err := keys.SubjectHash(ctx, insight.NoiseKeyLabel)
	if err != nil {
		return nil, nil, fmt.Errorf("the key provider could not derive insight's noise key: %w", err)
	}
	noise, err := insight.NewNoise(key)
	if err != nil {
		return nil, nil, err
	}
	r, err := redact.New()
	if err != nil {
		return nil, nil, fmt.Errorf("the redactor's word lists cannot be read: %w", err)
	}
	return noise, r, nil
}

// releaseFlags are the flags that say when months are released for insight.
type releaseFlags struct {
	embargo, interval *time.Duration
}

func addReleaseFlags(fs *flag.FlagSet) releaseFlags {
	return releaseFlags{
		embargo:  fs.Duration("release-embargo", insight.DefaultEmbargo, "how long after a month ends it is released for insight (once; it never changes after)"),
		interval: fs.Duration("release-interval", time.Hour, "how often to look for months to release"),
	}
}

func (f releaseFlags) check(cmd string) error {
	if *f.embargo < 0 || *f.interval <= 0 {
		return usageError{cmd + ": --release-embargo must not be negative and --release-interval must be positive"}
	}
	return nil
}

// releaser returns the releaser of c's store, for the agencies of c's
// policy, with c's embargo.
func (c components) releaser() *insight.Releaser {
	return insight.NewReleaser(c.store, c.store, c.embargo, c.policy.Agencies, c.logger)
}

// ready names what /readyz checks: the database, the policy (it must
// decide), and the key provider when it can be down (Vault: reachable,
// unsealed, and the service's token valid).
func (c components) ready() map[string]candour.Pinger {
	r := map[string]candour.Pinger{"database": c.store, "policy": c.policy}
	if p, ok := c.keys.(candour.Pinger); ok {
		r["keys"] = p
	}
	return r
}

// isPostgres reports whether a --database value names PostgreSQL.
func isPostgres(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// applyConfig fills every flag not given on the command line from the
// environment (CANDOUR_ADDR for --addr, CANDOUR_POLICY_DIR for --policy-dir …)
// and then from the JSON config file, if one is named: flags win over the
// environment, which wins over the file.
func applyConfig(fs *flag.FlagSet, file string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	fileValues := map[string]any{}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("the config file cannot be read: %w", err)
		}
		if err := json.Unmarshal(b, &fileValues); err != nil {
			return fmt.Errorf("the config file %s is not a JSON object", file)
		}
		for k := range fileValues {
			if fs.Lookup(k) == nil || k == "config" {
				return usageError{fmt.Sprintf("%s: the config file names %q, which is not a flag of this command", fs.Name(), k)}
			}
		}
	}
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil {
			return
		}
		env := "CANDOUR_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok {
			if e := f.Value.Set(v); e != nil {
				err = usageError{fmt.Sprintf("%s: %s: %v", fs.Name(), env, e)}
			}
			return
		}
		if v, ok := fileValues[f.Name]; ok {
			if e := f.Value.Set(fmt.Sprint(v)); e != nil {
				err = usageError{fmt.Sprintf("%s: config file %s: %v", fs.Name(), f.Name, e)}
			}
		}
	})
	return err
}

// openStore opens the database a --database value names: PostgreSQL for a
// postgres:// URL, else an SQLite file path. With migrate, the schema is
// brought up to date first (dev); without, an out-of-date schema is refused.
func openStore(ctx context.Context, database string, migrate bool) (store, func(), error) {
	if !isPostgres(database) {
		db, err := sqlite.Open(ctx, database)
		if err != nil {
			return nil, nil, fmt.Errorf("the database %s could not be opened: %w", database, err)
		}
		return db, func() { db.Close() }, nil
	}
	if migrate {
		if err := postgres.EnsureRoles(ctx, database); err != nil {
			return nil, nil, err
		}
		if _, err := postgres.Migrate(ctx, database); err != nil {
			return nil, nil, err
		}
	}
	db, err := postgres.Open(ctx, database)
	if err != nil {
		return nil, nil, err
	}
	return db, db.Close, nil
}

// redactURL hides the password of a database URL for printing.
func redactURL(s string) string {
	u, err := neturl.Parse(s)
	if err != nil {
		return "URL withheld"
	}
	return u.Redacted()
}

// checkpointEvery integrates new audit entries and signs a checkpoint every
// interval until ctx ends; a failure is logged and tried again next time.
func checkpointEvery(ctx context.Context, tree *audit.Log, interval time.Duration, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := tree.Checkpoint(ctx); err != nil && ctx.Err() == nil {
				logger.Error("audit checkpoint failed", "err", err)
			}
		}
	}
}

// keyPassphrase is the passphrase of a protected key file. It is read from
// CANDOUR_KEY_PASSPHRASE only, never from a flag, so that it does not show in
// the process list.
func keyPassphrase() string { return os.Getenv("CANDOUR_KEY_PASSPHRASE") }
