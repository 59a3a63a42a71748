package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/postgres"
)

// runMigrate handles `candour migrate [up|status]`.
func runMigrate(ctx context.Context, args []string, stdout io.Writer) error {
	sub := "up"
	if len(args) > 0 && (args[0] == "up" || args[0] == "status") {
		sub, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	config := fs.String("config", "", "optional JSON file of flag values")
	database := fs.String("database", "", "PostgreSQL URL, connecting as the migration role (candour_owner)")
	operator := operatorFlag(fs)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if err := applyConfig(fs, *config); err != nil {
		return err
	}
	if !isPostgres(*database) {
		return usageError{"migrate: --database must be a postgres:// URL (SQLite databases migrate themselves)"}
	}
	if sub == "status" {
		st, err := postgres.Status(ctx, *database)
		if err != nil {
			return err
		}
		for _, s := range st {
			when := "pending"
			if !s.AppliedAt.IsZero() {
				when = "applied " + s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
			}
			fmt.Fprintf(stdout, "%5d  %-40s %s\n", s.Version, s.Name, when)
		}
		return nil
	}
	applied, err := postgres.Migrate(ctx, *database)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "The schema is up to date; nothing to apply.")
		return nil
	}
	db, err := postgres.Open(ctx, *database)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := auditOperator(ctx, db, operatorEntry(*operator, actionSchemaMigrate, fmt.Sprint("applied=", applied), candour.OutcomeOK)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Applied %d migration(s): %v.\n", len(applied), applied)
	return nil
}
