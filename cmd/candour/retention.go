package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/retention"
)

// runRetention handles `candour retention run [--dry-run]`.
func runRetention(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "run" {
		return usageError{"retention: the only subcommand is 'run --database URL [--policy-dir DIR] [--dry-run]'"}
	}
	fs := flag.NewFlagSet("retention run", flag.ContinueOnError)
	config := fs.String("config", "", "optional JSON file of flag values")
	database := fs.String("database", "", "the database: a postgres:// URL or an SQLite file")
	policyDir := fs.String("policy-dir", "", "the policy directory whose retention rules apply (empty: the embedded policy)")
	dryRun := fs.Bool("dry-run", false, "say what would be destroyed, and change nothing")
	if err := parseFlags(fs, args[1:], stdout); err != nil {
		return err
	}
	if err := applyConfig(fs, *config); err != nil {
		return err
	}
	if *database == "" {
		return usageError{"retention run: --database is required"}
	}
	pol, err := loadPolicy(ctx, *policyDir, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	db, closeDB, err := openStore(ctx, *database, false)
	if err != nil {
		return err
	}
	defer closeDB()
	sw := retention.New(retention.Config{Store: db, Rules: pol, Holder: holderName("cli")})
	bar := newProgress(stderr, "retention: %d records read", 5000)
	if *dryRun {
		plan, err := sw.Plan(ctx, "", time.Now().UTC(), func(read, _, _ int) { bar.at(int64(read)) })
		bar.done()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Dry run under policy %s: nothing was changed.\n", plan.Revision)
		fmt.Fprintf(stdout, "Read %d records that could be due. A sweep now would destroy %d%s, keep %d under a legal hold, and destroy the released copies of %d month cells.\n",
			plan.Examined, len(plan.Destroyable()), byRule(plan.ByRule()), plan.Held(), len(plan.Cells))
		return nil
	}
	start := time.Now()
	sweep, err := sw.Run(ctx, func(read, gone, due int) {
		if due == 0 {
			bar.at(int64(read))
			return
		}
		bar.of(int64(gone), int64(due), "records destroyed")
	})
	bar.done()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Swept under policy %s in %s: read %d records that could be due, destroyed %d%s, kept %d under a legal hold.\n",
		sweep.Revision, time.Since(start).Round(time.Millisecond), sweep.Examined, sweep.Destroyed, byRule(sweep.ByRule), sweep.Held)
	if sweep.Invitations > 0 {
		fmt.Fprintf(stdout, "Deleted %d feedback links that expired more than %d days ago.\n", sweep.Invitations, int(candour.InvitationKeep.Hours()/24))
	}
	if sweep.Destroyed > 0 {
		fmt.Fprintf(stdout, "The audit log names every destroyed record, in entries up to sequence number %d.\n", sweep.AuditSeq)
	}
	return nil
}

// byRule writes counts by rule as " (rule: n, rule: n)", or "".
func byRule(counts map[string]int) string {
	if len(counts) == 0 {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%s: %d", k, counts[k]))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// holderName names this process in the retention lease: host, process
// and a random part, so that no two sweepers share a name.
func holderName(kind string) string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s/%s/%d/%s", kind, host, os.Getpid(), hex.EncodeToString(b[:]))
}
