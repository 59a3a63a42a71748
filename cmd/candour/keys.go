package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/vault"
	"github.com/candour-vault/candour/vault/keyring"
	"github.com/candour-vault/candour/vault/transit"
)

// runKeys handles `candour keys init|rotate`.
func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "rotate" {
		return runKeysRotate(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "init" {
		return usageError{"keys: use 'init --key-file PATH' or 'rotate ...'"}
	}
	fs := flag.NewFlagSet("keys init", flag.ContinueOnError)
	keyFile := fs.String("key-file", "", "where to create the key file (mode 0600)")
	if err := parseFlags(fs, args[1:], stdout); err != nil {
		return err
	}
	if *keyFile == "" {
		return usageError{"keys init: --key-file is required"}
	}
	if _, err := os.Stat(*keyFile); !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s already exists; it is never overwritten, since records sealed under it would become unreadable", *keyFile)
	}
	if _, err := keyring.LoadOrCreate(*keyFile, keyPassphrase()); err != nil {
		return err
	}
	protected := "not protected by a passphrase (set CANDOUR_KEY_PASSPHRASE to protect one)"
	if keyPassphrase() != "" {
		protected = "protected by the passphrase in CANDOUR_KEY_PASSPHRASE"
	}
	fmt.Fprintf(stdout, "Created the key file %s (mode 0600), %s. Keep it secret and backed up apart from the database.\n", *keyFile, protected)
	return nil
}

// rotator is a key provider that can rotate its key-encryption key.
type rotator interface {
	CurrentVersion(ctx context.Context) (int, error)
	OldestVersion(ctx context.Context) (int, error)
	KeyVersion(wrapped []byte) (int, error)
	RotateKEK(ctx context.Context) (int, error)
	RewrapKeys(ctx context.Context, wrapped [][]byte) ([][]byte, error)
	RetireBelow(ctx context.Context, version int) error
}

var (
	_ rotator = (*keyring.Keyring)(nil)
	_ rotator = (*transit.Provider)(nil)
)

// keyRows is what rotation needs of the database.
type keyRows interface {
	vault.KeyLister
	ReplaceDataKey(ctx context.Context, id string, old, new []byte) (bool, error)
}

func runKeysRotate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("keys rotate", flag.ContinueOnError)
	config := fs.String("config", "", "optional JSON file of flag values")
	database := fs.String("database", "", "the database: a postgres:// URL or an SQLite file")
	keys := fs.String("keys", "keyring", "key provider: keyring or transit")
	keyFile := fs.String("key-file", "", "the keyring's key file")
	vaultAddr := fs.String("vault-addr", "", "Vault's address, for --keys transit")
	vaultToken := fs.String("vault-token", "", "a Vault token with deploy/vault/candour-rotate.hcl (better: CANDOUR_VAULT_TOKEN)")
	batch := fs.Int("batch", 500, "data keys rewrapped per provider call")
	operator := operatorFlag(fs)
	grace := fs.Duration("grace", 2*time.Minute, "wait before the last sweep and retiring old versions; must exceed the servers' --key-pool-max-age")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if err := applyConfig(fs, *config); err != nil {
		return err
	}
	switch {
	case *database == "":
		return usageError{"keys rotate: --database is required"}
	case *keys == "keyring" && *keyFile == "":
		return usageError{"keys rotate: --key-file is required with --keys keyring"}
	case *keys == "transit" && *vaultAddr == "":
		return usageError{"keys rotate: --vault-addr is required with --keys transit"}
	case *keys != "keyring" && *keys != "transit":
		return usageError{"keys rotate: --keys must be keyring or transit"}
	case *batch < 1 || *batch > 10000:
		return usageError{"keys rotate: --batch must be from 1 to 10000"}
	}
	var rot rotator
	var err error
	if *keys == "transit" {
		rot, err = transit.New(ctx, transit.Config{Address: *vaultAddr, Token: *vaultToken})
	} else {
		rot, err = keyring.Load(*keyFile, keyPassphrase())
	}
	if err != nil {
		return err
	}
	db, closeDB, err := openStore(ctx, *database, false)
	if err != nil {
		return err
	}
	defer closeDB()
	r := rotation{rot: rot, rows: db, batch: *batch, bar: newProgress(stderr, "rewrapping: %d data keys", int64(*batch))}

	current, err := rot.CurrentVersion(ctx)
	if err != nil {
		return err
	}
	oldest, err := rot.OldestVersion(ctx)
	if err != nil {
		return err
	}
	pending, err := r.sweep(ctx, current, false)
	if err != nil {
		return err
	}
	switch {
	case pending > 0:
		fmt.Fprintf(stdout, "Resuming: %d data keys are still wrapped under versions below %d.\n", pending, current)
	case oldest < current:
		fmt.Fprintf(stdout, "Resuming: every data key is under version %d; versions from %d are not retired yet.\n", current, oldest)
	default:
		if current, err = rot.RotateKEK(ctx); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Rotated the key-encryption key to version %d.\n", current)
	}
	n, err := r.sweep(ctx, current, true)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Rewrapped %d data keys under version %d. Waiting %v for servers' pooled keys to age out.\n", n, current, *grace)
	select {
	case <-time.After(*grace):
	case <-ctx.Done():
		return fmt.Errorf("interrupted before retiring old versions; run the command again to finish")
	}
	m, err := r.sweep(ctx, current, true)
	if err != nil {
		return err
	}
	if err := rot.RetireBelow(ctx, current); err != nil {
		return err
	}
	if err := auditOperator(ctx, db, operatorEntry(*operator, candour.ActionKeysRotate, fmt.Sprintf("version=%d", current), candour.OutcomeOK)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Rewrapped %d more; versions below %d are retired. Every data key is under version %d.\n", m, current, current)
	return nil
}

// rotation rewraps stored data keys in batches.
type rotation struct {
	rot   rotator
	rows  keyRows
	batch int
	bar   *progress
}

// sweep finds every data key wrapped below version and, with rewrap, wraps it
// again under the current version, replacing it only if it is unchanged (a
// key erased meanwhile stays erased). It returns how many keys it found.
func (r rotation) sweep(ctx context.Context, version int, rewrap bool) (int64, error) {
	var found int64
	after := ""
	for {
		page, err := r.rows.DataKeysAfter(ctx, after, r.batch)
		if err != nil {
			return found, err
		}
		if len(page) == 0 {
			r.bar.done()
			return found, nil
		}
		after = page[len(page)-1].ID
		var old []candour.WrappedKey
		for _, k := range page {
			if v, err := r.rot.KeyVersion(k.Wrapped); err != nil || v < version {
				old = append(old, k)
			}
		}
		found += int64(len(old))
		if !rewrap || len(old) == 0 {
			continue
		}
		wrapped := make([][]byte, len(old))
		for i, k := range old {
			wrapped[i] = k.Wrapped
		}
		fresh, err := r.rot.RewrapKeys(ctx, wrapped)
		if err != nil {
			return found, fmt.Errorf("rewrap: %w", err)
		}
		for i, k := range old {
			if _, err := r.rows.ReplaceDataKey(ctx, k.ID, k.Wrapped, fresh[i]); err != nil {
				return found, err
			}
		}
		r.bar.at(found)
	}
}
