// Package sqlitetest opens the embedded SQLite store for tests, as pgtest
// does PostgreSQL.
package sqlitetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/candour-vault/candour/sqlite"
)

// Open returns a new, migrated store in a file of the test's own temporary
// directory, closed when the test ends; the test fails if it cannot open.
func Open(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "candour.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
