package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/candour-vault/candour/postgres"
	"github.com/candour-vault/candour/postgres/pgtest"
	"github.com/candour-vault/candour/sqlite"
)

// Openers open an empty store of each kind, for the tests of packages that
// run on both: SQLite in the test's temporary directory, and a migrated
// PostgreSQL database of its own (pgtest) as the application role. Each is
// closed when the test ends. A package using them runs pgtest.Main.
func Openers() map[string]func(t *testing.T) Lifecycle {
	return map[string]func(t *testing.T) Lifecycle{
		"sqlite": func(t *testing.T) Lifecycle {
			db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "candour.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
		"postgres": func(t *testing.T) Lifecycle {
			d := pgtest.NewMigratedDatabase(t)
			db, err := postgres.Open(context.Background(), d.AppURL)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(db.Close)
			return db
		},
	}
}
