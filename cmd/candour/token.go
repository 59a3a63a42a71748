package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/api"
)

// issuerFile is the dev issuer's key file inside the data directory.
const issuerFile = "issuer.key"

func runToken(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "", "the data directory of a `candour dev` (holds the issuer key)")
	role := fs.String("role", "", "caseworker, analyst, auditor or admin")
	agency := fs.String("agency", "", "the principal's agency id, e.g. police-north")
	sub := fs.String("sub", "", "the principal's subject (default dev-ROLE)")
	ttl := fs.Duration("ttl", time.Hour, "how long the token is valid (at most 24h)")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	switch {
	case *dataDir == "":
		return usageError{"token: --data-dir is required"}
	case *role == "":
		return usageError{"token: --role is required"}
	case !candour.Role(*role).Valid():
		return usageError{fmt.Sprintf("token: unknown role %q; want caseworker, analyst, auditor or admin", *role)}
	case *agency == "":
		return usageError{"token: --agency is required"}
	}
	if *sub == "" {
		*sub = "dev-" + *role
	}
	iss, err := api.LoadIssuer(filepath.Join(*dataDir, issuerFile), nil)
	if err != nil {
		return fmt.Errorf("no dev issuer key could be read in %s; start 'candour dev --data-dir %s' first", *dataDir, *dataDir)
	}
	tok, err := iss.Mint(*sub, *agency, []candour.Role{candour.Role(*role)}, *ttl)
	if err != nil {
		return usageError{"token: " + err.Error()}
	}
	fmt.Fprintln(stdout, tok)
	return nil
}
