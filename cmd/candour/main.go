// Command candour is Candour's one binary, and the only place that reads
// flags and wires the packages together.
//
//	candour dev    [--addr 127.0.0.1:8420] [--data-dir DIR] [--seed N] [--policy-dir DIR]
//	candour token  --data-dir DIR --role ROLE --agency AGENCY [--sub NAME] [--ttl 1h]
//	candour server --database URL --key-file FILE --policy-dir DIR --jwks-url URL --issuer ISS [--addr ...]
//	candour migrate [up|status] --database URL
//	candour keys init --key-file FILE
//	candour audit init-key|export|verify ...
//	candour policy check DIR
//
// Exit status: 0 on success, 1 on failure, 2 on bad usage. Errors are one
// plain sentence on stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `Candour: a privacy-first vault for feedback from people who use public services.

Usage:
  candour dev    [--addr 127.0.0.1:8420] [--data-dir DIR] [--seed N] [--policy-dir DIR] [--database URL]
                 run everything on embedded defaults, for trying Candour (not for real data)
  candour token  --data-dir DIR --role ROLE --agency AGENCY [--sub NAME] [--ttl 1h]
                 mint a token from the dev issuer whose key is in DIR
  candour server --database URL --key-file FILE --policy-dir DIR --jwks-url URL --issuer ISS [--addr ...]
                 run in production: PostgreSQL, an OIDC issuer's tokens, your policy
  candour migrate [up|status] --database URL
                 bring a PostgreSQL schema up to date, or show its migrations
  candour keys init --key-file FILE
                 create a key file for the keyring provider
  candour keys rotate --database URL (--key-file FILE | --keys transit --vault-addr URL)
                 rotate the key-encryption key, rewrap every data key, retire the old version
  candour audit init-key --audit-key FILE --origin NAME
                 create the audit log's signing key
  candour audit export --database URL
                 write the audit log as JSON lines
  candour audit verify (--database URL | --log FILE) --verifier-key KEY [--checkpoint FILE ...]
                 recompute the audit log's tree and check it against signed checkpoints
                 (exit 0: consistent with every checkpoint; 3: no checkpoint to check
                 against, internal consistency only; 1: a problem, named)
  candour policy check DIR
                 compile a policy directory, check its data, run its Rego tests and
                 specialise it to sample callers (docs/policy.md)
  candour retention run --database URL [--policy-dir DIR] [--dry-run]
                 destroy what the policy's retention rules make due (legal holds kept);
                 with --dry-run, say what that would be and change nothing

Run 'candour COMMAND -h' for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError is bad usage: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// exitStatus is an outcome that is not a failure but must not read as a
// plain success either: its message goes to standard output and the command
// exits with its code (audit verify without a checkpoint: 3).
type exitStatus struct {
	code int
	msg  string
}

func (e exitStatus) Error() string { return e.msg }

// run executes one command and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "dev":
		err = runDev(ctx, args[1:], stdout, stderr)
	case "token":
		err = runToken(args[1:], stdout)
	case "policy":
		err = runPolicy(ctx, args[1:], stdout)
	case "server":
		err = runServer(ctx, args[1:], stdout, stderr)
	case "migrate":
		err = runMigrate(ctx, args[1:], stdout)
	case "keys":
		err = runKeys(ctx, args[1:], stdout, stderr)
	case "audit":
		err = runAudit(ctx, args[1:], stdout, stderr)
	case "retention":
		err = runRetention(ctx, args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		err = usageError{fmt.Sprintf("unknown command %q; run 'candour help' for the list", args[0])}
	}
	var (
		ue usageError
		es exitStatus
	)
	switch {
	case err == nil:
		return 0
	case errors.As(err, &es):
		fmt.Fprintln(stdout, es.msg)
		return es.code
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "candour: %s.\n", ue.msg)
		return 2
	default:
		fmt.Fprintf(stderr, "candour: %s.\n", err)
		return 1
	}
}

// parseFlags parses args into fs, turning flag errors into usage errors and
// printing the flag list only when asked for.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprintf(stdout, "Usage of candour %s:\n", fs.Name())
			fs.PrintDefaults()
			return err
		}
		return usageError{fmt.Sprintf("%s: %v", fs.Name(), err)}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
}
