// Package apitest runs a whole Candour in a test: the real HTTP API over
// SQLite in a temporary directory, the local keyring, the embedded policy,
// the audit log, insight with its releaser, and the dev token issuer. Tests
// of the API and the insight attack suite use it; it is wiring only, for
// tests, and no production code imports it.
package apitest

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/api"
	"github.com/candour-vault/candour/audit"
	"github.com/candour-vault/candour/insight"
	"github.com/candour-vault/candour/policy"
	"github.com/candour-vault/candour/redact"
	"github.com/candour-vault/candour/retention"
	"github.com/candour-vault/candour/sqlite"
	"github.com/candour-vault/candour/vault"
	"github.com/candour-vault/candour/vault/keyring"
)

// Server is a running Candour and its parts.
type Server struct {
	URL      string
	Issuer   *api.Issuer
	DB       *sqlite.DB
	DBPath   string
	Tree     *audit.Log
	Feedback *vault.Service
	Releaser *insight.Releaser
}

// Start starts a Server that stops when t ends. Months are released with no
// embargo: when the test calls Release, and, as in production, when an
// analyst asks and the releaser has not looked for MinGap.
func Start(t *testing.T) *Server {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "candour.db")
	db, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keys, err := keyring.LoadOrCreate(filepath.Join(dir, "keyring.json"))
	if err != nil {
		t.Fatal(err)
	}
	iss, err := api.LoadOrCreateIssuer(filepath.Join(dir, "issuer.key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.Load(ctx, policy.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	skey, _, err := audit.GenerateKey("candour.test/audit")
	if err != nil {
		t.Fatal(err)
	}
	tree, err := audit.NewLog(db, skey)
	if err != nil {
		t.Fatal(err)
	}
	noiseKey, err := keys.SubjectHash(ctx, insight.NoiseKeyLabel)
	if err != nil {
		t.Fatal(err)
	}
	noise, err := insight.NewNoise(noiseKey)
	if err != nil {
		t.Fatal(err)
	}
	red, err := redact.New()
	if err != nil {
		t.Fatal(err)
	}
	sweeper := retention.New(retention.Config{Store: db, Rules: pol, Holder: "apitest"})
	feedback := vault.New(vault.Config{Store: db, DataKeys: db, Log: db, Keys: keys, Policy: pol, Retention: sweeper,
		LinkBase: "https://feedback.test"})
	releaser := insight.NewReleaser(db, db, 0, pol.Agencies, nil)
	srv := httptest.NewServer(api.New(api.Config{
		Feedback:    feedback,
		Invitations: feedback,
		Audit:       audit.NewService(db, db, tree, pol, nil),
		Insight: insight.NewService(insight.Config{Store: db, Opener: feedback, Redactor: red, Log: db, Policy: pol, Noise: noise,
			Releaser: releaser}),
		Auth:  api.NewVerifier(iss, api.DevIssuer, api.DevAudience, nil),
		JWKS:  iss.JWKS(),
		Ready: map[string]candour.Pinger{"database": db},
	}))
	t.Cleanup(srv.Close)
	return &Server{URL: srv.URL, Issuer: iss, DB: db, DBPath: dbPath, Tree: tree, Feedback: feedback, Releaser: releaser}
}

// Release releases every month that has ended, as the server's schedule
// would once the embargo has passed.
func (s *Server) Release(t *testing.T) {
	t.Helper()
	if _, err := s.Releaser.Run(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
}

// Token mints a dev token for a principal.
func (s *Server) Token(t *testing.T, sub string, role candour.Role, agency string) string {
	t.Helper()
	tok, err := s.Issuer.Mint(sub, agency, []candour.Role{role}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
