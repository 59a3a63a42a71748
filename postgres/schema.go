package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

//go:embed migrations/*.sql
var migrations embed.FS

// SchemaError reports a database whose schema is not the one this binary was
// built for.
type SchemaError struct{ Current, Target int64 }

func (e *SchemaError) Error() string {
	if e.Current < e.Target {
		return fmt.Sprintf("the database schema is at version %d but this Candour needs %d; run 'candour migrate up' first", e.Current, e.Target)
	}
	return fmt.Sprintf("the database schema is at version %d, newer than the %d this Candour knows; upgrade Candour", e.Current, e.Target)
}

// redact replaces an error about a connection string, which may quote the
// string and its password, with a plain one.
func redact(error) error { return errors.New("it cannot be parsed (the URL is not repeated here)") }

func provider(db *sql.DB) (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectPostgres, db, sub)
}

func versions(ctx context.Context, pool *pgxpool.Pool) (current, target int64, err error) {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := provider(db)
	if err != nil {
		return 0, 0, fmt.Errorf("migrations: %w", err)
	}
	sources := p.ListSources()
	target = sources[len(sources)-1].Version
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('goose_db_version') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, 0, unreachable(fmt.Errorf("read schema version: %w", err))
	}
	if !exists {
		return 0, target, nil
	}
	current, err = p.GetDBVersion(ctx)
	if err != nil {
		return 0, 0, unreachable(fmt.Errorf("read schema version: %w", err))
	}
	return current, target, nil
}

// MigrationStatus is one migration and whether it is applied.
type MigrationStatus struct {
	Version   int64
	Name      string
	AppliedAt time.Time // zero when pending
}

// withProvider runs fn with a goose provider on a connection to url.
func withProvider(url string, fn func(*goose.Provider) error) error {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return fmt.Errorf("the database URL is not valid: %w", redact(err))
	}
	defer db.Close()
	p, err := provider(db)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	return unreachable(fn(p))
}

// Migrate applies every pending migration, connected as the migration role,
// and returns the versions it applied.
func Migrate(ctx context.Context, url string) ([]int64, error) {
	var applied []int64
	err := withProvider(url, func(p *goose.Provider) error {
		res, err := p.Up(ctx)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		for _, r := range res {
			applied = append(applied, r.Source.Version)
		}
		return nil
	})
	return applied, err
}

// Status lists every migration this binary knows and whether it is applied.
func Status(ctx context.Context, url string) ([]MigrationStatus, error) {
	var out []MigrationStatus
	err := withProvider(url, func(p *goose.Provider) error {
		st, err := p.Status(ctx)
		if err != nil {
			return fmt.Errorf("migration status: %w", err)
		}
		for _, s := range st {
			out = append(out, MigrationStatus{Version: s.Source.Version, Name: s.Source.Path, AppliedAt: s.AppliedAt})
		}
		return nil
	})
	return out, err
}

// EnsureRoles creates Candour's roles (candour_owner, candour_app) without
// login when they are missing, so that the migrations' grants apply. It is for
// `candour dev` on a local server; production creates the roles with
// deploy/postgres/roles.sql.
func EnsureRoles(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return unreachable(fmt.Errorf("connect to PostgreSQL: %w", err))
	}
	defer conn.Close(ctx)
	for _, role := range []string{"candour_owner", "candour_app"} {
		var exists bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, role).Scan(&exists); err != nil {
			return fmt.Errorf("look up role %s: %w", role, err)
		}
		if exists {
			continue
		}
		_, err := conn.Exec(ctx, "CREATE ROLE "+role+" NOLOGIN")
		var pe *pgconn.PgError
		if err != nil && !(errors.As(err, &pe) && (pe.Code == "42710" || pe.Code == "23505")) {
			return fmt.Errorf("create role %s (create it with deploy/postgres/roles.sql): %w", role, err)
		}
	}
	return nil
}

// unreachable rewrites a failure to connect as one plain sentence: the
// database could not be reached, and why (PostgreSQL's own message, such as
// a database that does not exist or a password refused, or the network's,
// such as a refused connection), without pgx's account of every address it
// tried. The error is kept wrapped. Anything else is returned as it is.
func unreachable(err error) error {
	var ce *pgconn.ConnectError
	if !errors.As(err, &ce) {
		return err
	}
	why := "see the server's log"
	var (
		pe *pgconn.PgError
		oe *net.OpError
	)
	switch {
	case errors.As(err, &pe):
		why = pe.Message
	case errors.As(err, &oe) && oe.Err != nil:
		why = oe.Err.Error()
	}
	return connectError{why: why, err: err}
}

// connectError is unreachable's error.
type connectError struct {
	why string
	err error
}

func (e connectError) Error() string { return "the database cannot be reached: " + e.why }
func (e connectError) Unwrap() error { return e.err }
