package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/candour-vault/candour"
	"github.com/candour-vault/candour/audit"
)

// runAudit handles `candour audit init-key|export|verify`.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"audit: give a subcommand: init-key, export or verify"}
	}
	switch args[0] {
	case "init-key":
		return runAuditInitKey(args[1:], stdout)
	case "export":
		return runAuditExport(ctx, args[1:], stdout)
	case "verify":
		return runAuditVerify(ctx, args[1:], stdout, stderr)
	}
	return usageError{fmt.Sprintf("audit: unknown subcommand %q; use init-key, export or verify", args[0])}
}

func runAuditInitKey(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("audit init-key", flag.ContinueOnError)
	path := fs.String("audit-key", "", "where to create the signing key (mode 0600)")
	origin := fs.String("origin", "", "the log's name, e.g. audit.candour.example.org/north")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *path == "" || *origin == "" {
		return usageError{"audit init-key: --audit-key and --origin are required"}
	}
	vkey, err := audit.CreateKey(*path, *origin)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Created the audit signing key %s. Give auditors its verifier key:\n%s\n", *path, vkey)
	return nil
}

// exported is one line of an exported log: the entry's sequence number and
// the exact leaf bytes (base64 in JSON), as GET /v1/audit/entries gives them.
type exported struct {
	Seq  int64  `json:"seq"`
	Leaf []byte `json:"leaf"`
}

// exportBatch is how many entries are read from the database at a time.
const exportBatch = 5000

// eachLeaf calls fn with every stored entry in sequence order.
func eachLeaf(ctx context.Context, r candour.AuditReader, fn func(exported) error) error {
	after := int64(-1)
	for {
		leaves, err := r.AuditEntries(ctx, candour.AuditFilter{After: after, Limit: exportBatch})
		if err != nil {
			return err
		}
		for _, l := range leaves {
			if err := fn(exported{Seq: l.Seq, Leaf: l.Leaf}); err != nil {
				return err
			}
			after = l.Seq
		}
		if len(leaves) < exportBatch {
			return nil
		}
	}
}

func runAuditExport(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("audit export", flag.ContinueOnError)
	database := fs.String("database", "", "the database: a postgres:// URL or an SQLite file")
	operator := operatorFlag(fs)
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if *database == "" {
		return usageError{"audit export: --database is required"}
	}
	db, closeDB, err := openStore(ctx, *database, false)
	if err != nil {
		return err
	}
	defer closeDB()
	// The export is logged before anything is written, like any read.
	if err := auditOperator(ctx, db, operatorEntry(*operator, actionAuditExport, "all", candour.OutcomeOK)); err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	enc := json.NewEncoder(w)
	if err := eachLeaf(ctx, db, func(e exported) error { return enc.Encode(e) }); err != nil {
		return fmt.Errorf("the export stopped: %w", err)
	}
	return w.Flush()
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// progress prints a counter on a terminal, and nothing elsewhere.
type progress struct {
	w      io.Writer
	on     bool
	format string // with one %d
	every  int64
	last   int64
}

func newProgress(w io.Writer, format string, every int64) *progress {
	f, ok := w.(*os.File)
	if !ok {
		return &progress{}
	}
	st, err := f.Stat()
	return &progress{w: w, on: err == nil && st.Mode()&os.ModeCharDevice != 0, format: format, every: every}
}

func (p *progress) at(n int64) {
	if p.on && n-p.last >= p.every {
		fmt.Fprintf(p.w, "\r"+p.format, n)
		p.last = n
	}
}

func (p *progress) done() {
	if p.on {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func runAuditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	database := fs.String("database", "", "verify the log in this database (a postgres:// URL or an SQLite file)")
	logFile := fs.String("log", "", "verify an exported log file (candour audit export) instead")
	vkey := fs.String("verifier-key", "", "the log's verifier key, as you received it (not from the database)")
	var checkpoints multiFlag
	fs.Var(&checkpoints, "checkpoint", "a signed checkpoint you saved earlier; may be repeated")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	if (*database == "") == (*logFile == "") {
		return usageError{"audit verify: give exactly one of --database and --log"}
	}
	if *vkey == "" {
		return usageError{"audit verify: --verifier-key is required; use the key you were given, not one read from the log's own server"}
	}
	var (
		r      audit.Replay
		stored audit.Store // the database's own tree hashes and checkpoints, when verifying a database
		bar    = newProgress(stderr, "verifying: %d entries", 10000)
	)
	add := func(e exported) error {
		if e.Seq != r.Size() {
			if e.Seq > r.Size() {
				return fmt.Errorf("entry %d is missing: the next entry in the log is %d", r.Size(), e.Seq)
			}
			return fmt.Errorf("entry %d appears out of order after entry %d", e.Seq, r.Size()-1)
		}
		bar.at(r.Size())
		return r.Add(e.Leaf)
	}
	if *database != "" {
		db, closeDB, err := openStore(ctx, *database, false)
		if err != nil {
			return err
		}
		defer closeDB()
		stored = db
		if err := eachLeaf(ctx, db, add); err != nil {
			bar.done()
			return firstBadEntry(ctx, db, &r, err)
		}
	} else {
		f, err := os.Open(*logFile)
		if err != nil {
			return fmt.Errorf("the log file cannot be read: %w", err)
		}
		defer f.Close()
		dec := json.NewDecoder(bufio.NewReader(f))
		for {
			var e exported
			err := dec.Decode(&e)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("the log file is damaged after entry %d: %v", r.Size()-1, err)
			}
			if err := add(e); err != nil {
				bar.done()
				return err
			}
		}
	}
	bar.done()

	var signed [][]byte
	names := []string{}
	for _, path := range checkpoints {
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("the checkpoint %s cannot be read: %w", path, err)
		}
		signed, names = append(signed, b), append(names, path)
	}
	if stored != nil {
		all, err := stored.AllCheckpoints(ctx)
		if err != nil {
			return fmt.Errorf("the database's checkpoints cannot be read: %w", err)
		}
		for _, c := range all {
			signed = append(signed, c)
			names = append(names, fmt.Sprintf("the database's checkpoint %d", len(names)-len(checkpoints)+1))
		}
	}
	for i, s := range signed {
		c, err := audit.ParseCheckpoint(s, *vkey)
		if err != nil {
			return fmt.Errorf("%s: %v", names[i], err)
		}
		if c.Size > r.Size() {
			return fmt.Errorf("%s covers %d entries but the log has only %d: entries from %d on have been removed (the log was truncated or rolled back)",
				names[i], c.Size, r.Size(), r.Size())
		}
		root, err := r.Root(c.Size)
		if err != nil {
			return err
		}
		if root != c.Hash {
			if stored != nil {
				if err := firstBadEntry(ctx, stored, &r, nil); err != nil {
					return fmt.Errorf("%s does not match the log: %w", names[i], err)
				}
			}
			return fmt.Errorf("%s does not match the log: an entry before %d has been changed, removed or reordered since it was signed", names[i], c.Size)
		}
	}
	root, _ := r.Root(r.Size())
	if len(signed) == 0 {
		return exitStatus{3, fmt.Sprintf("Checked %d entries for internal consistency only: no checkpoint was given or stored, "+
			"so a log rewritten as a whole cannot be told from the original. Verify against a checkpoint you saved earlier "+
			"(--checkpoint FILE) to know it has not been rewritten. Root %x.", r.Size(), root)}
	}
	fmt.Fprintf(stdout, "Verified %d entries and %d checkpoint(s): the log is consistent with every checkpoint. Root %x.\n",
		r.Size(), len(signed), root)
	return nil
}

// firstBadEntry names the first entry whose leaf no longer matches the hash
// the log stored when it integrated it (before any tampering since). With
// cause set, the replay had already stopped on it.
func firstBadEntry(ctx context.Context, s audit.Store, r *audit.Replay, cause error) error {
	size, err := s.TreeSize(ctx)
	if err == nil {
		n := min(size, r.Size())
		for i := int64(0); i < n; i++ {
			stored, err := s.ReadTreeHashes(ctx, []int64{tlog.StoredHashIndex(0, i)})
			if err != nil {
				break
			}
			got, _ := r.ReadHashes([]int64{tlog.StoredHashIndex(0, i)})
			if got[0] != stored[0] {
				return fmt.Errorf("entry %d has been changed since it was added to the log", i)
			}
		}
	}
	if cause != nil {
		return cause
	}
	return nil
}
