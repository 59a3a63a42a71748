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
	if _, err := keyring.LoadOrCreate(*keyFile); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Created the key file %s (mode 0600). Keep it secret and backed up apart from the database.\n", *keyFile)
	return nil
}
