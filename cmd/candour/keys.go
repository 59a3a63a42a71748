package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/candour-vault/candour/vault/keyring"
)

// runKeys handles `candour keys init --key-file PATH`.
func runKeys(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "init" {
		return usageError{"keys: the only subcommand is 'init --key-file PATH'"}
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
