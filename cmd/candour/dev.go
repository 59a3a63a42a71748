package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/api"
	"github.com/candour-vault/candour/audit"
	"github.com/candour-vault/candour/demo"
	"github.com/candour-vault/candour/policy"
	"github.com/candour-vault/candour/vault"
	"github.com/candour-vault/candour/vault/keyring"
	"github.com/candour-vault/candour/web"
)

// devTokens are the tokens `candour dev` prints at start: one per role.
var devTokens = []struct {
	env    string
	role   candour.Role
	agency string
}{
	{"CASEWORKER", candour.RoleCaseworker, "victim-support-north"},
	{"ANALYST", candour.RoleAnalyst, "police-north"},
	{"AUDITOR", candour.RoleAuditor, "victim-support-north"},
	{"ADMIN", candour.RoleAdmin, "victim-support-north"},
}

func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8420", "loopback address to listen on")
	dataDir := fs.String("data-dir", "", "directory for the database and keys (default: a new temporary directory)")
	seed := fs.Int("seed", 0, "load this many synthetic feedback records at start")
	database := fs.String("database", "", "PostgreSQL URL to use instead of the embedded SQLite (migrated at start)")
	checkpoints := fs.Duration("checkpoint-interval", time.Minute, "how often to sign a checkpoint of the audit log when it has grown")
	poolAge := fs.Duration("key-pool-max-age", time.Minute, "how long pre-wrapped fresh data keys wait before use; a key rotation's --grace must be longer")
	policyDir := fs.String("policy-dir", "", "policy directory (Rego and data.json) to use instead of the embedded one; reloaded on change and on SIGHUP")
	release := addReleaseFlags(fs)
	sweeps := fs.Duration("retention-interval", time.Hour, "how often the retention sweeper runs; 0 turns it off")
	citizen := addCitizenFlags(fs, false)
	cpuProfile := fs.String("cpu-profile", "", "write a CPU profile of the server to this file until it stops (for docs/benchmarks.md)")
	allocProfile := fs.String("alloc-profile", "", "write a profile of the server's allocations to this file when it stops (for docs/benchmarks.md)")
	traceFile := fs.String("trace", "", "write an execution trace of the server to this file until it stops (for docs/benchmarks.md; `go tool trace` reads it)")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if err := release.check("dev"); err != nil {
		return err
	}
	if err := checkLoopback(*addr); err != nil {
		return err
	}
	channel, err := citizen.channel("dev", "")
	if err != nil {
		return err
	}
	if *seed < 0 || *seed > 1_000_000 {
		return usageError{"dev: --seed must be from 0 to 1000000"}
	}
	dir, err := prepareDataDir(*dataDir)
	if err != nil {
		return err
	}
	if *dataDir == "" {
		// A directory of our own making, keys and all, goes when we stop
		// (after the database is closed: deferred first, run last).
		defer os.RemoveAll(dir)
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))

	if *database == "" {
		*database = filepath.Join(dir, "candour.db")
	} else if !isPostgres(*database) {
		return usageError{"dev: --database must be a postgres:// URL (without it, SQLite in the data directory is used)"}
	}
	db, closeDB, err := openStore(ctx, *database, true)
	if err != nil {
		return err
	}
	defer closeDB()
	keys, err := keyring.LoadOrCreate(filepath.Join(dir, "keyring.json"), keyPassphrase())
	if err != nil {
		return fmt.Errorf("the key file could not be loaded: %w", err)
	}
	issuer, err := api.LoadOrCreateIssuer(filepath.Join(dir, issuerFile), nil)
	if err != nil {
		return fmt.Errorf("the dev token issuer could not be set up: %w", err)
	}
	skey, err := audit.LoadOrCreateKey(filepath.Join(dir, "audit.key"), "candour.dev/"+filepath.Base(dir))
	if err != nil {
		return err
	}
	tree, err := audit.NewLog(db, skey)
	if err != nil {
		return err
	}
	pol, err := loadPolicy(ctx, *policyDir, logger)
	if err != nil {
		return err
	}
	if *seed > 0 {
		svc := vault.New(vault.Config{Store: db, DataKeys: db, Log: db, Keys: keys, Policy: pol, Logger: logger})
		if err := seedRecords(ctx, svc, *seed, stdout); err != nil {
			return err
		}
	}
	noise, red, err := insightDeps(ctx, keys)
	if err != nil {
		return err
	}
	c := components{poolAge: *poolAge, store: db, tree: tree, keys: keys, policy: pol, logger: logger, noise: noise, redact: red, embargo: *release.embargo,
		auth: api.NewVerifier(issuer, api.DevIssuer, api.DevAudience, nil), jwks: issuer.JWKS(),
		pages: &web.Config{DevPeople: web.DefaultDevPeople(), SecureCookies: false}}
	releaser := c.releaser()
	released, err := releaser.Run(ctx, time.Now())
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", *addr, err)
	}
	// Feedback links point at this dev server.
	c.citizen = channel
	c.citizen.publicURL = "http://" + ln.Addr().String()
	handler, err := c.handler(ctx)
	if err != nil {
		ln.Close()
		return err
	}
	if err := printBanner(stdout, issuer, dir, *dataDir == "", *database, ln.Addr().String(), pol.Revision(), tree.VerifierKey()); err != nil {
		ln.Close()
		return err
	}
	fmt.Fprintf(stdout, "Insight: %s\n", describeReleases(released))
	go checkpointEvery(ctx, tree, *checkpoints, logger)
	go releaser.Every(ctx, *release.interval, time.Now)
	if *sweeps > 0 {
		go c.sweeper().Every(ctx, *sweeps)
	}
	for _, p := range []profiler{{*cpuProfile, startCPUProfile}, {*allocProfile, startAllocProfile}, {*traceFile, startTrace}} {
		if p.path == "" {
			continue
		}
		stop, err := p.start(p.path)
		if err != nil {
			ln.Close()
			return err
		}
		defer func() {
			if err := stop(); err != nil {
				logger.Error("a profile could not be written", "err", err)
			}
		}()
	}
	return serve(ctx, ln, handler, logger)
}

// describeReleases says in a sentence which months a release at start took.
func describeReleases(rels []candour.Release) string {
	if len(rels) == 0 {
		return "no month was ready to release at start (a month is released once it has been closed for the embargo)."
	}
	n := 0
	for _, r := range rels {
		n += r.Records
	}
	return fmt.Sprintf("released %d month(s), %s to %s, holding %d records.", len(rels), rels[0].Period, rels[len(rels)-1].Period, n)
}

// loadPolicy loads the embedded policy, or the one in dir; a directory is
// watched for changes and reloaded on SIGHUP until ctx ends.
func loadPolicy(ctx context.Context, dir string, logger *slog.Logger) (*policy.Dynamic, error) {
	if dir == "" {
		pol, err := policy.NewDynamic(ctx, policy.Embedded(), logger)
		if err != nil {
			return nil, fmt.Errorf("the embedded policy could not be loaded: %w", err)
		}
		return pol, nil
	}
	pol, err := policy.NewDynamic(ctx, os.DirFS(dir), logger)
	if err != nil {
		return nil, fmt.Errorf("the policy in %s could not be loaded (try 'candour policy check %s'): %w", dir, dir, err)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	reload := make(chan struct{})
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				select {
				case reload <- struct{}{}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	go pol.Watch(ctx, 2*time.Second, reload)
	return pol, nil
}

// checkLoopback refuses any address that is not on the loopback interface:
// dev mode has no real identity provider and must not be reachable.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usageError{fmt.Sprintf("dev: --addr %q is not host:port", addr)}
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return usageError{fmt.Sprintf("dev: --addr must be a loopback address such as 127.0.0.1:8420, not %q; dev mode is not for a network", addr)}
	}
	return nil
}

func prepareDataDir(dir string) (string, error) {
	if dir == "" {
		d, err := os.MkdirTemp("", "candour-dev-")
		if err != nil {
			return "", fmt.Errorf("no temporary data directory could be made: %w", err)
		}
		return d, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("the data directory %s could not be made: %w", dir, err)
	}
	return dir, nil
}

// seedRecords submits n synthetic records through the feedback service, so
// they are sealed and audited exactly like a caseworker's.
func seedRecords(ctx context.Context, svc *vault.Service, n int, stdout io.Writer) error {
	start := time.Now()
	for i, r := range demo.Generate(uint64(time.Now().UnixNano()), n, time.Now()) {
		c := candour.Caller{Principal: candour.Principal{Issuer: api.DevIssuer, Subject: r.Submitter,
			Agency: r.Agency, Roles: []candour.Role{candour.RoleCaseworker}}, RequestID: fmt.Sprintf("seed-%d", i)}
		if _, err := svc.Submit(ctx, c, r.Feedback, candour.Idempotency{}); err != nil {
			return fmt.Errorf("seeding stopped after %d of %d records: %w", i, n, err)
		}
	}
	fmt.Fprintf(stdout, "Seeded %d synthetic records in %s.\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}

func printBanner(w io.Writer, iss *api.Issuer, dir string, temporary bool, database, addr, revision, verifierKey string) error {
	var b strings.Builder
	line := strings.Repeat("!", 78)
	fmt.Fprintf(&b, "%s\n!!  CANDOUR DEV MODE - NOT FOR REAL DATA.\n", line)
	fmt.Fprintf(&b, "!!  Keys sit in a plain file, tokens come from a built-in issuer, and the\n")
	fmt.Fprintf(&b, "!!  data directory may be temporary. Never record a real person's feedback here.\n%s\n\n", line)
	where := "SQLite in the data directory"
	if isPostgres(database) {
		where = "PostgreSQL (" + redactURL(database) + ")"
	}
	kept := "kept (--data-dir)"
	if temporary {
		kept = "temporary: removed, keys and all, when candour dev stops"
	}
	fmt.Fprintf(&b, "Data directory: %s (%s)\nDatabase: %s\nPolicy revision: %s\nAudit log verifier key: %s\n\n", dir, kept, where, revision, verifierKey)
	fmt.Fprintf(&b, "The data directory and tokens (valid 12h); paste these lines into your shell:\n")
	fmt.Fprintf(&b, "export DATA=%s\n", dir)
	for _, t := range devTokens {
		tok, err := iss.Mint("dev-"+string(t.role), t.agency, []candour.Role{t.role}, 12*time.Hour)
		if err != nil {
			return fmt.Errorf("minting the dev tokens failed: %w", err)
		}
		fmt.Fprintf(&b, "export %s=%s   # %s, %s\n", t.env, tok, t.role, t.agency)
	}
	fmt.Fprintf(&b, "\nMore tokens: candour token --data-dir %s --role caseworker --agency police-north\n", dir)
	fmt.Fprintf(&b, "(from the source tree without installing: go run ./cmd/candour token …; to install: go install ./cmd/candour)\n\n")
	fmt.Fprintf(&b, "Pages: open http://%s/ in a browser and pick a demo person to sign in as.\n", addr)
	fmt.Fprintf(&b, "Listening on http://%s\n", addr)
	_, err := io.WriteString(w, b.String())
	return err
}

// addressFree is the HTTP server's own error log (a TLS handshake that
// failed, a connection read error) with client addresses taken out: no IP
// address reaches a log.
type addressFree struct{ logger *slog.Logger }

// clientAddress matches an IPv4 address or a bracketed IPv6 address, with
// or without a port.
var clientAddress = regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b|\[[0-9A-Fa-f:.%a-z]+\](?::\d+)?`)

func (a addressFree) Write(p []byte) (int, error) {
	a.logger.Warn(clientAddress.ReplaceAllString(strings.TrimSpace(string(p)), "[address]"))
	return len(p), nil
}

// maxHeaderBytes bounds a request's headers; larger ones get 431.
const maxHeaderBytes = 16 << 10

// serve runs the HTTP server on ln until ctx ends, then drains it.

func serve(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          log.New(addressFree{logger}, "", 0),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("the HTTP server stopped: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
